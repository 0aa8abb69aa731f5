package ir

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/x448/float16"
)

// MaxElements bounds the element count of any tensor or shape mconv accepts
// (2^40). Larger shapes are an error, never an allocation.
const MaxElements = int64(1) << 40

// Tensor is constant data: an initializer, a Constant's value or an
// attribute. The elements are stored little-endian in Raw (ONNX raw_data
// layout; 4-bit types packed two per byte, low nibble first), except String
// tensors, which use Strings. Tensors are treated as immutable once built:
// passes make new ones instead of editing Raw in place.
type Tensor struct {
	Name    string
	DType   DType
	Dims    []int64
	Raw     []byte
	Strings [][]byte
	Doc     string
}

// NumElements is the product of Dims (1 for a scalar). It returns -1 if a
// dimension is negative or the product exceeds MaxElements.
func NumElements(dims []int64) int64 {
	n := int64(1)
	for _, d := range dims {
		if d < 0 {
			return -1
		}
		if d != 0 && n > MaxElements/d {
			return -1
		}
		n *= d
	}
	if n > MaxElements {
		return -1
	}
	return n
}

// Len is the number of elements of t.
func (t *Tensor) Len() int64 { return NumElements(t.Dims) }

// ByteLen is the size Raw must have for t's dtype and dims, or -1.
func ByteLen(dt DType, dims []int64) int64 {
	n := NumElements(dims)
	if n < 0 {
		return -1
	}
	b := int64(dt.BitSize())
	if b == 0 {
		return -1
	}
	return (n*b + 7) / 8
}

// Check verifies that t's storage matches its dtype and dims.
func (t *Tensor) Check() error {
	if !t.DType.Valid() {
		return fmt.Errorf("tensor %q: invalid data type %d", t.Name, t.DType)
	}
	n := t.Len()
	if n < 0 {
		return fmt.Errorf("tensor %q: invalid or too large shape %v", t.Name, t.Dims)
	}
	if t.DType == String {
		if int64(len(t.Strings)) != n {
			return fmt.Errorf("tensor %q: %d strings for shape %v", t.Name, len(t.Strings), t.Dims)
		}
		return nil
	}
	if want := ByteLen(t.DType, t.Dims); int64(len(t.Raw)) != want {
		return fmt.Errorf("tensor %q: %d bytes of %s data for shape %v (want %d)", t.Name, len(t.Raw), t.DType, t.Dims, want)
	}
	return nil
}

// Clone returns a deep copy of t.
func (t *Tensor) Clone() *Tensor {
	c := *t
	c.Dims = append([]int64(nil), t.Dims...)
	c.Raw = append([]byte(nil), t.Raw...)
	if t.Strings != nil {
		c.Strings = make([][]byte, len(t.Strings))
		for i, s := range t.Strings {
			c.Strings[i] = append([]byte(nil), s...)
		}
	}
	return &c
}

// NewFloat32 builds a float32 tensor; data is copied.
func NewFloat32(dims []int64, data []float32) *Tensor {
	raw := make([]byte, 4*len(data))
	for i, f := range data {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(f))
	}
	return &Tensor{DType: Float32, Dims: append([]int64{}, dims...), Raw: raw}
}

// NewInt64 builds an int64 tensor; data is copied.
func NewInt64(dims []int64, data []int64) *Tensor {
	raw := make([]byte, 8*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint64(raw[8*i:], uint64(v))
	}
	return &Tensor{DType: Int64, Dims: append([]int64{}, dims...), Raw: raw}
}

// NewFromFloat64 builds a tensor of numeric type dt from float64 values,
// converting each (integers are truncated toward zero).
func NewFromFloat64(dt DType, dims []int64, data []float64) (*Tensor, error) {
	t := &Tensor{DType: dt, Dims: append([]int64{}, dims...)}
	sz := dt.Size()
	if sz == 0 || dt == String {
		return nil, fmt.Errorf("cannot build a %s tensor from numbers", dt)
	}
	t.Raw = make([]byte, sz*len(data))
	for i, f := range data {
		putElem(dt, t.Raw[i*sz:], f)
	}
	return t, nil
}

