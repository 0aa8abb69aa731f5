package engine

import (
	"fmt"
	"math"

	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/runtime/kernels"
)

type actKind int

const (
	actNone actKind = iota
	actRelu
	actClip
	actLeaky
	actSigmoid
	actHardSigmoid
	actHardSwish
	actSiLU
	actTanh
	actGelu
	actGeluTanh
	actElu
	actSelu
	actSoftplus
	actSoftsign
	actMish
	actThresholdedRelu
	actCelu
)

// act is an elementwise float activation with its parameters. The same code
// serves standalone activation nodes and fused epilogues.
type act struct {
	kind actKind
	a, b float32 // clip min/max; alpha/beta; selu alpha/gamma
}

// actOf maps an activation node to an act, reading constant Clip bounds.
// ok is false when n is not an activation the runtime can fuse.
func actOf(n *ir.Node, opset int64, constIn func(i int) *tval) (act, bool, error) {
	switch opKey(n.Domain, n.OpType) {
	case "::Relu":
		return act{kind: actRelu}, true, nil
	case "::LeakyRelu":
		return act{kind: actLeaky, a: n.AttrFloat("alpha", 0.01)}, true, nil
	case "::Sigmoid":
		return act{kind: actSigmoid}, true, nil
	case "::HardSigmoid":
		return act{kind: actHardSigmoid, a: n.AttrFloat("alpha", 0.2), b: n.AttrFloat("beta", 0.5)}, true, nil
	case "::HardSwish", "mconv::HardSwish":
		return act{kind: actHardSwish}, true, nil
	case "mconv::SiLU", "::Swish":
		return act{kind: actSiLU}, true, nil
	case "::Tanh":
		return act{kind: actTanh}, true, nil
	case "::Gelu", "mconv::Gelu":
		switch ap := n.AttrString("approximate", "none"); ap {
		case "none":
			return act{kind: actGelu}, true, nil
		case "tanh":
			return act{kind: actGeluTanh}, true, nil
		default:
			return act{}, false, fmt.Errorf("unsupported approximate=%q", ap)
		}
	case "::Elu":
		return act{kind: actElu, a: n.AttrFloat("alpha", 1)}, true, nil
	case "::Celu":
		return act{kind: actCelu, a: n.AttrFloat("alpha", 1)}, true, nil
	case "::Selu":
		return act{kind: actSelu, a: n.AttrFloat("alpha", 1.67326319217681884765625), b: n.AttrFloat("gamma", 1.05070102214813232421875)}, true, nil
	case "::Softplus":
		return act{kind: actSoftplus}, true, nil
	case "::Softsign":
		return act{kind: actSoftsign}, true, nil
	case "::Mish":
		return act{kind: actMish}, true, nil
	case "::ThresholdedRelu":
		return act{kind: actThresholdedRelu, a: n.AttrFloat("alpha", 1)}, true, nil
	case "::Clip":
		lo, hi := float32(math.Inf(-1)), float32(math.Inf(1))
		if opset < 11 {
			lo = n.AttrFloat("min", lo)
			hi = n.AttrFloat("max", hi)
			return act{kind: actClip, a: lo, b: hi}, true, nil
		}
		for i, p := range []*float32{&lo, &hi} {
			if i+1 >= len(n.Inputs) || n.Inputs[i+1] == nil {
				continue
			}
			t := constIn(i + 1)
			if t == nil || !t.konst {
				return act{}, false, nil
			}
			if t.n != 1 {
				return act{}, false, fmt.Errorf("Clip bound must be a scalar, has shape %v", t.shape)
			}
			f, err := t.floats()
			if err != nil {
				return act{}, false, err
			}
			*p = float32(f[0])
		}
		return act{kind: actClip, a: lo, b: hi}, true, nil
	}
	return act{}, false, nil
}

