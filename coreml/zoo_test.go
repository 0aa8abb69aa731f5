package coreml

import (
	"math/rand"

	"github.com/mconv/mconv/ir"
)

// Small hand-built IR models covering every op the converter maps. They are
// test inputs only; expected numbers never come from them.

type builder struct {
	g   *ir.Graph
	rng *rand.Rand
	k   int
}

func newBuilder(seed int64) *builder {
	return &builder{g: ir.NewGraph("test"), rng: rand.New(rand.NewSource(seed))}
}

func (b *builder) w(dims ...int64) *ir.Value {
	n := ir.NumElements(dims)
	d := make([]float32, n)
	for i := range d {
		d[i] = float32(b.rng.NormFloat64() * 0.3)
	}
	b.k++
	return b.g.AddConst(b.name("w"), ir.NewFloat32(dims, d))
}

func (b *builder) pos(dims ...int64) *ir.Value {
	n := ir.NumElements(dims)
	d := make([]float32, n)
	for i := range d {
		d[i] = 0.5 + b.rng.Float32()
	}
	return b.g.AddConst(b.name("p"), ir.NewFloat32(dims, d))
}

func (b *builder) i64(v ...int64) *ir.Value {
	return b.g.AddConst(b.name("c"), ir.NewInt64([]int64{int64(len(v))}, v))
}

func (b *builder) name(p string) string {
	b.k++
	return p + string(rune('a'+b.k%26)) + itoa(b.k)
}

func (b *builder) op(op string, in []*ir.Value, attrs ...*ir.Attr) *ir.Value {
	n := b.g.AddNode(op, b.name(op), in, b.name(op+"_out"))
	n.Attrs = attrs
	return n.Outputs[0]
}

func (b *builder) fused(op string, in []*ir.Value, attrs ...*ir.Attr) *ir.Value {
	v := b.op(op, in, attrs...)
	v.Producer.Domain = ir.FusedDomain
	return v
}

func ints(name string, v ...int64) *ir.Attr { return &ir.Attr{Name: name, Type: ir.AttrInts, Ints: v} }
func aint(name string, v int64) *ir.Attr    { return &ir.Attr{Name: name, Type: ir.AttrInt, I: v} }
func aflt(name string, v float32) *ir.Attr  { return &ir.Attr{Name: name, Type: ir.AttrFloat, F: v} }
func astr(name, v string) *ir.Attr          { return &ir.Attr{Name: name, Type: ir.AttrString, S: []byte(v)} }

func (b *builder) model(outs ...*ir.Value) *ir.Model {
	for _, o := range outs {
		b.g.AddOutput(o)
	}
	return &ir.Model{IRVersion: 8, ProducerName: "mconv-test", Opsets: []ir.OpsetImport{{Domain: "", Version: 17}, {Domain: ir.FusedDomain, Version: 1}}, Graph: b.g}
}

// zooMobile: conv/relu, depthwise/clip(relu6), pointwise/hardswish, SE
// (fused), global pool, flatten, gemm, softmax.
func zooMobile() *ir.Model {
	b := newBuilder(1)
	x := b.g.AddInput("input.1", ir.Type{Kind: ir.KindTensor, DType: ir.Float32, HasShape: true,
		Shape: ir.Shape{{Size: -1, Param: "batch"}, {Size: 3}, {Size: 16}, {Size: 16}}})
	y := b.op("Conv", []*ir.Value{x, b.w(8, 3, 3, 3), b.w(8)}, ints("pads", 1, 1, 1, 1), ints("strides", 2, 2), ints("kernel_shape", 3, 3))
	y = b.op("Relu", []*ir.Value{y})
	y = b.op("Conv", []*ir.Value{y, b.w(8, 1, 3, 3), b.w(8)}, ints("pads", 1, 1, 1, 1), aint("group", 8))
	y = b.op("Clip", []*ir.Value{y, b.g.AddConst("zero", ir.NewFloat32(nil, []float32{0})), b.g.AddConst("six", ir.NewFloat32(nil, []float32{6}))})
	y = b.op("Conv", []*ir.Value{y, b.w(16, 8, 1, 1), b.w(16)})
	y = b.op("HardSwish", []*ir.Value{y})
	y = b.fused("SqueezeExcite", []*ir.Value{y, b.w(4, 16, 1, 1), b.w(4), b.w(16, 4, 1, 1), b.w(16)},
		astr("gate", "hardsigmoid"), aflt("alpha", 1.0/6), aflt("beta", 0.5))
	y = b.fused("SqueezeExcite", []*ir.Value{y, b.w(4, 16, 1, 1), b.w(4), b.w(16, 4, 1, 1), b.w(16)}, astr("gate", "sigmoid"), astr("act", "silu"))
	y = b.op("Conv", []*ir.Value{y, b.w(16, 16, 3, 3)}, ints("dilations", 2, 2), astr("auto_pad", "SAME_UPPER"))
	y = b.op("LeakyRelu", []*ir.Value{y}, aflt("alpha", 0.1))
	y = b.op("GlobalAveragePool", []*ir.Value{y})
	y = b.op("Flatten", []*ir.Value{y})
	y = b.op("Gemm", []*ir.Value{y, b.w(10, 16), b.w(10)}, aint("transB", 1))
	y = b.op("Softmax", []*ir.Value{y}, aint("axis", 1))
	return b.model(y)
}

