package onnx

import (
	"errors"
	"fmt"
	"math"

	"github.com/mconv/mconv/ir"
)

// Import of value types: tensor, sparse tensor, sequence, map and optional
// types with their element types and shapes.

// typeFromProto converts a TypeProto (nil: unknown type). Shapes whose
// known dimensions multiply past 2^40 elements are refused.
func typeFromProto(tp *TypeProto) (ir.Type, error) {
	if tp == nil {
		return ir.Type{}, nil
	}
	t := ir.Type{Denot: tp.GetDenotation()}
	switch v := tp.Value.(type) {
	case *TypeProto_TensorType:
		t.Kind = ir.KindTensor
		t.DType = ir.DType(v.TensorType.GetElemType())
		if err := shapeFromProto(&t, v.TensorType.Shape); err != nil {
			return ir.Type{}, err
		}
	case *TypeProto_SparseTensorType:
		t.Kind = ir.KindSparse
		t.DType = ir.DType(v.SparseTensorType.GetElemType())
		if err := shapeFromProto(&t, v.SparseTensorType.Shape); err != nil {
			return ir.Type{}, err
		}
	case *TypeProto_SequenceType:
		t.Kind = ir.KindSequence
		if e := v.SequenceType.ElemType; e != nil {
			et, err := typeFromProto(e)
			if err != nil {
				return ir.Type{}, err
			}
			t.Elem = elemType(et)
		}
	case *TypeProto_OptionalType:
		t.Kind = ir.KindOptional
		if e := v.OptionalType.ElemType; e != nil {
			et, err := typeFromProto(e)
			if err != nil {
				return ir.Type{}, err
			}
			t.Elem = elemType(et)
		}
	case *TypeProto_MapType:
		t.Kind = ir.KindMap
		t.KeyType = ir.DType(v.MapType.GetKeyType())
		if e := v.MapType.ValueType; e != nil {
			et, err := typeFromProto(e)
			if err != nil {
				return ir.Type{}, err
			}
			t.Elem = elemType(et)
		}
	case *TypeProto_OpaqueType:
		return ir.Type{}, errors.New("opaque types are not supported")
	}
	return t, nil
}

// elemType returns the element type of a sequence, optional or map, or nil
// when the TypeProto said nothing (an empty elem_type message): export
// writes nil as no elem_type, so both spellings import the same.
func elemType(et ir.Type) *ir.Type {
	if et.Kind == ir.KindUnknown && et.Denot == "" {
		return nil
	}
	return &et
}

func shapeFromProto(t *ir.Type, sp *TensorShapeProto) error {
	if sp == nil {
		return nil
	}
	t.HasShape = true
	t.Shape = make(ir.Shape, len(sp.Dim))
	prod := int64(1)
	for i, d := range sp.Dim {
		dim := ir.Dim{Size: -1, Doc: d.GetDenotation()}
		switch v := d.Value.(type) {
		case *TensorShapeProto_Dimension_DimValue:
			if v.DimValue < 0 {
				return fmt.Errorf("negative dimension %d", v.DimValue)
			}
			dim.Size = v.DimValue
			if v.DimValue != 0 && prod > math.MaxInt64/v.DimValue {
				prod = math.MaxInt64
			} else {
				prod *= v.DimValue
			}
			if prod > ir.MaxElements {
				return fmt.Errorf("shape has more than 2^40 elements")
			}
		case *TensorShapeProto_Dimension_DimParam:
			dim.Param = v.DimParam
		}
		t.Shape[i] = dim
	}
	return nil
}
