package engine

import (
	"fmt"

	"github.com/mconv/mconv/ir"
)

// Data movement: Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout,
// Transpose, Concat, Split, Slice, Expand, Tile, DepthToSpace and SpaceToDepth
// (views where the data is unchanged).

// view makes output 0 a view of input 0 with a new shape (Reshape, Flatten,
// Squeeze, Unsqueeze, Identity, Dropout): no copy.
func (c *ctx) view(shape []int64) (func(), error) {
	x := c.input(0)
	if ir.NumElements(shape) != int64(x.n) {
		return nil, fmt.Errorf("cannot view %v as %v", x.shape, shape)
	}
	out, err := c.setOut(0, x.dt, shape)
	if err != nil {
		return nil, err
	}
	if x.konst {
		out.buf, out.konst = x.buf, true
		return nil, nil
	}
	out.alias = x
	c.isView = true
	return func() {}, nil
}

// Views with an offset. With the optimized kernels on (useKernels), a
// Slice or Split whose result is one contiguous run of its input is a view
// of it at an offset, and a Concat along an axis with only size-1 axes
// before it (channels at batch 1) has its inputs computed straight into
// their places in its output (concatInPlace): no copies. The plain path
// copies, as a reference for the views.

// canViewInto reports whether a view may be made into x's storage: x is
// computed by the plan (not a constant or a sequence).
func canViewInto(x *tval) bool {
	return useKernels && !x.konst && x.seq == nil && x.n > 0
}

// viewAt makes out a view of x starting at element off.
func (c *ctx) viewAt(out, x *tval, off int) {
	out.alias, out.aliasOff = x, int64(off)*int64(x.dt.Size())
	c.isView = true
}

// contiguousSlice reports whether the slice of shape part (steps step)
// of a tensor of shape full is one contiguous run of its elements: every
// axis after the last one it cuts is whole, every axis before it has one
// index, and axes of more than one index have step 1.
func contiguousSlice(full, part, step []int64) bool {
	k := -1
	for i := range full {
		if part[i] != full[i] {
			k = i
		}
		if part[i] > 1 && step[i] != 1 {
			return false
		}
	}
	return ir.NumElements(part[:max(k, 0)]) == 1
}

// concatInPlace makes the inputs of a Concat along axis ax views into its
// output out at their offsets, when each is a contiguous run of out (every
// axis before ax has size 1) and can be moved there: computed by an
// earlier step of the plan into storage of its own (not a graph input, a
// constant, a view or a sequence), and no input given twice. The
// allocator then keeps out live from the first step that writes an input
// (alloc.go). It reports whether it did.
func (c *ctx) concatInPlace(ins []*tval, out *tval, ax int) bool {
	if !useKernels || ir.NumElements(out.shape[:ax]) != 1 || out.n == 0 {
		return false
	}
	for i, t := range ins {
		if t.konst || t.isInput || t.alias != nil || t.seq != nil || t.scratch || t.n == 0 {
			return false
		}
		for _, u := range ins[:i] {
			if u == t {
				return false
			}
		}
	}
	var off int64
	for _, t := range ins {
		t.alias, t.aliasOff = out, off
		off += t.bytes()
	}
	c.isView = true
	return true
}

func opReshape(c *ctx) (func(), error) {
	x := c.input(0)
	var spec []int64
	var err error
	if c.opset < 5 {
		spec = c.n.AttrInts("shape", nil)
	} else {
		spec, err = c.constInts(1)
		if err != nil {
			return nil, err
		}
	}
	shape, err := ir.ReshapeTarget(x.shape, spec, c.n.AttrInt("allowzero", 0) == 1)
	if err != nil {
		return nil, err
	}
	return c.view(shape)
}

func opFlatten(c *ctx) (func(), error) {
	x := c.input(0)
	a, err := ir.FlattenAxis(c.n, len(x.shape))
	if err != nil {
		return nil, err
	}
	outer := ir.NumElements(x.shape[:a])
	return c.view([]int64{outer, int64(x.n) / max(outer, 1)})
}

