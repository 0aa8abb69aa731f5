package ir

import (
	"fmt"
	"strings"
)

// Kind is the kind of a Value's type.
type Kind int

const (
	KindUnknown  Kind = iota // type not known (ONNX value without type)
	KindTensor               // dense tensor
	KindSequence             // sequence of Elem
	KindOptional             // optional Elem
	KindMap                  // map KeyType -> Elem
	KindSparse               // sparse tensor
)

// Dim is one dimension of a shape: a known size (Size >= 0), or a symbolic
// one (Size < 0) that may carry a name such as "batch".
type Dim struct {
	Size  int64
	Param string
	Doc   string // denotation, kept for round trips
}

// Known reports whether the dimension has a fixed size.
func (d Dim) Known() bool { return d.Size >= 0 }

func (d Dim) String() string {
	if d.Known() {
		return fmt.Sprint(d.Size)
	}
	if d.Param != "" {
		return d.Param
	}
	return "?"
}

// Shape is a list of dimensions.
type Shape []Dim

// S builds a shape of known sizes.
func S(sizes ...int64) Shape {
	s := make(Shape, len(sizes))
	for i, n := range sizes {
		s[i] = Dim{Size: n}
	}
	return s
}

// Static reports whether every dimension is known.
func (s Shape) Static() bool {
	for _, d := range s {
		if !d.Known() {
			return false
		}
	}
	return true
}

// Sizes returns the sizes (negative for symbolic dimensions).
func (s Shape) Sizes() []int64 {
	out := make([]int64, len(s))
	for i, d := range s {
		out[i] = d.Size
	}
	return out
}

// Equal compares two shapes dimension by dimension (sizes and names).
func (s Shape) Equal(t Shape) bool {
	if len(s) != len(t) {
		return false
	}
	for i := range s {
		if s[i].Size != t[i].Size || (!s[i].Known() && s[i].Param != t[i].Param) {
			return false
		}
	}
	return true
}

func (s Shape) String() string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = d.String()
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// Type is the type of a Value. For KindTensor and KindSparse, DType and (when
// HasShape) Shape describe the tensor; a tensor without HasShape has unknown
// rank. Sequence and Optional use Elem; Map uses KeyType and Elem.
type Type struct {
	Kind     Kind
	DType    DType
	Shape    Shape
	HasShape bool
	Elem     *Type
	KeyType  DType
	Denot    string // ONNX denotation, kept for round trips
}

// TensorOf is a tensor type with a static shape.
func TensorOf(dt DType, sizes ...int64) Type {
	return Type{Kind: KindTensor, DType: dt, Shape: S(sizes...), HasShape: true}
}

// TensorShaped is a tensor type with the given shape.
func TensorShaped(dt DType, s Shape) Type {
	return Type{Kind: KindTensor, DType: dt, Shape: append(Shape(nil), s...), HasShape: true}
}

// IsTensor reports whether t is a dense tensor type.
func (t Type) IsTensor() bool { return t.Kind == KindTensor }

// Rank is the number of dimensions, or -1 if unknown.
func (t Type) Rank() int {
	if !t.HasShape {
		return -1
	}
	return len(t.Shape)
}

// Static reports whether t is a tensor with a fully known shape.
func (t Type) Static() bool { return t.Kind == KindTensor && t.HasShape && t.Shape.Static() }

// Clone deep-copies t.
func (t Type) Clone() Type {
	c := t
	c.Shape = append(Shape(nil), t.Shape...)
	if t.Elem != nil {
		e := t.Elem.Clone()
		c.Elem = &e
	}
	return c
}

// Equal compares two types deeply.
func (t Type) Equal(u Type) bool {
	if t.Kind != u.Kind || t.DType != u.DType || t.HasShape != u.HasShape || t.KeyType != u.KeyType {
		return false
	}
	if t.HasShape && !t.Shape.Equal(u.Shape) {
		return false
	}
	if (t.Elem == nil) != (u.Elem == nil) {
		return false
	}
	return t.Elem == nil || t.Elem.Equal(*u.Elem)
}

func (t Type) String() string {
	switch t.Kind {
	case KindTensor, KindSparse:
		p := ""
		if t.Kind == KindSparse {
			p = "sparse "
		}
		if !t.HasShape {
			return p + t.DType.String() + "[*]"
		}
		return p + t.DType.String() + t.Shape.String()
	case KindSequence:
		return "seq<" + elemString(t.Elem) + ">"
	case KindOptional:
		return "opt<" + elemString(t.Elem) + ">"
	case KindMap:
		return "map<" + t.KeyType.String() + "," + elemString(t.Elem) + ">"
	}
	return "?"
}

func elemString(e *Type) string {
	if e == nil {
		return "?"
	}
	return e.String()
}
