package coreml

import (
	"fmt"

	"github.com/mconv/mconv/coreml/pb"
	"github.com/mconv/mconv/ir"
)

// Lowering of indexing with constant indices on computed data to MIL:
// Gather (gather) and GatherND (gather_nd, batch_dims 0: iOS15's
// gather_nd has no batch_dims). With constant data too the node is folded
// before it gets here (engine.Folded). Negative indices are made positive
// at conversion time, and out-of-range ones are refused, so the MIL ops
// see only in-range indices.

// constIndices reads input i of n as constant indices, the k-th (in
// row-major order) into an axis of size dims(k), each made non-negative.
func (l *lowerer) constIndices(n *ir.Node, i int, dims func(k int) int64) (*ir.Tensor, []int64, error) {
	t := l.constOf(n, i)
	if t == nil {
		return nil, nil, fmt.Errorf("indices (input %d) must be a constant: %w", i, errUnsupported)
	}
	v, err := t.Int64s()
	if err != nil {
		return nil, nil, fmt.Errorf("indices: %w", err)
	}
	out := make([]int64, len(v))
	for k, x := range v {
		d := dims(k)
		if x < -d || x >= d {
			return nil, nil, fmt.Errorf("index %d is out of range for an axis of size %d", x, d)
		}
		if x < 0 {
			x += d
		}
		out[k] = x
	}
	return t, out, nil
}

// lowerGather: Gather(data, constant indices) -> gather(x, indices, axis).
func lowerGather(l *lowerer, n *ir.Node) error {
	x, ax, err := l.x0Axis(n)
	if err != nil {
		return err
	}
	t, idx, err := l.constIndices(n, 1, func(int) int64 { return x.shape[ax] })
	if err != nil {
		return err
	}
	out := append(append(append([]int64{}, x.shape[:ax]...), t.Dims...), x.shape[ax+1:]...)
	base := n.Outputs[0].Name
	l.def(n.Outputs[0], "gather", []arg{a("x", x), a("indices", l.cIndices(base+"_indices", t.Dims, idx)),
		a("axis", l.cInt(base+"_axis", ax))}, x.dt, out)
	return nil
}

// lowerGatherND: GatherND(data, constant indices), batch_dims 0 ->
// gather_nd(x, indices).
func lowerGatherND(l *lowerer, n *ir.Node) error {
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	if b := n.AttrInt("batch_dims", 0); b != 0 {
		return fmt.Errorf("batch_dims %d: %w", b, errUnsupported)
	}
	t := l.constOf(n, 1)
	if t == nil || len(t.Dims) == 0 {
		return fmt.Errorf("indices (input 1) must be a constant of rank 1 or more: %w", errUnsupported)
	}
	q := t.Dims[len(t.Dims)-1]
	if q < 1 || q > int64(len(x.shape)) {
		return fmt.Errorf("indices of shape %v into data of rank %d", t.Dims, len(x.shape))
	}
	_, idx, err := l.constIndices(n, 1, func(k int) int64 { return x.shape[int64(k)%q] })
	if err != nil {
		return err
	}
	out := append(append([]int64{}, t.Dims[:len(t.Dims)-1]...), x.shape[q:]...)
	base := n.Outputs[0].Name
	l.def(n.Outputs[0], "gather_nd", []arg{a("x", x), a("indices", l.cIndices(base+"_indices", t.Dims, idx))}, x.dt, out)
	return nil
}

// cIndices is an int32 constant of the given shape.
func (l *lowerer) cIndices(base string, shape []int64, v []int64) *mvar {
	c := &constVal{i: make([]int32, len(v))}
	for i, x := range v {
		c.i[i] = l.int32(base, x)
	}
	return l.constOp(base, pb.DataType_INT32, append([]int64(nil), shape...), c)
}