func (c *ctx) axesArg(idx int, attrBefore int64) ([]int64, bool, error) {
	if c.opset < attrBefore {
		a := c.n.AttrInts("axes", nil)
		return a, a != nil, nil
	}
	if c.input(idx) == nil {
		return nil, false, nil
	}
	a, err := c.constInts(idx)
	return a, true, err
}

func opSqueeze(c *ctx) (func(), error) {
	x := c.input(0)
	axes, _, err := c.axesArg(1, 13)
	if err != nil {
		return nil, err
	}
	shape, err := ir.SqueezeShape(x.shape, axes)
	if err != nil {
		return nil, err
	}
	return c.view(shape)
}

func opUnsqueeze(c *ctx) (func(), error) {
	x := c.input(0)
	axes, given, err := c.axesArg(1, 13)
	if err != nil {
		return nil, err
	}
	if !given {
		return nil, fmt.Errorf("missing axes")
	}
	shape, err := ir.UnsqueezeShape(x.shape, axes)
	if err != nil {
		return nil, err
	}
	return c.view(shape)
}

func opIdentity(c *ctx) (func(), error) { return c.view(c.input(0).shape) }

func opDropout(c *ctx) (func(), error) {
	x := c.input(0)
	if c.opset < 7 && c.n.AttrInt("is_test", 0) == 0 {
		return nil, fmt.Errorf("unsupported: Dropout in training mode (is_test=0)")
	}
	if tm := c.input(2); tm != nil {
		if !tm.konst {
			return nil, fmt.Errorf("training_mode must be constant at plan time (it is computed at run time)")
		}
		v, err := tm.floats()
		if err != nil {
			return nil, err
		}
		if len(v) > 0 && v[0] != 0 {
			return nil, fmt.Errorf("unsupported: Dropout with training_mode=true")
		}
	}
	if len(c.out) > 1 {
		mdt := ir.Bool
		if c.opset < 10 {
			mdt = x.dt
		}
		ones, err := ir.NewFromFloat64(mdt, x.shape, onesF(x.n))
		if err != nil {
			return nil, err
		}
		if err := c.setConst(1, mdt, x.shape, ones.Raw); err != nil {
			return nil, err
		}
	}
	return c.view(x.shape)
}

func onesF(n int) []float64 {
	f := make([]float64, n)
	for i := range f {
		f[i] = 1
	}
	return f
}

func opTranspose(c *ctx) (func(), error) {
	x := c.input(0)
	perm, err := ir.TransposePerm(c.n, len(x.shape))
	if err != nil {
		return nil, err
	}
	r := len(perm)
	shape := make([]int64, r)
	is := contiguousStrides(x.shape)
	ss := make([]int, r)
	for i, p := range perm {
		shape[i] = x.shape[p]
		ss[i] = is[p]
	}
	out, err := c.setOut(0, x.dt, shape)
	if err != nil {
		return nil, err
	}
	p := newStrided(ints(shape), contiguousStrides(shape), ss, 0, 0)
	return copyKernel(c.b.pool, out, []*tval{x}, []*strided{p})
}

func ints(v []int64) []int {
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}

func opConcat(c *ctx) (func(), error) {
	var ins []*tval
	for _, t := range c.in {
		if t != nil {
			ins = append(ins, t)
		}
	}
	if len(ins) == 0 {
		return nil, fmt.Errorf("no inputs")
	}
	shapes := make([][]int64, len(ins))
	for i, t := range ins {
		if t.dt != ins[0].dt {
			return nil, fmt.Errorf("inputs differ in type: %s and %s", ins[0].dt, t.dt)
		}
		shapes[i] = t.shape
	}
	shape, ax, err := ir.ConcatShape(shapes, c.n.AttrInt("axis", 0))
	if err != nil {
		return nil, err
	}
	out, err := c.setOut(0, ins[0].dt, shape)
	if err != nil {
		return nil, err
	}
	if c.concatInPlace(ins, out, ax) {
		return func() {}, nil
	}
	os := contiguousStrides(shape)
	var ps []*strided
	off := 0
	for _, t := range ins {
		ps = append(ps, newStrided(ints(t.shape), os, contiguousStrides(t.shape), off*os[ax], 0))
		off += int(t.shape[ax])
	}
	return copyKernel(c.b.pool, out, ins, ps)
}

