package ir_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mconv/mconv/internal/testenv"
	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/onnx"
)

// TestShapesONNXNodeTests infers shapes for every ONNX backend node test
// case (types of all node outputs cleared first, so only the graph inputs'
// types are used) and compares each graph output with the dims and dtype of
// the expected output tensor in test_data_set_0. Cases whose graphs use
// only ops with a shape function must give a fully known, equal shape
// except where the op's output size depends on data; any conflict fails the
// test.
func TestShapesONNXNodeTests(t *testing.T) {
	root := testenv.ONNXTests(t)
	for _, sub := range []string{"node", "pytorch-converted", "pytorch-operator", "simple"} {
		for _, mode := range []struct {
			name   string
			freeze bool
		}{{"inputs fed at run time", false}, {"inputs frozen to the test data", true}} {
			t.Run(sub+"/"+strings.ReplaceAll(mode.name, " ", "_"), func(t *testing.T) { nodeTests(t, root, sub, mode.freeze) })
		}
	}
}

// nodeTests runs the comparison; with freeze, every graph input is first
// turned into a constant holding its test_data_set_0 value, so that inputs
// that parameterize a shape (Reshape's shape, Slice's starts, TopK's K,
// Resize's scales, ...) are known to the constant evaluator.
func nodeTests(t *testing.T, root, sub string, freeze bool) {
	dirs, err := filepath.Glob(filepath.Join(root, sub, "*", "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 10 {
		t.Fatalf("found only %d cases under %s", len(dirs), filepath.Join(root, sub))
	}
	var (
		failures                 []string
		unknownSupported         []string
		supported, exact, nonTen int
		unsupported, badImport   int
		outputs                  int
	)
	for _, f := range dirs {
		dir := filepath.Dir(f)
		name := filepath.Base(dir)
		m, err := onnx.Load(filepath.Join(dir, "model.onnx"))
		if err != nil {
			badImport++
			continue
		}
		if !allSupported(m.Graph) {
			unsupported++
			continue
		}
		supported++
		if freeze {
			if err := freezeInputs(m.Graph, filepath.Join(dir, "test_data_set_0")); err != nil {
				failures = append(failures, name+": "+err.Error())
				continue
			}
		}
		clearTypes(m.Graph)
		if err := ir.InferShapes(m); err != nil {
			failures = append(failures, name+": "+err.Error())
			continue
		}
		if err := ir.Verify(m); err != nil {
			failures = append(failures, name+": verify after inference: "+err.Error())
			continue
		}
		caseOK := true
		for i, o := range m.Graph.Outputs {
			want, err := onnx.ReadTensorFile(filepath.Join(dir, "test_data_set_0", fmt.Sprintf("output_%d.pb", i)))
			if err != nil {
				nonTen++ // sequence / optional outputs: not a TensorProto
				caseOK = false
				continue
			}
			outputs++
			got := o.Type
			if got.Kind != ir.KindTensor || !got.HasShape || !got.Shape.Static() {
				unknownSupported = append(unknownSupported, fmt.Sprintf("%s output %d: inferred %s, expected %v", name, i, got, want.Dims))
				caseOK = false
				if got.Kind == ir.KindTensor && got.HasShape && !compatible(got.Shape, want.Dims) {
					failures = append(failures, fmt.Sprintf("%s output %d: inferred %s, expected dims %v", name, i, got, want.Dims))
				}
				continue
			}
			if !got.Shape.Equal(ir.S(want.Dims...)) {
				failures = append(failures, fmt.Sprintf("%s output %d: inferred %s, expected dims %v", name, i, got.Shape, want.Dims))
				caseOK = false
				continue
			}
			if got.DType != ir.Undefined && got.DType != want.DType {
				failures = append(failures, fmt.Sprintf("%s output %d: inferred dtype %s, expected %s", name, i, got.DType, want.DType))
				caseOK = false
			}
		}
		if caseOK {
			exact++
		}
	}
	sort.Strings(unknownSupported)
	t.Logf("%d cases: %d use only ops with shape functions, %d with an op without one, %d do not import; "+
		"%d supported cases have every output shape inferred exactly (%d tensor outputs checked, %d non-tensor outputs skipped)",
		len(dirs), supported, unsupported, badImport, exact, outputs, nonTen)
	if len(unknownSupported) > 0 {
		t.Logf("%d outputs left (partly) unknown (sizes that depend on input values, or forms not handled):\n%s", len(unknownSupported), strings.Join(unknownSupported, "\n"))
	}
	if len(failures) > 0 {
		t.Errorf("%d shape conflicts:\n%s", len(failures), strings.Join(failures, "\n"))
	}
}

// freezeInputs replaces each graph input of g (in order; initializers that
// are also inputs excepted) by a constant read from dir/input_K.pb.
func freezeInputs(g *ir.Graph, dir string) error {
	var keep []*ir.Value
	k := 0
	for _, v := range g.Inputs {
		if v.Const != nil {
			keep = append(keep, v)
			continue
		}
		path := filepath.Join(dir, fmt.Sprintf("input_%d.pb", k))
		k++
		if _, err := os.Stat(path); err != nil {
			keep = append(keep, v) // optional input left out by the test
			continue
		}
		tv, err := onnx.ReadTensorFile(path)
		if err != nil {
			keep = append(keep, v) // sequence or optional input
			continue
		}
		v.Const, v.IsInput = tv, false
		v.Type = ir.TensorOf(tv.DType, tv.Dims...)
		g.Initializers = append(g.Initializers, v)
	}
	g.Inputs = keep
	return nil
}

// allSupported reports whether every node of g (and its subgraphs) has a
// shape function.
func allSupported(g *ir.Graph) bool {
	for _, n := range g.Nodes {
		if ir.LookupShapeFunc(n.Domain, n.OpType) == nil {
			return false
		}
		for _, s := range n.Subgraphs() {
			if !allSupported(s) {
				return false
			}
		}
	}
	return true
}

func clearTypes(g *ir.Graph) {
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			if o != nil {
				o.Type = ir.Type{}
			}
		}
		for _, s := range n.Subgraphs() {
			clearTypes(s)
		}
	}
}

