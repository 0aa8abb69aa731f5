package passes

import (
	"math"
	"testing"

	"github.com/mconv/mconv/ir"
)

// se builds a Squeeze-and-Excite block on x [N,C,H,W] in one of the
// exporter variants.
func se(b *builder, x *ir.Value, C, Cr int, variant string) *ir.Value {
	var s *ir.Value
	switch variant {
	case "reducemean-attr", "hardsigmoid":
		s = b.op("ReduceMean", []*ir.Value{x}, intsAttr("axes", 2, 3), intAttr("keepdims", 1))
	case "reducemean-input":
		s = b.op("ReduceMean", []*ir.Value{x, b.ints(-1, -2)}, intAttr("keepdims", 1))
	case "avgpool":
		s = b.op("AveragePool", []*ir.Value{x}, intsAttr("kernel_shape", x.Type.Shape[2].Size, x.Type.Shape[3].Size))
	default:
		s = b.op("GlobalAveragePool", []*ir.Value{x})
	}
	var z *ir.Value
	if variant == "gemm-reducemean" {
		s = b.op("ReduceMean", []*ir.Value{x}, intsAttr("axes", 2, 3), intAttr("keepdims", 0))
		h := b.op("Relu", []*ir.Value{b.op("Gemm", []*ir.Value{s, b.rnd(0.5, int64(Cr), int64(C)), b.rnd(0.5, int64(Cr))}, intAttr("transB", 1))})
		z = b.op("Gemm", []*ir.Value{h, b.rnd(0.5, int64(C), int64(Cr)), b.rnd(0.5, int64(C))}, intAttr("transB", 1), floatAttr("alpha", 0.5))
	} else if variant == "gemm" {
		f := b.op("Flatten", []*ir.Value{s}, intAttr("axis", 1))
		h := b.op("Relu", []*ir.Value{b.op("Gemm", []*ir.Value{f, b.rnd(0.5, int64(Cr), int64(C)), b.rnd(0.5, int64(Cr))}, intAttr("transB", 1))})
		z = b.op("Gemm", []*ir.Value{h, b.rnd(0.5, int64(Cr), int64(C)), b.rnd(0.5, int64(C))}) // transB=0: W [Cr,C]
	} else if variant == "silu" { // EfficientNet: SiLU (Sigmoid, Mul as exported) inside
		r := b.conv(s, C, Cr, 1, 1, 1, true)
		h := b.op("Mul", []*ir.Value{r, b.op("Sigmoid", []*ir.Value{r})})
		z = b.conv(h, Cr, C, 1, 1, 1, true)
	} else {
		h := b.op("Relu", []*ir.Value{b.conv(s, C, Cr, 1, 1, 1, true)})
		z = b.conv(h, Cr, C, 1, 1, 1, variant != "nobias")
	}
	var g *ir.Value
	if variant == "hardsigmoid" {
		g = b.op("HardSigmoid", []*ir.Value{z}, floatAttr("alpha", 1.0/6), floatAttr("beta", 0.5))
	} else {
		g = b.op("Sigmoid", []*ir.Value{z})
	}
	if variant == "avgpool" || variant == "gemm" || variant == "gemm-reducemean" {
		g = b.op("Reshape", []*ir.Value{g, b.ints(-1, int64(C), 1, 1)})
		return b.op("Mul", []*ir.Value{g, x})
	}
	return b.op("Mul", []*ir.Value{x, g})
}

