package engine

import (
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/mconv/mconv/internal/testenv"
	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/onnx"
)

// evalCase runs Eval on the single node of an ONNX node test case with its
// first data set's inputs as constants and compares with the expected
// outputs. skip is set when the case does not fit Eval (more than one node,
// subgraphs, sequence data); err is Eval's error.
func evalCase(t *testing.T, dir string) (skip bool, err error) {
	m, lerr := onnx.Load(filepath.Join(dir, "model.onnx"))
	if lerr != nil || len(m.Graph.Nodes) != 1 || len(m.Graph.Nodes[0].Subgraphs()) > 0 {
		return true, nil
	}
	n := m.Graph.Nodes[0]
	set := filepath.Join(dir, "test_data_set_0")
	ins, _ := filepath.Glob(filepath.Join(set, "input_*.pb"))
	outs, _ := filepath.Glob(filepath.Join(set, "output_*.pb"))
	sort.Slice(ins, func(i, j int) bool { return pbIndex(ins[i]) < pbIndex(ins[j]) })
	sort.Slice(outs, func(i, j int) bool { return pbIndex(outs[i]) < pbIndex(outs[j]) })
	feeds := map[*ir.Value]*ir.Tensor{}
	var rtIn []*ir.Value
	for _, v := range m.Graph.Inputs {
		if v.Const != nil {
			feeds[v] = v.Const
		} else {
			rtIn = append(rtIn, v)
		}
	}
	for _, v := range m.Graph.Initializers {
		feeds[v] = v.Const
	}
	if len(ins) != len(rtIn) || len(outs) != len(m.Graph.Outputs) {
		return true, nil
	}
	for i, f := range ins {
		x, rerr := onnx.ReadTensorFile(f)
		if rerr != nil {
			return true, nil // sequences, optionals
		}
		feeds[rtIn[i]] = x
	}
	inputs := make([]*ir.Tensor, len(n.Inputs))
	for i, v := range n.Inputs {
		if v != nil {
			inputs[i] = feeds[v]
		}
	}
	got, err := Eval(n, m.Opset(n.Domain), inputs)
	if err != nil {
		return false, err
	}
	byName := map[string]*ir.Tensor{}
	for i, o := range n.Outputs {
		if o != nil {
			byName[o.Name] = got[i]
		}
	}
	for i, f := range outs {
		want, rerr := onnx.ReadTensorFile(f)
		if rerr != nil {
			return true, nil
		}
		name := m.Graph.Outputs[i].Name
		if d := compareTensors(byName[name], want, 1e-3, 1e-7); d != "" {
			t.Errorf("%s: output %q: %s", filepath.Base(dir), name, d)
		}
	}
	return false, nil
}

// TestEvalONNXNodeCases runs Eval over every single-node case of the ONNX
// backend node test data: each must match the expected outputs (ONNX
// runner tolerances) or be refused with an "unsupported" error that names
// the node and op.
func TestEvalONNXNodeCases(t *testing.T) {
	root := testenv.ONNXTests(t)
	dirs, _ := filepath.Glob(filepath.Join(root, "node", "test_*"))
	pass := 0
	for _, d := range dirs {
		skip, err := evalCase(t, d)
		switch {
		case skip:
		case err == nil:
			pass++
		case !strings.Contains(err.Error(), "unsupported") || !strings.HasPrefix(err.Error(), "node \""):
			t.Errorf("%s: %v", filepath.Base(d), err)
		}
	}
	t.Logf("%d single-node cases evaluated", pass)
	if pass < 900 {
		t.Errorf("only %d cases evaluated; want at least 900", pass)
	}
}

