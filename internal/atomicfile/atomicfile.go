// Package atomicfile writes files and folders (an .mlpackage) through a
// temporary sibling that is renamed into place, so that readers never see
// a partly written target and a failed or killed write leaves the old one
// as it was (a folder replacement killed between its two renames leaves
// none, never a partial one). The temporary siblings are named
// TempPrefix(path)+random; a killed writer can leave one behind, and the
// next write of the same target removes such leftovers first
// (RemoveStale), so none survive a successful write.
package atomicfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

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

// testDelay, from the environment variable MCONV_ATOMICFILE_TEST_DELAY (a
// Go duration), is a pause in the middle of every write: halfway through
// the data of WriteFile and WriteIn, before the rename of Write, between
// the renames of ReplaceDir. Tests set it to kill a writer while its
// temporary sibling is partial.
var testDelay, _ = time.ParseDuration(os.Getenv("MCONV_ATOMICFILE_TEST_DELAY"))

func pause() {
	if testDelay > 0 {
		time.Sleep(testDelay)
	}
}

// writeHalves writes data to w in two halves with the test pause between.
func writeHalves(w io.Writer, data []byte) error {
	if _, err := w.Write(data[:len(data)/2]); err != nil {
		return err
	}
	pause()
	_, err := w.Write(data[len(data)/2:])
	return err
}

// Write writes path's new content with write into a temporary file in
// path's folder (mode 0644) and renames it over path. On any error the
// temporary file is removed; errors of the file system are wrapped
// "writing PATH: ...", errors of write are returned as they are. A path
// that exists and is not a regular file or a folder (a device such as
// /dev/null, a named pipe) is written in place: renaming over it would
// replace the device with a plain file, and such a target has no old
// content to keep.
func Write(path string, write func(io.Writer) error) error {
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() && !st.IsDir() {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
		werr := write(f)
		if cerr := f.Close(); werr == nil && cerr != nil {
			werr = fmt.Errorf("writing %s: %w", path, cerr)
		}
		return werr
	}
	RemoveStale(path)
	f, err := os.CreateTemp(filepath.Dir(path), TempPrefix(path)+"*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp := f.Name()
	if err := write(f); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	pause()
	err = f.Close()
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// WriteFile is Write of data.
func WriteFile(path string, data []byte) error {
	return Write(path, func(w io.Writer) error { return writeHalves(w, data) })
}

// WriteIn writes data to the file path inside a folder being built (from
// TempDir; not itself atomic), with the test pause of WriteFile.
func WriteIn(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	werr := writeHalves(f, data)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	return werr
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