func TestSqueezeExcite(t *testing.T) {
	var cases []passCase
	for _, v := range []string{"gap", "reducemean-attr", "reducemean-input", "avgpool", "hardsigmoid", "gemm", "gemm-reducemean", "nobias", "silu"} {
		v := v
		opset := int64(17)
		if v == "reducemean-input" {
			opset = 18
		}
		cases = append(cases, passCase{name: v, opset: opset, build: func(b *builder) {
			x := b.input(2, 8, 5, 5)
			b.out(se(b, x, 8, 4, v))
		}, wantOps: map[string]int{"SqueezeExcite": 1, "Conv": 0, "Gemm": 0, "Mul": 0, "Sigmoid": 0, "HardSigmoid": 0}})
	}
	cases = append(cases,
		passCase{name: "near-miss-gate-used-twice", build: func(b *builder) {
			x := b.input(1, 4, 3, 3)
			s := b.op("GlobalAveragePool", []*ir.Value{x})
			z := b.conv(b.op("Relu", []*ir.Value{b.conv(s, 4, 2, 1, 1, 1, true)}), 2, 4, 1, 1, 1, true)
			g := b.op("Sigmoid", []*ir.Value{z})
			b.out(b.op("Mul", []*ir.Value{x, g}))
			b.out(g)
		}, wantOps: map[string]int{"SqueezeExcite": 0, "Mul": 1}},
		passCase{name: "near-miss-partial-avgpool", build: func(b *builder) {
			// a 3x3 window with stride 3 on 5x5 gives a 1x1 output (so the
			// Mul broadcasts) but averages only the top-left 3x3 corner
			x := b.input(2, 8, 5, 5)
			s := b.op("AveragePool", []*ir.Value{x}, intsAttr("kernel_shape", 3, 3), intsAttr("strides", 3, 3))
			z := b.conv(b.op("Relu", []*ir.Value{b.conv(s, 8, 4, 1, 1, 1, true)}), 4, 8, 1, 1, 1, true)
			b.out(b.op("Mul", []*ir.Value{x, b.op("Sigmoid", []*ir.Value{z})}))
		}, wantOps: map[string]int{"SqueezeExcite": 0, "AveragePool": 1, "Mul": 1}},
		passCase{name: "near-miss-other-tensor", build: func(b *builder) {
			x := b.input(1, 4, 3, 3)
			y := b.input(1, 4, 3, 3)
			s := b.op("GlobalAveragePool", []*ir.Value{y})
			z := b.conv(b.op("Relu", []*ir.Value{b.conv(s, 4, 2, 1, 1, 1, true)}), 2, 4, 1, 1, 1, true)
			b.out(b.op("Mul", []*ir.Value{x, b.op("Sigmoid", []*ir.Value{z})}))
		}, wantOps: map[string]int{"SqueezeExcite": 0, "Mul": 1}},
	)
	for _, pc := range cases {
		t.Run(pc.name, func(t *testing.T) { runPassCase(t, pc) })
	}
}

