package ir

import (
	"reflect"
	"strings"
	"testing"
)

// flattenModel is the PyTorch export of x.view(x.size(0), -1):
// Shape -> Gather(0) -> Unsqueeze(0) -> Concat(_, [-1]) -> Reshape.
func flattenModel(xType string, opset int64) (*Model, map[string]*Value) {
	g := NewGraph("flatten")
	x := g.AddInput("x", ty(xType))
	vals := map[string]*Value{"x": x}
	shape := g.AddNode("Shape", "shape", []*Value{x}, "s").Outputs[0]
	idx := g.AddConst("zero", NewInt64(nil, []int64{0}))
	gather := g.AddNode("Gather", "gather", []*Value{shape, idx}, "n")
	gather.SetAttr(aInt("axis", 0))
	var unsq *Node
	if opset >= 13 {
		unsq = g.AddNode("Unsqueeze", "unsqueeze", []*Value{gather.Outputs[0], g.AddConst("axes", NewInt64([]int64{1}, []int64{0}))}, "n1")
	} else {
		unsq = g.AddNode("Unsqueeze", "unsqueeze", []*Value{gather.Outputs[0]}, "n1")
		unsq.SetAttr(aInts("axes", 0))
	}
	minus := g.AddNode("Constant", "minus_one", nil, "m1")
	minus.SetAttr(aTensor("value", NewInt64([]int64{1}, []int64{-1})))
	cat := g.AddNode("Concat", "concat", []*Value{unsq.Outputs[0], minus.Outputs[0]}, "target")
	cat.SetAttr(aInt("axis", 0))
	rs := g.AddNode("Reshape", "reshape", []*Value{x, cat.Outputs[0]}, "y")
	g.AddOutput(rs.Outputs[0])
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			vals[o.Name] = o
		}
	}
	return &Model{IRVersion: 8, Opsets: []OpsetImport{{"", opset}}, Graph: g}, vals
}

func TestShapeValueFlattenChain(t *testing.T) {
	for _, opset := range []int64{11, 13} {
		m, v := flattenModel("float32[2,64,7,7]", opset)
		if err := InferShapes(m); err != nil {
			t.Fatal(err)
		}
		if err := Verify(m); err != nil {
			t.Fatal(err)
		}
		if got := v["y"].Type; !got.Equal(ty("float32[2,3136]")) {
			t.Errorf("opset %d: reshape output %s, want float32[2,3136] (64*7*7 = 3136)", opset, got)
		}
		tgt, ok := knownValue(v["target"])
		if !ok {
			t.Fatalf("opset %d: target not evaluated", opset)
		}
		if got, _ := tgt.Int64s(); !reflect.DeepEqual(got, []int64{2, -1}) || tgt.DType != Int64 || !reflect.DeepEqual(tgt.Dims, []int64{2}) {
			t.Errorf("opset %d: target = %v %v", opset, got, tgt.Dims)
		}
		if n, ok := knownValue(v["n"]); !ok || len(n.Dims) != 0 {
			t.Errorf("gather of a scalar index should be a scalar: %v %v", n, ok)
		}
	}
}

// With a symbolic batch the chain cannot be evaluated, but the symbol
// flows through it: Reshape gives [N, 3136].
func TestShapeValueSymbolicBatch(t *testing.T) {
	m, v := flattenModel("float32[N,64,7,7]", 13)
	if err := InferShapes(m); err != nil {
		t.Fatal(err)
	}
	if err := Verify(m); err != nil {
		t.Fatal(err)
	}
	if got := v["y"].Type; !got.Equal(ty("float32[N,3136]")) {
		t.Errorf("reshape output %s, want float32[N,3136]", got)
	}
	if _, ok := knownValue(v["target"]); ok {
		t.Errorf("target with a symbolic batch must not be a constant")
	}
	// Fixing the batch makes everything static.
	if err := SetInputShapes(m, map[string][]int64{"x": {8, 64, 7, 7}}); err != nil {
		t.Fatal(err)
	}
	if got := v["y"].Type; !got.Equal(ty("float32[8,3136]")) {
		t.Errorf("after SetInputShapes: %s", got)
	}
	if tgt, ok := knownValue(v["target"]); !ok {
		t.Errorf("target not known after SetInputShapes")
	} else if got, _ := tgt.Int64s(); !reflect.DeepEqual(got, []int64{8, -1}) {
		t.Errorf("target = %v", got)
	}
	if err := Verify(m); err != nil {
		t.Fatal(err)
	}
}

