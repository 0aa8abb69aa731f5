package coreml

import (
	"fmt"

	"github.com/mconv/mconv/ir"
)

// Lowering of normalizations to MIL: Softmax and BatchNormalization.

func lowerSoftmax(l *lowerer, n *ir.Node) error {
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	def := int64(-1)
	if l.opset > 0 && l.opset < 13 {
		def = 1
	}
	ax, err := normAxis(n.AttrInt("axis", def), len(x.shape))
	if err != nil {
		return err
	}
	if l.opset > 0 && l.opset < 13 && ax != int64(len(x.shape)-1) {
		// Old Softmax flattens to 2-D at axis; equal to a per-axis softmax
		// only when the trailing dimensions are 1.
		for _, d := range x.shape[ax+1:] {
			if d != 1 {
				return fmt.Errorf("Softmax-%d over flattened axes %d..: %w", l.opset, ax, errUnsupported)
			}
		}
	}
	l.def(n.Outputs[0], "softmax", []arg{a("x", x), a("axis", l.cInt(n.Outputs[0].Name+"_axis", ax))}, x.dt, x.shape)
	return nil
}

// lowerBatchNorm: inference BatchNormalization with constant parameters ->
// batch_norm(x, mean, variance, gamma, beta, epsilon).
func lowerBatchNorm(l *lowerer, n *ir.Node) error {
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	if n.AttrInt("training_mode", 0) != 0 {
		return fmt.Errorf("training_mode=1: %w", errUnsupported)
	}
	if len(x.shape) < 2 {
		return fmt.Errorf("input rank %d", len(x.shape))
	}
	var ps [4]*mvar
	for i := 1; i <= 4; i++ {
		t := l.constOf(n, i)
		if t == nil {
			return fmt.Errorf("parameter %d must be a constant: %w", i, errUnsupported)
		}
		if t.Len() != x.shape[1] {
			return fmt.Errorf("parameter %d has %d elements, want %d", i, t.Len(), x.shape[1])
		}
		if ps[i-1], err = l.in(n, i); err != nil {
			return err
		}
	}
	base := n.Outputs[0].Name
	l.def(n.Outputs[0], "batch_norm", []arg{a("x", x), a("mean", ps[2]), a("variance", ps[3]), a("gamma", ps[0]), a("beta", ps[1]),
		a("epsilon", l.cFloat(base+"_eps", n.AttrFloat("epsilon", 1e-5)))}, x.dt, x.shape)
	return nil
}

// Layer, instance and group normalization. Every MIL op emitted here
// (layer_norm, instance_norm, reshape, mul, add, reduce_l2_norm,
// reduce_l1_norm, real_div) exists from iOS15 (opset CoreML5): none needs a
// higher target than the default.

// unusedOutputs fails when an output of n from index 1 on (statistics such
// as LayerNormalization's Mean and InvStdDev) is consumed.
func unusedOutputs(n *ir.Node) error {
	for i, o := range n.Outputs[1:] {
		if o != nil && (len(o.Uses) > 0 || o.IsOutput) {
			return fmt.Errorf("output %d (%s) is used; only the normalized tensor is converted: %w", i+1, o.Name, errUnsupported)
		}
	}
	return nil
}

// affineAfter applies input i of n (a scale for mul, a bias for add),
// which broadcasts to x, after x: y = x op input. name is the result's
// ONNX value when final (nil: an intermediate).
func (l *lowerer) affineAfter(n *ir.Node, x *mvar, i int, op string, final *ir.Value) (*mvar, error) {
	p, err := l.in(n, i)
	if err != nil {
		return nil, err
	}
	s, err := ir.BroadcastShape(x.shape, p.shape)
	if err != nil || fmtShape(s) != fmtShape(x.shape) {
		return nil, fmt.Errorf("input %d of shape %v does not broadcast to %v", i, p.shape, x.shape)
	}
	args := []arg{a("x", x), a("y", p)}
	if final != nil {
		return l.def(final, op, args, x.dt, x.shape), nil
	}
	return l.emit1(op, n.Outputs[0].Name+"_"+op, args, x.dt, x.shape, false), nil
}

// isParam reports whether input i of n is a float constant of k
// elements (a gamma or beta MIL can take).
func (l *lowerer) isParam(n *ir.Node, i int, k int64) bool {
	t := l.constOf(n, i)
	return t != nil && t.DType.IsFloat() && t.Len() == k
}

