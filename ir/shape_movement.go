package ir

import (
	"fmt"
	"math"
)

// Shape functions of data movement: Flatten, Reshape, Transpose, Concat,
// Split, Slice, Squeeze, Unsqueeze, Expand, Tile, DepthToSpace and
// SpaceToDepth.

// shapeFlatten: [prod(dims[:axis]), prod(dims[axis:])], axis default 1.
func shapeFlatten(n *Node, _ int64) error {
	t, ok := inType(n, 0)
	if !ok {
		return nil
	}
	if !t.HasShape {
		setOut(n, 0, t.DType, unknownDims(2))
		return nil
	}
	ax, err := FlattenAxis(n, len(t.Shape))
	if err != nil {
		return err
	}
	setOut(n, 0, t.DType, Shape{productDim(t.Shape[:ax]), productDim(t.Shape[ax:])})
	return nil
}

// shapeReshape: target from the shape input (opset >= 5) or attribute
// (opset < 5), with 0 (copy, unless allowzero) and -1 (infer).
func shapeReshape(n *Node, _ int64) error {
	t, ok := inType(n, 0)
	if !ok {
		return nil
	}
	var target []elem
	if a := n.Attr("shape"); a != nil && n.Input(1) == nil {
		for _, v := range a.Ints {
			target = append(target, elem{i: v, known: true})
		}
	} else {
		var ok bool
		if target, ok = valueElems(n, 1); !ok {
			setOutNoShape(n, 0, t.DType)
			return nil
		}
	}
	in := t.Shape
	if !t.HasShape {
		// Without the input shape only explicit sizes are known.
		out := make(Shape, len(target))
		for i, e := range target {
			if e.known && e.i > 0 {
				out[i] = Dim{Size: e.i}
			} else if e.known && e.i < -1 {
				return fmt.Errorf("reshape target %s has invalid size %d", elemsString(target), e.i)
			} else {
				out[i] = Dim{Size: -1, Param: e.param}
			}
		}
		setOut(n, 0, t.DType, out)
		return nil
	}
	out, err := reshapeShape(in, target, n.AttrInt("allowzero", 0) != 0)
	if err != nil {
		return err
	}
	setOut(n, 0, t.DType, out)
	return nil
}

// shapeTranspose: dims permuted by perm (default: reversed).
func shapeTranspose(n *Node, _ int64) error {
	t, ok := shapedInput0(n)
	if !ok {
		return nil
	}
	perm, err := TransposePerm(n, len(t.Shape))
	if err != nil {
		return err
	}
	out := make(Shape, len(perm))
	for i, p := range perm {
		out[i] = t.Shape[p]
	}
	setOut(n, 0, t.DType, out)
	return nil
}

// concatShapes is the shape of concatenating shapes along axis a
// (negative counting from the end): equal ranks, dims off the axis that
// agree (sameDim), and along the axis their sum (unknown when one is);
// it also returns the normalised axis.
func concatShapes(shapes []Shape, a int64) (Shape, int, error) {
	r := len(shapes[0])
	ax, err := NormAxis(a, r)
	if err != nil {
		return nil, 0, err
	}
	out := append(Shape{}, shapes[0]...)
	sum := int64(0)
	known := true
	for _, s := range shapes {
		if len(s) != r {
			return nil, 0, fmt.Errorf("inputs have different ranks: %s and %s", shapes[0], s)
		}
		for d := range r {
			if d == ax {
				continue
			}
			m, ok := sameDim(out[d], s[d])
			if !ok {
				return nil, 0, fmt.Errorf("inputs differ in dimension %d: %s and %s", d, shapes[0], s)
			}
			out[d] = m
		}
		if s[ax].Known() {
			sum += s[ax].Size
		} else {
			known = false
		}
	}
	out[ax] = Dim{Size: -1}
	if known {
		out[ax] = Dim{Size: sum}
	}
	return out, ax, nil
}

// ConcatShape is Concat's output for static input shapes along axis
// (concatShapes' rule), with the normalised axis.
func ConcatShape(shapes [][]int64, axis int64) ([]int64, int, error) {
	if len(shapes) == 0 {
		return nil, 0, fmt.Errorf("no inputs")
	}
	ss := make([]Shape, len(shapes))
	for i, s := range shapes {
		ss[i] = S(s...)
	}
	out, ax, err := concatShapes(ss, axis)
	if err != nil {
		return nil, 0, err
	}
	return out.Sizes(), ax, nil
}

