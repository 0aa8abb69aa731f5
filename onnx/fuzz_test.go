package onnx

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/mconv/mconv/ir"
)

// FuzzImport feeds arbitrary bytes to Decode. It must never panic; when a
// model imports, it must pass ir.Verify, and export -> import must give an
// equal model. Seeds: the models in testdata/, every bad-input case
// (onnx/testdata/bad, kept in sync by TestBadInput) and a small good model.
// External data is not read (no folder is given).
//
//	GOMAXPROCS=1 go test -run='^$' -fuzz=FuzzImport -fuzztime=10m ./onnx
func FuzzImport(f *testing.F) {
	f.Add(marshal(f, goodModel()))
	f.Add(marshal(f, richModel()))
	for _, pat := range []string{"../testdata/*.onnx", "testdata/bad/*.onnx"} {
		files, err := filepath.Glob(pat)
		if err != nil {
			f.Fatal(err)
		}
		for _, p := range files {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(data, "fuzz.onnx", "")
		if err != nil {
			return
		}
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
	})
}
