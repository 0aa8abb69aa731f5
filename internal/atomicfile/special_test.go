//go:build unix

package atomicfile

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestWriteSpecialFile: writing to an existing named pipe (as to /dev/null)
// writes through it and leaves it a pipe; the rename a regular target gets
// would have replaced it with a plain file.
func TestWriteSpecialFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte, 1)
	go func() {
		f, err := os.Open(path)
		if err != nil {
			got <- nil
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		got <- b
	}()
	if err := WriteFile(path, []byte("model bytes")); err != nil {
		t.Fatal(err)
	}
	st, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("%s is now %v, want the named pipe kept", path, st.Mode())
	}
	if b := <-got; string(b) != "model bytes" {
		t.Errorf("the reader got %q, want %q", b, "model bytes")
	}
}
