package main

import (
	"bytes"
	"io/fs"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// snapshot reads a file, or every file of a folder, as path -> bytes
// (nil when path does not exist).
func snapshot(t *testing.T, path string) map[string][]byte {
	t.Helper()
	if _, err := os.Lstat(path); os.IsNotExist(err) {
		return nil
	}
	out := map[string][]byte{}
	err := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(path, p)
		out[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameSnapshot(a, b map[string][]byte) bool {
	if (a == nil) != (b == nil) || len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || !bytes.Equal(v, w) {
			return false
		}
	}
	return true
}

// TestNoPartialOutputs kills `mconv fuse` and `mconv to-coreml` (a
// subprocess, SIGKILL after a random delay, seed fixed) while they
// replace an output written before from another model. The writes pause
// halfway (MCONV_ATOMICFILE_TEST_DELAY) so that kills land in them too.
// After each kill the target must be the complete previous output or the
// complete new one (a folder may also be absent, between the two renames
// of its replacement); after the next uninterrupted run it is the new
// output, byte for byte, with no temporary file left beside it.
func TestNoPartialOutputs(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: this test builds mconv and kills it as a subprocess (CI runs it: no -short there)")
	}
	bin := buildMconv(t)
	a, b := tinyModel, coremlFixture
	cases := []struct {
		name string
		args func(in, out string) []string
		out  string
		dir  bool
	}{
		{"fuse", func(in, out string) []string { return []string{"fuse", in, "-o", out} }, "m.onnx", false},
		{"to-coreml mlpackage", func(in, out string) []string { return []string{"to-coreml", in, "-o", out} }, "m.mlpackage", true},
		{"to-coreml mlmodel", func(in, out string) []string { return []string{"to-coreml", in, "-o", out} }, "m.mlmodel", false},
	}
	rng := rand.New(rand.NewSource(13))
	const delay = 150 * time.Millisecond
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			target := filepath.Join(dir, c.out)
			run := func(in, out string, withDelay bool) time.Duration {
				cmd := exec.Command(bin, c.args(in, out)...)
				if withDelay {
					cmd.Env = append(os.Environ(), "MCONV_ATOMICFILE_TEST_DELAY="+delay.String())
				}
				start := time.Now()
				if o, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("mconv %v: %v\n%s", c.args(in, out), err, o)
				}
				return time.Since(start)
			}
			// What uninterrupted runs write: b's output, in its own folder.
			ref := filepath.Join(t.TempDir(), c.out)
			full := run(b, ref, true)
			want := snapshot(t, ref)
			run(a, target, false)
			prev := snapshot(t, target)
			if sameSnapshot(prev, want) {
				t.Fatal("the two models give the same output: the test cannot tell them apart")
			}
			cur := prev
			partial := 0
			for try := 0; try < 8; try++ {
				cmd := exec.Command(bin, c.args(b, target)...)
				cmd.Env = append(os.Environ(), "MCONV_ATOMICFILE_TEST_DELAY="+delay.String())
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				time.Sleep(time.Duration(rng.Int63n(int64(full))))
				cmd.Process.Signal(syscall.SIGKILL)
				cmd.Wait()
				got := snapshot(t, target)
				switch {
				case sameSnapshot(got, cur):
				case sameSnapshot(got, want):
					cur = want
				case got == nil && c.dir:
					cur = nil
				default:
					t.Fatalf("try %d: after SIGKILL the target is neither the previous nor the new output (%d files)", try, len(got))
				}
				if ents, _ := os.ReadDir(dir); len(ents) > 1 {
					partial++ // a temporary sibling was being written
				}
			}
			t.Logf("after %d of 8 kills a temporary sibling was beside the target", partial)
			run(b, target, false)
			if got := snapshot(t, target); !sameSnapshot(got, want) {
				t.Errorf("after an uninterrupted run the target is not the new output")
			}
			ents, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range ents {
				if e.Name() != c.out {
					t.Errorf("left beside the target: %s", e.Name())
				}
				if strings.Contains(e.Name(), ".tmp") || strings.HasPrefix(e.Name(), ".mconv-") {
					t.Errorf("temporary file left: %s", e.Name())
				}
			}
		})
	}
}
