// Package atomicfile writes files and folders (an .mlpackage) so that the
// target is never seen partly written, even when the writer is killed:
// the data goes to a temporary sibling named TempPrefix(path)+random,
// which is renamed over the target when complete. A killed writer can
// leave its temporary sibling behind; the next write of the same target
// removes such leftovers first (RemoveStale), so none survive a
// successful write.
package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// testDelay, from the environment variable MCONV_ATOMICFILE_TEST_DELAY (a
// Go duration), is a pause in the middle of every write: after half the
// data of a file, and between the renames of ReplaceDir. Tests set it to
// kill a writer while its temporary sibling is partial.
var testDelay, _ = time.ParseDuration(os.Getenv("MCONV_ATOMICFILE_TEST_DELAY"))

func pause() {
	if testDelay > 0 {
		time.Sleep(testDelay)
	}
}

// writeAll writes data to f, pausing halfway (testDelay).
func writeAll(f *os.File, data []byte) error {
	if _, err := f.Write(data[:len(data)/2]); err != nil {
		return err
	}
	pause()
	_, err := f.Write(data[len(data)/2:])
	return err
}

// WriteIn writes data to the file path in a folder being built (from
// TempDir; not itself atomic), with the test pause of WriteFile.
func WriteIn(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	werr := writeAll(f, data)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	return werr
}

// TempPrefix is the name prefix of the temporary siblings of path:
// ".mconv-BASE-".
func TempPrefix(path string) string { return ".mconv-" + filepath.Base(path) + "-" }

// RemoveStale removes the temporary siblings of path that earlier writes
// left behind (a writer killed before its rename). Two processes writing
// the same target at once may thus make one of them fail; neither leaves
// a partial target.
func RemoveStale(path string) {
	dir := filepath.Dir(path)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	prefix := TempPrefix(path)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), prefix) {
			os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
}

// WriteFile writes data to path with permission 0644 through a temporary
// sibling renamed into place.
func WriteFile(path string, data []byte) error {
	RemoveStale(path)
	f, err := os.CreateTemp(filepath.Dir(path), TempPrefix(path)+"*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp := f.Name()
	werr := writeAll(f, data)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp, 0o644)
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, werr)
	}
	return nil
}

// TempDir makes the temporary sibling folder a folder target is built in
// before ReplaceDir moves it into place.
func TempDir(path string) (string, error) {
	RemoveStale(path)
	return os.MkdirTemp(filepath.Dir(path), TempPrefix(path)+"*")
}

// ReplaceDir moves the complete folder tmp (from TempDir) to path,
// replacing the folder there: the old one is first renamed aside (a
// temporary sibling), then tmp renamed into place and the old one
// removed. A writer killed between the two renames leaves path absent and
// the old folder aside, never a partial folder at path.
func ReplaceDir(tmp, path string) error {
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if _, err := os.Lstat(path); err != nil {
		return os.Rename(tmp, path)
	}
	old := tmp + ".old"
	if err := os.Rename(path, old); err != nil {
		return err
	}
	pause()
	if err := os.Rename(tmp, path); err != nil {
		os.Rename(old, path)
		return err
	}
	return os.RemoveAll(old)
}
