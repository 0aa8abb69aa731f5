package ir

import "fmt"

// Shape functions for the tensor-sequence ops that PyTorch's dynamo exporter
// emits for torch.split / torch.chunk (SplitToSequence -> SequenceAt), so
// that the values after them are typed and `mconv stats` can count them.
// Added by the metrics work; self-contained (public IR API only).

func init() {
	RegisterShapeFunc("", "SplitToSequence", shapeSplitToSequence)
	RegisterShapeFunc("", "SequenceAt", shapeSequenceAt)
}

// seqSplit works out how SplitToSequence node n cuts its input: the input
// type, the normalized axis, the piece sizes along it (ok = false when they
// are not known: symbolic axis or a split that is not constant) and whether
// the axis is kept. ONNX: no split input = pieces of 1 (axis dropped when
// keepdims = 0); a scalar split = chunks of that size, the last smaller; a
// 1-D split = the sizes, which must sum to the axis.
func seqSplit(n *Node) (x Type, axis int, sizes []int64, keep, ok bool, err error) {
	in := n.Input(0)
	if in == nil || in.Type.Kind != KindTensor || !in.Type.HasShape {
		return Type{}, 0, nil, true, false, nil
	}
	x, keep = in.Type, true
	r := len(x.Shape)
	a := n.AttrInt("axis", 0)
	axis = int(a)
	if axis < 0 {
		axis += r
	}
	if axis < 0 || axis >= r {
		return x, 0, nil, true, false, fmt.Errorf("axis %d out of range for rank %d", a, r)
	}
	dim := x.Shape[axis]
	sv := n.Input(1)
	if sv == nil {
		keep = n.AttrInt("keepdims", 1) != 0
		if !dim.Known() {
			return x, axis, nil, keep, false, nil
		}
		sizes = make([]int64, dim.Size)
		for i := range sizes {
			sizes[i] = 1
		}
		return x, axis, sizes, keep, true, nil
	}
	t, known := ConstValue(sv)
	if !known {
		return x, axis, nil, keep, false, nil
	}
	vals, e := t.Int64s()
	if e != nil {
		return x, axis, nil, keep, false, fmt.Errorf("split: %w", e)
	}
	if len(t.Dims) == 0 {
		if len(vals) != 1 || vals[0] <= 0 {
			return x, axis, nil, keep, false, fmt.Errorf("split chunk %v must be positive", vals)
		}
		if !dim.Known() {
			return x, axis, nil, keep, false, nil
		}
		for left := dim.Size; left > 0; left -= vals[0] {
			sizes = append(sizes, min(left, vals[0]))
		}
		return x, axis, sizes, keep, true, nil
	}
	sum := int64(0)
	for _, s := range vals {
		if s < 0 {
			return x, axis, nil, keep, false, fmt.Errorf("negative split %v", vals)
		}
		sum += s
	}
	if dim.Known() && sum != dim.Size {
		return x, axis, nil, keep, false, fmt.Errorf("split %v sums to %d, axis %d has size %d", vals, sum, axis, dim.Size)
	}
	return x, axis, vals, keep, true, nil
}

// pieceShape is x's shape with the axis set to d (or dropped).
func pieceShape(x Type, axis int, d Dim, keep bool) Shape {
	sh := append(Shape{}, x.Shape...)
	sh[axis] = d
	if !keep {
		sh = append(sh[:axis], sh[axis+1:]...)
	}
	return sh
}

// shapeSplitToSequence: a sequence of tensors of X's dtype; the element
// shape is X's with the axis set to the piece size when all pieces are
// equal, symbolic otherwise.
func shapeSplitToSequence(n *Node, opset int64) error {
	x, axis, sizes, keep, ok, err := seqSplit(n)
	if err != nil {
		return err
	}
	if x.Kind != KindTensor || n.Output(0) == nil {
		return nil
	}
	d := Dim{Size: -1}
	if ok && len(sizes) > 0 {
		d = Dim{Size: sizes[0]}
		for _, s := range sizes {
			if s != sizes[0] {
				d = Dim{Size: -1}
			}
		}
	}
	elem := Type{Kind: KindTensor, DType: x.DType, Shape: pieceShape(x, axis, d, keep), HasShape: true}
	n.Outputs[0].Type = Type{Kind: KindSequence, Elem: &elem}
	return nil
}

// shapeSequenceAt: the piece at a constant position of a SplitToSequence
// with known pieces; otherwise the sequence's element type.
func shapeSequenceAt(n *Node, opset int64) error {
	s := n.Input(0)
	if s == nil || n.Output(0) == nil {
		return nil
	}
	if p := s.Producer; p != nil && p.OpType == "SplitToSequence" && (p.Domain == "" || p.Domain == "ai.onnx") {
		x, axis, sizes, keep, ok, err := seqSplit(p)
		if pv := n.Input(1); err == nil && ok && pv != nil {
			if pt, known := ConstValue(pv); known {
				pos, e := pt.Int64s()
				if e != nil || len(pos) != 1 {
					return fmt.Errorf("position must be one integer, got %v", pt.Dims)
				}
				i := pos[0]
				if i < 0 {
					i += int64(len(sizes))
				}
				if i < 0 || i >= int64(len(sizes)) {
					return fmt.Errorf("position %d out of range for a sequence of %d", pos[0], len(sizes))
				}
				n.Outputs[0].Type = TensorShaped(x.DType, pieceShape(x, axis, Dim{Size: sizes[i]}, keep))
				return nil
			}
		}
	}
	if s.Type.Kind == KindSequence && s.Type.Elem != nil {
		n.Outputs[0].Type = s.Type.Elem.Clone()
	}
	return nil
}