// knownValue is v's value as shape inference sees it when every element
// is known.
func knownValue(v *Value) (*Tensor, bool) {
	s := symValue(v)
	if s == nil || !s.allKnown() {
		return nil, false
	}
	t := s.tensor()
	return t, t != nil
}

// graphBuilder is a tiny helper to write evaluator tests as op chains.
type graphBuilder struct {
	g *Graph
	k int
}

func (b *graphBuilder) op(op string, attrs []*Attr, ins ...*Value) *Value {
	b.k++
	n := b.g.AddNode(op, op+"_"+string(rune('a'+b.k)), ins, op+"_out_"+string(rune('a'+b.k)))
	n.Attrs = attrs
	return n.Outputs[0]
}

func (b *graphBuilder) ints(v ...int64) *Value {
	return b.g.AddConst("", NewInt64([]int64{int64(len(v))}, v))
}

func (b *graphBuilder) scalar(v int64) *Value { return b.g.AddConst("", NewInt64(nil, []int64{v})) }

func wantInts(t *testing.T, what string, v *Value, want []int64) {
	t.Helper()
	c, ok := knownValue(v)
	if !ok {
		t.Errorf("%s: not evaluated", what)
		return
	}
	got, err := c.Int64s()
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %v (%v), want %v", what, got, err, want)
	}
}

