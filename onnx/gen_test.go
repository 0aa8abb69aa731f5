package onnx

import (
	"bytes"
	"github.com/mconv/mconv/internal/testenv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGeneratedCodeUpToDate re-runs the go:generate command of gen.go into
// a temporary folder and compares with the committed onnx.pb.go. It needs
// protoc on PATH; without it the test skips and says so.
func TestGeneratedCodeUpToDate(t *testing.T) {
	testenv.Tool(t, "protoc", "apt-get install protobuf-compiler")
	if testing.Short() {
		t.Skip("-short: skipping protoc run")
	}
	src, err := os.ReadFile("gen.go")
	if err != nil {
		t.Fatal(err)
	}
	var cmd string
	for _, line := range strings.Split(string(src), "\n") {
		if rest, ok := strings.CutPrefix(line, "//go:generate sh -c "); ok {
			cmd = strings.Trim(rest, `"`)
		}
	}
	if cmd == "" {
		t.Fatal("no go:generate sh -c line in gen.go")
	}
	dir := t.TempDir()
	proto, err := os.ReadFile("onnx.proto")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "onnx.proto"), proto, 0o644); err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	// go tool must run inside the module to find protoc-gen-go.
	cmd = strings.ReplaceAll(cmd, "$(go tool -n protoc-gen-go)", "$(cd "+wd+" && go tool -n protoc-gen-go)")
	c := exec.Command("sh", "-c", cmd)
	c.Dir = dir
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, out)
	}
	got, err := os.ReadFile(filepath.Join(dir, "onnx.pb.go"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("onnx.pb.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("onnx.pb.go is out of date with onnx.proto: run go generate ./onnx")
	}
}
