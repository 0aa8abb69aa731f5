package ir

import (
	"fmt"
)

// Shape functions of indexing ops: Gather, GatherElements, GatherND, NonZero,
// OneHot, Compress and NonMaxSuppression.

// shapeGather: data[:axis] + indices + data[axis+1:], axis default 0.
func shapeGather(n *Node, _ int64) error {
	dt, ok := inType(n, 0)
	if !ok {
		return nil
	}
	it, iok := inType(n, 1)
	if !dt.HasShape || !iok || !it.HasShape {
		setOutNoShape(n, 0, dt.DType)
		return nil
	}
	r := len(dt.Shape)
	a := n.AttrInt("axis", 0)
	ax := normAxis(a, r)
	if ax < 0 {
		return fmt.Errorf("axis %d out of range for rank %d", a, r)
	}
	out := append(append(append(Shape{}, dt.Shape[:ax]...), it.Shape...), dt.Shape[ax+1:]...)
	setOut(n, 0, dt.DType, out)
	return nil
}

// shapeGatherElements: indices' shape, data's dtype.
func shapeGatherElements(n *Node, _ int64) error {
	dt := inDType(n, 0)
	s, ok := inShape(n, 1)
	if d, dok := inShape(n, 0); ok && dok && len(d) != len(s) {
		return fmt.Errorf("data %s and indices %s have different ranks", d, s)
	}
	setOutMaybe(n, 0, dt, s, ok)
	return nil
}

// shapeNonZero: int64 [rank, number of non-zeros (unknown)].
func shapeNonZero(n *Node, _ int64) error {
	s, ok := inShape(n, 0)
	if !ok {
		setOutNoShape(n, 0, Int64)
		return nil
	}
	setOut(n, 0, Int64, Shape{{Size: int64(len(s))}, {Size: -1}})
	return nil
}

// shapeOneHot: indices' shape with depth inserted at axis (default -1);
// dtype of values.
func shapeOneHot(n *Node, _ int64) error {
	dt := inDType(n, 2)
	s, ok := inShape(n, 0)
	if !ok {
		setOutNoShape(n, 0, dt)
		return nil
	}
	r := len(s) + 1
	ax := normAxis(n.AttrInt("axis", -1), r)
	if ax < 0 {
		return fmt.Errorf("axis %d out of range for output rank %d", n.AttrInt("axis", -1), r)
	}
	depth := Dim{Size: -1}
	if d, ok := knownFloats(n, 1); ok && len(d) == 1 && d[0] >= 0 && d[0] <= float64(MaxElements) {
		depth = Dim{Size: int64(d[0])}
	}
	out := append(append(append(Shape{}, s[:ax]...), depth), s[ax:]...)
	setOut(n, 0, dt, out)
	return nil
}

// shapeGatherND: indices.shape[:-1] + data.shape[batch_dims+last:], where
// last = indices.shape[-1].
func shapeGatherND(n *Node, _ int64) error {
	dt := inDType(n, 0)
	d, dok := inShape(n, 0)
	ix, iok := inShape(n, 1)
	if !dok || !iok || len(ix) == 0 || !ix[len(ix)-1].Known() {
		setOutNoShape(n, 0, dt)
		return nil
	}
	b := n.AttrInt("batch_dims", 0)
	last := ix[len(ix)-1].Size
	if b < 0 || b+last > int64(len(d)) || b >= int64(len(ix)) {
		return fmt.Errorf("indices %s with batch_dims %d do not fit data %s", ix, b, d)
	}
	out := append(append(Shape{}, ix[:len(ix)-1]...), d[b+last:]...)
	setOut(n, 0, dt, out)
	return nil
}

// shapeNMS: int64 [number selected (data-dependent), 3].
func shapeNMS(n *Node, _ int64) error {
	setOut(n, 0, Int64, Shape{{Size: -1}, {Size: 3}})
	return nil
}

// shapeCompress: the selected axis (or the flattened input) has a
// data-dependent length.
func shapeCompress(n *Node, _ int64) error {
	t, ok := inType(n, 0)
	if !ok {
		return nil
	}
	a := n.Attr("axis")
	if a == nil {
		setOut(n, 0, t.DType, unknownDims(1))
		return nil
	}
	if !t.HasShape {
		setOutNoShape(n, 0, t.DType)
		return nil
	}
	ax := normAxis(a.I, len(t.Shape))
	if ax < 0 {
		return fmt.Errorf("axis %d out of range for rank %d", a.I, len(t.Shape))
	}
	out := append(Shape{}, t.Shape...)
	out[ax] = Dim{Size: -1}
	setOut(n, 0, t.DType, out)
	return nil
}