func TestShapeValueOps(t *testing.T) {
	g := NewGraph("g")
	b := &graphBuilder{g: g}
	x := g.AddInput("x", ty("float32[1,3,7,10]"))
	m := &Model{IRVersion: 8, Opsets: []OpsetImport{{"", 15}}, Graph: g}

	shape := b.op("Shape", nil, x)
	// Spatial size doubled through float: Slice [2:4] -> Cast float -> *2 -> Cast int64.
	hw := b.op("Slice", nil, shape, b.ints(2), b.ints(4))
	hwf := b.op("Cast", []*Attr{aInt("to", int64(Float32))}, hw)
	two := g.AddConst("two", NewFloat32(nil, []float32{2}))
	dbl := b.op("Cast", []*Attr{aInt("to", int64(Int64))}, b.op("Mul", nil, hwf, two))
	nc := b.op("Slice", nil, shape, b.ints(0), b.ints(2))
	sizes := b.op("Concat", []*Attr{aInt("axis", 0)}, nc, dbl)
	empty := g.AddConst("", NewFloat32([]int64{0}, nil))
	up := b.op("Resize", nil, x, empty, empty, sizes)

	// Integer arithmetic: Div truncates toward zero, Mod takes the divisor's sign.
	div := b.op("Div", nil, b.ints(10, -7), b.ints(3, 2))
	mod := b.op("Mod", nil, b.ints(10, -7), b.ints(3, 2))
	sub := b.op("Sub", nil, b.op("Add", nil, b.ints(1, 2), b.scalar(10)), b.ints(5))
	// Where(Equal(t, -1), 1, t): [3,-1,4] -> [3,1,4]
	tv := b.ints(3, -1, 4)
	where := b.op("Where", nil, b.op("Equal", nil, tv, b.scalar(-1)), b.scalar(1), tv)
	// Gather with a negative index, Squeeze, Size, Range, ConstantOfShape.
	last := b.op("Gather", nil, shape, b.ints(-1))
	sq := b.op("Squeeze", nil, last, b.ints(0))
	size := b.op("Size", nil, x)
	rng := b.op("Range", nil, b.scalar(0), b.op("Div", nil, size, b.scalar(70)), b.scalar(1))
	cos := b.op("ConstantOfShape", []*Attr{aTensor("value", NewInt64([]int64{1}, []int64{5}))}, b.ints(2, 2))
	// Reverse a shape: Slice with step -1.
	rev := b.op("Slice", nil, shape, b.ints(-1), b.ints(-1<<63), b.ints(0), b.ints(-1))
	// Shape with start/end and ReduceProd (element count pattern).
	prod := b.op("ReduceProd", []*Attr{aInt("keepdims", 0)}, b.op("Shape", []*Attr{aInt("start", 1)}, x))
	tile := b.op("Tile", nil, x, b.op("Concat", []*Attr{aInt("axis", 0)}, b.ints(2, 1), b.op("Unsqueeze", nil, sq, b.ints(0)), b.ints(1)))
	big := b.op("ConstantOfShape", nil, b.ints(1<<17))
	// float math rounds to float32: 0.1 + 0.2 in float32 is 0.3 (float32).
	fsum := b.op("Add", nil, g.AddConst("", NewFloat32(nil, []float32{0.1})), g.AddConst("", NewFloat32(nil, []float32{0.2})))
	// Flatten a 2x2 constant (axis 1) and read it back; Neg/Abs on ints.
	flat := b.op("Flatten", nil, b.op("Reshape", nil, b.ints(1, -2, 3, -4), b.ints(2, 2)))
	absNeg := b.op("Abs", nil, b.op("Neg", nil, b.ints(5, -6)))
	if err := InferShapes(m); err != nil {
		t.Fatal(err)
	}
	if err := Verify(m); err != nil {
		t.Fatal(err)
	}
	if c, ok := knownValue(flat); !ok || !reflect.DeepEqual(c.Dims, []int64{2, 2}) {
		t.Errorf("flatten: %v %v", c, ok)
	}
	wantInts(t, "flatten", flat, []int64{1, -2, 3, -4})
	wantInts(t, "abs(neg)", absNeg, []int64{5, 6})
	wantInts(t, "sizes", sizes, []int64{1, 3, 14, 20})
	if !up.Type.Equal(ty("float32[1,3,14,20]")) {
		t.Errorf("resize by computed sizes: %s", up.Type)
	}
	wantInts(t, "div", div, []int64{3, -3})
	wantInts(t, "mod", mod, []int64{1, 1})
	wantInts(t, "add/sub", sub, []int64{6, 7})
	wantInts(t, "where", where, []int64{3, 1, 4})
	wantInts(t, "gather -1", last, []int64{10})
	wantInts(t, "squeeze", sq, []int64{10})
	wantInts(t, "size", size, []int64{210})
	wantInts(t, "range", rng, []int64{0, 1, 2})
	wantInts(t, "constantofshape", cos, []int64{5, 5, 5, 5})
	wantInts(t, "reverse", rev, []int64{10, 7, 3, 1})
	wantInts(t, "reduceprod", prod, []int64{210})
	if !tile.Type.Equal(ty("float32[2,3,70,10]")) {
		t.Errorf("tile with computed repeats: %s", tile.Type)
	}
	if _, ok := knownValue(big); ok {
		t.Errorf("values past MaxEvalElements must not be evaluated")
	}
	if !big.Type.Equal(ty("float32[131072]")) {
		t.Errorf("large ConstantOfShape still has a known shape: %s", big.Type)
	}
	if c, ok := knownValue(fsum); !ok {
		t.Errorf("float add not evaluated")
	} else if f, _ := c.Float32s(); f[0] != float32(0.1)+float32(0.2) || c.DType != Float32 {
		t.Errorf("float add = %v %s", f, c.DType)
	}
	if _, ok := knownValue(x); ok {
		t.Errorf("a graph input is not constant")
	}
	if c, ok := knownValue(two); !ok || !reflect.DeepEqual(c.Raw, two.Const.Raw) {
		t.Errorf("initializer value not returned")
	}
}

