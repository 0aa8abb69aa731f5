package ir

import "fmt"

// Shape functions of sequence ops, as the dynamo exporter emits them for
// torch.chunk / torch.split (SplitToSequence -> SequenceAt).

func init() {
	for _, r := range []struct {
		op string
		f  ShapeFunc
	}{
		{"SplitToSequence", shapeSplitToSequence},
		{"SequenceAt", shapeSequenceAt},
		{"SequenceConstruct", shapeSequenceConstruct},
		{"SequenceEmpty", shapeSequenceEmpty},
		{"SequenceLength", shapeSequenceLength},
		{"SequenceInsert", shapeSequenceSame},
		{"SequenceErase", shapeSequenceSame},
	} {
		RegisterShapeFunc("", r.op, r.f)
	}
}

// splitToSequenceParts returns the element shapes SplitToSequence makes
// from input shape s: with no split input, pieces of size 1 along axis
// (removed when keepdims=0); with a scalar split, pieces of that size (the
// last one smaller); with a 1-D split, those sizes. ok is false when the
// pieces cannot be known.
func splitToSequenceParts(n *Node, s Shape) ([]Shape, bool, error) {
	r := len(s)
	a := n.AttrInt("axis", 0)
	ax := normAxis(a, r)
	if ax < 0 {
		return nil, false, fmt.Errorf("axis %d out of range for rank %d", a, r)
	}
	d := s[ax]
	if !d.Known() {
		return nil, false, nil
	}
	var sizes []int64
	keep := true
	switch {
	case n.Input(1) == nil:
		for range d.Size {
			sizes = append(sizes, 1)
		}
		keep = n.AttrInt("keepdims", 1) != 0
	default:
		sv := symValue(n.Input(1))
		if sv == nil {
			return nil, false, nil
		}
		v, ok := sv.ints()
		if !ok {
			return nil, false, nil
		}
		if len(sv.dims) == 0 {
			if v[0] < 1 {
				return nil, false, fmt.Errorf("split size %d must be positive", v[0])
			}
			for left := d.Size; left > 0; left -= v[0] {
				sizes = append(sizes, min(v[0], left))
			}
		} else {
			sum := int64(0)
			for _, x := range v {
				if x < 0 {
					return nil, false, fmt.Errorf("negative split %v", v)
				}
				sum += x
			}
			if sum != d.Size {
				return nil, false, fmt.Errorf("split %v sums to %d, axis %d has size %d", v, sum, ax, d.Size)
			}
			sizes = v
		}
	}
	if int64(len(sizes)) > MaxEvalElements {
		return nil, false, nil
	}
	parts := make([]Shape, len(sizes))
	for i, k := range sizes {
		p := append(Shape{}, s...)
		if keep {
			p[ax] = Dim{Size: k}
		} else {
			p = append(p[:ax:ax], s[ax+1:]...)
		}
		parts[i] = p
	}
	return parts, true, nil
}

// seqOf is a sequence type of tensors of dtype dt and shape s (rank
// unknown when s is nil).
func seqOf(dt DType, s Shape, hasShape bool) Type {
	e := Type{Kind: KindTensor, DType: dt}
	if hasShape {
		e.Shape, e.HasShape = append(Shape{}, s...), true
	}
	return Type{Kind: KindSequence, Elem: &e}
}

// commonShape merges shapes of the same rank: equal dims stay, others
// become unknown. ok is false for different ranks.
func commonShape(ss []Shape) (Shape, bool) {
	if len(ss) == 0 {
		return nil, false
	}
	out := append(Shape{}, ss[0]...)
	for _, s := range ss[1:] {
		if len(s) != len(out) {
			return nil, false
		}
		for i := range s {
			if s[i].Size != out[i].Size || (!s[i].Known() && s[i].Param != out[i].Param) {
				out[i] = Dim{Size: -1}
			}
		}
	}
	return out, true
}

// shapeSplitToSequence: a sequence whose element type is common to all
// pieces.
func shapeSplitToSequence(n *Node, _ int64) error {
	t, ok := inType(n, 0)
	if !ok {
		return nil
	}
	o := n.Output(0)
	if o == nil {
		return nil
	}
	if !t.HasShape {
		o.Type = seqOf(t.DType, nil, false)
		return nil
	}
	parts, ok, err := splitToSequenceParts(n, t.Shape)
	if err != nil {
		return err
	}
	if !ok {
		s := append(Shape{}, t.Shape...)
		if ax := normAxis(n.AttrInt("axis", 0), len(s)); ax >= 0 {
			s[ax] = Dim{Size: -1}
		}
		o.Type = seqOf(t.DType, s, n.Input(1) != nil || n.AttrInt("keepdims", 1) != 0)
		return nil
	}
	s, same := commonShape(parts)
	o.Type = seqOf(t.DType, s, same)
	return nil
}

// shapeSequenceAt: the element type; for a sequence made by
// SplitToSequence and a known position, that piece's exact shape.
func shapeSequenceAt(n *Node, _ int64) error {
	seq := n.Input(0)
	if seq == nil {
		return nil
	}
	if p := seq.Producer; p != nil && p.OpType == "SplitToSequence" && (p.Domain == "" || p.Domain == "ai.onnx") {
		if s, ok := inShape(p, 0); ok {
			parts, ok, err := splitToSequenceParts(p, s)
			pos, pok := knownInts(n, 1)
			if err == nil && ok && pok && len(pos) == 1 {
				i, err := SequencePosition(pos[0], len(parts))
				if err != nil {
					return err
				}
				setOut(n, 0, inDType(p, 0), parts[i])
				return nil
			}
		}
	}
	if seq.Type.Kind == KindSequence && seq.Type.Elem != nil && seq.Type.Elem.Kind == KindTensor {
		if o := n.Output(0); o != nil {
			o.Type = seq.Type.Elem.Clone()
		}
	}
	return nil
}

// shapeSequenceConstruct: a sequence of the inputs' common type.
func shapeSequenceConstruct(n *Node, _ int64) error {
	var shapes []Shape
	dt := inDType(n, 0)
	all := true
	for i := range n.Inputs {
		t, ok := inType(n, i)
		if !ok || !t.HasShape || t.DType != dt {
			all = false
			break
		}
		shapes = append(shapes, t.Shape)
	}
	if dt == Undefined {
		return nil
	}
	s, same := commonShape(shapes)
	if o := n.Output(0); o != nil {
		o.Type = seqOf(dt, s, all && same)
	}
	return nil
}

// shapeSequenceEmpty: an empty sequence of dtype (float32 by default).
func shapeSequenceEmpty(n *Node, _ int64) error {
	if o := n.Output(0); o != nil {
		o.Type = seqOf(DType(n.AttrInt("dtype", int64(Float32))), nil, false)
	}
	return nil
}

// shapeSequenceLength: int64 scalar.
func shapeSequenceLength(n *Node, _ int64) error {
	setOut(n, 0, Int64, Shape{})
	return nil
}

// shapeSequenceSame: SequenceInsert/SequenceErase keep the input's
// sequence type.
func shapeSequenceSame(n *Node, _ int64) error {
	v := n.Input(0)
	if v == nil || v.Type.Kind != KindSequence {
		return nil
	}
	if o := n.Output(0); o != nil {
		o.Type = v.Type.Clone()
	}
	return nil
}
