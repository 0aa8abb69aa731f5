package metrics

import (
	"fmt"

	"github.com/mconv/mconv/ir"
)

// net builds NCHW float32 test graphs with every shape set by hand (conv
// output size (H + 2*pad - k)/stride + 1), independently of mconv's shape
// inference, so the counter is checked on its own.
type net struct {
	m   *ir.Model
	g   *ir.Graph
	cnt int
}

func newNet(name string, c, h, w int64) (*net, *ir.Value) {
	g := ir.NewGraph(name)
	m := &ir.Model{IRVersion: 8, Opsets: []ir.OpsetImport{{Domain: "", Version: 17}}, Graph: g}
	x := g.AddInput("input", ir.TensorOf(ir.Float32, 1, c, h, w))
	return &net{m: m, g: g}, x
}

func (b *net) name(op string) string {
	b.cnt++
	return fmt.Sprintf("%s_%d", op, b.cnt)
}

func (b *net) weight(dims ...int64) *ir.Value {
	n := ir.NumElements(dims)
	return b.g.AddConst(b.name("w"), ir.NewFloat32(dims, make([]float32, n)))
}

func (b *net) node(op string, shape []int64, ins ...*ir.Value) *ir.Node {
	nm := b.name(op)
	n := b.g.AddNode(op, nm, ins, nm+"_out")
	n.Outputs[0].Type = ir.TensorOf(ir.Float32, shape...)
	return n
}

func ints(name string, v ...int64) *ir.Attr {
	return &ir.Attr{Name: name, Type: ir.AttrInts, Ints: v}
}

func shapeOf(v *ir.Value) []int64 { return v.Type.Shape.Sizes() }

// conv is a k x k convolution with padding k/2.
func (b *net) conv(x *ir.Value, cout, k, stride, groups int64, bias bool) *ir.Value {
	s := shapeOf(x)
	cin := s[1]
	p := k / 2
	oh := (s[2]+2*p-k)/stride + 1
	ow := (s[3]+2*p-k)/stride + 1
	ins := []*ir.Value{x, b.weight(cout, cin/groups, k, k)}
	if bias {
		ins = append(ins, b.weight(cout))
	}
	n := b.node("Conv", []int64{s[0], cout, oh, ow}, ins...)
	n.SetAttr(ints("kernel_shape", k, k))
	n.SetAttr(ints("strides", stride, stride))
	n.SetAttr(ints("pads", p, p, p, p))
	n.SetAttr(&ir.Attr{Name: "group", Type: ir.AttrInt, I: groups})
	return n.Outputs[0]
}

// bn is an inference BatchNormalization with its four per-channel constants.
func (b *net) bn(x *ir.Value) *ir.Value {
	c := shapeOf(x)[1]
	return b.node("BatchNormalization", shapeOf(x), x, b.weight(c), b.weight(c), b.weight(c), b.weight(c)).Outputs[0]
}

func (b *net) act(op string, x *ir.Value) *ir.Value {
	return b.node(op, shapeOf(x), x).Outputs[0]
}

// binary is an elementwise op whose output has x's shape (y broadcasts).
func (b *net) binary(op string, x, y *ir.Value) *ir.Value {
	return b.node(op, shapeOf(x), x, y).Outputs[0]
}

func (b *net) gap(x *ir.Value) *ir.Value {
	s := shapeOf(x)
	return b.node("GlobalAveragePool", []int64{s[0], s[1], 1, 1}, x).Outputs[0]
}

// mean is ReduceMean over H, W (axes attribute, opset 17).
func (b *net) mean(x *ir.Value, keep bool) *ir.Value {
	s := shapeOf(x)
	shape := []int64{s[0], s[1]}
	k := int64(0)
	if keep {
		shape, k = append(shape, 1, 1), 1
	}
	n := b.node("ReduceMean", shape, x)
	n.SetAttr(ints("axes", 2, 3))
	n.SetAttr(&ir.Attr{Name: "keepdims", Type: ir.AttrInt, I: k})
	return n.Outputs[0]
}

func (b *net) flatten(x *ir.Value) *ir.Value {
	s := shapeOf(x)
	return b.node("Flatten", []int64{s[0], ir.NumElements(s[1:])}, x).Outputs[0]
}

