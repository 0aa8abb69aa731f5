package ir

import "fmt"

// Resolution of op parameters against a known input shape, shared by shape
// inference, the runtime and the Core ML lowering: axes and positions,
// Shape's start and end, Reshape targets and Slice bounds.

// NormAxis maps axis a of a rank-r tensor, negative counting from the end,
// into [0, r); a outside [-r, r) is an error.
func NormAxis(a int64, r int) (int, error) {
	if ax, ok := wrapIndex(a, r); ok {
		return ax, nil
	}
	return 0, fmt.Errorf("axis %d out of range for rank %d", a, r)
}

// SequencePosition maps SequenceAt's position p in a sequence of n
// tensors, negative counting from the end, into [0, n).
func SequencePosition(p int64, n int) (int, error) {
	if i, ok := wrapIndex(p, n); ok {
		return i, nil
	}
	return 0, fmt.Errorf("position %d out of range for a sequence of %d tensors", p, n)
}

// wrapIndex maps i in [-n, n) to [0, n), negative counting from the end;
// ok is false outside that range.
func wrapIndex(i int64, n int) (int, bool) {
	if i < -int64(n) || i >= int64(n) {
		return 0, false
	}
	if i < 0 {
		i += int64(n)
	}
	return int(i), true
}

// FlattenAxis is Flatten's axis attribute (default 1) for an input of the
// given rank, negative counting from the end, mapped into [0, rank].
func FlattenAxis(n *Node, rank int) (int, error) {
	a := n.AttrInt("axis", 1)
	if a < -int64(rank) || a > int64(rank) {
		return 0, fmt.Errorf("axis %d out of range for rank %d", a, rank)
	}
	if a < 0 {
		a += int64(rank)
	}
	return int(a), nil
}

// normAxis is NormAxis with -1 for an axis out of range.
func normAxis(a int64, rank int) int {
	if ax, ok := wrapIndex(a, rank); ok {
		return ax
	}
	return -1
}

// ShapeStartEnd resolves Shape's start and end attributes (opset 15;
// defaults 0 and rank, negative counting from the end, clamped to
// [0, rank], end at least start) for an input of the given rank.
func ShapeStartEnd(n *Node, rank int) (start, end int) {
	r := int64(rank)
	clamp := func(x int64) int64 {
		if x < 0 {
			x += r
		}
		return min(max(x, 0), r)
	}
	s, e := clamp(n.AttrInt("start", 0)), clamp(n.AttrInt("end", r))
	return int(s), int(max(e, s))
}

// ReshapeTarget resolves Reshape's target for a static input shape in: a
// 0 copies the input dimension at its index (unless allowzero), one -1
// takes the remaining element count, and the element count must not
// change (reshapeShape's rule, for known sizes).
func ReshapeTarget(in, target []int64, allowzero bool) ([]int64, error) {
	es := make([]elem, len(target))
	for i, v := range target {
		es[i] = elem{i: v, known: true}
	}
	s, err := reshapeShape(S(in...), es, allowzero)
	if err != nil {
		return nil, err
	}
	if !s.Static() {
		return nil, fmt.Errorf("cannot reshape %v to %v", in, target)
	}
	return s.Sizes(), nil
}

// TransposePerm is Transpose's perm attribute for a rank-r input (default:
// the axes reversed), checked to be a permutation of 0..r-1.
func TransposePerm(n *Node, r int) ([]int64, error) {
	perm := n.AttrInts("perm", nil)
	if perm == nil {
		for i := r - 1; i >= 0; i-- {
			perm = append(perm, int64(i))
		}
	}
	if len(perm) != r {
		return nil, fmt.Errorf("perm %v does not match rank %d", perm, r)
	}
	seen := make([]bool, r)
	for _, p := range perm {
		if p < 0 || p >= int64(r) || seen[p] {
			return nil, fmt.Errorf("perm %v is not a permutation of 0..%d", perm, r-1)
		}
		seen[p] = true
	}
	return perm, nil
}