// apply computes dst[i] = act(src[i]) (dst and src may be the same slice).
// The activations package kernels has (kernelAct) run there, vectorized;
// the others below.
func (a act) apply(dst, src []float32) {
	src = src[:len(dst)]
	if k, alpha, beta, ok := kernelAct(a); ok && (a.kind != actClip || a.a <= a.b) {
		if len(dst) > 0 && &dst[0] != &src[0] {
			copy(dst, src)
		}
		kernels.ApplyAct(dst, k, alpha, beta)
		return
	}
	switch a.kind {
	case actNone:
		copy(dst, src)
	case actClip:
		// lo > hi (kernelAct's clamp is for lo <= hi): hi, as ONNX; NaN
		// stays NaN.
		lo, hi := a.a, a.b
		for i, x := range src {
			dst[i] = min(max(x, lo), hi)
		}
	case actElu:
		for i, x := range src {
			if x < 0 {
				x = a.a * float32(math.Expm1(float64(x)))
			}
			dst[i] = x
		}
	case actCelu:
		for i, x := range src {
			f := float64(x)
			dst[i] = float32(math.Max(0, f) + math.Min(0, float64(a.a)*math.Expm1(f/float64(a.a))))
		}
	case actSelu:
		for i, x := range src {
			if x <= 0 {
				x = a.a * float32(math.Expm1(float64(x)))
			}
			dst[i] = a.b * x
		}
	case actSoftplus:
		for i, x := range src {
			f := float64(x)
			if f > 0 {
				dst[i] = float32(f + math.Log1p(math.Exp(-f)))
			} else {
				dst[i] = float32(math.Log1p(math.Exp(f)))
			}
		}
	case actSoftsign:
		for i, x := range src {
			dst[i] = x / (1 + float32(math.Abs(float64(x))))
		}
	case actMish:
		for i, x := range src {
			f := float64(x)
			sp := math.Log1p(math.Exp(f))
			if f > 20 {
				sp = f
			}
			dst[i] = float32(f * math.Tanh(sp))
		}
	case actThresholdedRelu:
		for i, x := range src {
			if x <= a.a {
				x = 0
			}
			dst[i] = x
		}
	}
}

// apply64 is apply for float64 data.
func (a act) apply64(dst, src []float64) {
	for i, x := range src[:len(dst)] {
		switch a.kind {
		case actRelu:
			if x < 0 {
				x = 0
			}
		case actClip:
			x = math.Min(math.Max(x, float64(a.a)), float64(a.b))
		case actLeaky:
			if x < 0 {
				x *= float64(a.a)
			}
		case actSigmoid:
			if x >= 0 {
				x = 1 / (1 + math.Exp(-x))
			} else {
				e := math.Exp(x)
				x = e / (1 + e)
			}
		case actHardSigmoid:
			x = math.Min(1, math.Max(0, float64(a.a)*x+float64(a.b)))
		case actHardSwish:
			x = x * math.Min(1, math.Max(0, x/6+0.5))
		case actSiLU:
			x = x / (1 + math.Exp(-x))
		case actTanh:
			x = math.Tanh(x)
		case actGelu:
			x = 0.5 * x * (1 + math.Erf(x/math.Sqrt2))
		case actGeluTanh:
			x = 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
		case actElu:
			if x < 0 {
				x = float64(a.a) * math.Expm1(x)
			}
		case actCelu:
			x = math.Max(0, x) + math.Min(0, float64(a.a)*math.Expm1(x/float64(a.a)))
		case actSelu:
			if x <= 0 {
				x = float64(a.a) * math.Expm1(x)
			}
			x *= float64(a.b)
		case actSoftplus:
			if x > 0 {
				x = x + math.Log1p(math.Exp(-x))
			} else {
				x = math.Log1p(math.Exp(x))
			}
		case actSoftsign:
			x = x / (1 + math.Abs(x))
		case actMish:
			x = x * math.Tanh(math.Log1p(math.Exp(x)))
		case actThresholdedRelu:
			if x <= float64(a.a) {
				x = 0
			}
		}
		dst[i] = x
	}
}

