package main

import (
	"testing"
)

func TestByteSize(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"1048576", 1 << 20, true}, {"512MiB", 512 << 20, true}, {"4GiB", 4 << 30, true},
		{"4G", 4 << 30, true}, {"2 TiB", 2 << 40, true}, {"64k", 64 << 10, true}, {"1GB", 1 << 30, true},
		{"-1", 0, false}, {"1.5GiB", 0, false}, {"lots", 0, false}, {"9999999999TiB", 0, false}, {"3PiB", 0, false},
	} {
		var b byteSize
		err := b.Set(c.in)
		if (err == nil) != c.ok || (c.ok && int64(b) != c.want) {
			t.Errorf("Set(%q) = %d, %v; want %d, ok %v", c.in, int64(b), err, c.want, c.ok)
		}
	}
}

// TestMaxMemoryFlag: every command that builds a plan or folds constants
// takes --max-memory.
func TestMaxMemoryFlag(t *testing.T) {
	root := newRootCmd()
	for _, name := range []string{"run", "stats", "fuse", "bench", "verify", "compare", "to-coreml"} {
		c, _, err := root.Find([]string{name})
		if err != nil || c.Name() != name {
			t.Errorf("no command %s", name)
			continue
		}
		if c.Flags().Lookup("max-memory") == nil {
			t.Errorf("%s has no --max-memory", name)
		}
	}
}
