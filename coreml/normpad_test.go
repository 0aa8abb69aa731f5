package coreml

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/onnx"
	"github.com/mconv/mconv/passes"
)

// TestNormPadFixtures: the normalization and padding fixtures of
// testdata/normpad (tools/reference/export_coreml_fixtures.py: PyTorch
// modules exported by both exporters with PyTorch's outputs, and ONNX
// graphs with ONNX Runtime's) convert to ML Program and NeuralNetwork, fp32
// and fp16, as exported and fused; read back and run in the Go runtime they
// reproduce the stored outputs.
func TestNormPadFixtures(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("testdata", "normpad", "*", "*", "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	more, err := filepath.Glob(filepath.Join("testdata", "normpad", "*", "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	paths = append(paths, more...)
	if len(paths) < 9 {
		t.Fatalf("found %d fixtures under testdata/normpad, want at least 9", len(paths))
	}
	for _, p := range paths {
		m, err := onnx.Load(p)
		if err != nil {
			t.Fatal(err)
		}
		sets, err := filepath.Glob(filepath.Join(filepath.Dir(p), "test_data_set_*"))
		if err != nil || len(sets) == 0 {
			t.Fatalf("%s: no data set beside it", p)
		}
		label := strings.TrimPrefix(filepath.Dir(p), filepath.Join("testdata", "normpad")+string(filepath.Separator))
		checkRoundTrip(t, label, m, sets)
		fused := ir.CloneModel(m)
		if _, err := passes.Run(fused, passes.Options{}); err != nil {
			t.Fatalf("%s: passes: %v", label, err)
		}
		checkRoundTrip(t, label+" fused", fused, sets)
	}
}
