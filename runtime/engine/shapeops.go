package engine

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/mconv/mconv/ir"
)

func rawInt64s(v []int64) []byte {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(x))
	}
	return b
}

// opShape: the shape of the input as int64 (start/end since opset 15); a
// plan-time constant.
func opShape(c *ctx) (func(), error) {
	x := c.input(0)
	start, end := ir.ShapeStartEnd(c.n, len(x.shape))
	s := x.shape[start:end]
	return nil, c.setConst(0, ir.Int64, []int64{int64(len(s))}, rawInt64s(s))
}

// opSize: number of elements, a plan-time constant.
func opSize(c *ctx) (func(), error) {
	return nil, c.setConst(0, ir.Int64, []int64{}, rawInt64s([]int64{int64(c.input(0).n)}))
}

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
	return copyKernel(out, []*tval{x}, []*strided{p})
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
	os := contiguousStrides(shape)
	var ps []*strided
	off := 0
	for _, t := range ins {
		ps = append(ps, newStrided(ints(t.shape), os, contiguousStrides(t.shape), off*os[ax], 0))
		off += int(t.shape[ax])
	}
	return copyKernel(out, ins, ps)
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
	return splitKernel(outs, x, ps)
}

// opSplitToSequence splits along axis into a sequence of tensors (sizes
// from the split input, or chunks of 1 with keepdims).
func opSplitToSequence(c *ctx) (func(), error) {
	x := c.input(0)
	r := len(x.shape)
	ax, err := ir.NormAxis(c.n.AttrInt("axis", 0), r)
	if err != nil {
		return nil, err
	}
	d := x.shape[ax]
	var split []int64
	keep := true
	if c.input(1) == nil {
		for i := int64(0); i < d; i++ {
			split = append(split, 1)
		}
		keep = c.n.AttrInt("keepdims", 1) == 1
	} else {
		sv, err := c.constInts(1)
		if err != nil {
			return nil, err
		}
		if len(c.input(1).shape) == 0 {
			if sv[0] <= 0 {
				return nil, fmt.Errorf("split size %d", sv[0])
			}
			for off := int64(0); off < d; off += sv[0] {
				split = append(split, min(sv[0], d-off))
			}
		} else {
			split = sv
		}
	}
	var sum int64
	for _, s := range split {
		sum += s
	}
	if sum != d {
		return nil, fmt.Errorf("split %v does not sum to %d", split, d)
	}
	seq := c.out[0]
	is := contiguousStrides(x.shape)
	var ps []*strided
	off := 0
	for i, s := range split {
		shape := append([]int64{}, x.shape...)
		shape[ax] = s
		e := &tval{name: fmt.Sprintf("%s[%d]", seq.name, i), dt: x.dt, shape: shape, n: int(ir.NumElements(shape)), producedBy: c.n}
		ps = append(ps, newStrided(ints(shape), contiguousStrides(shape), is, 0, off*is[ax]))
		off += int(s)
		if !keep {
			e.shape = append(append([]int64{}, shape[:ax]...), shape[ax+1:]...)
		}
		seq.seq = append(seq.seq, e)
	}
	return splitKernel(seq.seq, x, ps)
}

// opSequenceAt returns element position (a plan-time constant) of a
// sequence, as a view.
func opSequenceAt(c *ctx) (func(), error) {
	s := c.input(0)
	if s.seq == nil {
		return nil, fmt.Errorf("input 0 is not a sequence")
	}
	pos, err := c.constInts(1)
	if err != nil {
		return nil, err
	}
	p, err := ir.SequencePosition(pos[0], len(s.seq))
	if err != nil {
		return nil, err
	}
	e := s.seq[p]
	out, err := c.setOut(0, e.dt, e.shape)
	if err != nil {
		return nil, err
	}
	if e.konst {
		out.buf, out.konst = e.buf, true
		return nil, nil
	}
	out.alias = e
	c.isView = true
	return func() {}, nil
}

func opSequenceLength(c *ctx) (func(), error) {
	s := c.input(0)
	if s.seq == nil {
		return nil, fmt.Errorf("input 0 is not a sequence")
	}
	return nil, c.setConst(0, ir.Int64, nil, rawInt64s([]int64{int64(len(s.seq))}))
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
	p := newStrided(ints(sh), contiguousStrides(sh), ss, 0, soff)
	return copyKernel(out, []*tval{x}, []*strided{p})
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
	return copyKernel(out, []*tval{x}, []*strided{p})
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
	return copyKernel(out, []*tval{x}, []*strided{p})
}

