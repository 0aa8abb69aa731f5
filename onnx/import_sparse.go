package onnx

import (
	"errors"
	"fmt"

	"github.com/mconv/mconv/ir"
)

// Import of sparse initializers: checked and densified into ordinary tensors.

func (im *importer) sparseInit(sp *SparseTensorProto) (*ir.Value, *ir.SparseTensor, error) {
	st, err := im.sparse(sp)
	if err != nil {
		return nil, nil, fmt.Errorf("sparse initializer: %w", err)
	}
	name := sp.GetValues().GetName()
	if name == "" {
		return nil, nil, errors.New("sparse initializer without a name")
	}
	dense, err := densify(st)
	if err != nil {
		return nil, nil, fmt.Errorf("sparse initializer %q: %w", name, err)
	}
	dense.Name = name
	v := &ir.Value{Name: name, Type: ir.TensorOf(dense.DType, dense.Dims...), Const: dense}
	return v, st, nil
}

func (im *importer) sparse(sp *SparseTensorProto) (*ir.SparseTensor, error) {
	if sp.Values == nil || sp.Indices == nil {
		return nil, errors.New("sparse tensor without values or indices")
	}
	vals, err := tensorFromProto(sp.Values, im.dir)
	if err != nil {
		return nil, fmt.Errorf("sparse values: %w", err)
	}
	idx, err := tensorFromProto(sp.Indices, im.dir)
	if err != nil {
		return nil, fmt.Errorf("sparse indices: %w", err)
	}
	if ir.NumElements(sp.Dims) < 0 {
		return nil, fmt.Errorf("sparse tensor shape %v is negative or has more than 2^40 elements", sp.Dims)
	}
	return &ir.SparseTensor{Values: vals, Indices: idx, Dims: append([]int64{}, sp.Dims...)}, nil
}

// maxDensifyBytes bounds the dense copy made of a sparse initializer (64
// MiB: sparse initializers are rare in vision models, and the bound keeps a
// small hostile file from claiming a large allocation).
const maxDensifyBytes = 64 << 20

// densify expands a COO sparse tensor (indices [NNZ] linear or [NNZ,rank])
// into a dense tensor.
func densify(st *ir.SparseTensor) (*ir.Tensor, error) {
	dt := st.Values.DType
	if dt == ir.String || dt.Size() == 0 {
		return nil, fmt.Errorf("sparse %s tensors are not supported", dt)
	}
	nb := ir.ByteLen(dt, st.Dims)
	if nb < 0 || nb > maxDensifyBytes {
		return nil, fmt.Errorf("dense form of shape %v is too large", st.Dims)
	}
	nnz := st.Values.Len()
	if len(st.Values.Dims) != 1 {
		return nil, fmt.Errorf("sparse values must be 1-D, have shape %v", st.Values.Dims)
	}
	idx, err := st.Indices.Int64s()
	if err != nil {
		return nil, fmt.Errorf("sparse indices: %w", err)
	}
	rank := int64(len(st.Dims))
	var lin []int64
	switch {
	case len(st.Indices.Dims) == 1 && int64(len(idx)) == nnz:
		lin = idx
	case len(st.Indices.Dims) == 2 && st.Indices.Dims[0] == nnz && st.Indices.Dims[1] == rank:
		lin = make([]int64, nnz)
		for i := int64(0); i < nnz; i++ {
			off := int64(0)
			for k := int64(0); k < rank; k++ {
				c := idx[i*rank+k]
				if c < 0 || c >= st.Dims[k] {
					return nil, fmt.Errorf("sparse index %d out of range for dimension %d", c, k)
				}
				off = off*st.Dims[k] + c
			}
			lin[i] = off
		}
	default:
		return nil, fmt.Errorf("sparse indices shape %v does not match %d values of rank %d", st.Indices.Dims, nnz, rank)
	}
	total := ir.NumElements(st.Dims)
	sz := int64(dt.Size())
	raw := make([]byte, nb)
	for i, o := range lin {
		if o < 0 || o >= total {
			return nil, fmt.Errorf("sparse index %d out of range", o)
		}
		copy(raw[o*sz:(o+1)*sz], st.Values.Raw[int64(i)*sz:])
	}
	return &ir.Tensor{DType: dt, Dims: append([]int64{}, st.Dims...), Raw: raw}, nil
}
