package coreml

import (
	"fmt"
	"math"

	"github.com/mconv/mconv/coreml/pb"
)

// Reading the NeuralNetwork gather and gatherND layers (constant indices,
// stored as floats) into MIL gather and gather_nd.

// intIndices is the constant float index tensor x as an int32 constant.
func (r *layerReader) intIndices(x *mvar) (*mvar, error) {
	if x.konst == nil || len(x.konst.f) == 0 {
		return nil, fmt.Errorf("indices %q: only constant indices are read: %w", x.name, errUnsupported)
	}
	c := &constVal{i: make([]int32, len(x.konst.f))}
	for i, f := range x.konst.f {
		if f != float32(math.Trunc(float64(f))) || math.Abs(float64(f)) > 1<<24 {
			return nil, fmt.Errorf("indices %q: %v is not an integer", x.name, f)
		}
		c.i[i] = int32(f)
	}
	return r.l.constOp(r.base+"_indices", pb.DataType_INT32, x.shape, c), nil
}

// gatherInputs checks that the layer has data and constant indices
// inputs and returns them, the indices as an int32 constant.
func (r *layerReader) gatherInputs() (*mvar, *mvar, error) {
	if err := r.need(2); err != nil {
		return nil, nil, err
	}
	idx, err := r.intIndices(r.in[1])
	return r.in[0], idx, err
}

// layerGather reads gather as MIL gather.
func layerGather(r *layerReader) error {
	x, idx, err := r.gatherInputs()
	if err != nil {
		return err
	}
	ax, err := normAxis(r.layer.GetGather().Axis, len(x.shape))
	if err != nil {
		return err
	}
	for _, v := range idx.konst.i {
		if int64(v) < -x.shape[ax] || int64(v) >= x.shape[ax] {
			return fmt.Errorf("index %d out of range for axis %d of %v", v, ax, x.shape)
		}
	}
	out := append(append(append([]int64{}, x.shape[:ax]...), idx.shape...), x.shape[ax+1:]...)
	r.def("gather", []arg{a("x", x), a("indices", idx), a("axis", r.l.cInt(r.base+"_axis", ax))}, out)
	return nil
}

// layerGatherND reads gatherND as MIL gather_nd.
func layerGatherND(r *layerReader) error {
	x, idx, err := r.gatherInputs()
	if err != nil {
		return err
	}
	s := idx.shape
	if len(s) == 0 || s[len(s)-1] < 1 || s[len(s)-1] > int64(len(x.shape)) {
		return fmt.Errorf("indices of shape %v into data of shape %v", s, x.shape)
	}
	q := s[len(s)-1]
	for k, v := range idx.konst.i {
		if d := x.shape[int64(k)%q]; int64(v) < -d || int64(v) >= d {
			return fmt.Errorf("index %d out of range for data %v", v, x.shape)
		}
	}
	out := append(append([]int64{}, s[:len(s)-1]...), x.shape[q:]...)
	r.def("gather_nd", []arg{a("x", x), a("indices", idx)}, out)
	return nil
}