func TestActivations(t *testing.T) {
	s2 := math.Sqrt2
	gelu := func(order string) func(b *builder) {
		return func(b *builder) {
			x0 := b.input(2, 3, 4)
			x := b.op("Relu", []*ir.Value{x0})
			x = b.op("Sub", []*ir.Value{x0, x}) // some non-input tensor
			var d *ir.Value
			if order == "mul-inv" {
				d = b.op("Mul", []*ir.Value{b.scalar(1 / s2), x})
			} else {
				d = b.op("Div", []*ir.Value{x, b.scalar(s2)})
			}
			a := b.op("Add", []*ir.Value{b.scalar(1), b.op("Erf", []*ir.Value{d})})
			var y *ir.Value
			switch order {
			case "xa-half", "mul-inv":
				y = b.op("Mul", []*ir.Value{b.op("Mul", []*ir.Value{x, a}), b.scalar(0.5)})
			case "halfx-a":
				y = b.op("Mul", []*ir.Value{b.op("Mul", []*ir.Value{b.scalar(0.5), x}), a})
			case "ahalf-x":
				y = b.op("Mul", []*ir.Value{x, b.op("Mul", []*ir.Value{a, b.scalar(0.5)})})
			}
			b.out(y)
		}
	}
	cases := []passCase{
		{name: "gelu-xa-half", build: gelu("xa-half"), wantOps: map[string]int{"Gelu": 1, "Erf": 0, "Mul": 0, "Div": 0}},
		{name: "gelu-halfx-a", build: gelu("halfx-a"), wantOps: map[string]int{"Gelu": 1, "Erf": 0, "Mul": 0}},
		{name: "gelu-ahalf-x", build: gelu("ahalf-x"), wantOps: map[string]int{"Gelu": 1, "Erf": 0, "Mul": 0}},
		{name: "gelu-mul-inv", build: gelu("mul-inv"), wantOps: map[string]int{"Gelu": 1, "Erf": 0, "Mul": 0}},
		{name: "gelu-opset20", opset: 20, build: gelu("xa-half"), wantOps: map[string]int{"Gelu": 1, "Erf": 0}},
		{name: "gelu-wrong-constant", build: func(b *builder) {
			x := b.input(2, 3)
			a := b.op("Add", []*ir.Value{b.op("Erf", []*ir.Value{b.op("Div", []*ir.Value{x, b.scalar(1.5)})}), b.scalar(1)})
			b.out(b.op("Mul", []*ir.Value{b.op("Mul", []*ir.Value{x, a}), b.scalar(0.5)}))
		}, wantOps: map[string]int{"Gelu": 0, "Erf": 1}, wantNone: true},
		{name: "hardswish", build: func(b *builder) {
			x := b.input(2, 3)
			b.out(b.op("Mul", []*ir.Value{b.op("HardSigmoid", []*ir.Value{x}, floatAttr("alpha", 1.0/6), floatAttr("beta", 0.5)), x}))
		}, wantOps: map[string]int{"HardSwish": 1, "Mul": 0}},
		{name: "hardswish-opset13", opset: 13, build: func(b *builder) {
			x := b.input(2, 3)
			b.out(b.op("Mul", []*ir.Value{x, b.op("HardSigmoid", []*ir.Value{x}, floatAttr("alpha", 1.0/6), floatAttr("beta", 0.5))}))
		}, wantOps: map[string]int{"HardSwish": 1, "Mul": 0, "HardSigmoid": 0}},
		{name: "hardsigmoid-default-params", build: func(b *builder) {
			x := b.input(2, 3)
			b.out(b.op("Mul", []*ir.Value{x, b.op("HardSigmoid", []*ir.Value{x})}))
		}, wantOps: map[string]int{"HardSwish": 0}, wantNone: true},
		{name: "silu", build: func(b *builder) {
			x := b.input(2, 3)
			b.out(b.op("Mul", []*ir.Value{x, b.op("Sigmoid", []*ir.Value{x})}))
		}, wantOps: map[string]int{"SiLU": 1, "Mul": 0, "Sigmoid": 0}},
		{name: "silu-sigmoid-shared", build: func(b *builder) {
			x := b.input(2, 3)
			s := b.op("Sigmoid", []*ir.Value{x})
			b.out(b.op("Mul", []*ir.Value{x, s}))
			b.out(s)
		}, wantOps: map[string]int{"SiLU": 0}, wantNone: true},
	}
	for _, pc := range cases {
		t.Run(pc.name, func(t *testing.T) { runPassCase(t, pc) })
	}
}

