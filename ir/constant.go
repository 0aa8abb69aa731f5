package ir

import "fmt"

// ConstantValue decodes the value of a Constant node n from whichever
// attribute it has: value (the tensor itself, neither copied, tensors
// being immutable, nor checked: see Tensor.Check), value_float /
// value_floats (float32 scalar / 1-D), value_int / value_ints (int64) or
// value_string / value_strings (string). A sparse_value, or no value
// attribute, is an error.
func ConstantValue(n *Node) (*Tensor, error) {
	for _, a := range n.Attrs {
		switch a.Name {
		case "value":
			if a.T == nil {
				return nil, fmt.Errorf("value attribute has no tensor")
			}
			return a.T, nil
		case "value_float":
			return NewFloat32(nil, []float32{a.F}), nil
		case "value_floats":
			return NewFloat32([]int64{int64(len(a.Floats))}, a.Floats), nil
		case "value_int":
			return NewInt64(nil, []int64{a.I}), nil
		case "value_ints":
			return NewInt64([]int64{int64(len(a.Ints))}, a.Ints), nil
		case "value_string":
			return &Tensor{DType: String, Strings: [][]byte{a.S}}, nil
		case "value_strings":
			return &Tensor{DType: String, Dims: []int64{int64(len(a.Strings))}, Strings: a.Strings}, nil
		case "sparse_value":
			return nil, fmt.Errorf("unsupported: Constant with a sparse_value")
		}
	}
	return nil, fmt.Errorf("Constant has no value attribute")
}