func opSplit(c *ctx) (func(), error) {
	x := c.input(0)
	r := len(x.shape)
	ax, err := ir.NormAxis(c.n.AttrInt("axis", 0), r)
	if err != nil {
		return nil, err
	}
	var split []int64
	if c.opset < 13 {
		split = c.n.AttrInts("split", nil)
	} else if c.input(1) != nil {
		if split, err = c.constInts(1); err != nil {
			return nil, err
		}
	}
	split, err = ir.SplitSizes(split, x.shape[ax], len(c.out), c.n.AttrInt("num_outputs", 0))
	if err != nil {
		return nil, err
	}
	is := contiguousStrides(x.shape)
	var ps []*strided
	var outs []*tval
	off := 0
	for i, s := range split {
		shape := append([]int64{}, x.shape...)
		shape[ax] = s
		o, err := c.setOut(i, x.dt, shape)
		if err != nil {
			return nil, err
		}
		outs = append(outs, o)
		ps = append(ps, newStrided(ints(shape), contiguousStrides(shape), is, 0, off*is[ax]))
		off += int(s)
	}
	if canViewInto(x) && ir.NumElements(x.shape[:ax]) == 1 {
		// Every part is one contiguous run of x: views, no copy.
		for i, o := range outs {
			c.viewAt(o, x, ps[i].soff)
		}
		return func() {}, nil
	}
	return splitKernel(c.b.pool, outs, x, ps)
}

func opSlice(c *ctx) (func(), error) {
	x := c.input(0)
	r := len(x.shape)
	var starts, ends, axes, steps []int64
	var err error
	if c.opset < 10 {
		starts, ends, axes = c.n.AttrInts("starts", nil), c.n.AttrInts("ends", nil), c.n.AttrInts("axes", nil)
	} else {
		if starts, err = c.constInts(1); err != nil {
			return nil, err
		}
		if ends, err = c.constInts(2); err != nil {
			return nil, err
		}
		if c.input(3) != nil {
			if axes, err = c.constInts(3); err != nil {
				return nil, err
			}
		}
		if c.input(4) != nil {
			if steps, err = c.constInts(4); err != nil {
				return nil, err
			}
		}
	}
	st, sh, step, err := ir.ResolveSlice(x.shape, starts, ends, axes, steps)
	if err != nil {
		return nil, err
	}
	out, err := c.setOut(0, x.dt, sh)
	if err != nil {
		return nil, err
	}
	is := contiguousStrides(x.shape)
	ss := make([]int, r)
	soff := 0
	for i := range ss {
		ss[i] = is[i] * int(step[i])
		if sh[i] > 0 {
			soff += int(st[i]) * is[i]
		}
	}
	if canViewInto(x) && out.n > 0 && contiguousSlice(x.shape, sh, step) {
		c.viewAt(out, x, soff)
		return func() {}, nil
	}
	p := newStrided(ints(sh), contiguousStrides(sh), ss, 0, soff)
	return copyKernel(c.b.pool, out, []*tval{x}, []*strided{p})
}

func opExpand(c *ctx) (func(), error) {
	x := c.input(0)
	spec, err := c.constInts(1)
	if err != nil {
		return nil, err
	}
	shape, err := ir.BroadcastShape(x.shape, spec)
	if err != nil {
		return nil, err
	}
	return c.broadcastTo(x, shape)
}

// broadcastTo copies x broadcast to shape into output 0.
func (c *ctx) broadcastTo(x *tval, shape []int64) (func(), error) {
	out, err := c.setOut(0, x.dt, shape)
	if err != nil {
		return nil, err
	}
	r := len(shape)
	is := contiguousStrides(x.shape)
	ss := make([]int, r)
	for i := range ss {
		xi := i - (r - len(x.shape))
		if xi >= 0 && x.shape[xi] != 1 {
			ss[i] = is[xi]
		}
	}
	p := newStrided(ints(shape), contiguousStrides(shape), ss, 0, 0)
	return copyKernel(c.b.pool, out, []*tval{x}, []*strided{p})
}