func TestGemmPasses(t *testing.T) {
	cases := []passCase{
		{name: "repvit-distill-head", build: func(b *builder) {
			x := b.input(3, 16)
			h1 := b.op("Gemm", []*ir.Value{b.bn(x, 16), b.rnd(0.3, 10, 16), b.rnd(0.3, 10)}, intAttr("transB", 1))
			h2 := b.op("Gemm", []*ir.Value{b.bn(x, 16), b.rnd(0.3, 10, 16), b.rnd(0.3, 10)}, intAttr("transB", 1))
			b.out(b.op("Div", []*ir.Value{b.add(h1, h2), b.scalar(2)}))
		}, wantOps: map[string]int{"Gemm": 1, "BatchNormalization": 0, "Add": 0, "Div": 0}},
		{name: "gemm-bn-matmul-add", build: func(b *builder) {
			x := b.input(3, 8)
			g := b.op("Gemm", []*ir.Value{x, b.rnd(0.3, 8, 6), b.rnd(0.3, 1, 6)}, floatAttr("alpha", 0.5), floatAttr("beta", 2))
			m := b.add(b.op("MatMul", []*ir.Value{x, b.rnd(0.3, 8, 6)}), b.rnd(0.3, 6))
			b.out(b.op("Mul", []*ir.Value{b.bn(b.add(g, m), 6), b.scalar(0.5)}))
		}, wantOps: map[string]int{"Gemm": 1, "MatMul": 0, "BatchNormalization": 0, "Add": 0, "Mul": 0}},
		{name: "near-miss-different-inputs", build: func(b *builder) {
			x, y := b.input(3, 8), b.input(3, 8)
			h1 := b.op("Gemm", []*ir.Value{x, b.rnd(0.3, 4, 8)}, intAttr("transB", 1))
			h2 := b.op("Gemm", []*ir.Value{y, b.rnd(0.3, 4, 8)}, intAttr("transB", 1))
			b.out(b.add(h1, h2))
		}, wantOps: map[string]int{"Gemm": 2, "Add": 1}, wantNone: true},
		{name: "standalone-bn-4d", build: func(b *builder) {
			x := b.input(2, 4, 3, 3)
			b.out(b.op("Relu", []*ir.Value{b.bn(b.op("Relu", []*ir.Value{x}), 4)}))
		}, wantOps: map[string]int{"BatchNormalization": 0, "Mul": 1, "Add": 1}},
	}
	for _, pc := range cases {
		t.Run(pc.name, func(t *testing.T) { runPassCase(t, pc) })
	}
}

