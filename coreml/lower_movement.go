package coreml

import (
	"fmt"

	"github.com/mconv/mconv/ir"
)

// Lowering of data movement to MIL: Concat, Split, Reshape, Flatten, Squeeze,
// Unsqueeze, Transpose and Slice.

func lowerConcat(l *lowerer, n *ir.Node) error {
	var xs []*mvar
	for i := range n.Inputs {
		x, err := l.in(n, i)
		if err != nil {
			return err
		}
		xs = append(xs, x)
	}
	if len(xs) == 0 {
		return fmt.Errorf("no inputs")
	}
	shapes := make([][]int64, len(xs))
	for i, x := range xs {
		shapes[i] = x.shape
	}
	s, ax, err := ir.ConcatShape(shapes, n.AttrInt("axis", 0))
	if err != nil {
		return err
	}
	base := n.Outputs[0].Name
	l.def(n.Outputs[0], "concat", []arg{a("values", xs...), a("axis", l.cInt(base+"_axis", int64(ax))), a("interleave", l.cBool(base+"_interleave", false))}, xs[0].dt, s)
	return nil
}

// x0Axis returns n's input 0 and its attribute axis (default 0) made
// non-negative for x's rank.
func (l *lowerer) x0Axis(n *ir.Node) (*mvar, int64, error) {
	x, err := l.x0(n)
	if err != nil {
		return nil, 0, err
	}
	ax, err := normAxis(n.AttrInt("axis", 0), len(x.shape))
	return x, ax, err
}

func lowerSplit(l *lowerer, n *ir.Node) error {
	x, ax, err := l.x0Axis(n)
	if err != nil {
		return err
	}
	sizes := n.AttrInts("split", nil)
	if n.Input(1) != nil {
		if sizes, err = l.intsOf(n, 1, "split"); err != nil {
			return err
		}
	}
	if len(sizes) == 0 {
		sizes = nil
	}
	if sizes, err = ir.SplitSizes(sizes, x.shape[ax], len(n.Outputs), n.AttrInt("num_outputs", 0)); err != nil {
		return err
	}
	for _, s := range sizes {
		if s <= 0 {
			return fmt.Errorf("split sizes %v: zero or negative parts are not supported: %w", sizes, errUnsupported)
		}
	}
	base := n.Outputs[0].Name
	o := &mop{typ: "split", in: []arg{a("x", x), a("split_sizes", l.cInts(base+"_sizes", sizes...)), a("axis", l.cInt(base+"_axis", ax))}}
	for i, v := range n.Outputs {
		s := append([]int64(nil), x.shape...)
		s[ax] = sizes[i]
		name, _ := l.outName(v)
		mv := &mvar{name: name, dt: x.dt, shape: s}
		o.out = append(o.out, mv)
		l.vars[v] = mv
	}
	o.name = o.out[0].name
	o.src = l.cur
	l.ops = append(l.ops, o)
	return nil
}

func (l *lowerer) reshapeTo(n *ir.Node, x *mvar, s []int64) error {
	if numel(s) != numel(x.shape) {
		return fmt.Errorf("cannot reshape %v to %v", x.shape, s)
	}
	l.def(n.Outputs[0], "reshape", []arg{a("x", x), a("shape", l.cInts(n.Outputs[0].Name+"_shape", s...))}, x.dt, s)
	return nil
}

// lowerReshape resolves 0 (copy, unless allowzero) and -1 against the
// static input shape and emits reshape with the explicit shape.
func lowerReshape(l *lowerer, n *ir.Node) error {
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	var shape []int64
	if n.Input(1) != nil {
		if shape, err = l.intsOf(n, 1, "shape"); err != nil {
			return err
		}
	} else {
		shape = n.AttrInts("shape", nil)
	}
	s, err := ir.ReshapeTarget(x.shape, shape, n.AttrInt("allowzero", 0) != 0)
	if err != nil {
		return err
	}
	return l.reshapeTo(n, x, s)
}

func lowerFlatten(l *lowerer, n *ir.Node) error {
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	ax, err := ir.FlattenAxis(n, len(x.shape))
	if err != nil {
		return err
	}
	return l.reshapeTo(n, x, []int64{numel(x.shape[:ax]), numel(x.shape[ax:])})
}

func (l *lowerer) axesArg(n *ir.Node) ([]int64, error) {
	if n.Input(1) != nil {
		return l.intsOf(n, 1, "axes")
	}
	return n.AttrInts("axes", nil), nil
}