// zooShuffle: split, concat, channel shuffle (reshape/transpose/reshape),
// max/avg pooling, reduce_mean, gemm with transB=0, alpha, beta; two outputs.
func zooShuffle() *ir.Model {
	b := newBuilder(2)
	x := b.g.AddInput("image", ir.TensorOf(ir.Float32, 1, 4, 12, 12))
	y := b.op("Conv", []*ir.Value{x, b.w(8, 4, 1, 1), b.w(8)})
	sp := b.g.AddNode("Split", "split0", []*ir.Value{y, b.i64(4, 4)}, "left", "right")
	sp.Attrs = []*ir.Attr{aint("axis", 1)}
	r := b.op("Conv", []*ir.Value{sp.Outputs[1], b.w(4, 4, 3, 3), b.w(4)}, ints("pads", 1, 1, 1, 1))
	r = b.op("Sigmoid", []*ir.Value{r})
	y = b.op("Concat", []*ir.Value{sp.Outputs[0], r}, aint("axis", 1))
	y = b.op("Reshape", []*ir.Value{y, b.i64(1, 2, 4, 12, 12)})
	y = b.op("Transpose", []*ir.Value{y}, ints("perm", 0, 2, 1, 3, 4))
	y = b.op("Reshape", []*ir.Value{y, b.i64(0, -1, 12, 12)})
	m := b.op("MaxPool", []*ir.Value{y}, ints("kernel_shape", 3, 3), ints("strides", 2, 2), ints("pads", 1, 1, 1, 1))
	p := b.op("AveragePool", []*ir.Value{m}, ints("kernel_shape", 3, 3), ints("strides", 2, 2), ints("pads", 1, 1, 1, 1), aint("ceil_mode", 1))
	q := b.op("ReduceMean", []*ir.Value{p}, ints("axes", 2, 3), aint("keepdims", 0))
	q = b.op("Gemm", []*ir.Value{q, b.w(8, 5), b.w(1, 5)}, aflt("alpha", 0.5), aflt("beta", 2))
	side := b.op("Tanh", []*ir.Value{m})
	return b.model(q, side)
}

// zooAttention: batch norm, shape arithmetic folded to a reshape, matmuls,
// softmax, gelu/silu, elementwise ops with constants, slice, unsqueeze,
// squeeze, hardsigmoid.
func zooAttention() *ir.Model {
	b := newBuilder(3)
	x := b.g.AddInput("pixel_values", ir.TensorOf(ir.Float32, 1, 8, 4, 4))
	y := b.op("BatchNormalization", []*ir.Value{x, b.pos(8), b.w(8), b.w(8), b.pos(8)}, aflt("epsilon", 1e-3))
	sh := b.op("Shape", []*ir.Value{y})
	n0 := b.op("Gather", []*ir.Value{sh, b.g.AddConst("zero_i", ir.NewInt64(nil, []int64{0}))}, aint("axis", 0))
	n1 := b.op("Gather", []*ir.Value{sh, b.g.AddConst("one_i", ir.NewInt64(nil, []int64{1}))}, aint("axis", 0))
	u0 := b.op("Unsqueeze", []*ir.Value{n0, b.i64(0)})
	u1 := b.op("Unsqueeze", []*ir.Value{n1, b.i64(0)})
	tgt := b.op("Concat", []*ir.Value{u0, u1, b.i64(-1)}, aint("axis", 0))
	t := b.op("Reshape", []*ir.Value{y, tgt})                     // [1,8,16]
	t = b.op("Transpose", []*ir.Value{t}, ints("perm", 0, 2, 1))  // [1,16,8]
	q := b.op("MatMul", []*ir.Value{t, b.w(8, 8)})                // [1,16,8]
	k := b.op("Transpose", []*ir.Value{q}, ints("perm", 0, 2, 1)) // [1,8,16]
	s := b.op("MatMul", []*ir.Value{q, k})                        // [1,16,16]
	s = b.op("Div", []*ir.Value{s, b.g.AddConst("scale", ir.NewFloat32(nil, []float32{2.8}))})
	s = b.op("Softmax", []*ir.Value{s}, aint("axis", -1))
	o := b.op("MatMul", []*ir.Value{s, t}) // [1,16,8]
	o = b.fused("Gelu", []*ir.Value{o}, astr("approximate", "none"))
	o = b.op("Add", []*ir.Value{o, t})
	o = b.op("Mul", []*ir.Value{o, b.w(8)})
	o = b.op("Sub", []*ir.Value{o, b.w(1, 1, 8)})
	o = b.fused("SiLU", []*ir.Value{o})
	o = b.op("Slice", []*ir.Value{o, b.i64(1), b.i64(100), b.i64(1), b.i64(2)}) // [1,8,8]
	o = b.op("Unsqueeze", []*ir.Value{o, b.i64(1)})                             // [1,1,8,8]
	o = b.op("HardSigmoid", []*ir.Value{o})
	o = b.op("Squeeze", []*ir.Value{o, b.i64(1)})
	o = b.op("Relu", []*ir.Value{o})
	return b.model(o)
}

func zoo() map[string]func() *ir.Model {
	return map[string]func() *ir.Model{"mobile": zooMobile, "shuffle": zooShuffle, "attention": zooAttention}
}
