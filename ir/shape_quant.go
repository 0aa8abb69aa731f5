package ir

// Shape functions of quantization ops: QuantizeLinear, DequantizeLinear and
// DynamicQuantizeLinear.

// shapeQuantize: x's shape; dtype of y_zero_point, else the output_dtype
// attribute (opset 21), else uint8.
func shapeQuantize(n *Node, _ int64) error {
	dt := inDType(n, 2)
	if dt == Undefined {
		dt = DType(n.AttrInt("output_dtype", 0))
	}
	if dt == Undefined {
		dt = Uint8
	}
	s, ok := inShape(n, 0)
	setOutMaybe(n, 0, dt, s, ok)
	return nil
}

// shapeDequantize: x's shape; the output_dtype attribute (opset 23), else
// x_scale's dtype (float32 before opset 19).
func shapeDequantize(n *Node, _ int64) error {
	dt := DType(n.AttrInt("output_dtype", 0))
	if dt == Undefined {
		dt = inDType(n, 1)
	}
	if dt == Undefined {
		dt = Float32
	}
	s, ok := inShape(n, 0)
	setOutMaybe(n, 0, dt, s, ok)
	return nil
}

// shapeDynamicQuantize: y uint8 of x's shape, scalar float32 scale, scalar
// uint8 zero point.
func shapeDynamicQuantize(n *Node, _ int64) error {
	s, ok := inShape(n, 0)
	setOutMaybe(n, 0, Uint8, s, ok)
	setOut(n, 1, Float32, Shape{})
	setOut(n, 2, Uint8, Shape{})
	return nil
}
