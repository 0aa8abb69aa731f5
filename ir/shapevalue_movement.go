package ir

// Symbolic evaluation (see shapevalue.go) of the data-movement ops on shape
// values: Gather, Unsqueeze, Squeeze, Flatten, Concat, Slice, Reshape and
// Expand, with the broadcasting helpers.

func strides(dims []int64) []int64 {
	st := make([]int64, len(dims))
	acc := int64(1)
	for i := len(dims) - 1; i >= 0; i-- {
		st[i] = acc
		acc *= dims[i]
	}
	return st
}

func evalGather(n *Node, in func(int) *symTensor) *symTensor {
	x, idx := in(0), in(1)
	if x == nil || idx == nil || len(x.dims) == 0 {
		return nil
	}
	ax := normAxis(n.AttrInt("axis", 0), len(x.dims))
	if ax < 0 {
		return nil
	}
	ii, ok := idx.ints()
	if !ok {
		return nil
	}
	outDims := append(append(append([]int64{}, x.dims[:ax]...), idx.dims...), x.dims[ax+1:]...)
	cnt := NumElements(outDims)
	if cnt < 0 || cnt > MaxEvalElements {
		return nil
	}
	outer := NumElements(x.dims[:ax])
	inner := NumElements(x.dims[ax+1:])
	axLen := x.dims[ax]
	out := &symTensor{dt: x.dt, dims: outDims, e: make([]elem, 0, cnt)}
	for o := int64(0); o < outer; o++ {
		for _, k := range ii {
			if k < 0 {
				k += axLen
			}
			if k < 0 || k >= axLen {
				return nil
			}
			base := (o*axLen + k) * inner
			out.e = append(out.e, x.e[base:base+inner]...)
		}
	}
	return out
}

// axesOf returns the axes of Squeeze/Unsqueeze/Reduce*: the attribute
// before the opset in which they became an input, the input after.
func axesOf(n *Node, in func(int) *symTensor, inputIdx int) ([]int64, bool) {
	if a := n.Attr("axes"); a != nil {
		return a.Ints, true
	}
	if n.Input(inputIdx) == nil {
		return nil, true
	}
	s := in(inputIdx)
	if s == nil {
		return nil, false
	}
	return s.ints()
}

func reshaped(x *symTensor, dims []int64) *symTensor {
	return &symTensor{dt: x.dt, dims: dims, e: x.e}
}

func evalUnsqueeze(n *Node, in func(int) *symTensor) *symTensor {
	return evalAxesReshape(n, in, unsqueezeDims)
}

func evalSqueeze(n *Node, in func(int) *symTensor) *symTensor {
	return evalAxesReshape(n, in, squeezeDims)
}

// evalAxesReshape evaluates Squeeze or Unsqueeze: the data is unchanged,
// the dims are dims(x's shape, axes).
func evalAxesReshape(n *Node, in func(int) *symTensor, dims func(Shape, []int64) (Shape, error)) *symTensor {
	x := in(0)
	if x == nil {
		return nil
	}
	axes, ok := axesOf(n, in, 1)
	if !ok {
		return nil
	}
	d, err := dims(S(x.dims...), axes)
	if err != nil {
		return nil
	}
	return reshaped(x, d.Sizes())
}

func evalFlatten(n *Node, in func(int) *symTensor) *symTensor {
	x := in(0)
	if x == nil {
		return nil
	}
	ax, err := FlattenAxis(n, len(x.dims))
	if err != nil {
		return nil
	}
	return reshaped(x, []int64{NumElements(x.dims[:ax]), NumElements(x.dims[ax:])})
}

func evalConcat(n *Node, in func(int) *symTensor) *symTensor {
	var parts []*symTensor
	for i := range n.Inputs {
		p := in(i)
		if p == nil {
			return nil
		}
		parts = append(parts, p)
	}
	if len(parts) == 0 || len(parts[0].dims) == 0 {
		return nil
	}
	r := len(parts[0].dims)
	ax := normAxis(n.AttrInt("axis", 0), r)
	if ax < 0 {
		return nil
	}
	outDims := append([]int64{}, parts[0].dims...)
	outDims[ax] = 0
	for _, p := range parts {
		if len(p.dims) != r || p.dt != parts[0].dt {
			return nil
		}
		for d := range r {
			if d != ax && p.dims[d] != outDims[d] {
				return nil
			}
		}
		outDims[ax] += p.dims[ax]
	}
	outer := NumElements(outDims[:ax])
	out := &symTensor{dt: parts[0].dt, dims: outDims}
	for o := int64(0); o < outer; o++ {
		for _, p := range parts {
			blk := NumElements(p.dims[ax:])
			out.e = append(out.e, p.e[o*blk:(o+1)*blk]...)
		}
	}
	return out
}

