package ir

import (
	"fmt"
)

// Shape functions of pooling ops: MaxPool, AveragePool, LpPool, the global
// pools, RoiAlign and MaxUnpool.

// shapePool: MaxPool/AveragePool/LpPool with kernel_shape, strides, pads,
// dilations, auto_pad and ceil_mode; MaxPool's optional Indices are int64.
func shapePool(n *Node, _ int64) error {
	xt, ok := inType(n, 0)
	dt := xt.DType
	if !ok || !xt.HasShape {
		setOutNoShape(n, 0, dt)
		setOutNoShape(n, 1, Int64)
		return nil
	}
	x := xt.Shape
	if len(x) < 3 {
		return fmt.Errorf("input must have rank >= 3, has shape %s", x)
	}
	k := len(x) - 2
	kernel := n.AttrInts("kernel_shape", nil)
	if len(kernel) != k {
		return fmt.Errorf("kernel_shape %v does not match %d spatial dimensions", kernel, k)
	}
	for _, kd := range kernel {
		if kd < 1 {
			return fmt.Errorf("kernel_shape %v must be positive", kernel)
		}
	}
	sp, err := windowDims(n, x, kernel, n.AttrInt("ceil_mode", 0) != 0)
	if err != nil {
		return err
	}
	out := append(Shape{x[0], x[1]}, sp...)
	setOut(n, 0, dt, out)
	setOut(n, 1, Int64, out)
	return nil
}

// shapeGlobalPool: [N, C, 1, ...].
func shapeGlobalPool(n *Node, _ int64) error {
	t, ok := inType(n, 0)
	if !ok || !t.HasShape {
		setOutNoShape(n, 0, t.DType)
		return nil
	}
	if len(t.Shape) < 2 {
		return fmt.Errorf("input must have rank >= 2, has shape %s", t.Shape)
	}
	out := Shape{t.Shape[0], t.Shape[1]}
	for range len(t.Shape) - 2 {
		out = append(out, Dim{Size: 1})
	}
	setOut(n, 0, t.DType, out)
	return nil
}

// shapeRoiAlign: [num_rois, C, output_height, output_width] (defaults 1).
func shapeRoiAlign(n *Node, _ int64) error {
	dt := inDType(n, 0)
	x, xok := inShape(n, 0)
	r, rok := inShape(n, 1)
	c, rois := Dim{Size: -1}, Dim{Size: -1}
	if xok && len(x) == 4 {
		c = x[1]
	}
	if rok && len(r) == 2 {
		rois = r[0]
	}
	setOut(n, 0, dt, Shape{rois, c, {Size: n.AttrInt("output_height", 1)}, {Size: n.AttrInt("output_width", 1)}})
	return nil
}

// shapeMaxUnpool: the output_shape input when known, else
// (in-1)*stride + kernel - pads per spatial dim.
func shapeMaxUnpool(n *Node, _ int64) error {
	t, ok := inType(n, 0)
	if !ok {
		return nil
	}
	if n.Input(2) != nil {
		es, ok := valueElems(n, 2)
		if !ok {
			setOutNoShape(n, 0, t.DType)
			return nil
		}
		s, err := elemDims(es)
		if err != nil {
			return err
		}
		setOut(n, 0, t.DType, s)
		return nil
	}
	if !t.HasShape || len(t.Shape) < 3 {
		setOutNoShape(n, 0, t.DType)
		return nil
	}
	k := len(t.Shape) - 2
	kernel := n.AttrInts("kernel_shape", nil)
	if len(kernel) != k {
		return fmt.Errorf("kernel_shape %v does not match %d spatial dimensions", kernel, k)
	}
	strides, _, pads, err := spatialAttrs(n, k)
	if err != nil {
		return err
	}
	out := Shape{t.Shape[0], t.Shape[1]}
	for i := range k {
		d := t.Shape[2+i]
		if !d.Known() {
			out = append(out, Dim{Size: -1})
			continue
		}
		v := (d.Size-1)*strides[i] + kernel[i] - pads[i] - pads[i+k]
		if v < 0 {
			return fmt.Errorf("output size %d along spatial axis %d is negative", v, i)
		}
		out = append(out, Dim{Size: v})
	}
	setOut(n, 0, t.DType, out)
	return nil
}