// shapeConcat: inputs agree except along axis (default 1 before opset 4,
// required since), whose sizes add up.
func shapeConcat(n *Node, opset int64) error {
	dt := Undefined
	var shapes []Shape
	all := true
	for i := range n.Inputs {
		t, ok := inType(n, i)
		if dt == Undefined {
			dt = t.DType
		}
		if !ok || !t.HasShape {
			all = false
			continue
		}
		shapes = append(shapes, t.Shape)
	}
	if len(shapes) == 0 {
		setOutNoShape(n, 0, dt)
		return nil
	}
	def := int64(0)
	if opset > 0 && opset < 4 {
		def = 1
	}
	out, ax, err := concatShapes(shapes, n.AttrInt("axis", def))
	if err != nil {
		return err
	}
	if !all {
		out[ax] = Dim{Size: -1}
	}
	setOut(n, 0, dt, out)
	return nil
}

// shapeSplit: split sizes from the attribute (opset < 13) or input 1
// (opset >= 13); else num_outputs (opset 18: ceil-sized chunks, the last
// smaller) or the number of outputs (equal parts).
func shapeSplit(n *Node, opset int64) error {
	t, ok := inType(n, 0)
	if !ok {
		return nil
	}
	nout := len(n.Outputs)
	if !t.HasShape {
		for i := range nout {
			setOutNoShape(n, i, t.DType)
		}
		return nil
	}
	r := len(t.Shape)
	a := n.AttrInt("axis", 0)
	ax := normAxis(a, r)
	if ax < 0 {
		return fmt.Errorf("axis %d out of range for rank %d", a, r)
	}
	var split []int64
	if s := n.Attr("split"); s != nil {
		split = s.Ints
	} else if n.Input(1) != nil {
		v, ok := knownInts(n, 1)
		if !ok {
			for i := range nout {
				sh := append(Shape{}, t.Shape...)
				sh[ax] = Dim{Size: -1}
				setOut(n, i, t.DType, sh)
			}
			return nil
		}
		split = v
	}
	dim := t.Shape[ax].Size
	if !t.Shape[ax].Known() {
		dim = -1
	}
	split, err := SplitSizes(split, dim, nout, n.AttrInt("num_outputs", 0))
	if err != nil {
		return err
	}
	for i := range nout {
		sh := append(Shape{}, t.Shape...)
		if split != nil {
			sh[ax] = Dim{Size: split[i]}
		} else {
			sh[ax] = Dim{Size: -1}
		}
		setOut(n, i, t.DType, sh)
	}
	return nil
}

// shapeSlice: starts/ends/axes/steps from attributes (opset < 10) or
// inputs; starts and ends are clamped, negative values count from the end.
func shapeSlice(n *Node, opset int64) error {
	t, ok := shapedInput0(n)
	if !ok {
		return nil
	}
	r := len(t.Shape)
	in := func(i int) *symTensor { return symValue(n.Input(i)) }
	starts, ends, axes, steps, ok := sliceParams(n, in, opset)
	if !ok {
		// Axes known but not the bounds: those axes become unknown.
		out := append(Shape{}, t.Shape...)
		axesKnown := false
		if opset >= 10 && n.Input(3) != nil {
			if ax, ok := knownInts(n, 3); ok {
				axesKnown = true
				for _, a := range ax {
					if k := normAxis(a, r); k >= 0 {
						out[k] = Dim{Size: -1}
					}
				}
			}
		}
		if !axesKnown {
			out = unknownDims(r)
		}
		setOut(n, 0, t.DType, out)
		return nil
	}
	out := append(Shape{}, t.Shape...)
	seen := make([]bool, r)
	for i, a := range axes {
		ax := normAxis(a, r)
		if ax < 0 {
			return fmt.Errorf("axis %d out of range for rank %d", a, r)
		}
		if seen[ax] {
			return fmt.Errorf("axis %d repeated", a)
		}
		seen[ax] = true
		if steps[i] == 0 {
			return fmt.Errorf("step 0 on axis %d", a)
		}
		d := t.Shape[ax]
		if !d.Known() {
			// Whole-axis slices keep a symbolic dimension.
			if steps[i] == 1 && starts[i] == 0 && ends[i] >= math.MaxInt32 {
				continue
			}
			out[ax] = Dim{Size: -1}
			continue
		}
		_, cnt := SliceAxis(starts[i], ends[i], steps[i], d.Size)
		out[ax] = Dim{Size: cnt}
	}
	setOut(n, 0, t.DType, out)
	return nil
}

// squeezeAxes returns Squeeze/Unsqueeze axes: attribute (opset < 13) or
// input 1 (opset >= 13). ok is false when the input is there but unknown.
func squeezeAxes(n *Node) ([]int64, bool, bool) {
	if a := n.Attr("axes"); a != nil {
		return a.Ints, true, true
	}
	if n.Input(1) == nil {
		return nil, false, true
	}
	v, ok := knownInts(n, 1)
	return v, true, ok
}