// TestEvalSmall checks Eval on hand-computed cases: shape arithmetic, a
// Conv whose consumer (Relu) must not be fused into the result, the
// error for an unsupported op, and omitted inputs and outputs.
func TestEvalSmall(t *testing.T) {
	g := ir.NewGraph("g")
	x := g.AddInput("x", ir.Type{})
	w := g.AddInput("w", ir.Type{})
	conv := g.AddNode("Conv", "conv", []*ir.Value{x, w}, "c")
	g.AddNode("Relu", "relu", []*ir.Value{conv.Outputs[0]}, "r")
	got, err := Eval(conv, 13, []*ir.Tensor{
		ir.NewFloat32([]int64{1, 1, 1, 2}, []float32{1, 2}),
		ir.NewFloat32([]int64{1, 1, 1, 1}, []float32{-3}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := got[0].Float32s(); len(f) != 2 || f[0] != -3 || f[1] != -6 || got[0].Name != "c" {
		t.Errorf("Conv: got %v %v named %q, want [-3 -6] named c (the Relu must not be fused)", got[0].Dims, f, got[0].Name)
	}

	// Reshape with 0 and -1, int64 values beyond 2^53 kept exactly.
	r := g.AddNode("Reshape", "r", []*ir.Value{x, w}, "y")
	big := int64(1)<<60 + 1
	got, err = Eval(r, 0, []*ir.Tensor{ir.NewInt64([]int64{2, 3}, []int64{big, 2, 3, 4, 5, 6}), ir.NewInt64([]int64{2}, []int64{0, -1})})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := got[0].Int64s(); got[0].DType != ir.Int64 || len(got[0].Dims) != 2 || got[0].Dims[0] != 2 || got[0].Dims[1] != 3 || v[0] != big {
		t.Errorf("Reshape: got %s %v %v", got[0].DType, got[0].Dims, v)
	}

	// Omitted optional input (Clip without min) and omitted output.
	clip := g.AddNode("Clip", "clip", []*ir.Value{x, nil, w}, "z")
	got, err = Eval(clip, 13, []*ir.Tensor{ir.NewFloat32([]int64{3}, []float32{-5, 1, 5}), nil, ir.NewFloat32(nil, []float32{2})})
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := got[0].Float32s(); len(f) != 3 || f[0] != -5 || f[1] != 1 || f[2] != 2 {
		t.Errorf("Clip(max=2): got %v", f)
	}

	// Shapes from values are bounded before anything is allocated.
	cos := g.AddNode("ConstantOfShape", "cos", []*ir.Value{x}, "k")
	if _, err := Eval(cos, 17, []*ir.Tensor{ir.NewInt64([]int64{2}, []int64{1 << 30, 1 << 30})}); err == nil || !strings.Contains(err.Error(), `node "cos" (ConstantOfShape)`) {
		t.Errorf("huge ConstantOfShape: got %v", err)
	}
	ex := g.AddNode("Expand", "ex", []*ir.Value{x, w}, "e")
	if _, err := Eval(ex, 17, []*ir.Tensor{ir.NewFloat32([]int64{1 << 13, 1}, make([]float32, 1<<13)), ir.NewInt64([]int64{1}, []int64{1 << 12})}); err == nil {
		t.Errorf("Expand to [8192,4096]: no error")
	}
	got, err = Eval(ex, 17, []*ir.Tensor{ir.NewFloat32([]int64{2, 1}, []float32{1, 2}), ir.NewInt64([]int64{3}, []int64{2, 1, 3})})
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := got[0].Float32s(); !slices.Equal(got[0].Dims, []int64{2, 2, 3}) || !slices.Equal(f, []float32{1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2}) {
		t.Errorf("Expand([2,1] to [2,1,3]): got %v %v", got[0].Dims, f)
	}

	bad := g.AddNode("NoSuchOp", "weird", []*ir.Value{x}, "q")
	_, err = Eval(bad, 13, []*ir.Tensor{ir.NewFloat32(nil, []float32{1})})
	if err == nil || !strings.Contains(err.Error(), `node "weird" (NoSuchOp)`) || !strings.Contains(err.Error(), "unsupported") {
		t.Errorf("unsupported op: got %v", err)
	}
	if _, err := Eval(conv, 13, nil); err == nil || !strings.Contains(err.Error(), `node "conv" (Conv)`) {
		t.Errorf("missing inputs: got %v", err)
	}
}
