package passes

import (
	"math"

	"github.com/mconv/mconv/ir"
)

// fuseActivations collapses activation chains into one op.
//
// GELU (exact, erf form), any of the multiplication orders exporters emit:
//
//	before: d = Div(x, sqrt2) | Mul(x, 1/sqrt2);  a = Add(Erf(d), 1)
//	        y = Mul(Mul(x, a), 0.5) | Mul(Mul(x, 0.5), a) | Mul(Mul(a, 0.5), x)
//	after:  y = Gelu(x)   (ai.onnx Gelu at opset >= 20, else mconv.Gelu)
//
// Algebra: GELU(x) = x * 0.5 * (1 + erf(x / sqrt 2)); multiplication is
// commutative and associative, so every order is the same function.
//
// HardSwish: y = Mul(x, HardSigmoid(x){alpha=1/6, beta=0.5}) -> HardSwish(x)
// (ai.onnx HardSwish at opset >= 14, else mconv.HardSwish, which
// ir.ExpandFused writes back as the pair), since
// HardSwish(x) = x * max(0, min(1, x/6 + 1/2)).
//
// SiLU: y = Mul(x, Sigmoid(x)) -> mconv.SiLU(x).
//
// Preconditions: constants within 1e-5 (relative) of the exact values;
// every intermediate has one reader and is not a graph output; operand
// order of Mul and Add does not matter.
func fuseActivations(c *ctx) error {
	for _, n := range nodesSnapshot(c.g) {
		if !live(n) {
			continue
		}
		switch {
		case isOp(n, "Erf"):
			c.fuseGelu(n)
		case isOp(n, "Mul") && len(n.Inputs) == 2:
			for k := 0; k < 2; k++ {
				x, a := n.Inputs[k], n.Inputs[1-k]
				if x == a || !singleUse(a) || a.Producer == nil || a.Producer.Inputs[0] != x {
					continue
				}
				p := a.Producer
				if isOp(p, "Sigmoid") {
					c.emitAct(n, x, "SiLU", ir.FusedDomain, 2)
					break
				}
				if isOp(p, "HardSigmoid") && approx(float64(p.AttrFloat("alpha", 0.2)), 1.0/6) && approx(float64(p.AttrFloat("beta", 0.5)), 0.5) {
					if c.opset() < 14 {
						c.emitAct(n, x, "HardSwish", ir.FusedDomain, 2)
						break
					}
					c.emitAct(n, x, "HardSwish", "", 2)
					break
				}
			}
		}
	}
	return nil
}

// fuseGelu matches the Erf-based GELU chain around Erf node e.
func (c *ctx) fuseGelu(e *ir.Node) {
	d := e.Inputs[0]
	if !singleUse(d) || d.Producer == nil || len(d.Producer.Inputs) != 2 {
		return
	}
	dn := d.Producer
	var x *ir.Value
	switch {
	case isOp(dn, "Div"):
		if f, ok := scalarConst(dn.Inputs[1]); ok && approx(f, math.Sqrt2) {
			x = dn.Inputs[0]
		}
	case isOp(dn, "Mul"):
		for k := 0; k < 2; k++ {
			if f, ok := scalarConst(dn.Inputs[1-k]); ok && approx(f, 1/math.Sqrt2) {
				x = dn.Inputs[k]
			}
		}
	}
	if x == nil || x.IsConst() {
		return
	}
	ev := e.Outputs[0]
	if !singleUse(ev) {
		return
	}
	add := ev.Uses[0].Node
	if !isOp(add, "Add") || len(add.Inputs) != 2 {
		return
	}
	if f, ok := scalarConst(add.Inputs[1-ev.Uses[0].Index]); !ok || !approx(f, 1) {
		return
	}
	a := add.Outputs[0]
	if !singleUse(a) {
		return
	}
	m1 := a.Uses[0].Node
	if !isOp(m1, "Mul") || len(m1.Inputs) != 2 {
		return
	}
	p := m1.Inputs[1-a.Uses[0].Index]
	var last *ir.Node
	nodes := 5
	switch {
	case p == x: // (x*a)*0.5
		m := m1.Outputs[0]
		if !singleUse(m) {
			return
		}
		m2 := m.Uses[0].Node
		if isOp(m2, "Mul") && len(m2.Inputs) == 2 {
			if f, ok := scalarConst(m2.Inputs[1-m.Uses[0].Index]); ok && approx(f, 0.5) {
				last = m2
			}
		}
	case isHalfOf(p, x): // (x*0.5)*a
		if singleUse(p) {
			last = m1
		}
	default: // (a*0.5)*x
		if f, ok := scalarConst(p); ok && approx(f, 0.5) {
			m := m1.Outputs[0]
			if !singleUse(m) {
				return
			}
			m2 := m.Uses[0].Node
			if isOp(m2, "Mul") && len(m2.Inputs) == 2 && m2.Inputs[1-m.Uses[0].Index] == x {
				last = m2
			}
		}
	}
	if last == nil {
		return
	}
	if c.opset() >= 20 {
		c.emitAct(last, x, "Gelu", "", nodes)
	} else {
		c.emitAct(last, x, "Gelu", ir.FusedDomain, nodes)
	}
}

// isHalfOf reports whether p = Mul(x, 0.5) or Mul(0.5, x).
func isHalfOf(p, x *ir.Value) bool {
	n := producedBy(p, "Mul")
	if n == nil || len(n.Inputs) != 2 {
		return false
	}
	for k := 0; k < 2; k++ {
		if f, ok := scalarConst(n.Inputs[1-k]); ok && approx(f, 0.5) && n.Inputs[k] == x {
			return true
		}
	}
	return false
}

// emitAct replaces the output of last with op(x).
func (c *ctx) emitAct(last *ir.Node, x *ir.Value, op, domain string, nodes int) {
	out := last.Outputs[0]
	n := c.g.InsertNodeBefore(last, op, last.Name+"_"+op, []*ir.Value{x}, c.g.UniqueName(out.Name+"_"+op))
	n.Domain = domain
	if domain == ir.FusedDomain {
		c.useFusedDomain()
		if op == "Gelu" {
			n.SetAttr(stringAttr("approximate", "none"))
		}
	}
	c.replace(out, n.Outputs[0], true)
	d := domain
	if d == "" {
		d = "ai.onnx"
	}
	c.rewrote("fused %d nodes into %s.%s %q", nodes, d, op, n.Outputs[0].Name)
}