// Evaluation must not panic on bad constants: out-of-range gather index,
// division by zero, huge Range, mismatched concat.
func TestShapeValueBadInputs(t *testing.T) {
	g := NewGraph("g")
	b := &graphBuilder{g: g}
	bad := []*Value{
		b.op("Gather", nil, b.ints(1, 2), b.ints(5)),
		b.op("Div", nil, b.ints(1), b.ints(0)),
		b.op("Mod", nil, b.ints(1), b.ints(0)),
		b.op("Range", nil, b.scalar(0), b.scalar(1<<50), b.scalar(1)),
		b.op("Slice", nil, b.ints(1, 2), b.ints(0), b.ints(2), b.ints(3)),
		b.op("Cast", []*Attr{aInt("to", 999)}, b.ints(1)),
		b.op("Unsqueeze", nil, b.ints(1), b.ints(7)),
	}
	for i, v := range bad {
		if c, ok := knownValue(v); ok {
			vals, _ := c.Int64s()
			t.Errorf("bad case %d (%s) evaluated to %v", i, v.Producer.OpType, vals)
		}
	}
	m := &Model{IRVersion: 8, Opsets: []OpsetImport{{"", 13}}, Graph: g}
	err := InferShapes(m)
	if err == nil || !strings.Contains(err.Error(), "Range") {
		t.Errorf("huge Range: error = %v", err)
	}
}

