package coreml

import (
	"fmt"

	"github.com/mconv/mconv/ir"
)

// Lowering of convolutions to MIL: the window geometry shared with pooling,
// Conv and the fused squeeze-and-excitation block (mconv.SqueezeExcite).

// convGeom holds a 2-D window op's geometry in MIL order.
type convGeom struct {
	k, s, d [2]int64
	pad     [4]int64 // h_before, h_after, w_before, w_after
}

// geometry reads kernel_shape/strides/dilations/pads/auto_pad (ONNX
// defaults: strides and dilations 1, pads 0, auto_pad NOTSET) for input
// spatial size hw and kernel k.
func geometry(n *ir.Node, hw [2]int64, k [2]int64, dilated bool) (convGeom, error) {
	g := convGeom{k: k, s: [2]int64{1, 1}, d: [2]int64{1, 1}}
	if st := n.AttrInts("strides", nil); st != nil {
		if len(st) != 2 {
			return g, fmt.Errorf("strides %v: only 2-D windows are supported: %w", st, errUnsupported)
		}
		g.s = [2]int64{st[0], st[1]}
	}
	if dl := n.AttrInts("dilations", nil); dl != nil {
		if len(dl) != 2 {
			return g, fmt.Errorf("dilations %v: only 2-D windows are supported: %w", dl, errUnsupported)
		}
		g.d = [2]int64{dl[0], dl[1]}
		if !dilated && (dl[0] != 1 || dl[1] != 1) {
			return g, fmt.Errorf("dilations %v: %w", dl, errUnsupported)
		}
	}
	for i := 0; i < 2; i++ {
		if g.s[i] <= 0 || g.d[i] <= 0 || g.k[i] <= 0 {
			return g, fmt.Errorf("kernel %v, strides %v, dilations %v must be positive", g.k, g.s, g.d)
		}
	}
	switch ap := n.AttrString("auto_pad", "NOTSET"); ap {
	case "NOTSET", "":
		if p := n.AttrInts("pads", nil); p != nil {
			if len(p) != 4 {
				return g, fmt.Errorf("pads %v: want 4 values for a 2-D window", p)
			}
			for _, v := range p {
				if v < 0 {
					return g, fmt.Errorf("negative pads %v: %w", p, errUnsupported)
				}
			}
			g.pad = [4]int64{p[0], p[2], p[1], p[3]}
		}
	case "VALID":
	case "SAME_UPPER", "SAME_LOWER":
		for i := 0; i < 2; i++ {
			_, lo, hi, err := ir.WindowAxis(ap, hw[i], g.k[i], g.s[i], g.d[i], 0, 0, false)
			if err != nil {
				return g, err
			}
			g.pad[2*i], g.pad[2*i+1] = lo, hi
		}
	default:
		return g, fmt.Errorf("auto_pad %q: %w", ap, errUnsupported)
	}
	return g, nil
}

// outSize is the output spatial size of a window op (ir.WindowAxis with
// the resolved pads).
func (g convGeom) outSize(hw [2]int64, ceil bool) ([2]int64, error) {
	var o [2]int64
	for i := 0; i < 2; i++ {
		var err error
		o[i], _, _, err = ir.WindowAxis("NOTSET", hw[i], g.k[i], g.s[i], g.d[i], g.pad[2*i], g.pad[2*i+1], ceil)
		if err != nil {
			return o, err
		}
	}
	return o, nil
}

func (l *lowerer) geomArgs(base string, g convGeom) []arg {
	return []arg{
		a("strides", l.cInts(base+"_strides", g.s[0], g.s[1])),
		a("pad_type", l.cStr(base+"_pad_type", "custom")),
		a("pad", l.cInts(base+"_pad", g.pad[0], g.pad[1], g.pad[2], g.pad[3])),
	}
}

