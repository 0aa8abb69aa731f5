package kernels

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestGeluTableUpToDate re-runs gen_gelu.go (go generate) into a
// temporary file and compares it with the committed gelu_table.go.
func TestGeluTableUpToDate(t *testing.T) {
	out := filepath.Join(t.TempDir(), "gelu_table.go")
	cmd := exec.Command("go", "run", "gen_gelu.go", "-o", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run gen_gelu.go: %v\n%s", err, b)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("gelu_table.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("gelu_table.go differs from what gen_gelu.go writes: run go generate ./runtime/kernels")
	}
}
