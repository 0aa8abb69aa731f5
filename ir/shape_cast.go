package ir

import "fmt"

// Shape functions of the type conversions: Cast, CastLike and BitCast.

func init() {
	RegisterShapeFunc("", "Cast", shapeCast)
	RegisterShapeFunc("", "CastLike", shapeCastLike)
	RegisterShapeFunc("", "BitCast", shapeBitCast)
}

// shapeCast: input 0's shape, dtype attribute `to`.
func shapeCast(n *Node, _ int64) error {
	to := DType(n.AttrInt("to", 0))
	if to <= 0 {
		return fmt.Errorf("invalid target type %d", to)
	}
	s, ok := inShape(n, 0)
	if !to.Valid() {
		// An element type newer than the IR (INT2, FLOAT8E8M0, ...): the
		// output type stays unknown.
		return nil
	}
	setOutMaybe(n, 0, to, s, ok)
	return nil
}

// shapeCastLike: input 0's shape, input 1's dtype.
func shapeCastLike(n *Node, _ int64) error {
	s, ok := inShape(n, 0)
	setOutMaybe(n, 0, inDType(n, 1), s, ok)
	return nil
}

// shapeBitCast: input 0's shape, dtype attribute `to`, which must have the
// input's element size.
func shapeBitCast(n *Node, opset int64) error {
	to, from := DType(n.AttrInt("to", 0)), inDType(n, 0)
	if to.Valid() && from != Undefined && to.Size() != from.Size() {
		return fmt.Errorf("cannot bitcast %s to %s: element sizes differ", from, to)
	}
	return shapeCast(n, opset)
}
