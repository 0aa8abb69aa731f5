package passes

import (
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
