package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mconv/mconv/runtime/kernels"
)

// TestVersionKernelPath: `mconv version` names the kernel path in use and
// those this machine supports.
func TestVersionKernelPath(t *testing.T) {
	var b bytes.Buffer
	if err := (&versionOptions{}).run(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	want := "kernels " + kernels.KernelPath() + " (supported here: " + strings.Join(kernels.KernelPaths(), ", ")
	if !strings.HasPrefix(out, "mconv "+Version+"\n") || !strings.Contains(out, want) {
		t.Errorf("version output %q, want the version and %q", out, want)
	}
}