func TestCleanupPasses(t *testing.T) {
	cases := []passCase{
		{name: "identity-dropout", build: func(b *builder) {
			x := b.input(2, 3)
			r := b.op("Relu", []*ir.Value{x})
			d := b.op("Dropout", []*ir.Value{b.op("Identity", []*ir.Value{r}), b.scalar(0.1)})
			b.out(b.op("Identity", []*ir.Value{d})) // graph output through Identity
		}, wantOps: map[string]int{"Identity": 0, "Dropout": 0, "Relu": 1}},
		{name: "identity-of-input-kept", build: func(b *builder) {
			x := b.input(2, 3)
			b.out(b.op("Identity", []*ir.Value{x}))
		}, wantOps: map[string]int{"Identity": 1}, wantLeft: "graph input", wantNone: true},
		{name: "pad-into-conv", build: func(b *builder) {
			x := b.input(1, 3, 6, 6)
			p := b.op("Pad", []*ir.Value{x, b.ints(0, 0, 1, 2, 0, 0, 1, 0)})
			b.out(b.convP(p, 3, 4, 3, 3, 1, 1, true, []int64{0, 0, 0, 1}))
		}, wantOps: map[string]int{"Pad": 0, "Conv": 1}},
		{name: "pad-into-avgpool", build: func(b *builder) {
			x := b.input(1, 3, 6, 6)
			p := b.op("Pad", []*ir.Value{x, b.ints(0, 0, 1, 1, 0, 0, 1, 1)})
			b.out(b.op("AveragePool", []*ir.Value{p}, intsAttr("kernel_shape", 3, 3), intsAttr("strides", 2, 2)))
		}, wantOps: map[string]int{"Pad": 0, "AveragePool": 1}},
		{name: "pad-avgpool-own-pads-kept", build: func(b *builder) {
			x := b.input(1, 3, 6, 6)
			p := b.op("Pad", []*ir.Value{x, b.ints(0, 0, 1, 1, 0, 0, 1, 1)})
			b.out(b.op("AveragePool", []*ir.Value{p}, intsAttr("kernel_shape", 3, 3), intsAttr("pads", 1, 1, 1, 1)))
		}, wantOps: map[string]int{"Pad": 1}, wantLeft: "count_include_pad=0", wantNone: true},
		{name: "pad-maxpool-kept", build: func(b *builder) {
			x := b.input(1, 3, 6, 6)
			p := b.op("Pad", []*ir.Value{x, b.ints(0, 0, 1, 1, 0, 0, 1, 1)})
			b.out(b.op("MaxPool", []*ir.Value{p}, intsAttr("kernel_shape", 3, 3)))
		}, wantOps: map[string]int{"Pad": 1}, wantLeft: "MaxPool", wantNone: true},
		{name: "pad-channels-kept", build: func(b *builder) {
			x := b.input(1, 3, 6, 6)
			p := b.op("Pad", []*ir.Value{x, b.ints(0, 1, 1, 1, 0, 0, 1, 1)})
			b.out(b.convP(p, 4, 4, 3, 3, 1, 1, true, []int64{0, 0, 0, 0}))
		}, wantOps: map[string]int{"Pad": 1}, wantNone: true},
		{name: "shape-chain-flatten", build: func(b *builder) {
			x := b.input(2, 4, 3, 3)
			r := b.op("Relu", []*ir.Value{x})
			sh := b.op("Shape", []*ir.Value{x})
			n0 := b.op("Unsqueeze", []*ir.Value{b.op("Gather", []*ir.Value{sh, scalarInt(b, 0)}, intAttr("axis", 0)), b.ints(0)})
			shape := b.op("Concat", []*ir.Value{n0, constNode(b, ir.NewInt64([]int64{1}, []int64{-1}))}, intAttr("axis", 0))
			b.out(b.op("Reshape", []*ir.Value{r, shape}))
		}, wantOps: map[string]int{"Shape": 0, "Gather": 0, "Concat": 0, "Constant": 0, "Unsqueeze": 0, "Reshape": 1}},
		{name: "dynamo-zero-bias", build: func(b *builder) {
			// torch.onnx dynamo: bias = Expand(CastLike(0, x), Shape(W)[0:1])
			x := b.input(1, 4, 5, 5)
			w := b.rnd(0.3, 6, 4, 3, 3)
			sh := b.op("Shape", []*ir.Value{w}, intAttr("start", 0), intAttr("end", 1))
			e := b.op("Expand", []*ir.Value{sh, constNode(b, ir.NewInt64([]int64{1}, []int64{1}))})
			z := b.op("CastLike", []*ir.Value{constNode(b, ir.NewFloat32(nil, []float32{0})), x})
			bias := b.op("Expand", []*ir.Value{z, e})
			c := b.op("Conv", []*ir.Value{x, w, bias}, intsAttr("kernel_shape", 3, 3), intsAttr("pads", 1, 1, 1, 1))
			b.out(b.add(b.bn(c, 6), b.bn(b.conv(x, 4, 6, 1, 1, 1, false), 6)))
		}, wantOps: map[string]int{"Shape": 0, "Expand": 0, "CastLike": 0, "Constant": 0, "Conv": 1, "BatchNormalization": 0, "Add": 0}},
		{name: "constant-weights", build: func(b *builder) {
			// weights as exporters and converters emit them: an HWIO kernel
			// transposed to OIHW, an integer bias cast to float, a
			// ConstantOfShape shift and a reshaped per-channel scale
			x := b.input(1, 4, 5, 5)
			w := b.op("Transpose", []*ir.Value{b.rnd(0.3, 3, 3, 4, 6)}, intsAttr("perm", 3, 2, 0, 1))
			bias := b.op("Cast", []*ir.Value{b.ints(1, -2, 3, 0, 5, -1)}, intAttr("to", int64(ir.Float32)))
			c := b.op("Conv", []*ir.Value{x, w, bias}, intsAttr("kernel_shape", 3, 3), intsAttr("pads", 1, 1, 1, 1))
			shift := b.op("ConstantOfShape", []*ir.Value{b.ints(1, 6, 1, 1)}, &ir.Attr{Name: "value", Type: ir.AttrTensor, T: ir.NewFloat32([]int64{1}, []float32{0.25})})
			scale := b.op("Reshape", []*ir.Value{b.rnd(1, 6), b.ints(1, 6, 1, 1)})
			b.out(b.op("Mul", []*ir.Value{b.add(c, shift), scale}))
		}, wantOps: map[string]int{"Transpose": 0, "Cast": 0, "ConstantOfShape": 0, "Reshape": 0, "Add": 0, "Mul": 0, "Conv": 1}},
		{name: "reshape-reshape", build: func(b *builder) {
			x := b.input(2, 4, 3, 3)
			r := b.op("Reshape", []*ir.Value{b.op("Relu", []*ir.Value{x}), b.ints(2, 36)})
			b.out(b.op("Reshape", []*ir.Value{r, b.ints(-1, 4, 9)}))
		}, wantOps: map[string]int{"Reshape": 1}},
	}
	for _, pc := range cases {
		t.Run(pc.name, func(t *testing.T) { runPassCase(t, pc) })
	}
}