func TestSetInputShapesErrors(t *testing.T) {
	m, _ := flattenModel("float32[N,64,7,7]", 13)
	if err := InferShapes(m); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		shapes map[string][]int64
		err    string
	}{
		{map[string][]int64{"nope": {1}}, `no graph input "nope"`},
		{map[string][]int64{"x": {1, 64}}, "rank 4"},
		{map[string][]int64{"x": {-1, 64, 7, 7}}, "negative"},
		{map[string][]int64{"x": {1 << 20, 1 << 20, 1 << 20, 1}}, "2^40"},
		// One good and one unknown name: nothing changes.
		{map[string][]int64{"x": {1, 64, 7, 7}, "nope2": {1}}, `no graph input "nope2"`},
	} {
		err := SetInputShapes(m, c.shapes)
		if c.err == "" {
			if err != nil {
				t.Errorf("%v: %v", c.shapes, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%v: error = %v, want %q", c.shapes, err, c.err)
		}
		// A failed call leaves every type as it was.
		if err := Verify(m); err != nil {
			t.Errorf("%v: model broken after a failed SetInputShapes: %v", c.shapes, err)
		}
		if x := m.Graph.Lookup("x"); !x.Type.Equal(ty("float32[N,64,7,7]")) {
			t.Errorf("%v: input type changed to %s", c.shapes, x.Type)
		}
		if y := m.Graph.Lookup("y"); !y.Type.Equal(ty("float32[N,3136]")) {
			t.Errorf("%v: output type changed to %s", c.shapes, y.Type)
		}
	}
}

// A shape the model cannot take fails during re-inference; the types
// before the call are restored.
func TestSetInputShapesRestoresOnInferenceError(t *testing.T) {
	m, n := oneNode("Reshape", 17, []arg{in("float32[N,5]"), i64(2, -1)}, nil, 1)
	if err := InferShapes(m); err != nil {
		t.Fatal(err)
	}
	before := n.Outputs[0].Type.Clone()
	// 1*5 elements cannot be split into rows of 2.
	err := SetInputShapes(m, map[string][]int64{"in0": {1, 5}})
	if err == nil || !strings.Contains(err.Error(), `node "n" (Reshape)`) {
		t.Fatalf("error = %v", err)
	}
	if !n.Outputs[0].Type.Equal(before) || !n.Inputs[0].Type.Equal(ty("float32[N,5]")) {
		t.Errorf("types not restored: %s, %s", n.Inputs[0].Type, n.Outputs[0].Type)
	}
	if err := SetInputShapes(m, map[string][]int64{"in0": {4, 5}}); err != nil {
		t.Fatal(err)
	}
	if !n.Outputs[0].Type.Equal(ty("float32[2,10]")) {
		t.Errorf("after a good SetInputShapes: %s", n.Outputs[0].Type)
	}
}

// SetInputShapes re-infers from scratch: a spatial size change flows into
// every node.
func TestSetInputShapesConvNet(t *testing.T) {
	g := NewGraph("net")
	x := g.AddInput("x", ty("float32[N,3,224,224]"))
	w := g.AddConst("w", NewFloat32([]int64{8, 3, 3, 3}, make([]float32, 8*3*3*3)))
	conv := g.AddNode("Conv", "conv", []*Value{x, w}, "c")
	conv.Attrs = []*Attr{aInts("strides", 2, 2), aInts("pads", 1, 1, 1, 1)}
	pool := g.AddNode("GlobalAveragePool", "gap", []*Value{conv.Outputs[0]}, "p")
	fl := g.AddNode("Flatten", "flat", []*Value{pool.Outputs[0]}, "f")
	g.AddOutput(fl.Outputs[0])
	m := &Model{IRVersion: 8, Opsets: []OpsetImport{{"", 17}}, Graph: g}
	if err := InferShapes(m); err != nil {
		t.Fatal(err)
	}
	if got := conv.Outputs[0].Type; !got.Equal(ty("float32[N,8,112,112]")) {
		t.Errorf("conv: %s", got)
	}
	if got := fl.Outputs[0].Type; !got.Equal(ty("float32[N,8]")) {
		t.Errorf("flatten: %s", got)
	}
	// (96 + 2 - 3)/2 + 1 = 48
	if err := SetInputShapes(m, map[string][]int64{"x": {2, 3, 96, 96}}); err != nil {
		t.Fatal(err)
	}
	if got := conv.Outputs[0].Type; !got.Equal(ty("float32[2,8,48,48]")) {
		t.Errorf("conv after SetInputShapes: %s", got)
	}
	if got := fl.Outputs[0].Type; !got.Equal(ty("float32[2,8]")) {
		t.Errorf("flatten after SetInputShapes: %s", got)
	}
	if err := Verify(m); err != nil {
		t.Fatal(err)
	}
	// A wrong recorded shape is caught by Verify's re-inference.
	conv.Outputs[0].Type = ty("float32[2,8,47,48]")
	if err := Verify(m); err == nil || !strings.Contains(err.Error(), "inference gives") {
		t.Errorf("Verify with a wrong recorded shape: %v", err)
	}
}

// An old-IR graph input with an initializer is overridable: shape
// inference uses its default, as ONNX's does.
func TestShapeValueOverridableInput(t *testing.T) {
	g := NewGraph("g")
	shape := g.AddConst("shape", NewInt64([]int64{2}, []int64{4, 5}))
	shape.IsInput = true
	g.Inputs = append(g.Inputs, shape)
	cos := g.AddNode("ConstantOfShape", "cos", []*Value{shape}, "w")
	g.AddOutput(cos.Outputs[0])
	m := &Model{IRVersion: 3, Opsets: []OpsetImport{{"", 9}}, Graph: g}
	if err := InferShapes(m); err != nil {
		t.Fatal(err)
	}
	if !cos.Outputs[0].Type.Equal(ty("float32[4,5]")) {
		t.Errorf("ConstantOfShape of a default input: %s", cos.Outputs[0].Type)
	}
}

// Integer values keep every bit: uint64 above 2^63 and int64 extremes do not
// pass through float64.
func TestShapeValueIntegersExact(t *testing.T) {
	g := NewGraph("g")
	b := &graphBuilder{g: g}
	big := &Tensor{DType: Uint64, Dims: []int64{2}, Raw: []byte{
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // 2^64-1
		0x01, 0, 0, 0, 0, 0, 0, 0x80, // 2^63+1
	}}
	u := b.op("Identity", nil, g.AddConst("u", big))
	i := b.op("Concat", []*Attr{aInt("axis", 0)}, b.ints(1<<63-1), b.ints(-1<<63), b.ints(1<<53+1))
	c, ok := knownValue(u)
	if !ok || c.DType != Uint64 || string(c.Raw) != string(big.Raw) {
		t.Errorf("uint64 identity: %v %v", c, ok)
	}
	wantInts(t, "int64 extremes", i, []int64{1<<63 - 1, -1 << 63, 1<<53 + 1})
	i8 := b.op("Cast", []*Attr{aInt("to", int64(Int8))}, b.ints(127, 128, -129))
	if c, ok := knownValue(i8); !ok || c.DType != Int8 || string(c.Raw) != string([]byte{127, 0x80, 0x7f}) {
		t.Errorf("cast to int8 wraps: %v", c)
	}
}