// opAct is the kernel of a standalone activation node.
func opAct(c *ctx) (func(), error) {
	a, ok, err := actOf(c.n, c.opset, c.input)
	if err != nil {
		return nil, err
	}
	x := c.input(0)
	if x == nil {
		return nil, fmt.Errorf("missing input")
	}
	if !ok {
		// Clip with run-time bounds.
		return opClipDynamic(c)
	}
	out, err := c.setOut(0, x.dt, x.shape)
	if err != nil {
		return nil, err
	}
	switch x.dt {
	case ir.Float32:
		const chunk = 1 << 14
		f := func(lo, hi int) {
			e0, e1 := lo*chunk, min(hi*chunk, x.n)
			a.apply(out.f32()[e0:e1], x.f32()[e0:e1])
		}
		pool := c.b.pool
		parts := (x.n + chunk - 1) / chunk
		return func() { pool.parallelFor(parts, 1, f) }, nil
	case ir.Float64:
		return func() { a.apply64(out.f64(), x.f64()) }, nil
	}
	if a.kind == actRelu || a.kind == actClip {
		return intClipRelu(c, a, x, out)
	}
	return nil, fmt.Errorf("unsupported input type %s", x.dt)
}

func intClipRelu(c *ctx, a act, x, out *tval) (func(), error) {
	lo, hi := math.Inf(-1), math.Inf(1)
	if a.kind == actRelu {
		lo = 0
	} else {
		lo, hi = float64(a.a), float64(a.b)
	}
	switch x.dt {
	case ir.Int64:
		return func() { clipInts(out.i64(), x.i64(), lo, hi) }, nil
	case ir.Int32:
		return func() { clipInts(out.i32(), x.i32(), lo, hi) }, nil
	case ir.Int8:
		return func() { clipInts(viewOf[int8](out.buf, out.n), viewOf[int8](x.buf, x.n), lo, hi) }, nil
	case ir.Uint8:
		return func() { clipInts(out.u8(), x.u8(), lo, hi) }, nil
	}
	return nil, fmt.Errorf("unsupported input type %s", x.dt)
}

func clipInts[T int8 | uint8 | int32 | int64](dst, src []T, lo, hi float64) {
	for i, v := range src {
		f := float64(v)
		if f < lo {
			v = T(lo)
		}
		if f > hi {
			v = T(hi)
		}
		dst[i] = v
	}
}

// opClipDynamic is Clip whose bounds are computed at run time.
func opClipDynamic(c *ctx) (func(), error) {
	x := c.input(0)
	if x.dt != ir.Float32 {
		return nil, fmt.Errorf("unsupported: Clip with run-time bounds on %s", x.dt)
	}
	lo, hi := c.input(1), c.input(2)
	for _, t := range []*tval{lo, hi} {
		if t != nil && (t.n != 1 || t.dt != ir.Float32) {
			return nil, fmt.Errorf("Clip bound must be a float32 scalar")
		}
	}
	out, err := c.setOut(0, x.dt, x.shape)
	if err != nil {
		return nil, err
	}
	return func() {
		a := act{kind: actClip, a: float32(math.Inf(-1)), b: float32(math.Inf(1))}
		if lo != nil {
			a.a = lo.f32()[0]
		}
		if hi != nil {
			a.b = hi.f32()[0]
		}
		a.apply(out.f32(), x.f32())
	}, nil
}

func init() {
	for _, op := range []string{"Relu", "LeakyRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Gelu", "Elu", "Celu", "Selu", "Softplus", "Softsign", "Mish", "ThresholdedRelu", "Clip", "Swish"} {
		register("", op, opAct)
	}
	register(ir.FusedDomain, "SiLU", opAct)
	register(ir.FusedDomain, "Gelu", opAct)
	register(ir.FusedDomain, "HardSwish", opAct)
}