// shapeSqueeze: removes the given size-1 axes, or all size-1 dimensions.
func shapeSqueeze(n *Node, _ int64) error {
	t, ok := inType(n, 0)
	if !ok {
		return nil
	}
	axes, _, aok := squeezeAxes(n)
	if !t.HasShape || !aok {
		setOutNoShape(n, 0, t.DType)
		return nil
	}
	s, err := squeezeDims(t.Shape, axes)
	if err == errUnknown {
		setOutNoShape(n, 0, t.DType)
		return nil
	}
	if err != nil {
		return err
	}
	setOut(n, 0, t.DType, s)
	return nil
}

// shapeUnsqueeze: inserts size-1 axes (required attribute before opset
// 13, input since).
func shapeUnsqueeze(n *Node, _ int64) error {
	t, ok := inType(n, 0)
	if !ok {
		return nil
	}
	axes, have, aok := squeezeAxes(n)
	if !have {
		return fmt.Errorf("missing axes")
	}
	if !t.HasShape || !aok {
		setOutNoShape(n, 0, t.DType)
		return nil
	}
	s, err := unsqueezeDims(t.Shape, axes)
	if err != nil {
		return err
	}
	setOut(n, 0, t.DType, s)
	return nil
}

// shapeExpand: broadcast of the input shape and the shape input.
func shapeExpand(n *Node, _ int64) error {
	t, ok := inType(n, 0)
	if !ok {
		return nil
	}
	es, eok := valueElems(n, 1)
	if !eok || !t.HasShape {
		setOutNoShape(n, 0, t.DType)
		return nil
	}
	target, err := elemDims(es)
	if err != nil {
		return err
	}
	out, err := broadcastShapes(t.Shape, target)
	if err != nil {
		return err
	}
	setOut(n, 0, t.DType, out)
	return nil
}

// shapeTile: each dim times its repeat.
func shapeTile(n *Node, _ int64) error {
	t, ok := shapedInput0(n)
	if !ok {
		return nil
	}
	r := len(t.Shape)
	rep, ok := knownInts(n, 1)
	if !ok {
		setOut(n, 0, t.DType, unknownDims(r))
		return nil
	}
	if len(rep) != r {
		return fmt.Errorf("repeats %v do not match rank %d", rep, r)
	}
	out := make(Shape, r)
	for i, d := range t.Shape {
		if rep[i] < 0 {
			return fmt.Errorf("negative repeats %v", rep)
		}
		switch {
		case rep[i] == 1:
			out[i] = d
		case !d.Known():
			out[i] = Dim{Size: -1}
		default:
			if d.Size != 0 && rep[i] > MaxElements/d.Size {
				return fmt.Errorf("repeats %v make dimension %d larger than 2^40", rep, i)
			}
			out[i] = Dim{Size: d.Size * rep[i]}
		}
	}
	setOut(n, 0, t.DType, out)
	return nil
}

// shapeDepthToSpace: [N, C/(b*b), H*b, W*b].
func shapeDepthToSpace(n *Node, _ int64) error {
	return spaceDepth(n, false)
}

// shapeSpaceToDepth: [N, C*b*b, H/b, W/b].
func shapeSpaceToDepth(n *Node, _ int64) error {
	return spaceDepth(n, true)
}

func spaceDepth(n *Node, toDepth bool) error {
	t, ok := inType(n, 0)
	if !ok {
		return nil
	}
	if !t.HasShape {
		setOut(n, 0, t.DType, unknownDims(4))
		return nil
	}
	if len(t.Shape) != 4 {
		return fmt.Errorf("input must be 4-D, has shape %s", t.Shape)
	}
	b := n.AttrInt("blocksize", 0)
	if b < 1 {
		return fmt.Errorf("blocksize %d must be positive", b)
	}
	x := t.Shape
	mul := func(d Dim, k int64) Dim {
		if !d.Known() {
			return Dim{Size: -1}
		}
		return Dim{Size: d.Size * k}
	}
	div := func(d Dim, k int64, what string) (Dim, error) {
		if !d.Known() {
			return Dim{Size: -1}, nil
		}
		if d.Size%k != 0 {
			return Dim{}, fmt.Errorf("%s %d not divisible by %d", what, d.Size, k)
		}
		return Dim{Size: d.Size / k}, nil
	}
	var out Shape
	if toDepth {
		h, err := div(x[2], b, "height")
		if err != nil {
			return err
		}
		w, err := div(x[3], b, "width")
		if err != nil {
			return err
		}
		out = Shape{x[0], mul(x[1], b*b), h, w}
	} else {
		c, err := div(x[1], b*b, "channels")
		if err != nil {
			return err
		}
		out = Shape{x[0], c, mul(x[2], b), mul(x[3], b)}
	}
	setOut(n, 0, t.DType, out)
	return nil
}