// normParam returns constant input i of n (isParam with numel(shape)
// elements) as a constant of the given shape.
func (l *lowerer) normParam(n *ir.Node, i int, shape []int64, suffix string) (*mvar, error) {
	f, err := l.constOf(n, i).Float32s()
	if err != nil {
		return nil, err
	}
	return l.cFloats(n.Outputs[0].Name+suffix, shape, f), nil
}

// lowerLayerNorm: LayerNormalization over axes axis..rank-1 -> layer_norm
// with gamma and beta of the normalized shape when Scale and B are
// constants of that many elements; otherwise layer_norm alone followed by
// broadcasting mul and add.
func lowerLayerNorm(l *lowerer, n *ir.Node) error {
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	if err := unusedOutputs(n); err != nil {
		return err
	}
	r := len(x.shape)
	ax, err := normAxis(n.AttrInt("axis", -1), r)
	if err != nil {
		return err
	}
	if n.Input(1) == nil {
		return fmt.Errorf("Scale (input 1) is missing")
	}
	norm := x.shape[ax:]
	axes := make([]int64, 0, r-int(ax))
	for i := ax; i < int64(r); i++ {
		axes = append(axes, i)
	}
	base := n.Outputs[0].Name
	args := []arg{a("x", x), a("axes", l.cInts(base+"_axes", axes...))}
	hasB := n.Input(2) != nil
	for i := 1; i <= 2; i++ {
		if t := l.constOf(n, i); t != nil {
			if s, err := ir.BroadcastShape(norm, t.Dims); err != nil || len(t.Dims) > len(norm) || fmtShape(s) != fmtShape(norm) {
				return fmt.Errorf("input %d of shape %v does not broadcast to the normalized shape %v", i, t.Dims, norm)
			}
		}
	}
	fold := l.isParam(n, 1, numel(norm)) && (!hasB || l.isParam(n, 2, numel(norm)))
	if fold {
		gamma, err := l.normParam(n, 1, norm, "_gamma")
		if err != nil {
			return err
		}
		args = append(args, a("gamma", gamma))
		if hasB {
			beta, err := l.normParam(n, 2, norm, "_beta")
			if err != nil {
				return err
			}
			args = append(args, a("beta", beta))
		}
	}
	args = append(args, a("epsilon", l.cFloat(base+"_eps", n.AttrFloat("epsilon", 1e-5))))
	if fold {
		l.def(n.Outputs[0], "layer_norm", args, x.dt, x.shape)
		return nil
	}
	y := l.emit1("layer_norm", base+"_norm", args, x.dt, x.shape, false)
	if !hasB {
		_, err = l.affineAfter(n, y, 1, "mul", n.Outputs[0])
		return err
	}
	if y, err = l.affineAfter(n, y, 1, "mul", nil); err != nil {
		return err
	}
	_, err = l.affineAfter(n, y, 2, "add", n.Outputs[0])
	return err
}

// instanceNorm emits instance_norm of x ([N, C, *S], rank 3 or more:
// rank 5 and up are flattened to [N, C, S] around it) with optional
// constant gamma and beta of C elements; out is the ONNX value it
// computes (nil: an intermediate).
func (l *lowerer) instanceNorm(n *ir.Node, x *mvar, gamma, beta *mvar, eps float32, out *ir.Value) *mvar {
	base := n.Outputs[0].Name
	in := x
	if len(x.shape) > 4 {
		s := []int64{x.shape[0], x.shape[1], numel(x.shape[2:])}
		in = l.emit1("reshape", base+"_in3", []arg{a("x", x), a("shape", l.cInts(base+"_in3_shape", s...))}, x.dt, s, false)
	}
	args := []arg{a("x", in)}
	if gamma != nil {
		args = append(args, a("gamma", gamma))
	}
	if beta != nil {
		args = append(args, a("beta", beta))
	}
	args = append(args, a("epsilon", l.cFloat(base+"_eps", eps)))
	if in == x && out != nil {
		return l.def(out, "instance_norm", args, x.dt, x.shape)
	}
	y := l.emit1("instance_norm", base+"_inorm", args, x.dt, in.shape, false)
	if in == x {
		return y
	}
	rs := []arg{a("x", y), a("shape", l.cInts(base+"_out_shape", x.shape...))}
	if out != nil {
		return l.def(out, "reshape", rs, x.dt, x.shape)
	}
	return l.emit1("reshape", base+"_out", rs, x.dt, x.shape, false)
}

