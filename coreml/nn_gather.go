package coreml

import (
	"fmt"

	"github.com/mconv/mconv/coreml/pb"
)

// NeuralNetwork layers of the MIL indexing ops lower_gather.go and
// lower_resize.go emit. NeuralNetwork tensors are float arrays: constant
// indices are stored as floats (the layers read them as integers).

// floatIndices is a float constant holding the int32 constant c's values,
// of c's shape ([1] for a scalar), for a NeuralNetwork index operand.
func floatIndices(c *mvar, name string) (*mvar, error) {
	if c == nil || c.konst == nil || len(c.konst.i) == 0 {
		return nil, fmt.Errorf("indices must be an integer constant: %w", errUnsupported)
	}
	f := make([]float32, len(c.konst.i))
	for i, v := range c.konst.i {
		f[i] = float32(v)
	}
	shape := c.shape
	if len(shape) == 0 {
		shape = []int64{1}
	}
	return &mvar{name: name, dt: pb.DataType_FLOAT32, shape: shape, konst: &constVal{f: f}}, nil
}

// nnGather writes gather (constant indices) as a gather layer; scalar
// indices gather a [1] slice, reshaped to the op's output.
func nnGather(w *nnWriter, o *mop) error {
	ax, err := constInts(o, "axis")
	if err != nil {
		return err
	}
	c := o.input("indices")
	idx, err := floatIndices(c, o.name+"__indices")
	if err != nil {
		return err
	}
	in := []string{w.tensor(o.input("x")), w.tensor(idx)}
	if len(c.shape) > 0 {
		w.add(o.name, in, outNames(o), &pb.GatherLayerParams{Axis: ax[0]})
		return nil
	}
	g := o.name + "__gather"
	w.add(g, in, []string{g}, &pb.GatherLayerParams{Axis: ax[0]})
	w.add(o.name, []string{g}, outNames(o), &pb.ReshapeStaticLayerParams{TargetShape: o.out[0].shape})
	return nil
}

// nnGatherND writes gather_nd (constant indices) as a gatherND layer.
func nnGatherND(w *nnWriter, o *mop) error {
	idx, err := floatIndices(o.input("indices"), o.name+"__indices")
	if err != nil {
		return err
	}
	w.add(o.name, []string{w.tensor(o.input("x")), w.tensor(idx)}, outNames(o), &pb.GatherNDLayerParams{})
	return nil
}

// nnResizeNearest writes resize_nearest_neighbor exactly, as two gather
// layers with the source rows and columns of its documented grid
// floor(i * in / out) (coremltools' own mapping, an upsample layer by a
// fractional factor, is approximate).
func nnResizeNearest(w *nnWriter, o *mop) error {
	x, y := o.input("x"), o.out[0]
	r := len(x.shape)
	cur := w.tensor(x)
	for j, ax := range []int{r - 2, r - 1} {
		in, out := x.shape[ax], y.shape[ax]
		f := make([]float32, out)
		for i := range f {
			f[i] = float32(nearestSource(int64(i), in, out))
		}
		idx := w.tensor(&mvar{name: fmt.Sprintf("%s__rows%d", o.name, j), dt: pb.DataType_FLOAT32, shape: []int64{out}, konst: &constVal{f: f}})
		name := outNames(o)[0]
		if j == 0 {
			name = o.name + "__rows"
		}
		w.add(name, []string{cur, idx}, []string{name}, &pb.GatherLayerParams{Axis: int64(ax)})
		cur = name
	}
	return nil
}

// nearestSource is resize_nearest_neighbor's source index of output i on
// an axis resized from in to out: floor(i * in / out).
func nearestSource(i, in, out int64) int64 { return min(i*in/out, in-1) }
