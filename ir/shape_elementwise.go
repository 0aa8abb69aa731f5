package ir

import (
	"fmt"
)

// Shape functions of elementwise ops: broadcasting arithmetic, comparison and
// logic, PRelu, Where, Dropout, IsNaN and IsInf.

// shapeBoolLike: bool output of input 0's shape (IsNaN, IsInf).
func shapeBoolLike(n *Node, _ int64) error {
	s, ok := inShape(n, 0)
	setOutMaybe(n, 0, Bool, s, ok)
	return nil
}

// shapeBroadcast: multidirectional broadcasting of all inputs; bool output
// for comparisons and logic ops, input 0's dtype otherwise. Before opset 7
// (opset 8 for the variadic Sum/Max/Min/Mean) ONNX broadcast only B into A
// (attributes broadcast and axis), so the output has A's shape.
func shapeBroadcast(boolOut bool) ShapeFunc {
	return func(n *Node, opset int64) error {
		dt := inDType(n, 0)
		if boolOut {
			dt = Bool
		}
		legacy := opset > 0 && opset < 7
		switch n.OpType {
		case "Sum", "Max", "Min", "Mean":
			legacy = opset > 0 && opset < 8
		}
		if legacy {
			s, ok := inShape(n, 0)
			setOutMaybe(n, 0, dt, s, ok)
			return nil
		}
		var s Shape
		for i := range n.Inputs {
			si, ok := inShape(n, i)
			if !ok {
				setOutNoShape(n, 0, dt)
				return nil
			}
			if i == 0 {
				s = si
				continue
			}
			var err error
			if s, err = broadcastShapes(s, si); err != nil {
				return err
			}
		}
		if len(n.Inputs) == 0 {
			return nil
		}
		setOut(n, 0, dt, s)
		return nil
	}
}

// shapePRelu: X's shape; from opset 7 slope must broadcast
// unidirectionally to X (before, a [C] slope applied per channel).
func shapePRelu(n *Node, opset int64) error {
	t, ok := inType(n, 0)
	if !ok {
		return nil
	}
	setOutMaybe(n, 0, t.DType, t.Shape, t.HasShape)
	if s, ok := inShape(n, 1); ok && t.HasShape && opset >= 7 {
		b, err := broadcastShapes(t.Shape, s)
		if err != nil {
			return fmt.Errorf("slope: %w", err)
		}
		if !compatibleShape(b, t.Shape) {
			return fmt.Errorf("slope %s does not broadcast to %s", s, t.Shape)
		}
	}
	return nil
}

// shapeWhere: broadcast of condition, X and Y; X's dtype.
func shapeWhere(n *Node, _ int64) error {
	dt := inDType(n, 1)
	if dt == Undefined {
		dt = inDType(n, 2)
	}
	var s Shape
	for i := range 3 {
		si, ok := inShape(n, i)
		if !ok {
			setOutNoShape(n, 0, dt)
			return nil
		}
		if i == 0 {
			s = si
			continue
		}
		var err error
		if s, err = broadcastShapes(s, si); err != nil {
			return err
		}
	}
	setOut(n, 0, dt, s)
	return nil
}

// shapeDropout: output 0 like input 0; optional mask of the same shape
// (bool from opset 10, the input's dtype before).
func shapeDropout(n *Node, opset int64) error {
	t, ok := inType(n, 0)
	if !ok {
		return nil
	}
	mask := Bool
	if opset > 0 && opset < 10 {
		mask = t.DType
	}
	setOutMaybe(n, 0, t.DType, t.Shape, t.HasShape)
	setOutMaybe(n, 1, mask, t.Shape, t.HasShape)
	return nil
}
