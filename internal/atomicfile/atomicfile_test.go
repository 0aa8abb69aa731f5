package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestWrite: a successful write replaces the file (mode 0644) and leaves
// no temporary file; a failing write leaves the old content and no
// temporary file.
func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.bin")
	if err := WriteFile(path, []byte("old")); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := Write(path, func(w io.Writer) error { w.Write([]byte("partial")); return boom }); !errors.Is(err, boom) {
		t.Fatalf("failing write: %v, want boom", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("after a failed write: %q, want %q", b, "old")
	}
	if err := WriteFile(path, []byte("new")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Errorf("content %q, want %q", b, "new")
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, %v; want 0644", fi.Mode().Perm(), err)
	}
	if es, _ := os.ReadDir(dir); len(es) != 1 {
		t.Errorf("%d entries in the folder, want 1 (no temporary file left)", len(es))
	}
	if err := WriteFile(filepath.Join(dir, "missing", "f"), nil); err == nil {
		t.Error("write into a missing folder: no error")
	}
}

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
