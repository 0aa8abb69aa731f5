package passes

import (
	"slices"
	"testing"

	"github.com/mconv/mconv/ir"
)

// TestFoldConstantsEval checks what constant folding folds and leaves
// alone: integers beyond 2^53 fold exactly (INT64_MAX in a Slice end), a
// ConstantOfShape over maxFoldElements and an op engine.Folded leaves out
// (DequantizeLinear of quantized weights) stay nodes.
func TestFoldConstantsEval(t *testing.T) {
	b := newBuilder(17, 1)
	x := b.input(2, 4, 3, 3)
	b.out(b.op("Relu", []*ir.Value{x}))
	big := b.op("Concat", []*ir.Value{b.ints(9223372036854775807), b.ints(-9007199254740993)}, intAttr("axis", 0))
	b.out(big)
	huge := b.op("ConstantOfShape", []*ir.Value{b.ints(1<<13, 1<<12)})
	b.out(huge)
	q := b.g.AddConst("q", &ir.Tensor{DType: ir.Int8, Dims: []int64{2}, Raw: []byte{1, 0xff}})
	b.out(b.op("DequantizeLinear", []*ir.Value{q, constNode(b, ir.NewFloat32(nil, []float32{0.5}))}))
	if _, err := Run(b.m, Options{CheckEachPass: true}); err != nil {
		t.Fatal(err)
	}
	h := opCounts(b.g)
	if h["Concat"] != 0 || h["ConstantOfShape"] != 1 || h["DequantizeLinear"] != 1 {
		t.Errorf("ops after folding: %v; want Concat folded, ConstantOfShape and DequantizeLinear kept", h)
	}
	c := b.g.Outputs[1].Const
	if c == nil {
		t.Fatalf("Concat output not folded:\n%s", ir.Dump(b.g))
	}
	if v, err := c.Int64s(); err != nil || len(v) != 2 || v[0] != 9223372036854775807 || v[1] != -9007199254740993 {
		t.Errorf("folded Concat = %v (%v), want [9223372036854775807 -9007199254740993]", v, err)
	}
}

// TestFoldExportedPadArithmetic: PyTorch's TorchScript export of F.pad with
// pads computed from the input size (HGNetV2's stem, EfficientViT's window
// padding) builds the ONNX pads with Mod, Concat, Reshape, Slice (step -1),
// Transpose, Reshape and Cast of constants. Folding all of it leaves Pad
// with a constant pads input, so shape inference gives its output a static
// shape. Worked by hand: PyTorch's order [w_begin, w_end, h_begin, h_end,
// ...] = [0, 3 mod 2, 0, 7 mod 4, 0, 0, 0, 0] becomes ONNX's
// [0,0,0,0, 0,0,3,1] (begins of N,C,H,W, then ends).
func TestFoldExportedPadArithmetic(t *testing.T) {
	b := newBuilder(17, 1)
	x := b.input(1, 2, 5, 4)
	wEnd := b.op("Mod", []*ir.Value{b.ints(3), b.ints(2)}) // 1
	hEnd := b.op("Mod", []*ir.Value{b.ints(7), b.ints(4)}) // 3
	torch := b.op("Concat", []*ir.Value{b.ints(0), wEnd, b.ints(0), hEnd, b.ints(0, 0, 0, 0)}, intAttr("axis", 0))
	pairs := b.op("Reshape", []*ir.Value{torch, b.ints(-1, 2)}) // [[0,1],[0,3],[0,0],[0,0]]
	rev := b.op("Slice", []*ir.Value{pairs, b.ints(-1), b.ints(-9223372036854775807), b.ints(0), b.ints(-1)})
	onnxPads := b.op("Reshape", []*ir.Value{b.op("Transpose", []*ir.Value{rev}, intsAttr("perm", 1, 0)), b.ints(-1)})
	pads := b.op("Cast", []*ir.Value{onnxPads}, intAttr("to", int64(ir.Int64)))
	b.out(b.op("Pad", []*ir.Value{x, pads}, &ir.Attr{Name: "mode", Type: ir.AttrString, S: []byte("constant")}))
	if _, err := Run(b.m, Options{CheckEachPass: true}); err != nil {
		t.Fatal(err)
	}
	var pad *ir.Node
	for _, n := range b.g.Nodes {
		if n.OpType == "Pad" {
			pad = n
		} else {
			t.Errorf("%s %q left after folding", n.OpType, n.Name)
		}
	}
	if pad == nil || !pad.Inputs[1].IsConst() {
		t.Fatalf("Pad's pads not folded to a constant:\n%s", ir.Dump(b.g))
	}
	if v, _ := pad.Inputs[1].Const.Int64s(); !slices.Equal(v, []int64{0, 0, 0, 0, 0, 0, 3, 1}) {
		t.Errorf("pads = %v, want [0 0 0 0 0 0 3 1]", v)
	}
	if err := ir.InferShapes(b.m); err != nil {
		t.Fatal(err)
	}
	if s := pad.Outputs[0].Type.Shape; !s.Static() || !slices.Equal(s.Sizes(), []int64{1, 2, 8, 5}) {
		t.Errorf("Pad output shape %s, want [1,2,8,5]", s)
	}
}

// TestFoldGatherND: LeViT's attention biases under the dynamo exporter are
// GatherND of an initializer table by initializer indices, added to the
// attention logits; folding makes them one constant. Values: the example
// of ONNX's GatherND documentation (test_gathernd_example_float32): data
// [[[0,1],[2,3]],[[4,5],[6,7]]], indices [[[0,1]],[[1,0]]] give
// [[[2,3]],[[4,5]]].
func TestFoldGatherND(t *testing.T) {
	b := newBuilder(17, 1)
	x := b.input(2, 1, 2)
	table := b.g.AddConst("table", ir.NewFloat32([]int64{2, 2, 2}, []float32{0, 1, 2, 3, 4, 5, 6, 7}))
	idx := b.g.AddConst("idx", ir.NewInt64([]int64{2, 1, 2}, []int64{0, 1, 1, 0}))
	b.out(b.op("Add", []*ir.Value{x, b.op("GatherND", []*ir.Value{table, idx})}))
	if _, err := Run(b.m, Options{CheckEachPass: true}); err != nil {
		t.Fatal(err)
	}
	var add *ir.Node
	for _, n := range b.g.Nodes {
		if n.OpType == "GatherND" {
			t.Errorf("GatherND of constants left unfolded")
		}
		if n.OpType == "Add" {
			add = n
		}
	}
	if add == nil || !add.Inputs[1].IsConst() {
		t.Fatalf("Add's bias is not a folded constant:\n%s", ir.Dump(b.g))
	}
	if v, _ := add.Inputs[1].Const.Float32s(); !slices.Equal(v, []float32{2, 3, 4, 5}) || !slices.Equal(add.Inputs[1].Const.Dims, []int64{2, 1, 2}) {
		t.Errorf("folded GatherND = %v %v, want [2 1 2] [2 3 4 5]", add.Inputs[1].Const.Dims, v)
	}
}
