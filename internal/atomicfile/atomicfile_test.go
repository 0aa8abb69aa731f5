package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

// TestStaleRemoved: leftovers of killed writes (a partial temporary file,
// a temporary folder and an old folder set aside) are gone after the next
// write, which leaves only the target.
func TestStaleRemoved(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.onnx")
	for _, n := range []string{TempPrefix(path) + "123", TempPrefix(path) + "456.old/x"} {
		p := filepath.Join(dir, n)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	other := filepath.Join(dir, ".mconv-other.onnx-1") // another target's: kept
	os.WriteFile(other, nil, 0o644)
	if err := WriteFile(path, []byte("done")); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 2 {
		t.Errorf("%d entries left, want the target and the other target's temporary", len(ents))
	}
	if b, _ := os.ReadFile(path); string(b) != "done" {
		t.Errorf("target holds %q", b)
	}
	// A folder replaced.
	pkg := filepath.Join(dir, "m.mlpackage")
	for _, content := range []string{"v1", "v2"} {
		tmp, err := TempDir(pkg)
		if err != nil {
			t.Fatal(err)
		}
		if err := WriteIn(filepath.Join(tmp, "f"), []byte(content)); err != nil {
			t.Fatal(err)
		}
		if err := ReplaceDir(tmp, pkg); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(filepath.Join(pkg, "f")); string(b) != content {
			t.Errorf("package holds %q, want %q", b, content)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 3 {
		t.Errorf("%d entries after replacing a folder, want 3", len(ents))
	}
}
