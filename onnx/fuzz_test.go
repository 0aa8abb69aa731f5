package onnx

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mconv/mconv/ir"
)

// FuzzImport feeds arbitrary bytes to Decode. It must never panic; when a
// model imports, it must pass ir.Verify, and export -> import must give an
// equal model. Seeds: the models in testdata/ (under 16 KiB, any depth: big
// weights only slow the fuzzer down), every bad-input case
// (onnx/testdata/bad, kept in sync by TestBadInput) and a small good model.
// External data is not read (no folder is given).
//
//	GOMAXPROCS=1 go test -run='^$' -fuzz=FuzzImport -fuzztime=10m ./onnx
func FuzzImport(f *testing.F) {
	f.Add(marshal(f, goodModel()))
	f.Add(marshal(f, richModel()))
	var seeds []string
	for _, root := range []string{"../testdata", "testdata/bad"} {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if info, ierr := d.Info(); !d.IsDir() && strings.HasSuffix(p, ".onnx") && ierr == nil && info.Size() < 16<<10 {
				seeds = append(seeds, p)
			}
			return nil
		})
		if err != nil {
			f.Fatal(err)
		}
	}
	if len(seeds) < 2 {
		f.Fatalf("found only %d seed models", len(seeds))
	}
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkImport(t, data)
	})
}

// roundTripChecks: m passes Verify, exports, and re-imports equal.
func roundTripChecks(t *testing.T, m *ir.Model) {
	if err := ir.Verify(m); err != nil {
		t.Fatalf("imported model fails Verify: %v", err)
	}
	out, err := Encode(m)
	if err != nil {
		t.Fatalf("export of an imported model failed: %v", err)
	}
	m2, err := Decode(out, "fuzz-roundtrip.onnx", "")
	if err != nil {
		t.Fatalf("re-import failed: %v", err)
	}
	if d := modelDiff(m, m2); d != "" {
		t.Fatalf("round trip differs: %s", d)
	}
}