func opGather(c *ctx) (func(), error) {
	x, idx := c.input(0), c.input(1)
	r := len(x.shape)
	ax, err := ir.NormAxis(c.n.AttrInt("axis", 0), r)
	if err != nil {
		return nil, err
	}
	if idx.dt != ir.Int64 && idx.dt != ir.Int32 {
		return nil, fmt.Errorf("indices must be int32 or int64, have %s", idx.dt)
	}
	shape := append(append(append([]int64{}, x.shape[:ax]...), idx.shape...), x.shape[ax+1:]...)
	out, err := c.setOut(0, x.dt, shape)
	if err != nil {
		return nil, err
	}
	outer := int(ir.NumElements(x.shape[:ax]))
	inner := int(ir.NumElements(x.shape[ax+1:]))
	d := int(x.shape[ax])
	if idx.konst {
		iv, _ := idx.ints()
		for _, i := range iv {
			if i < -int64(d) || i >= int64(d) {
				return nil, fmt.Errorf("index %d out of range for axis of size %d", i, d)
			}
		}
	}
	sz := x.dt.Size()
	return func() {
		xb, ob := x.buf, out.buf
		ni := idx.n
		for o := 0; o < outer; o++ {
			for k := 0; k < ni; k++ {
				var i int
				if idx.dt == ir.Int64 {
					i = int(idx.i64()[k])
				} else {
					i = int(idx.i32()[k])
				}
				if i < 0 {
					i += d
				}
				dst := ob[((o*ni)+k)*inner*sz : ((o*ni)+k+1)*inner*sz]
				if i < 0 || i >= d {
					clear(dst) // out-of-range run-time index: zeros
					continue
				}
				copy(dst, xb[((o*d)+i)*inner*sz:((o*d)+i+1)*inner*sz])
			}
		}
	}, nil
}

func opConstant(c *ctx) (func(), error) {
	t, err := ir.ConstantValue(c.n)
	if err != nil {
		return nil, err
	}
	if t.DType == ir.String {
		return nil, fmt.Errorf("unsupported: string Constant")
	}
	return nil, c.setConst(0, t.DType, t.Dims, t.Raw)
}

func opConstantOfShape(c *ctx) (func(), error) {
	shape, err := c.constInts(0)
	if err != nil {
		return nil, err
	}
	dt := ir.Float32
	val := []byte{0, 0, 0, 0}
	if a := c.n.Attr("value"); a != nil && a.T != nil {
		if err := a.T.Check(); err != nil {
			return nil, err
		}
		if a.T.Len() != 1 {
			return nil, fmt.Errorf("value must have one element")
		}
		dt, val = a.T.DType, a.T.Raw
	}
	out, err := c.setOut(0, dt, shape)
	if err != nil {
		return nil, err
	}
	sz := dt.Size()
	if sz == 0 {
		return nil, fmt.Errorf("unsupported value type %s", dt)
	}
	return func() {
		b := out.buf
		if len(b) == 0 {
			return
		}
		copy(b[:sz], val)
		for filled := sz; filled < len(b); filled *= 2 {
			copy(b[filled:], b[:filled])
		}
	}, nil
}

func opRange(c *ctx) (func(), error) {
	s, l, d := c.input(0), c.input(1), c.input(2)
	if !s.konst || !l.konst || !d.konst {
		return nil, fmt.Errorf("start, limit and delta must be constant at plan time (they are computed at run time)")
	}
	fs, _ := s.floats()
	fl, _ := l.floats()
	fd, _ := d.floats()
	if len(fs) != 1 || len(fl) != 1 || len(fd) != 1 || fd[0] == 0 {
		return nil, fmt.Errorf("Range needs scalar start, limit and nonzero delta")
	}
	n := int64(math.Max(math.Ceil((fl[0]-fs[0])/fd[0]), 0))
	vals := make([]float64, n)
	for i := range vals {
		vals[i] = fs[0] + float64(i)*fd[0]
	}
	t, err := ir.NewFromFloat64(s.dt, []int64{n}, vals)
	if err != nil {
		return nil, err
	}
	if s.dt == ir.Int64 {
		iv := make([]int64, n)
		st, _ := s.ints()
		dv, _ := d.ints()
		for i := range iv {
			iv[i] = st[0] + int64(i)*dv[0]
		}
		t = ir.NewInt64([]int64{n}, iv)
	}
	return nil, c.setConst(0, s.dt, []int64{n}, t.Raw)
}

func init() {
	register("", "Shape", opShape)
	register("", "Size", opSize)
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
	register("", "SplitToSequence", opSplitToSequence)
	register("", "SequenceAt", opSequenceAt)
	register("", "SequenceLength", opSequenceLength)
	register("", "Expand", opExpand)
	register("", "Tile", opTile)
	register("", "Gather", opGather)
	register("", "Constant", opConstant)
	register("", "ConstantOfShape", opConstantOfShape)
	register("", "Range", opRange)
}
