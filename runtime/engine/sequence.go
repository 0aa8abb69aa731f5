package engine

import (
	"fmt"

	"github.com/mconv/mconv/ir"
)

// Sequence ops: SplitToSequence, SequenceAt and SequenceLength.

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
	return splitKernel(c.b.pool, seq.seq, x, ps)
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

func init() {
	register("", "SplitToSequence", opSplitToSequence)
	register("", "SequenceAt", opSequenceAt)
	register("", "SequenceLength", opSequenceLength)
}