// linear is Gemm(transB=1) with bias: PyTorch's nn.Linear.
func (b *net) linear(x *ir.Value, out int64) *ir.Value {
	s := shapeOf(x)
	n := b.node("Gemm", []int64{s[0], out}, x, b.weight(out, s[1]), b.weight(out))
	n.SetAttr(&ir.Attr{Name: "transB", Type: ir.AttrInt, I: 1})
	return n.Outputs[0]
}

func (b *net) output(v *ir.Value) *ir.Model {
	b.g.AddOutput(v)
	return b.m
}

// makeDivisible is torchvision's / timm's _make_divisible(v, 8) with
// round_limit 0.9 (roundLimit=false gives timm's round_limit=0).
func makeDivisible(v float64, roundLimit bool) int64 {
	nv := int64(v+4) / 8 * 8
	if nv < 8 {
		nv = 8
	}
	if roundLimit && float64(nv) < 0.9*v {
		nv += 8
	}
	return nv
}

// mobileNetV2 is torchvision's mobilenet_v2 in training form (Conv without
// bias + BatchNormalization + Relu6 as Clip), as the TorchScript exporter
// writes it with do_constant_folding=False.
func mobileNetV2() *ir.Model {
	b, x := newNet("mobilenet_v2", 3, 224, 224)
	cbr := func(x *ir.Value, cout, k, s, g int64, act bool) *ir.Value {
		y := b.bn(b.conv(x, cout, k, s, g, false))
		if act {
			y = b.act("Clip", y)
		}
		return y
	}
	x = cbr(x, 32, 3, 2, 1, true)
	in := int64(32)
	for _, st := range [][4]int64{{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}} {
		t, c, n, s := st[0], st[1], st[2], st[3]
		for i := int64(0); i < n; i++ {
			stride := int64(1)
			if i == 0 {
				stride = s
			}
			h := x
			hid := in * t
			if t != 1 {
				h = cbr(h, hid, 1, 1, 1, true)
			}
			h = cbr(h, hid, 3, stride, hid, true)
			h = cbr(h, c, 1, 1, 1, false)
			if stride == 1 && in == c {
				h = b.binary("Add", x, h)
			}
			x, in = h, c
		}
	}
	x = cbr(x, 1280, 1, 1, 1, true)
	x = b.flatten(b.gap(x))
	return b.output(b.linear(x, 1000))
}

// mobileNetV3Large is torchvision's mobilenet_v3_large in training form.
func mobileNetV3Large() *ir.Model {
	b, x := newNet("mobilenet_v3_large", 3, 224, 224)
	cba := func(x *ir.Value, cout, k, s, g int64, act string) *ir.Value {
		y := b.bn(b.conv(x, cout, k, s, g, false))
		if act != "" {
			y = b.act(act, y)
		}
		return y
	}
	x = cba(x, 16, 3, 2, 1, "HardSwish")
	type cfg struct {
		in, k, exp, out int64
		se              bool
		act             string
		s               int64
	}
	for _, c := range []cfg{
		{16, 3, 16, 16, false, "Relu", 1}, {16, 3, 64, 24, false, "Relu", 2}, {24, 3, 72, 24, false, "Relu", 1},
		{24, 5, 72, 40, true, "Relu", 2}, {40, 5, 120, 40, true, "Relu", 1}, {40, 5, 120, 40, true, "Relu", 1},
		{40, 3, 240, 80, false, "HardSwish", 2}, {80, 3, 200, 80, false, "HardSwish", 1},
		{80, 3, 184, 80, false, "HardSwish", 1}, {80, 3, 184, 80, false, "HardSwish", 1},
		{80, 3, 480, 112, true, "HardSwish", 1}, {112, 3, 672, 112, true, "HardSwish", 1},
		{112, 5, 672, 160, true, "HardSwish", 2}, {160, 5, 960, 160, true, "HardSwish", 1},
		{160, 5, 960, 160, true, "HardSwish", 1},
	} {
		h := x
		if c.exp != c.in {
			h = cba(h, c.exp, 1, 1, 1, c.act)
		}
		h = cba(h, c.exp, c.k, c.s, c.exp, c.act)
		if c.se {
			sq := makeDivisible(float64(c.exp/4), true)
			g := b.gap(h)
			g = b.act("Relu", b.conv(g, sq, 1, 1, 1, true))
			g = b.act("HardSigmoid", b.conv(g, c.exp, 1, 1, 1, true))
			h = b.binary("Mul", h, g)
		}
		h = cba(h, c.out, 1, 1, 1, "")
		if c.s == 1 && c.in == c.out {
			h = b.binary("Add", x, h)
		}
		x = h
	}
	x = cba(x, 960, 1, 1, 1, "HardSwish")
	x = b.flatten(b.gap(x))
	x = b.act("HardSwish", b.linear(x, 1280))
	return b.output(b.linear(x, 1000))
}