// sliceParams returns Slice's starts, ends, axes and steps from attributes
// (opset < 10) or inputs.
func sliceParams(n *Node, in func(int) *symTensor, opset int64) (starts, ends, axes, steps []int64, ok bool) {
	if opset > 0 && opset < 10 || n.Attr("starts") != nil {
		starts, ends = n.AttrInts("starts", nil), n.AttrInts("ends", nil)
		axes = n.AttrInts("axes", nil)
	} else {
		get := func(i int) ([]int64, bool) {
			if n.Input(i) == nil {
				return nil, true
			}
			s := in(i)
			if s == nil {
				return nil, false
			}
			return s.ints()
		}
		var ok1, ok2, ok3, ok4 bool
		starts, ok1 = get(1)
		ends, ok2 = get(2)
		axes, ok3 = get(3)
		steps, ok4 = get(4)
		if !ok1 || !ok2 || !ok3 || !ok4 {
			return nil, nil, nil, nil, false
		}
	}
	if axes == nil {
		for i := range starts {
			axes = append(axes, int64(i))
		}
	}
	if steps == nil {
		steps = make([]int64, len(starts))
		for i := range steps {
			steps[i] = 1
		}
	}
	if len(ends) != len(starts) || len(axes) != len(starts) || len(steps) != len(starts) {
		return nil, nil, nil, nil, false
	}
	return starts, ends, axes, steps, true
}

func evalSlice(n *Node, in func(int) *symTensor) *symTensor {
	x := in(0)
	if x == nil {
		return nil
	}
	starts, ends, axes, steps, ok := sliceParams(n, in, 0)
	if !ok {
		return nil
	}
	first, count, step, err := ResolveSlice(x.dims, starts, ends, axes, steps)
	if err != nil {
		return nil
	}
	r := len(x.dims)
	st := strides(x.dims)
	out := &symTensor{dt: x.dt, dims: count}
	total := NumElements(count)
	idx := make([]int64, r)
	for k := int64(0); k < total; k++ {
		off := int64(0)
		for d := range r {
			off += (first[d] + idx[d]*step[d]) * st[d]
		}
		out.e = append(out.e, x.e[off])
		nextIndex(idx, count)
	}
	return out
}

func evalReshape(n *Node, in func(int) *symTensor) *symTensor {
	x := in(0)
	if x == nil {
		return nil
	}
	sh := in(1)
	if sh == nil {
		return nil
	}
	if !isIntLike(sh.dt) || !sh.allKnown() {
		return nil
	}
	s, err := reshapeShape(S(x.dims...), sh.e, n.AttrInt("allowzero", 0) != 0)
	if err != nil || !s.Static() {
		return nil
	}
	return reshaped(x, s.Sizes())
}

func evalExpand(n *Node, in func(int) *symTensor) *symTensor {
	x, sh := in(0), in(1)
	if x == nil || sh == nil {
		return nil
	}
	target, ok := sh.ints()
	if !ok {
		return nil
	}
	dims, err := broadcastShapes(S(x.dims...), S(target...))
	if err != nil || !dims.Static() {
		return nil
	}
	return broadcastTo(x, dims.Sizes())
}

// nextIndex advances the multi-index idx over dims in row-major order
// (last axis fastest), wrapping to all zeros after the last element.
func nextIndex(idx, dims []int64) {
	for d := len(idx) - 1; d >= 0; d-- {
		idx[d]++
		if idx[d] < dims[d] {
			return
		}
		idx[d] = 0
	}
}

// broadcastTo repeats x's elements to fill dims (numpy broadcasting).
func broadcastTo(x *symTensor, dims []int64) *symTensor {
	total := NumElements(dims)
	if total < 0 || total > MaxEvalElements {
		return nil
	}
	r := len(dims)
	xs := strides(x.dims)
	// stride of each output dim in x (0 where broadcast)
	bs := make([]int64, r)
	for d := range r {
		xd := d - (r - len(x.dims))
		if xd >= 0 && x.dims[xd] != 1 {
			bs[d] = xs[xd]
		}
	}
	out := &symTensor{dt: x.dt, dims: dims, e: make([]elem, total)}
	idx := make([]int64, r)
	for k := range total {
		off := int64(0)
		for d := range r {
			off += idx[d] * bs[d]
		}
		out.e[k] = x.e[off]
		nextIndex(idx, dims)
	}
	return out
}
