package ir

import (
	"fmt"
)

// Shape functions of reductions: the Reduce ops, ArgMax/ArgMin and TopK.

// reduceAxes returns the axes of a Reduce* node: the attribute, or (since
// opset 13 for ReduceSum, 18 for the others) input 1. ok is false when the
// axes input is present but unknown.
func reduceAxes(n *Node) ([]int64, bool) {
	if a := n.Attr("axes"); a != nil {
		return a.Ints, true
	}
	if n.Input(1) == nil {
		return nil, true
	}
	return knownInts(n, 1)
}

// shapeReduce: Reduce* with keepdims (default 1) and noop_with_empty_axes
// (default 0).
func shapeReduce(n *Node, _ int64) error {
	t, ok := inType(n, 0)
	if !ok {
		return nil
	}
	keep := n.AttrInt("keepdims", 1) != 0
	axes, aok := reduceAxes(n)
	if !t.HasShape || !aok {
		if t.HasShape && keep {
			setOut(n, 0, t.DType, unknownDims(len(t.Shape)))
		} else {
			setOutNoShape(n, 0, t.DType)
		}
		return nil
	}
	if len(axes) == 0 && n.AttrInt("noop_with_empty_axes", 0) != 0 {
		setOut(n, 0, t.DType, t.Shape)
		return nil
	}
	s, err := reduceShape(t.Shape, axes, keep)
	if err != nil {
		return err
	}
	setOut(n, 0, t.DType, s)
	return nil
}

// shapeArgMax: int64 output reduced along axis (default 0), keepdims 1.
func shapeArgMax(n *Node, _ int64) error {
	s, ok := inShape(n, 0)
	if !ok {
		setOutNoShape(n, 0, Int64)
		return nil
	}
	out, err := reduceShape(s, []int64{n.AttrInt("axis", 0)}, n.AttrInt("keepdims", 1) != 0)
	if err != nil {
		return err
	}
	setOut(n, 0, Int64, out)
	return nil
}

// shapeTopK: values and int64 indices with K elements along axis (default
// -1); K from the attribute (opset < 10) or input 1.
func shapeTopK(n *Node, opset int64) error {
	t, ok := inType(n, 0)
	if !ok {
		setOutNoShape(n, 1, Int64)
		return nil
	}
	if !t.HasShape {
		setOutNoShape(n, 0, t.DType)
		setOutNoShape(n, 1, Int64)
		return nil
	}
	r := len(t.Shape)
	a := n.AttrInt("axis", -1)
	ax := normAxis(a, r)
	if ax < 0 {
		return fmt.Errorf("axis %d out of range for rank %d", a, r)
	}
	out := append(Shape{}, t.Shape...)
	if k := n.Attr("k"); k != nil && n.Input(1) == nil {
		out[ax] = Dim{Size: k.I}
	} else if kv, ok := knownInts(n, 1); ok && len(kv) == 1 {
		out[ax] = Dim{Size: kv[0]}
	} else {
		out[ax] = Dim{Size: -1}
	}
	if out[ax].Known() {
		if out[ax].Size < 0 {
			return fmt.Errorf("negative k %d", out[ax].Size)
		}
		if d := t.Shape[ax]; d.Known() && out[ax].Size > d.Size {
			return fmt.Errorf("k %d larger than axis size %d", out[ax].Size, d.Size)
		}
	}
	setOut(n, 0, t.DType, out)
	setOut(n, 1, Int64, out)
	return nil
}