// SplitSizes resolves Split's part sizes along an axis of size dim (-1:
// unknown) into nout outputs. Given split sizes (the attribute or input;
// nil when absent) must be nout non-negative sizes summing to dim. Without
// them, num_outputs (numOutputs > 0, opset 18; it must equal nout) gives
// parts of ceil(dim/nout) with a smaller last one, and otherwise dim must
// divide into nout equal parts. With dim unknown and no split, the sizes
// are unknown (nil).
func SplitSizes(split []int64, dim int64, nout int, numOutputs int64) ([]int64, error) {
	if split != nil {
		if len(split) != nout {
			return nil, fmt.Errorf("split %v has %d entries for %d outputs", split, len(split), nout)
		}
		sum := int64(0)
		for _, s := range split {
			if s < 0 {
				return nil, fmt.Errorf("negative split %v", split)
			}
			sum += s
		}
		if dim >= 0 && sum != dim {
			return nil, fmt.Errorf("split %v sums to %d, the axis has size %d", split, sum, dim)
		}
		return split, nil
	}
	if numOutputs > 0 && numOutputs != int64(nout) || nout < 1 {
		return nil, fmt.Errorf("num_outputs %d does not match %d outputs", numOutputs, nout)
	}
	if dim < 0 {
		return nil, nil
	}
	parts := int64(nout)
	if numOutputs > 0 {
		chunk := (dim + parts - 1) / parts
		for i := range parts {
			split = append(split, max(0, min(chunk, dim-i*chunk)))
		}
		return split, nil
	}
	if dim%parts != 0 {
		return nil, fmt.Errorf("an axis of size %d cannot be split into %d equal parts", dim, parts)
	}
	for range parts {
		split = append(split, dim/parts)
	}
	return split, nil
}

// SqueezeShape is Squeeze's output for a static input shape in: the
// dimensions at axes (negative counting from the end; each of size 1)
// removed, or, with no axes (nil or empty, as ONNX Runtime does), every
// dimension of size 1 (squeezeDims' rule).
func SqueezeShape(in, axes []int64) ([]int64, error) {
	s, err := squeezeDims(S(in...), axes)
	if err != nil {
		return nil, err
	}
	return s.Sizes(), nil
}

// UnsqueezeShape is Unsqueeze's output for a static input shape in: a
// size-1 dimension inserted at each of axes (indices into the output,
// negative counting from its end, each once; unsqueezeDims' rule).
func UnsqueezeShape(in, axes []int64) ([]int64, error) {
	s, err := unsqueezeDims(S(in...), axes)
	if err != nil {
		return nil, err
	}
	return s.Sizes(), nil
}

// SliceAxis is ONNX Slice on one axis of size dim: start and end,
// negative counting from the end, are clamped to [0, dim] for a positive
// step and to [-1, dim-1] for a negative one; it returns the first index
// taken and the number of elements.
func SliceAxis(start, end, step, dim int64) (first, count int64) {
	if start < 0 {
		start += dim
	}
	if end < 0 {
		end += dim
	}
	if step > 0 {
		start = min(max(start, 0), dim)
		end = min(max(end, 0), dim)
		if end <= start {
			return start, 0
		}
		return start, (end - start + step - 1) / step
	}
	start = min(max(start, -1), dim-1)
	end = min(max(end, -1), dim-1)
	if end >= start {
		return start, 0
	}
	return start, (start - end + (-step) - 1) / (-step)
}

// ResolveSlice resolves ONNX Slice over a static input shape in: axes
// (nil: 0, 1, ...) may be negative and appear once each, steps (nil: all
// 1) must not be 0, and each sliced axis is resolved by SliceAxis. It
// returns per input axis the first index, the element count and the step
// (an axis not sliced: 0, its size, 1).
func ResolveSlice(in, starts, ends, axes, steps []int64) (first, count, step []int64, err error) {
	if len(ends) != len(starts) || axes != nil && len(axes) != len(starts) || steps != nil && len(steps) != len(starts) {
		return nil, nil, nil, fmt.Errorf("starts %v, ends %v, axes %v and steps %v differ in length", starts, ends, axes, steps)
	}
	r := len(in)
	first, count, step = make([]int64, r), append([]int64(nil), in...), ones(r)
	seen := make([]bool, r)
	for i := range starts {
		a := int64(i)
		if axes != nil {
			a = axes[i]
		}
		ax, err := NormAxis(a, r)
		if err != nil {
			return nil, nil, nil, err
		}
		if seen[ax] {
			return nil, nil, nil, fmt.Errorf("axis %d repeated", a)
		}
		seen[ax] = true
		s := int64(1)
		if steps != nil {
			s = steps[i]
		}
		if s == 0 {
			return nil, nil, nil, fmt.Errorf("step 0 on axis %d", a)
		}
		first[ax], count[ax] = SliceAxis(starts[i], ends[i], s, in[ax])
		step[ax] = s
	}
	return first, count, step, nil
}