func scalarInt(b *builder, v int64) *ir.Value {
	t := ir.NewInt64(nil, []int64{v})
	c := b.g.AddConst(b.name("i"), t)
	t.Name = c.Name
	return c
}

// constNode adds a Constant node (as TorchScript exports scalars).
func constNode(b *builder, t *ir.Tensor) *ir.Value {
	return b.op("Constant", nil, &ir.Attr{Name: "value", Type: ir.AttrTensor, T: t})
}

func TestSelectPasses(t *testing.T) {
	b := newBuilder(17, 1)
	x := b.input(1, 4, 5, 5)
	b.out(b.bn(b.conv(x, 4, 4, 3, 1, 1, false), 4))
	rep, err := Run(b.m, Options{Passes: []string{"none"}})
	if err != nil || rep.Total() != 0 || opCounts(b.g)["BatchNormalization"] != 1 {
		t.Fatalf("--passes none changed the model: %v %v", err, rep)
	}
	if _, err := Run(b.m, Options{Passes: []string{"no-such-pass"}}); err == nil {
		t.Fatal("unknown pass accepted")
	}
	rep, err = Run(b.m, Options{Passes: []string{"conv-bn-fold"}, CheckEachPass: true})
	if err != nil || rep.Pass("conv-bn-fold").Rewrites != 1 || opCounts(b.g)["BatchNormalization"] != 0 {
		t.Fatalf("conv-bn-fold alone: %v %v", err, rep)
	}
}

// TestExpandFusedNumerics checks with the reference evaluator that every
// mconv op and its standard-ONNX expansion compute the same, at an opset
// with and without the standard op.
func TestExpandFusedNumerics(t *testing.T) {
	for _, opset := range []int64{13, 20} {
		for _, op := range []string{"HardSwish", "Gelu", "SiLU"} {
			b := newBuilder(opset, 3)
			x := b.input(2, 5)
			y := b.op(op, []*ir.Value{x})
			y.Producer.Domain = ir.FusedDomain
			b.m.Opsets = append(b.m.Opsets, ir.OpsetImport{Domain: ir.FusedDomain, Version: 1})
			b.out(y)
			in := randomInputs(b.m, 5)
			ref, err := evalModel(b.m, in)
			if err != nil {
				t.Fatal(err)
			}
			if err := ir.ExpandFused(b.m); err != nil {
				t.Fatal(err)
			}
			if err := ir.Verify(b.m); err != nil {
				t.Fatal(err)
			}
			got, err := evalModel(b.m, in)
			if err != nil {
				t.Fatal(err)
			}
			if e := maxRelErr(t, ref, got); e > 1e-6 {
				t.Errorf("opset %d %s: expansion differs by %g (%s)", opset, op, e, ir.Dump(b.g))
			}
		}
	}
}