func compatible(s ir.Shape, dims []int64) bool {
	if len(s) != len(dims) {
		return false
	}
	for i, d := range s {
		if d.Known() && d.Size != dims[i] {
			return false
		}
	}
	return true
}

// TestShapesONNXLightNetworks infers every intermediate of the whole
// networks in light/ (AlexNet, DenseNet-121, Inception, ResNet-50,
// ShuffleNet, SqueezeNet, VGG-19, ZFNet) from the input shape alone and
// compares the output with the expected output tensor's dims.
func TestShapesONNXLightNetworks(t *testing.T) {
	root := testenv.ONNXTests(t)
	files := testenv.Glob(t, filepath.Join(root, "light", "light_*.onnx"))
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".onnx")
		t.Run(name, func(t *testing.T) {
			m, err := onnx.Load(f)
			if err != nil {
				t.Fatal(err)
			}
			clearTypes(m.Graph)
			if err := ir.InferShapes(m); err != nil {
				t.Fatal(err)
			}
			if err := ir.Verify(m); err != nil {
				t.Fatal(err)
			}
			want, err := onnx.ReadTensorFile(filepath.Join(root, "light", name+"_output_0.pb"))
			if err != nil {
				t.Fatal(err)
			}
			got := m.Graph.Outputs[0].Type
			if !got.Static() || !got.Shape.Equal(ir.S(want.Dims...)) || got.DType != want.DType {
				t.Errorf("output %s, expected %s%v", got, want.DType, want.Dims)
			}
			unknown := 0
			for _, n := range m.Graph.Nodes {
				for _, o := range n.Outputs {
					if o != nil && !o.Type.Static() {
						unknown++
					}
				}
			}
			if unknown > 0 {
				t.Errorf("%d intermediate values without a static shape", unknown)
			}
			t.Logf("%d nodes, all outputs static; output %s", len(m.Graph.Nodes), got)
		})
	}
}
