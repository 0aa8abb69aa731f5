// Package ir is mconv's typed graph intermediate representation.
//
// A Model holds one Graph. A Graph holds Values (typed tensors, possibly with
// constant data) and Nodes (operators) in topological order. Every Value knows
// its producer and its uses; the methods in graph.go keep those lists
// consistent, and Verify checks them. Shapes are static, except that a
// dimension may be symbolic (a named batch dimension, say).
//
// Op types, attribute names and their meaning are ONNX's: the IR is ONNX with
// pointers instead of names, plus a few fused ops in the "mconv" domain
// (see FusedDomain).
package ir

import "fmt"

// DType is an element type. The numbering is ONNX's TensorProto.DataType, so
// the importer and exporter convert by a plain cast.
type DType int32

const (
	Undefined  DType = 0
	Float32    DType = 1
	Uint8      DType = 2
	Int8       DType = 3
	Uint16     DType = 4
	Int16      DType = 5
	Int32      DType = 6
	Int64      DType = 7
	String     DType = 8
	Bool       DType = 9
	Float16    DType = 10
	Float64    DType = 11
	Uint32     DType = 12
	Uint64     DType = 13
	Complex64  DType = 14
	Complex128 DType = 15
	BFloat16   DType = 16
	// 8-bit and 4-bit float and int types (ONNX IR 9 and 10).
	Float8E4M3FN   DType = 17
	Float8E4M3FNUZ DType = 18
	Float8E5M2     DType = 19
	Float8E5M2FNUZ DType = 20
	Uint4          DType = 21
	Int4           DType = 22
	Float4E2M1     DType = 23
)

var dtypeNames = map[DType]string{
	Undefined: "undefined", Float32: "float32", Uint8: "uint8", Int8: "int8",
	Uint16: "uint16", Int16: "int16", Int32: "int32", Int64: "int64",
	String: "string", Bool: "bool", Float16: "float16", Float64: "float64",
	Uint32: "uint32", Uint64: "uint64", Complex64: "complex64",
	Complex128: "complex128", BFloat16: "bfloat16",
	Float8E4M3FN: "float8e4m3fn", Float8E4M3FNUZ: "float8e4m3fnuz",
	Float8E5M2: "float8e5m2", Float8E5M2FNUZ: "float8e5m2fnuz",
	Uint4: "uint4", Int4: "int4", Float4E2M1: "float4e2m1",
}

func (d DType) String() string {
	if s, ok := dtypeNames[d]; ok {
		return s
	}
	return fmt.Sprintf("dtype(%d)", int32(d))
}

// Valid reports whether d is a known element type other than Undefined.
func (d DType) Valid() bool {
	_, ok := dtypeNames[d]
	return ok && d != Undefined
}

// BitSize is the storage size of one element in bits (4 for the 4-bit types,
// 0 for String and Undefined).
func (d DType) BitSize() int {
	switch d {
	case Bool, Uint8, Int8, Float8E4M3FN, Float8E4M3FNUZ, Float8E5M2, Float8E5M2FNUZ:
		return 8
	case Uint16, Int16, Float16, BFloat16:
		return 16
	case Float32, Int32, Uint32:
		return 32
	case Float64, Int64, Uint64, Complex64:
		return 64
	case Complex128:
		return 128
	case Uint4, Int4, Float4E2M1:
		return 4
	}
	return 0
}

// Size is the size of one element in bytes for byte-sized types (0 for
// String, Undefined and the 4-bit types).
func (d DType) Size() int {
	b := d.BitSize()
	if b%8 != 0 {
		return 0
	}
	return b / 8
}

// IsFloat reports whether d is a floating-point type.
func (d DType) IsFloat() bool {
	switch d {
	case Float32, Float16, Float64, BFloat16, Float8E4M3FN, Float8E4M3FNUZ,
		Float8E5M2, Float8E5M2FNUZ, Float4E2M1:
		return true
	}
	return false
}

// IsInt reports whether d is an integer type (Bool excluded).
func (d DType) IsInt() bool {
	switch d {
	case Uint8, Int8, Uint16, Int16, Int32, Int64, Uint32, Uint64, Uint4, Int4:
		return true
	}
	return false
}
