package passes

import (
	"github.com/mconv/mconv/ir"
)

// foldPad folds a zero constant Pad into the Conv or AveragePool reading it.
//
//	before: y = Conv(Pad(x, pads=[0,0,t,l, 0,0,b,r], mode=constant, value=0), W) {pads=p}
//	after:  y = Conv(x, W) {pads = p + [t,l,b,r]}
//
// Algebra: a Conv pads with zeros, so explicit zero padding of the spatial
// dims is the same as adding to its pads. AveragePool counts the padded
// zeros only with count_include_pad=1, which the fused pool sets; this
// requires the pool to have no padding of its own or count_include_pad=1
// already. MaxPool pads with -inf, so zero padding is not folded into it.
// Preconditions: mode constant, pad value absent or 0, no axes input, no
// padding of the batch and channel dims, non-negative pads, the Pad output
// read only by that node, consumer auto_pad NOTSET.
func foldPad(c *ctx) error {
	for _, p := range nodesSnapshot(c.g) {
		if !live(p) || !isOp(p, "Pad") || len(p.Inputs) == 0 || !singleUse(p.Outputs[0]) {
			continue
		}
		if p.AttrString("mode", "constant") != "constant" {
			continue
		}
		var pads []int64
		if c.opset() < 11 && len(p.Inputs) == 1 {
			pads = p.AttrInts("pads", nil)
			if p.AttrFloat("value", 0) != 0 {
				continue
			}
		} else {
			if len(p.Inputs) < 2 || p.Inputs[1] == nil || !p.Inputs[1].IsConst() {
				continue
			}
			var err error
			if pads, err = p.Inputs[1].Const.Int64s(); err != nil {
				continue
			}
			if len(p.Inputs) > 2 && p.Inputs[2] != nil {
				if f, ok := scalarConstAny(p.Inputs[2]); !ok || f != 0 {
					c.leftAlone(p, "pad value is not a constant 0")
					continue
				}
			}
			if len(p.Inputs) > 3 && p.Inputs[3] != nil {
				continue
			}
		}
		r := len(pads) / 2
		if r < 3 || len(pads) != 2*r || pads[0] != 0 || pads[1] != 0 || pads[r] != 0 || pads[r+1] != 0 {
			continue
		}
		neg := false
		for _, v := range pads {
			if v < 0 {
				neg = true
			}
		}
		if neg {
			continue
		}
		u := p.Outputs[0].Uses[0]
		cn := u.Node
		if u.Index != 0 || cn.AttrString("auto_pad", "NOTSET") != "NOTSET" {
			continue
		}
		switch {
		case isOp(cn, "Conv"):
		case isOp(cn, "AveragePool"):
			if cn.AttrInt("count_include_pad", 0) == 0 {
				for _, v := range cn.AttrInts("pads", nil) {
					if v != 0 {
						c.leftAlone(p, "AveragePool %q has its own padding with count_include_pad=0", cn.Name)
						neg = true
						break
					}
				}
			}
		case isOp(cn, "MaxPool"):
			c.leftAlone(p, "zero padding is not foldable into MaxPool (pads with -inf)")
			continue
		default:
			continue
		}
		if neg {
			continue
		}
		sp := r - 2
		old := cn.AttrInts("pads", make([]int64, 2*sp))
		if len(old) != 2*sp {
			continue
		}
		np := make([]int64, 2*sp)
		for i := 0; i < sp; i++ {
			np[i] = old[i] + pads[2+i]
			np[sp+i] = old[sp+i] + pads[r+2+i]
		}
		cn.SetAttr(intsAttr("pads", np...))
		if isOp(cn, "AveragePool") {
			cn.SetAttr(intAttr("count_include_pad", 1))
		}
		cn.SetInput(0, p.Inputs[0])
		c.removeDead(p)
		c.rewrote("folded Pad %q into %s %q", p.Name, cn.OpType, cn.Name)
	}
	return nil
}

// canonicalizeReshape simplifies reshapes.
//
//	before: y = Reshape(Reshape(x, s1) | Flatten(x), s2)   s2 constant without 0 entries
//	after:  y = Reshape(x, s2)
//
//	before: y = Reshape(x, s)   with x's static shape equal to the result
//	after:  readers of y read x
//
// Algebra: a reshape only reinterprets the row-major element order, so two
// reshapes compose to the last one; 0 entries (copy an input dim) are
// excluded because they refer to the intermediate shape.
// Preconditions: the inner reshape's output read only by the outer one;
// allowzero 0.
func canonicalizeReshape(c *ctx) error {
	for _, n := range nodesSnapshot(c.g) {
		if !live(n) || !isOp(n, "Reshape") || len(n.Inputs) != 2 || !n.Inputs[1].IsConst() || n.AttrInt("allowzero", 0) != 0 {
			continue
		}
		s, err := n.Inputs[1].Const.Int64s()
		if err != nil {
			continue
		}
		in := n.Inputs[0]
		if inner := in.Producer; inner != nil && (isOp(inner, "Reshape") || isOp(inner, "Flatten")) && singleUse(in) && inner.Owner == c.g {
			hasZero := false
			for _, v := range s {
				if v == 0 {
					hasZero = true
				}
			}
			if !hasZero {
				n.SetInput(0, inner.Inputs[0])
				c.removeDead(inner)
				c.rewrote("merged %s %q into Reshape %q", inner.OpType, inner.Name, n.Name)
				continue
			}
		}
		if in.Type.IsTensor() && in.Type.HasShape && in.Type.Shape.Static() {
			dims, err := ir.ReshapeTarget(in.Type.Shape.Sizes(), s, false)
			if err != nil || !ir.S(dims...).Equal(in.Type.Shape) {
				continue
			}
			y := n.Outputs[0]
			if y.IsOutput && (in.Producer == nil || in.IsOutput || in.Owner != c.g) {
				continue
			}
			name, wasOut := y.Name, y.IsOutput
			y.ReplaceAllUsesWith(in)
			c.removeDead(n)
			if wasOut && c.g.Lookup(name) == nil {
				_ = c.g.Rename(in, name)
			}
			c.rewrote("removed no-op Reshape %q", n.Name)
		}
	}
	return nil
}
