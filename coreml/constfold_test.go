package coreml

import (
	"slices"
	"strings"
	"testing"

	"github.com/mconv/mconv/ir"
)

// TestConversionFolding checks conversion-time constant folding through
// engine.Eval: a Gather on rank-2 constant data (which the converter's
// former folders refused) and a Cast and Mul on it give a reshape with
// a static target and no MIL op of their own; a folding error names the
// node once.
func TestConversionFolding(t *testing.T) {
	b := newBuilder(3)
	x := b.g.AddInput("x", ir.TensorOf(ir.Float32, 1, 12))
	table := b.g.AddConst("table", ir.NewFloat32([]int64{2, 2}, []float32{1, 6, 1.5, 2}))
	row := b.op("Gather", []*ir.Value{table, b.g.AddConst("one", ir.NewInt64(nil, []int64{1}))}, aint("axis", 0))
	shape := b.op("Cast", []*ir.Value{b.op("Mul", []*ir.Value{row, b.g.AddConst("two", ir.NewFloat32(nil, []float32{2}))})}, aint("to", int64(ir.Int64)))
	y := b.op("Reshape", []*ir.Value{x, shape})
	l, err := lower(b.model(b.op("Relu", []*ir.Value{y})), &Options{})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, o := range l.ops {
		types = append(types, o.typ)
		if o.typ == "reshape" && !slices.Equal(o.out[0].shape, []int64{3, 4}) {
			t.Errorf("reshape to %v, want [3 4]", o.out[0].shape)
		}
	}
	if !slices.Contains(types, "reshape") || slices.Contains(types, "gather") || slices.Contains(types, "mul") || slices.Contains(types, "cast") {
		t.Errorf("MIL ops %v: want a reshape and the constant arithmetic folded", types)
	}

	b = newBuilder(4)
	x = b.g.AddInput("x", ir.TensorOf(ir.Float32, 1, 6))
	bad := b.g.AddNode("Reshape", "bad_target", []*ir.Value{b.w(5), b.i64(2, 2)}, "r")
	_, err = lower(b.model(b.op("Add", []*ir.Value{x, bad.Outputs[0]})), &Options{})
	if err == nil || !strings.HasPrefix(err.Error(), `node "bad_target" (Reshape): `) || strings.Count(err.Error(), "bad_target") != 1 {
		t.Errorf("folding error: got %v, want it to name node bad_target once", err)
	}
}

// TestConversionFoldsWeightTranspose: a Conv weight given as a Transpose of
// an HWIO constant (as TensorFlow converters write it) is folded, so the
// Conv sees a constant weight of shape [O,I,kH,kW].
func TestConversionFoldsWeightTranspose(t *testing.T) {
	b := newBuilder(5)
	x := b.g.AddInput("x", ir.TensorOf(ir.Float32, 1, 3, 8, 8))
	w := b.op("Transpose", []*ir.Value{b.w(3, 3, 3, 4)}, ints("perm", 3, 2, 0, 1))
	y := b.op("Conv", []*ir.Value{x, w}, ints("kernel_shape", 3, 3), ints("pads", 1, 1, 1, 1))
	l, err := lower(b.model(y), &Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range l.ops {
		if o.typ == "transpose" {
			t.Errorf("the weight transpose was lowered, not folded")
		}
		if o.typ == "conv" && !slices.Equal(o.out[0].shape, []int64{1, 4, 8, 8}) {
			t.Errorf("conv output %v, want [1 4 8 8]", o.out[0].shape)
		}
	}
}

// TestConversionFoldsShapeScale: the attention scale TorchScript exports
// for x / sqrt(x.shape[-1]) (FastViT, MobileNetV4-hybrid) is Shape, Slice
// of the last entry, Cast to float, Sqrt; LeViT's dynamo export clamps a
// shape entry with Max. Sqrt and Max have no lowering of their own, but
// with static shapes their inputs are constants, so conversion folds them:
// the program divides by the constant sqrt(16) = 4 (by hand) and has no
// sqrt or maximum op.
func TestConversionFoldsShapeScale(t *testing.T) {
	b := newBuilder(6)
	x := b.g.AddInput("x", ir.TensorOf(ir.Float32, 1, 3, 16))
	last := b.op("Slice", []*ir.Value{b.op("Shape", []*ir.Value{x}), b.i64(-1), b.i64(1 << 62)})
	clamped := b.op("Max", []*ir.Value{last, b.i64(2)})
	scale := b.op("Sqrt", []*ir.Value{b.op("Cast", []*ir.Value{clamped}, aint("to", int64(ir.Float32)))})
	l, err := lower(b.model(b.op("Div", []*ir.Value{x, scale})), &Options{})
	if err != nil {
		t.Fatal(err)
	}
	var div *mop
	for _, o := range l.ops {
		switch o.typ {
		case "real_div":
			div = o
		case "sqrt", "maximum", "slice_by_index", "cast":
			t.Errorf("MIL op %s: want the shape arithmetic folded", o.typ)
		}
	}
	if div == nil {
		t.Fatal("no real_div op")
	}
	if y := div.input("y"); y == nil || y.konst == nil || !slices.Equal(y.konst.f, []float32{4}) {
		t.Errorf("real_div divides by %+v, want the constant 4", y)
	}

	// Sqrt of a computed tensor is refused, saying why and naming the node.
	b = newBuilder(7)
	x = b.g.AddInput("x", ir.TensorOf(ir.Float32, 1, 3, 16))
	bad := b.g.AddNode("Sqrt", "root", []*ir.Value{x}, "r")
	_, err = lower(b.model(bad.Outputs[0]), &Options{})
	if err == nil || !strings.HasPrefix(err.Error(), `node "root" (Sqrt): `) || !strings.Contains(err.Error(), "only supported on constant inputs") {
		t.Errorf("Sqrt of an input: got %v, want a constant-inputs-only error naming node root", err)
	}
}