// mobileOneS0Deploy is Apple's MobileOne-S0 after reparameterization: every
// block is one conv with bias + ReLU; stages [2, 8, 10, 1], widths
// 48, 128, 256, 1024, each block a depthwise 3x3 then a pointwise 1x1.
func mobileOneS0Deploy() *ir.Model {
	b, x := newNet("mobileone_s0", 3, 224, 224)
	cr := func(x *ir.Value, cout, k, s, g int64) *ir.Value {
		return b.act("Relu", b.conv(x, cout, k, s, g, true))
	}
	x = cr(x, 48, 3, 2, 1)
	in := int64(48)
	for i, w := range []int64{48, 128, 256, 1024} {
		n := []int{2, 8, 10, 1}[i]
		for j := 0; j < n; j++ {
			s := int64(1)
			if j == 0 {
				s = 2
			}
			x = cr(x, in, 3, s, in)
			x = cr(x, w, 1, 1, 1)
			in = w
		}
	}
	x = b.flatten(b.gap(x))
	return b.output(b.linear(x, 1000))
}

// repVGGA0Deploy is RepVGG-A0 after reparameterization: 3x3 conv with bias
// + ReLU blocks; stages [1, 2, 4, 14, 1], widths 48, 48, 96, 192, 1280,
// each starting with stride 2.
func repVGGA0Deploy() *ir.Model {
	b, x := newNet("repvgg_a0", 3, 224, 224)
	for i, w := range []int64{48, 48, 96, 192, 1280} {
		n := []int{1, 2, 4, 14, 1}[i]
		for j := 0; j < n; j++ {
			s := int64(1)
			if j == 0 {
				s = 2
			}
			x = b.act("Relu", b.conv(x, w, 3, s, 1, true))
		}
	}
	x = b.flatten(b.gap(x))
	return b.output(b.linear(x, 1000))
}

// repViTM09Deploy is timm's repvit_m0_9 after fuse(): embed dims
// 48, 96, 192, 384, depths 2, 2, 14, 2, mlp ratio 2, GELU, SE (ratio 1/4,
// divisor 8, no round limit) on alternate blocks, one fused head.
func repViTM09Deploy() *ir.Model {
	b, x := newNet("repvit_m0_9", 3, 224, 224)
	gelu := func(x *ir.Value) *ir.Value { return b.act("Gelu", x) }
	mlp := func(x *ir.Value) *ir.Value {
		c := shapeOf(x)[1]
		h := gelu(b.conv(x, 2*c, 1, 1, 1, true))
		return b.binary("Add", x, b.conv(h, c, 1, 1, 1, true))
	}
	block := func(x *ir.Value, se bool) *ir.Value {
		c := shapeOf(x)[1]
		x = b.conv(x, c, 3, 1, c, true) // RepVggDw fused into one dw 3x3
		if se {
			rd := makeDivisible(float64(c)*0.25, false)
			g := b.mean(x, true)
			g = b.act("Relu", b.conv(g, rd, 1, 1, 1, true))
			g = b.act("Sigmoid", b.conv(g, c, 1, 1, 1, true))
			x = b.binary("Mul", x, g)
		}
		return mlp(x)
	}
	x = gelu(b.conv(x, 24, 3, 2, 1, true))
	x = b.conv(x, 48, 3, 2, 1, true)
	dims := []int64{48, 96, 192, 384}
	for i, d := range dims {
		if i > 0 {
			x = block(x, false)
			c := shapeOf(x)[1]
			x = b.conv(x, c, 3, 2, c, true)
			x = b.conv(x, d, 1, 1, 1, true)
			x = mlp(x)
		}
		se := true
		for j := 0; j < []int{2, 2, 14, 2}[i]; j++ {
			x = block(x, se)
			se = !se
		}
	}
	x = b.mean(x, false)
	return b.output(b.linear(x, 1000))
}