// lowerConv: Conv (2-D, constant weight and bias) -> conv with explicit
// pads, groups and dilations.
func lowerConv(l *lowerer, n *ir.Node) error {
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	if len(x.shape) != 4 {
		return fmt.Errorf("input rank %d: only 2-D convolution (rank-4 input) is supported: %w", len(x.shape), errUnsupported)
	}
	wt := l.constOf(n, 1)
	if wt == nil {
		return fmt.Errorf("weight must be a constant: %w", errUnsupported)
	}
	if len(wt.Dims) != 4 {
		return fmt.Errorf("weight shape %v: want [M, C/group, kH, kW]", wt.Dims)
	}
	group := n.AttrInt("group", 1)
	if group <= 0 || x.shape[1]%group != 0 || wt.Dims[0]%group != 0 || x.shape[1]/group != wt.Dims[1] {
		return fmt.Errorf("group %d does not fit input channels %d and weight %v", group, x.shape[1], wt.Dims)
	}
	k := [2]int64{wt.Dims[2], wt.Dims[3]}
	if ks := n.AttrInts("kernel_shape", nil); ks != nil && (len(ks) != 2 || ks[0] != k[0] || ks[1] != k[1]) {
		return fmt.Errorf("kernel_shape %v disagrees with weight %v", ks, wt.Dims)
	}
	hw := [2]int64{x.shape[2], x.shape[3]}
	g, err := geometry(n, hw, k, true)
	if err != nil {
		return err
	}
	o, err := g.outSize(hw, false)
	if err != nil {
		return err
	}
	w, err := l.in(n, 1)
	if err != nil {
		return err
	}
	base := n.Outputs[0].Name
	args := []arg{a("x", x), a("weight", w)}
	if n.Input(2) != nil {
		bt := l.constOf(n, 2)
		if bt == nil {
			return fmt.Errorf("bias must be a constant: %w", errUnsupported)
		}
		if bt.Len() != wt.Dims[0] {
			return fmt.Errorf("bias has %d elements, want %d", bt.Len(), wt.Dims[0])
		}
		b, err := l.in(n, 2)
		if err != nil {
			return err
		}
		args = append(args, a("bias", b))
	}
	args = append(args, l.geomArgs(base, g)...)
	args = append(args, a("dilations", l.cInts(base+"_dilations", g.d[0], g.d[1])), a("groups", l.cInt(base+"_groups", group)))
	l.def(n.Outputs[0], "conv", args, x.dt, []int64{x.shape[0], wt.Dims[0], o[0], o[1]})
	return nil
}

// lowerSqueezeExcite expands mconv's fused SqueezeExcite(x, w1, b1, w2, b2):
// s = reduce_mean(x, [2,3]); h = relu|silu(conv(s, w1, b1));
// g = gate(conv(h, w2, b2)); y = x * g.
func lowerSqueezeExcite(l *lowerer, n *ir.Node) error {
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	if len(x.shape) != 4 {
		return fmt.Errorf("input rank %d, want 4", len(x.shape))
	}
	C := x.shape[1]
	var p [4]*mvar
	for i := 1; i <= 4; i++ {
		if l.constOf(n, i) == nil {
			return fmt.Errorf("parameter %d must be a constant: %w", i, errUnsupported)
		}
		if p[i-1], err = l.in(n, i); err != nil {
			return err
		}
	}
	w1, w2 := l.constOf(n, 1), l.constOf(n, 3)
	if len(w1.Dims) != 4 || w1.Dims[1] != C || w1.Dims[2] != 1 || w1.Dims[3] != 1 || len(w2.Dims) != 4 || w2.Dims[0] != C || w2.Dims[1] != w1.Dims[0] {
		return fmt.Errorf("weights %v and %v do not fit %d channels", w1.Dims, w2.Dims, C)
	}
	if l.constOf(n, 2).Len() != w1.Dims[0] || l.constOf(n, 4).Len() != C {
		return fmt.Errorf("bias lengths do not fit weights %v, %v", w1.Dims, w2.Dims)
	}
	Cr := w1.Dims[0]
	base := n.Outputs[0].Name
	N := x.shape[0]
	s := l.emit1("reduce_mean", base+"_squeeze", []arg{a("x", x), a("axes", l.cInts(base+"_squeeze_axes", 2, 3)), a("keep_dims", l.cBool(base+"_squeeze_keep", true))}, x.dt, []int64{N, C, 1, 1}, false)
	conv := func(in, w, b *mvar, cout int64, nm string) *mvar {
		g := convGeom{k: [2]int64{1, 1}, s: [2]int64{1, 1}, d: [2]int64{1, 1}}
		args := []arg{a("x", in), a("weight", w), a("bias", b)}
		args = append(args, l.geomArgs(base+nm, g)...)
		args = append(args, a("dilations", l.cInts(base+nm+"_dilations", 1, 1)), a("groups", l.cInt(base+nm+"_groups", 1)))
		return l.emit1("conv", base+nm, args, x.dt, []int64{N, cout, 1, 1}, false)
	}
	h := conv(s, p[0], p[1], Cr, "_reduce")
	inner := n.AttrString("act", "relu")
	if inner != "relu" && inner != "silu" {
		return fmt.Errorf("act %q: %w", inner, errUnsupported)
	}
	h = l.emit1(inner, base+"_"+inner, []arg{a("x", h)}, x.dt, h.shape, false)
	e := conv(h, p[2], p[3], C, "_expand")
	var gt *mvar
	switch gate := n.AttrString("gate", "sigmoid"); gate {
	case "sigmoid":
		gt = l.emit1("sigmoid", base+"_gate", []arg{a("x", e)}, x.dt, e.shape, false)
	case "hardsigmoid":
		al := l.cFloat(base+"_gate_alpha", n.AttrFloat("alpha", 0.2))
		be := l.cFloat(base+"_gate_beta", n.AttrFloat("beta", 0.5))
		gt = l.emit1("sigmoid_hard", base+"_gate", []arg{a("x", e), a("alpha", al), a("beta", be)}, x.dt, e.shape, false)
	default:
		return fmt.Errorf("gate %q: %w", gate, errUnsupported)
	}
	l.def(n.Outputs[0], "mul", []arg{a("x", x), a("y", gt)}, x.dt, x.shape)
	return nil
}
