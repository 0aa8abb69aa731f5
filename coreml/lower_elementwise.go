package coreml

import (
	"fmt"
	"math"

	"github.com/mconv/mconv/coreml/pb"
	"github.com/mconv/mconv/ir"
)

// Lowering of elementwise ops and activations to MIL: unary ops,
// Add/Sub/Mul/Div, LeakyRelu, HardSigmoid, HardSwish, Clip, Gelu and CastLike.

func unary(typ string) func(*lowerer, *ir.Node) error {
	return func(l *lowerer, n *ir.Node) error {
		x, err := l.x0(n)
		if err != nil {
			return err
		}
		l.def(n.Outputs[0], typ, []arg{a("x", x)}, x.dt, x.shape)
		return nil
	}
}

func binaryOp(typ string) func(*lowerer, *ir.Node) error {
	return func(l *lowerer, n *ir.Node) error {
		x, err := l.in(n, 0)
		if err != nil {
			return err
		}
		y, err := l.in(n, 1)
		if err != nil {
			return err
		}
		s, err := ir.BroadcastShape(x.shape, y.shape)
		if err != nil {
			return err
		}
		l.def(n.Outputs[0], typ, []arg{a("x", x), a("y", y)}, x.dt, s)
		return nil
	}
}

func lowerLeakyRelu(l *lowerer, n *ir.Node) error {
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	al := l.cFloat(n.Outputs[0].Name+"_alpha", n.AttrFloat("alpha", 0.01))
	l.def(n.Outputs[0], "leaky_relu", []arg{a("x", x), a("alpha", al)}, x.dt, x.shape)
	return nil
}

func lowerHardSigmoid(l *lowerer, n *ir.Node) error {
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	base := n.Outputs[0].Name
	al := l.cFloat(base+"_alpha", n.AttrFloat("alpha", 0.2))
	be := l.cFloat(base+"_beta", n.AttrFloat("beta", 0.5))
	l.def(n.Outputs[0], "sigmoid_hard", []arg{a("x", x), a("alpha", al), a("beta", be)}, x.dt, x.shape)
	return nil
}

// lowerHardSwish: MIL has no hard swish; y = x * sigmoid_hard(x, 1/6, 1/2).
func lowerHardSwish(l *lowerer, n *ir.Node) error {
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	base := n.Outputs[0].Name
	al := l.cFloat(base+"_alpha", 1.0/6)
	be := l.cFloat(base+"_beta", 0.5)
	h := l.emit1("sigmoid_hard", base+"_hsig", []arg{a("x", x), a("alpha", al), a("beta", be)}, x.dt, x.shape, false)
	l.def(n.Outputs[0], "mul", []arg{a("x", x), a("y", h)}, x.dt, x.shape)
	return nil
}

// lowerClip: Clip(min, max) -> clip(alpha=min, beta=max); min=0 without max
// is relu. Bounds come from inputs (opset >= 11) or attributes.
func lowerClip(l *lowerer, n *ir.Node) error {
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	lo, hi := float32(math.Inf(-1)), float32(math.Inf(1))
	if l.opset > 0 && l.opset < 11 {
		lo, hi = n.AttrFloat("min", lo), n.AttrFloat("max", hi)
	} else {
		for i, p := range []*float32{&lo, &hi} {
			if n.Input(i+1) == nil {
				continue
			}
			_, f, err := l.floatsOf(n, i+1, []string{"min", "max"}[i])
			if err != nil {
				return err
			}
			if len(f) != 1 {
				return fmt.Errorf("clip bound has %d elements, want 1", len(f))
			}
			*p = f[0]
		}
	}
	if lo == 0 && math.IsInf(float64(hi), 1) {
		l.def(n.Outputs[0], "relu", []arg{a("x", x)}, x.dt, x.shape)
		return nil
	}
	lim := float32(math.MaxFloat32)
	if l.ct == pb.DataType_FLOAT16 {
		lim = 65504
	}
	lo, hi = max(lo, -lim), min(hi, lim)
	base := n.Outputs[0].Name
	l.def(n.Outputs[0], "clip", []arg{a("x", x), a("alpha", l.cFloat(base+"_lo", lo)), a("beta", l.cFloat(base+"_hi", hi))}, x.dt, x.shape)
	return nil
}

func lowerGelu(l *lowerer, n *ir.Node) error {
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	mode := "EXACT"
	switch ap := n.AttrString("approximate", "none"); ap {
	case "none":
	case "tanh":
		mode = "TANH_APPROXIMATION"
	default:
		return fmt.Errorf("Gelu approximate=%q: %w", ap, errUnsupported)
	}
	l.def(n.Outputs[0], "gelu", []arg{a("x", x), a("mode", l.cStr(n.Outputs[0].Name+"_mode", mode))}, x.dt, x.shape)
	return nil
}

// lowerCastLike: CastLike of a constant folds to the dtype of the second
// input; a float tensor cast to a float type is the identity here (the
// converter computes in one float dtype).
func lowerCastLike(l *lowerer, n *ir.Node) error {
	to := ir.Float32
	if v := n.Input(1); v != nil && v.Type.DType != ir.Undefined {
		to = v.Type.DType
	} else if t := l.constOf(n, 1); t != nil {
		to = t.DType
	}
	if t := l.constOf(n, 0); t != nil {
		f, err := t.Float64s()
		if err != nil {
			return err
		}
		c, err := ir.NewFromFloat64(to, t.Dims, f)
		if err != nil {
			return err
		}
		l.consts[n.Outputs[0]] = c
		return nil
	}
	if !to.IsFloat() {
		return fmt.Errorf("cast of a tensor to %s: %w", to, errUnsupported)
	}
	return lowerIdentity(l, n)
}

// lowerCast: Cast of constants folds before lowering (shape arithmetic);
// a float tensor cast to a float type is the identity here, as in
// lowerCastLike (EfficientViT's LiteMLA casts its attention to float32).
func lowerCast(l *lowerer, n *ir.Node) error {
	to := ir.DType(n.AttrInt("to", 0))
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	if !to.IsFloat() || !isFloat(x.dt) {
		return fmt.Errorf("cast of a tensor to %s: only float to float casts of computed tensors are supported: %w", to, errUnsupported)
	}
	return lowerIdentity(l, n)
}