func opTile(c *ctx) (func(), error) {
	x := c.input(0)
	rep, err := c.constInts(1)
	if err != nil {
		return nil, err
	}
	r := len(x.shape)
	if len(rep) != r {
		return nil, fmt.Errorf("repeats %v for rank %d", rep, r)
	}
	shape := make([]int64, r)
	for i := range shape {
		if rep[i] < 0 {
			return nil, fmt.Errorf("negative repeat")
		}
		if rep[i] > ir.MaxElements || (x.shape[i] > 0 && rep[i] > ir.MaxElements/x.shape[i]) {
			return nil, fmt.Errorf("repeats %v: output too large", rep)
		}
		shape[i] = x.shape[i] * rep[i]
	}
	out, err := c.setOut(0, x.dt, shape)
	if err != nil {
		return nil, err
	}
	is := contiguousStrides(x.shape)
	os := contiguousStrides(shape)
	var sh, ds, ss []int
	for i := 0; i < r; i++ {
		sh = append(sh, int(rep[i]), int(x.shape[i]))
		ds = append(ds, int(x.shape[i])*os[i], os[i])
		ss = append(ss, 0, is[i])
	}
	p := newStrided(sh, ds, ss, 0, 0)
	return copyKernel(c.b.pool, out, []*tval{x}, []*strided{p})
}

// opDepthSpace implements DepthToSpace (DCR, CRD) and SpaceToDepth as a
// 6-D strided copy.
func opDepthSpace(c *ctx) (func(), error) {
	x := c.input(0)
	if len(x.shape) != 4 {
		return nil, fmt.Errorf("input must be 4-D, is %v", x.shape)
	}
	b := c.n.AttrInt("blocksize", 0)
	if b < 1 {
		return nil, fmt.Errorf("blocksize must be >= 1")
	}
	N, C, H, W := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	var v6, perm []int64
	var oshape []int64
	if c.n.OpType == "DepthToSpace" {
		if C%(b*b) != 0 {
			return nil, fmt.Errorf("channels %d not divisible by blocksize^2", C)
		}
		if c.n.AttrString("mode", "DCR") == "CRD" {
			v6, perm = []int64{N, C / (b * b), b, b, H, W}, []int64{0, 1, 4, 2, 5, 3}
		} else {
			v6, perm = []int64{N, b, b, C / (b * b), H, W}, []int64{0, 3, 4, 1, 5, 2}
		}
		oshape = []int64{N, C / (b * b), H * b, W * b}
	} else {
		if H%b != 0 || W%b != 0 {
			return nil, fmt.Errorf("spatial dims not divisible by blocksize")
		}
		v6, perm = []int64{N, C, H / b, b, W / b, b}, []int64{0, 3, 5, 1, 2, 4}
		oshape = []int64{N, C * b * b, H / b, W / b}
	}
	out, err := c.setOut(0, x.dt, oshape)
	if err != nil {
		return nil, err
	}
	is := contiguousStrides(v6)
	sh := make([]int64, 6)
	ss := make([]int, 6)
	for i, p := range perm {
		sh[i], ss[i] = v6[p], is[p]
	}
	p := newStrided(ints(sh), contiguousStrides(sh), ss, 0, 0)
	return copyKernel(c.b.pool, out, []*tval{x}, []*strided{p})
}

func init() {
	register("", "Reshape", opReshape)
	register("", "Flatten", opFlatten)
	register("", "Squeeze", opSqueeze)
	register("", "Unsqueeze", opUnsqueeze)
	register("", "Identity", opIdentity)
	register("", "Dropout", opDropout)
	register("", "Transpose", opTranspose)
	register("", "Concat", opConcat)
	register("", "Split", opSplit)
	register("", "Slice", opSlice)
	register("", "Expand", opExpand)
	register("", "Tile", opTile)
	register("", "DepthToSpace", opDepthSpace)
	register("", "SpaceToDepth", opDepthSpace)
}