// lowerInstanceNorm: InstanceNormalization with constant scale and B of C
// elements -> instance_norm (MIL takes rank 3 and 4; higher ranks are
// flattened around it).
func lowerInstanceNorm(l *lowerer, n *ir.Node) error {
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	if len(x.shape) < 3 {
		return fmt.Errorf("input rank %d: instance_norm needs [N, C, spatial...]: %w", len(x.shape), errUnsupported)
	}
	c := []int64{x.shape[1]}
	if !l.isParam(n, 1, c[0]) || !l.isParam(n, 2, c[0]) {
		return fmt.Errorf("scale and B (inputs 1, 2) must be constants of %d elements: %w", c[0], errUnsupported)
	}
	gamma, err := l.normParam(n, 1, c, "_gamma")
	if err != nil {
		return err
	}
	beta, err := l.normParam(n, 2, c, "_beta")
	if err != nil {
		return err
	}
	l.instanceNorm(n, x, gamma, beta, n.AttrFloat("epsilon", 1e-5), n.Outputs[0])
	return nil
}

// lowerGroupNorm: GroupNormalization (num_groups G) -> reshape to
// [N, G, C/G * spatial], instance_norm, reshape back. Scale and bias of G
// elements (opset 18's per-group form) are the instance_norm's gamma and
// beta; of C elements (opset 21's per-channel form, as the runtime reads
// either by their size) they follow as mul and add on [C, 1, ...].
func lowerGroupNorm(l *lowerer, n *ir.Node) error {
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	if len(x.shape) < 2 {
		return fmt.Errorf("input rank %d: want [N, C, ...]", len(x.shape))
	}
	g := n.AttrInt("num_groups", 0)
	nn, c := x.shape[0], x.shape[1]
	if g < 1 || c%g != 0 {
		return fmt.Errorf("num_groups %d does not divide %d channels", g, c)
	}
	base := n.Outputs[0].Name
	eps := n.AttrFloat("epsilon", 1e-5)
	gs := []int64{nn, g, numel(x.shape[1:]) / g}
	xg := l.emit1("reshape", base+"_groups", []arg{a("x", x), a("shape", l.cInts(base+"_groups_shape", gs...))}, x.dt, gs, false)
	if l.isParam(n, 1, g) && l.isParam(n, 2, g) {
		gamma, err := l.normParam(n, 1, []int64{g}, "_gamma")
		if err != nil {
			return err
		}
		beta, err := l.normParam(n, 2, []int64{g}, "_beta")
		if err != nil {
			return err
		}
		y := l.instanceNorm(n, xg, gamma, beta, eps, nil)
		l.def(n.Outputs[0], "reshape", []arg{a("x", y), a("shape", l.cInts(base+"_shape", x.shape...))}, x.dt, x.shape)
		return nil
	}
	if !l.isParam(n, 1, c) || !l.isParam(n, 2, c) {
		return fmt.Errorf("scale and bias must be constants of %d (per group) or %d (per channel) elements: %w", g, c, errUnsupported)
	}
	ps := make([]int64, len(x.shape)-1)
	for i := range ps {
		ps[i] = 1
	}
	ps[0] = c
	sc, err := l.normParam(n, 1, ps, "_scale")
	if err != nil {
		return err
	}
	bi, err := l.normParam(n, 2, ps, "_bias")
	if err != nil {
		return err
	}
	y := l.instanceNorm(n, xg, nil, nil, eps, nil)
	y = l.emit1("reshape", base+"_ungroup", []arg{a("x", y), a("shape", l.cInts(base+"_ungroup_shape", x.shape...))}, x.dt, x.shape, false)
	y = l.emit1("mul", base+"_scaled", []arg{a("x", y), a("y", sc)}, x.dt, x.shape, false)
	l.def(n.Outputs[0], "add", []arg{a("x", y), a("y", bi)}, x.dt, x.shape)
	return nil
}

// lowerLpNorm: LpNormalization with p = 2 -> x / reduce_l2_norm(x) over
// axis (dims kept). p = 1 has no lowering here.
func lowerLpNorm(l *lowerer, n *ir.Node) error {
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	if p := n.AttrInt("p", 2); p != 2 {
		return fmt.Errorf("p=%d: only the L2 norm is converted: %w", p, errUnsupported)
	}
	ax, err := normAxis(n.AttrInt("axis", -1), len(x.shape))
	if err != nil {
		return err
	}
	base := n.Outputs[0].Name
	s := append([]int64(nil), x.shape...)
	s[ax] = 1
	nrm := l.emit1("reduce_l2_norm", base+"_l2", []arg{a("x", x), a("axes", l.cInts(base+"_axes", ax)), a("keep_dims", l.cBool(base+"_keep_dims", true))}, x.dt, s, false)
	l.def(n.Outputs[0], "real_div", []arg{a("x", x), a("y", nrm)}, x.dt, x.shape)
	return nil
}
