package ir

import (
	"fmt"
)

// Shape functions of generators and tensor metadata: Random*, EyeLike,
// Bernoulli, ConstantOfShape, Constant, Range, the signal windows, Shape and
// Size.

// shapeLike: input 0's shape, dtype attribute or input 0's dtype.
func shapeLike(n *Node, _ int64) error {
	t, ok := inType(n, 0)
	if !ok {
		return nil
	}
	dt := DType(n.AttrInt("dtype", int64(t.DType)))
	setOutMaybe(n, 0, dt, t.Shape, t.HasShape)
	return nil
}

// shapeRandom: shape attribute, dtype attribute (default float32).
func shapeRandom(n *Node, _ int64) error {
	sh := n.AttrInts("shape", nil)
	for _, d := range sh {
		if d < 0 {
			return fmt.Errorf("negative dimension in shape %v", sh)
		}
	}
	setOut(n, 0, DType(n.AttrInt("dtype", int64(Float32))), S(sh...))
	return nil
}

// shapeShape: 1-D int64 of length end-start (start 0, end rank by default,
// opset 15).
func shapeShape(n *Node, _ int64) error {
	s, ok := inShape(n, 0)
	if !ok {
		setOutNoShape(n, 0, Int64)
		if n.Input(0) != nil {
			setOut(n, 0, Int64, unknownDims(1))
		}
		return nil
	}
	st, e := ShapeStartEnd(n, len(s))
	setOut(n, 0, Int64, S(int64(e-st)))
	return nil
}

// shapeSize: int64 scalar.
func shapeSize(n *Node, _ int64) error {
	setOut(n, 0, Int64, Shape{})
	return nil
}

// shapeConstantOfShape: shape from input 0's value, dtype of the value
// attribute (float32 zero by default).
func shapeConstantOfShape(n *Node, _ int64) error {
	dt := Float32
	if a := n.Attr("value"); a != nil && a.T != nil {
		dt = a.T.DType
	}
	es, ok := valueElems(n, 0)
	if !ok {
		setOutNoShape(n, 0, dt)
		return nil
	}
	s, err := elemDims(es)
	if err != nil {
		return err
	}
	setOut(n, 0, dt, s)
	return nil
}

// shapeConstant: the type of the value attribute (value, value_float(s),
// value_int(s), value_string(s), sparse_value).
func shapeConstant(n *Node, _ int64) error {
	if a := n.Attr("sparse_value"); a != nil {
		if a.Sparse != nil && a.Sparse.Values != nil {
			setOut(n, 0, a.Sparse.Values.DType, S(a.Sparse.Dims...))
		}
		return nil
	}
	t, err := ConstantValue(n)
	if err != nil {
		if n.Attr("value") != nil {
			return err // a value attribute without a tensor
		}
		return nil
	}
	setOut(n, 0, t.DType, S(t.Dims...))
	return nil
}

// shapeRange: 1-D of max(ceil((limit-start)/delta), 0) elements.
func shapeRange(n *Node, _ int64) error {
	dt := inDType(n, 0)
	for i := range 3 {
		if s, ok := inShape(n, i); ok && (len(s) > 1 || (len(s) == 1 && s[0].Known() && s[0].Size != 1)) {
			return fmt.Errorf("input %d must be a scalar, has shape %s", i, s)
		}
	}
	st, ok1 := knownFloats(n, 0)
	li, ok2 := knownFloats(n, 1)
	de, ok3 := knownFloats(n, 2)
	if !ok1 || !ok2 || !ok3 || len(st) != 1 || len(li) != 1 || len(de) != 1 {
		setOut(n, 0, dt, unknownDims(1))
		return nil
	}
	if de[0] == 0 {
		return fmt.Errorf("delta is 0")
	}
	c := rangeCount(st[0], li[0], de[0])
	if c < 0 {
		return fmt.Errorf("range of %v to %v by %v has more than 2^40 elements", st[0], li[0], de[0])
	}
	setOut(n, 0, dt, S(c))
	return nil
}

// shapeWindow: 1-D of `size` elements, dtype output_datatype (float32).
func shapeWindow(n *Node, _ int64) error {
	dt := DType(n.AttrInt("output_datatype", int64(Float32)))
	v, ok := knownInts(n, 0)
	if !ok || len(v) != 1 {
		setOut(n, 0, dt, unknownDims(1))
		return nil
	}
	if v[0] < 0 {
		return fmt.Errorf("negative size %d", v[0])
	}
	setOut(n, 0, dt, S(v[0]))
	return nil
}
