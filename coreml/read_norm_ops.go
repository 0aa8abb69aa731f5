package coreml

import (
	"fmt"

	"github.com/mconv/mconv/ir"
)

// Reading MIL's layer_norm, instance_norm and pad back into IR nodes.

// paramValue returns the IR value of o's constant parameter p, or a
// constant of shape holding def everywhere (the MIL default) when o has
// none; its dtype is x's.
func (b *irBuilder) paramValue(o *mop, p string, x *mvar, shape []int64, def float64) (*ir.Value, error) {
	if v := o.input(p); v != nil {
		return b.value(v)
	}
	dt, err := b.irDType(x.dt)
	if err != nil {
		return nil, err
	}
	f := make([]float64, numel(shape))
	for i := range f {
		f[i] = def
	}
	t, err := ir.NewFromFloat64(dt, shape, f)
	if err != nil {
		return nil, err
	}
	return b.g.AddConst(b.g.UniqueName(o.name+"_"+p), t), nil
}

// readLayerNorm reads layer_norm over trailing axes as LayerNormalization
// (axis = the first of them); a missing gamma is ones, a missing beta no B.
func readLayerNorm(b *irBuilder, o *mop) error {
	x := o.input("x")
	vs, err := b.ins(o, withOptional(o, []string{"x"}, "beta")...)
	if err != nil {
		return err
	}
	axes, err := constInts(o, "axes")
	if err != nil {
		return err
	}
	r := len(x.shape)
	for i, ax := range axes {
		if ax < 0 {
			ax += int64(r)
		}
		if ax != int64(r-len(axes)+i) {
			return fmt.Errorf("layer_norm over axes %v of rank %d: only trailing axes are read: %w", axes, r, errUnsupported)
		}
	}
	if len(axes) == 0 {
		return fmt.Errorf("layer_norm without axes: %w", errUnsupported)
	}
	g, err := b.paramValue(o, "gamma", x, x.shape[r-len(axes):], 1)
	if err != nil {
		return err
	}
	in := append([]*ir.Value{vs[0], g}, vs[1:]...)
	eps, err := constFloat(o, "epsilon")
	if err != nil {
		return err
	}
	_, err = b.node("LayerNormalization", o.out[0], in, attrInt("axis", int64(r-len(axes))), attrFloat("epsilon", eps))
	return err
}

// readInstanceNorm reads instance_norm as InstanceNormalization (missing
// gamma: ones; missing beta: zeros).
func readInstanceNorm(b *irBuilder, o *mop) error {
	x := o.input("x")
	vs, err := b.ins(o, "x")
	if err != nil {
		return err
	}
	if len(x.shape) < 3 {
		return fmt.Errorf("instance_norm of rank %d", len(x.shape))
	}
	c := []int64{x.shape[1]}
	g, err := b.paramValue(o, "gamma", x, c, 1)
	if err != nil {
		return err
	}
	be, err := b.paramValue(o, "beta", x, c, 0)
	if err != nil {
		return err
	}
	eps, err := constFloat(o, "epsilon")
	if err != nil {
		return err
	}
	_, err = b.node("InstanceNormalization", o.out[0], []*ir.Value{vs[0], g, be}, attrFloat("epsilon", eps))
	return err
}

// readPad reads pad (pairs for the last axes) as Pad with begins-then-ends
// pads over every axis, a constant_value for constant mode and mode
// replicate as edge.
func readPad(b *irBuilder, o *mop) error {
	x := o.input("x")
	mode := constStr(o, "mode")
	onnxMode := map[string]string{"": "constant", "constant": "constant", "reflect": "reflect", "replicate": "edge"}[mode]
	if onnxMode == "" {
		return fmt.Errorf("pad mode %q: %w", mode, errUnsupported)
	}
	ps := []string{"x"}
	if onnxMode == "constant" {
		ps = withOptional(o, ps, "constant_val")
	}
	vs, err := b.ins(o, ps...)
	if err != nil {
		return err
	}
	pad, err := constInts(o, "pad")
	if err != nil {
		return err
	}
	r := len(x.shape)
	k := len(pad) / 2
	if len(pad)%2 != 0 || k > r {
		return fmt.Errorf("pad %v for rank %d", pad, r)
	}
	full := make([]int64, 2*r)
	for i := 0; i < k; i++ {
		ax := r - k + i
		full[ax], full[ax+r] = pad[2*i], pad[2*i+1]
	}
	in := append([]*ir.Value{vs[0], b.i64(o.name+"_pads", full...)}, vs[1:]...)
	_, err = b.node("Pad", o.out[0], in, attrStr("mode", onnxMode))
	return err
}