func putElem(dt DType, b []byte, f float64) {
	le := binary.LittleEndian
	switch dt {
	case Float32:
		le.PutUint32(b, math.Float32bits(float32(f)))
	case Float64:
		le.PutUint64(b, math.Float64bits(f))
	case Float16:
		le.PutUint16(b, float16.Fromfloat32(float32(f)).Bits())
	case BFloat16:
		le.PutUint16(b, uint16(math.Float32bits(float32(f))>>16))
	case Int8:
		b[0] = byte(int8(f))
	case Uint8:
		b[0] = byte(uint8(f))
	case Bool:
		if f != 0 {
			b[0] = 1
		} else {
			b[0] = 0
		}
	case Int16:
		le.PutUint16(b, uint16(int16(f)))
	case Uint16:
		le.PutUint16(b, uint16(f))
	case Int32:
		le.PutUint32(b, uint32(int32(f)))
	case Uint32:
		le.PutUint32(b, uint32(f))
	case Int64:
		le.PutUint64(b, uint64(int64(f)))
	case Uint64:
		le.PutUint64(b, uint64(f))
	}
}

// Float32s decodes t's elements as float32 (from any real numeric or bool
// dtype). It returns an error for String, complex and sub-byte types.
func (t *Tensor) Float32s() ([]float32, error) {
	f64, err := t.Float64s()
	if err != nil {
		return nil, err
	}
	if t.DType == Float32 {
		out := make([]float32, len(f64))
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Raw[4*i:]))
		}
		return out, nil
	}
	out := make([]float32, len(f64))
	for i, v := range f64 {
		out[i] = float32(v)
	}
	return out, nil
}

// Float64s decodes t's elements as float64 (from any real numeric or bool
// dtype).
func (t *Tensor) Float64s() ([]float64, error) {
	if err := t.Check(); err != nil {
		return nil, err
	}
	sz := t.DType.Size()
	if sz == 0 || t.DType == String || t.DType == Complex64 || t.DType == Complex128 {
		return nil, fmt.Errorf("tensor %q: cannot read %s elements as numbers", t.Name, t.DType)
	}
	switch t.DType {
	case Float8E4M3FN, Float8E4M3FNUZ, Float8E5M2, Float8E5M2FNUZ:
		return nil, fmt.Errorf("tensor %q: cannot read %s elements as numbers", t.Name, t.DType)
	}
	n := int(t.Len())
	out := make([]float64, n)
	for i := 0; i < n; i++ {
		out[i] = getElem(t.DType, t.Raw[i*sz:])
	}
	return out, nil
}

func getElem(dt DType, b []byte) float64 {
	le := binary.LittleEndian
	switch dt {
	case Float32:
		return float64(math.Float32frombits(le.Uint32(b)))
	case Float64:
		return math.Float64frombits(le.Uint64(b))
	case Float16:
		return float64(float16.Frombits(le.Uint16(b)).Float32())
	case BFloat16:
		return float64(math.Float32frombits(uint32(le.Uint16(b)) << 16))
	case Int8:
		return float64(int8(b[0]))
	case Uint8, Bool:
		return float64(b[0])
	case Int16:
		return float64(int16(le.Uint16(b)))
	case Uint16:
		return float64(le.Uint16(b))
	case Int32:
		return float64(int32(le.Uint32(b)))
	case Uint32:
		return float64(le.Uint32(b))
	case Int64:
		return float64(int64(le.Uint64(b)))
	case Uint64:
		return float64(le.Uint64(b))
	}
	return math.NaN()
}

// Int64s decodes t's elements as int64 (from any integer or bool dtype, or a
// float dtype whose values are integral).
func (t *Tensor) Int64s() ([]int64, error) {
	if err := t.Check(); err != nil {
		return nil, err
	}
	n := int(t.Len())
	le := binary.LittleEndian
	switch t.DType {
	case Int64:
		out := make([]int64, n)
		for i := range out {
			out[i] = int64(le.Uint64(t.Raw[8*i:]))
		}
		return out, nil
	case Uint64:
		out := make([]int64, n)
		for i := range out {
			out[i] = int64(le.Uint64(t.Raw[8*i:]))
		}
		return out, nil
	}
	f, err := t.Float64s()
	if err != nil {
		return nil, err
	}
	out := make([]int64, n)
	for i, v := range f {
		if v != math.Trunc(v) {
			return nil, fmt.Errorf("tensor %q: element %d (%v) is not an integer", t.Name, i, v)
		}
		out[i] = int64(v)
	}
	return out, nil
}

// Scalar returns the only element of a one-element numeric tensor.
func (t *Tensor) Scalar() (float64, error) {
	if t.Len() != 1 {
		return 0, fmt.Errorf("tensor %q: want one element, have shape %v", t.Name, t.Dims)
	}
	f, err := t.Float64s()
	if err != nil {
		return 0, err
	}
	return f[0], nil
}