// lowerAxesReshape lowers Squeeze or Unsqueeze (shape: ir.SqueezeShape or
// ir.UnsqueezeShape of x's shape and the node's axes) to a reshape.
func lowerAxesReshape(shape func(in, axes []int64) ([]int64, error)) func(*lowerer, *ir.Node) error {
	return func(l *lowerer, n *ir.Node) error {
		x, err := l.x0(n)
		if err != nil {
			return err
		}
		axes, err := l.axesArg(n)
		if err != nil {
			return err
		}
		s, err := shape(x.shape, axes)
		if err != nil {
			return err
		}
		return l.reshapeTo(n, x, s)
	}
}

func lowerTranspose(l *lowerer, n *ir.Node) error {
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	perm, err := ir.TransposePerm(n, len(x.shape))
	if err != nil {
		return err
	}
	s := make([]int64, len(perm))
	for i, p := range perm {
		s[i] = x.shape[p]
	}
	l.def(n.Outputs[0], "transpose", []arg{a("x", x), a("perm", l.cInts(n.Outputs[0].Name+"_perm", perm...))}, x.dt, s)
	return nil
}

// lowerSlice: Slice with constant starts/ends/axes/steps (inputs, opset >=
// 10; attributes before) -> slice_by_index with clamped explicit bounds on
// every axis. Only positive steps.
func lowerSlice(l *lowerer, n *ir.Node) error {
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	r := len(x.shape)
	var starts, ends, axes, steps []int64
	if n.Input(1) != nil {
		if starts, err = l.intsOf(n, 1, "starts"); err != nil {
			return err
		}
		if ends, err = l.intsOf(n, 2, "ends"); err != nil {
			return err
		}
		if n.Input(3) != nil {
			if axes, err = l.intsOf(n, 3, "axes"); err != nil {
				return err
			}
		}
		if n.Input(4) != nil {
			if steps, err = l.intsOf(n, 4, "steps"); err != nil {
				return err
			}
		}
	} else {
		starts, ends, axes = n.AttrInts("starts", nil), n.AttrInts("ends", nil), n.AttrInts("axes", nil)
	}
	begin, s, stride, err := ir.ResolveSlice(x.shape, starts, ends, axes, steps)
	if err != nil {
		return err
	}
	end := make([]int64, r)
	for i := range s {
		if stride[i] <= 0 {
			return fmt.Errorf("step %d: only positive steps are supported: %w", stride[i], errUnsupported)
		}
		if s[i] == 0 {
			return fmt.Errorf("slice is empty on axis %d: %w", i, errUnsupported)
		}
		end[i] = begin[i] + (s[i]-1)*stride[i] + 1
	}
	base := n.Outputs[0].Name
	l.def(n.Outputs[0], "slice_by_index", []arg{a("x", x), a("begin", l.cInts(base+"_begin", begin...)),
		a("end", l.cInts(base+"_end", end...)), a("stride", l.cInts(base+"_stride", stride...))}, x.dt, s)
	return nil
}

// lowerExpand: Expand of a computed tensor to a constant shape ->
// reshape (when the target has more axes) and tile by the broadcast
// factors (MobileViTv2's expand_as).
func lowerExpand(l *lowerer, n *ir.Node) error {
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	shape, err := l.intsOf(n, 1, "shape")
	if err != nil {
		return err
	}
	s, err := ir.BroadcastShape(x.shape, shape)
	if err != nil {
		return err
	}
	if err := l.fitsBudget(n.Outputs[0].Name, s, x.dt); err != nil {
		return err
	}
	base := n.Outputs[0].Name
	in := x
	if len(s) > len(x.shape) {
		rs := append(make([]int64, len(s)-len(x.shape)), x.shape...)
		for i := range len(s) - len(x.shape) {
			rs[i] = 1
		}
		if fmtShape(rs) == fmtShape(s) {
			return l.reshapeTo(n, x, s)
		}
		in = l.emit1("reshape", base+"_rank", []arg{a("x", x), a("shape", l.cInts(base+"_rank_shape", rs...))}, x.dt, rs, false)
	}
	if fmtShape(in.shape) == fmtShape(s) {
		return lowerIdentity(l, n)
	}
	reps := make([]int64, len(s))
	for i := range s {
		reps[i] = s[i] / in.shape[i]
	}
	l.def(n.Outputs[0], "tile", []arg{a("x", in), a("reps", l.cInts(base+"_reps", reps...))}, x.dt, s)
	return nil
}
