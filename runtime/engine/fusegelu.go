package engine

import (
	"math"

	"github.com/mconv/mconv/ir"
)

// matchGelu recognizes exact GELU as PyTorch exports it before opset 20,
// rooted at value v:
//
//	y = Mul(Mul(v, Add(Erf(Div(v, sqrt2)), 1)), 0.5)       or
//	y = Mul(Mul(v, 0.5), Add(Erf(Div(v, sqrt2)), 1))
//
// (Div by sqrt(2) may be Mul by 1/sqrt(2); commuted operands accepted).
// Preconditions: v has exactly these two uses; every intermediate has one
// use and is not a graph output; the constants are scalars within 1e-6 of
// sqrt(2), 1/sqrt(2), 1 and 0.5. Algebra: y = v/2 * (1 + erf(v/sqrt2)) =
// Gelu(v). It returns the pattern's nodes and y.
func (b *builder) matchGelu(v *ir.Value) ([]*ir.Node, *ir.Value, bool) {
	if v == nil || v.IsOutput || len(v.Uses) != 2 {
		return nil, nil, false
	}
	constNear := func(x *ir.Value, want float64) bool {
		t := b.vals[x]
		if x == nil || t == nil || !t.konst || t.n != 1 || (t.dt != ir.Float32 && t.dt != ir.Float64) {
			return false
		}
		f, err := t.floats()
		return err == nil && math.Abs(f[0]-want) < 1e-6
	}
	// other returns n's input that is not w (n binary), or nil.
	other := func(n *ir.Node, w *ir.Value) *ir.Value {
		if len(n.Inputs) != 2 || n.Domain != "" {
			return nil
		}
		if n.Inputs[0] == w {
			return n.Inputs[1]
		}
		if n.Inputs[1] == w {
			return n.Inputs[0]
		}
		return nil
	}
	single := func(w *ir.Value) *ir.Node {
		if w == nil || w.IsOutput || len(w.Uses) != 1 {
			return nil
		}
		return w.Uses[0].Node
	}
	for k := 0; k < 2; k++ {
		d, m := v.Uses[k].Node, v.Uses[1-k].Node
		okDiv := d.OpType == "Div" && len(d.Inputs) == 2 && d.Inputs[0] == v && constNear(d.Inputs[1], math.Sqrt2)
		okMul := d.OpType == "Mul" && constNear(other(d, v), 1/math.Sqrt2)
		if !(okDiv || okMul) || d == m {
			continue
		}
		e := single(d.Outputs[0])
		if e == nil || e.OpType != "Erf" || e.Domain != "" {
			continue
		}
		a := single(e.Outputs[0])
		if a == nil || a.OpType != "Add" || !constNear(other(a, e.Outputs[0]), 1) {
			continue
		}
		if m.OpType != "Mul" || m.Domain != "" || len(m.Inputs) != 2 {
			continue
		}
		mo := other(m, v)
		switch {
		case mo == a.Outputs[0]: // Mul(v, add) then Mul(., 0.5)
			h := single(m.Outputs[0])
			if h == nil || h.OpType != "Mul" || !constNear(other(h, m.Outputs[0]), 0.5) {
				continue
			}
			return []*ir.Node{d, e, a, m, h}, h.Outputs[0], true
		case constNear(mo, 0.5): // Mul(v, 0.5) then Mul(., add)
			h := single(m.Outputs[0])
			if h == nil || h.OpType != "Mul" || other(h, m.Outputs[0]) != a.Outputs[0] || single(a.Outputs[0]) != h {
				continue
			}
			return []*ir.Node{d, e, a, m, h}, h.Outputs[0], true
		}
	}
	return nil, nil, false
}

// planGelu plans the GELU pattern containing n (see matchGelu) as one
// elementwise kernel at n's position, when n reads a float32 value v that
// roots the pattern. It reports whether it did.
func (b *builder) planGelu(n *ir.Node) bool {
	if n.Domain != "" || (n.OpType != "Div" && n.OpType != "Mul") {
		return false
	}
	for _, v := range n.Inputs {
		t := b.vals[v]
		if t == nil || t.konst || t.dt != ir.Float32 {
			continue
		}
		nodes, y, ok := b.matchGelu(v)
		if !ok {
			continue
		}
		in := false
		for _, p := range nodes {
			in = in || p == n
		}
		if !in {
			continue
		}
		out := &tval{name: y.Name, dt: ir.Float32, shape: append([]int64{}, t.shape...), n: t.n, producedBy: n}
		idx := len(b.steps)
		t.root().last = max(t.root().last, idx)
		out.first, out.last = idx, idx
		b.all = append(b.all, out)
		b.vals[y] = out
		for _, p := range nodes {
			b.consumed[p] = true
		}
		a := act{kind: actGelu}
		b.steps = append(b.steps, step{node: n, run: func() { a.apply(out.f32(), t.f32()) }})
		return true
	}
	return false
}
