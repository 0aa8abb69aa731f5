package ir_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mconv/mconv/internal/testenv"
	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/onnx"
)

// checkExportedModel re-infers every value of an exported network from its
// input types alone and checks that (1) every value gets a shape whose
// dims are static or one of the inputs' named symbols (a dynamic batch
// flows through Shape/Gather/Concat/Reshape chains), (2) the outputs and
// every intermediate with value_info agree with the types the exporter
// recorded, and (3) fixing the symbols with SetInputShapes makes every
// value static.
func checkExportedModel(t *testing.T, path string) {
	m, err := onnx.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	recorded := make([]ir.Type, len(m.Graph.Outputs))
	for i, o := range m.Graph.Outputs {
		recorded[i] = o.Type.Clone()
	}
	syms := map[string]bool{}
	fix := map[string][]int64{}
	for _, in := range m.Graph.Inputs {
		if in.Const != nil || !in.Type.HasShape {
			continue
		}
		sizes := in.Type.Shape.Sizes()
		for i, d := range in.Type.Shape {
			if !d.Known() {
				syms[d.Param] = true
				sizes[i] = 3
			}
		}
		fix[in.Name] = sizes
	}
	// value_info the exporter wrote (ONNX's own inference, run by torch).
	info := map[*ir.Value]ir.Type{}
	for _, n := range m.Graph.Nodes {
		for _, o := range n.Outputs {
			if o != nil && o.HasInfo && o.Type.Kind == ir.KindTensor && o.Type.HasShape {
				info[o] = o.Type.Clone()
			}
		}
	}
	clearTypes(m.Graph)
	if err := ir.InferShapes(m); err != nil {
		t.Fatal(err)
	}
	if err := ir.Verify(m); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for v, want := range info {
		if !agrees(v.Type, want, syms) {
			t.Errorf("value %q: inferred %s, recorded value_info %s", v.Name, v.Type, want)
		}
		checked++
	}
	t.Logf("%d nodes; %d values with recorded value_info agree", len(m.Graph.Nodes), checked)
	allShaped := func(m *ir.Model, allowed map[string]bool) []string {
		var bad []string
		for _, n := range m.Graph.Nodes {
			for _, o := range n.Outputs {
				if o == nil {
					continue
				}
				ty := o.Type
				if ty.Kind == ir.KindSequence && ty.Elem != nil {
					ty = *ty.Elem // SplitToSequence: check the element type
				}
				ok := ty.Kind == ir.KindTensor && ty.HasShape
				for _, d := range ty.Shape {
					if !d.Known() && (d.Param == "" || !allowed[d.Param]) {
						ok = false
					}
				}
				if !ok && len(bad) < 10 {
					bad = append(bad, n.OpType+" "+n.Name+" -> "+o.Type.String())
				}
			}
		}
		return bad
	}
	if bad := allShaped(m, syms); len(bad) > 0 {
		t.Errorf("values without a static or input-symbol shape:\n%s", strings.Join(bad, "\n"))
	}
	for i, o := range m.Graph.Outputs {
		if recorded[i].Kind == ir.KindTensor && recorded[i].HasShape && !agrees(o.Type, recorded[i], syms) {
			t.Errorf("output %q: inferred %s, exporter recorded %s", o.Name, o.Type, recorded[i])
		}
	}
	if len(syms) == 0 {
		return
	}
	if err := ir.SetInputShapes(m, fix); err != nil {
		t.Fatal(err)
	}
	if bad := allShaped(m, nil); len(bad) > 0 {
		t.Errorf("after SetInputShapes(%v), values not static:\n%s", fix, strings.Join(bad, "\n"))
	}
}

// agrees compares an inferred type with a recorded one: same dtype and
// rank, equal known sizes, and the inputs' symbols where recorded; other
// recorded symbols (exporter-made names) accept any size.
func agrees(got, want ir.Type, syms map[string]bool) bool {
	if got.DType != want.DType || !got.HasShape || len(got.Shape) != len(want.Shape) {
		return false
	}
	for i, w := range want.Shape {
		g := got.Shape[i]
		switch {
		case w.Known() && (!g.Known() || g.Size != w.Size):
			return false
		case !w.Known() && syms[w.Param] && (g.Known() || g.Param != w.Param):
			return false
		}
	}
	return true
}

// TestShapesExportedModels runs checkExportedModel over the PyTorch
// exports in testdata (TorchScript and dynamo, training and deploy forms,
// some with a dynamic batch).
func TestShapesExportedModels(t *testing.T) {
	files := testenv.Glob(t, "../testdata/*.onnx", "../testdata/*/*.onnx", "../testdata/golden/*/*/*.onnx")
	for _, f := range files {
		t.Run(strings.TrimPrefix(f, "../testdata/"), func(t *testing.T) { checkExportedModel(t, f) })
	}
}

// TestShapesFullModels does the same for full-size timm exports
// (MCONV_FULL_MODELS, made by tools/reference/export_fixtures.py --full).
func TestShapesFullModels(t *testing.T) {
	dir := testenv.FullModels(t)
	// export_fixtures.py --full writes DIR/<name>/{train,deploy}.onnx.
	files := testenv.Glob(t, filepath.Join(dir, "*", "*.onnx"))
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) { checkExportedModel(t, f) })
	}
}

// BenchmarkInferShapesDenseNet times a full re-inference of DenseNet-121
// (1,746 nodes) from the shared test data.
func BenchmarkInferShapesDenseNet(b *testing.B) {
	root := testenv.ONNXTests(b)
	m, err := onnx.Load(filepath.Join(root, "light", "light_densenet121.onnx"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		clearTypes(m.Graph)
		if err := ir.InferShapes(m); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(m.Graph.Nodes)), "nodes")
}

// TestShapesReference checks models whose value_info was written by ONNX's
// own shape inference (onnx.shape_inference.infer_shapes, data_prop=True):
// tools/reference/xcheck_shapes.py prepares them in a folder named by
// MCONV_SHAPES_REFERENCE and runs this test (make crosscheck).
func TestShapesReference(t *testing.T) {
	dir := os.Getenv("MCONV_SHAPES_REFERENCE")
	if dir == "" {
		t.Skip("MCONV_SHAPES_REFERENCE not set: run tools/reference/xcheck_shapes.py (make crosscheck)")
	}
	files := testenv.Glob(t, filepath.Join(dir, "*.onnx"))
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) { checkExportedModel(t, f) })
	}
}
