package ir

import (
	"math"

	"github.com/x448/float16"
)

// MaxEvalElements bounds the size of the shape values shape inference
// computes (shape arithmetic is small).
const MaxEvalElements = 1 << 16

// maxEvalDepth bounds how far back through producers the evaluator looks.
const maxEvalDepth = 64

// elem is one element of a partially known small tensor. Integer and bool
// elements use i, floating-point ones f. An unknown element may carry the
// name of the symbolic dimension it came from (Shape of a [N,3] tensor is
// [N,3] with N unknown).
type elem struct {
	i     int64
	f     float64
	known bool
	param string
}

// symTensor is a small tensor whose elements may be unknown.
type symTensor struct {
	dt   DType
	dims []int64
	e    []elem
}

func (s *symTensor) allKnown() bool {
	for _, e := range s.e {
		if !e.known {
			return false
		}
	}
	return true
}

// isIntLike reports whether dt values are stored in elem.i.
func isIntLike(dt DType) bool { return dt.IsInt() || dt == Bool }

// evaluable reports whether the evaluator can hold dt values.
func evaluable(dt DType) bool {
	switch dt {
	case Float32, Float64, Float16, BFloat16:
		return true
	case Uint4, Int4:
		return false
	}
	return isIntLike(dt)
}

func (s *symTensor) tensor() *Tensor {
	if isIntLike(s.dt) {
		// Integers are written bit-exactly (little-endian two's complement,
		// truncated to the element size), not through float64.
		sz := s.dt.Size()
		raw := make([]byte, sz*len(s.e))
		for i, e := range s.e {
			u := uint64(e.i)
			for b := range sz {
				raw[i*sz+b] = byte(u >> (8 * b))
			}
		}
		return &Tensor{DType: s.dt, Dims: append([]int64{}, s.dims...), Raw: raw}
	}
	vals := make([]float64, len(s.e))
	for i, e := range s.e {
		vals[i] = e.f
	}
	t, err := NewFromFloat64(s.dt, s.dims, vals)
	if err != nil {
		return nil
	}
	return t
}

// ints returns the elements as int64 when all are known and integral.
func (s *symTensor) ints() ([]int64, bool) {
	out := make([]int64, len(s.e))
	for i, e := range s.e {
		if !e.known {
			return nil, false
		}
		if isIntLike(s.dt) {
			out[i] = e.i
		} else {
			if e.f != math.Trunc(e.f) || math.Abs(e.f) > 1<<62 {
				return nil, false
			}
			out[i] = int64(e.f)
		}
	}
	return out, true
}

// floats returns the elements as float64 when all are known.
func (s *symTensor) floats() ([]float64, bool) {
	out := make([]float64, len(s.e))
	for i, e := range s.e {
		if !e.known {
			return nil, false
		}
		if isIntLike(s.dt) {
			out[i] = float64(e.i)
		} else {
			out[i] = e.f
		}
	}
	return out, true
}

// fromTensor converts constant data, or returns nil when too large or of a
// type the evaluator does not handle.
func fromTensor(t *Tensor) *symTensor {
	if t == nil || !evaluable(t.DType) || t.Check() != nil {
		return nil
	}
	n := t.Len()
	if n < 0 || n > MaxEvalElements {
		return nil
	}
	s := &symTensor{dt: t.DType, dims: append([]int64{}, t.Dims...), e: make([]elem, n)}
	if isIntLike(t.DType) {
		vals, err := t.Int64s()
		if err != nil {
			return nil
		}
		for i, v := range vals {
			s.e[i] = elem{i: v, known: true}
		}
		return s
	}
	vals, err := t.Float64s()
	if err != nil {
		return nil
	}
	for i, v := range vals {
		s.e[i] = elem{f: v, known: true}
	}
	return s
}

type evaluator struct {
	memo map[*Value]*symTensor
}

// symValue is the (partially) known value of v for shape inference, or
// nil: ONNX's data propagation. A symbolic shape value keeps unknown
// elements with the name of the dimension they came from, so that
// Shape -> Gather -> Unsqueeze -> Concat -> Reshape over a [N,64,7,7] input
// gives [N,3136]; this is what only shape inference can do (the runtime
// and the converters see static shapes). The evaluator also computes
// fully known values (integer and float arithmetic, Cast, comparisons,
// Where, ReduceProd, ...) because exporters compute Reshape targets,
// Resize scales and sizes, Tile repeats and Pad amounts from constants and
// shapes, and InferShapes runs on a model as imported, before any constant
// folding; ir cannot call engine.Eval (the engine imports ir). Constant
// folding itself (passes, coreml) uses engine.Eval. Graph inputs that have
// an initializer (old-IR overridable inputs) count as their default
// value, as in ONNX's shape inference. Values are limited to
// MaxEvalElements elements.
func symValue(v *Value) *symTensor {
	return (&evaluator{memo: map[*Value]*symTensor{}}).value(v, 0)
}

func (ev *evaluator) value(v *Value, depth int) *symTensor {
	if v == nil {
		return nil
	}
	if s, ok := ev.memo[v]; ok {
		return s
	}
	var s *symTensor
	switch {
	case v.Const != nil:
		s = fromTensor(v.Const)
	case v.IsInput || v.Producer == nil || depth > maxEvalDepth:
	default:
		s = ev.eval(v.Producer, v.OutIndex, depth)
	}
	if s != nil && (int64(len(s.e)) != NumElements(s.dims) || len(s.e) > MaxEvalElements) {
		s = nil
	}
	ev.memo[v] = s
	return s
}

// eval computes output idx of n, or nil when unknown.
func (ev *evaluator) eval(n *Node, idx int, depth int) *symTensor {
	if n.Domain != "" && n.Domain != "ai.onnx" {
		return nil
	}
	in := func(i int) *symTensor { return ev.value(n.Input(i), depth+1) }
	if n.OpType == "If" {
		// A known condition selects the branch whose output is the value.
		c := in(0)
		if c == nil || len(c.e) != 1 || !c.e[0].known {
			return nil
		}
		branch := "else_branch"
		if c.e[0].i != 0 || c.e[0].f != 0 {
			branch = "then_branch"
		}
		a := n.Attr(branch)
		if a == nil || a.G == nil || idx >= len(a.G.Outputs) {
			return nil
		}
		return ev.value(a.G.Outputs[idx], depth+1)
	}
	f, ok := evalOps[n.OpType]
	if !ok || idx != 0 {
		return nil
	}
	return f(n, in)
}

type evalFunc func(n *Node, in func(int) *symTensor) *symTensor

var evalOps map[string]evalFunc

func init() {
	evalOps = map[string]evalFunc{
		"Constant":        evalConstant,
		"Identity":        func(n *Node, in func(int) *symTensor) *symTensor { return in(0) },
		"Shape":           evalShape,
		"Size":            evalSize,
		"Cast":            evalCast,
		"Gather":          evalGather,
		"Unsqueeze":       evalUnsqueeze,
		"Squeeze":         evalSqueeze,
		"Concat":          evalConcat,
		"Slice":           evalSlice,
		"Reshape":         evalReshape,
		"Flatten":         evalFlatten,
		"Expand":          evalExpand,
		"ConstantOfShape": evalConstantOfShape,
		"Range":           evalRange,
		"Add":             evalBinary(opAdd),
		"Sub":             evalBinary(opSub),
		"Mul":             evalBinary(opMul),
		"Div":             evalBinary(opDiv),
		"Mod":             evalBinary(opMod),
		"Max":             evalBinary(opMax),
		"Min":             evalBinary(opMin),
		"Equal":           evalBinary(opEqual),
		"Less":            evalBinary(opLess),
		"Greater":         evalBinary(opGreater),
		"LessOrEqual":     evalBinary(opLessEq),
		"GreaterOrEqual":  evalBinary(opGreaterEq),
		"And":             evalBinary(opAnd),
		"Or":              evalBinary(opOr),
		"Neg":             evalUnary(func(x float64) float64 { return -x }),
		"Abs":             evalUnary(math.Abs),
		"Floor":           evalUnary(math.Floor),
		"Ceil":            evalUnary(math.Ceil),
		"Sqrt":            evalUnary(math.Sqrt),
		"Not":             evalNot,
		"Where":           evalWhere,
		"ReduceProd":      evalReduce(true),
		"ReduceSum":       evalReduce(false),
	}
}

func evalConstant(n *Node, _ func(int) *symTensor) *symTensor {
	t, err := ConstantValue(n)
	if err != nil {
		return nil
	}
	return fromTensor(t)
}

func evalShape(n *Node, _ func(int) *symTensor) *symTensor {
	x := n.Input(0)
	if x == nil || !x.Type.HasShape {
		return nil
	}
	s, e := ShapeStartEnd(n, len(x.Type.Shape))
	out := &symTensor{dt: Int64, dims: []int64{int64(e - s)}}
	for _, d := range x.Type.Shape[s:e] {
		if d.Known() {
			out.e = append(out.e, elem{i: d.Size, known: true})
		} else {
			out.e = append(out.e, elem{param: d.Param})
		}
	}
	return out
}

func evalSize(n *Node, _ func(int) *symTensor) *symTensor {
	x := n.Input(0)
	if x == nil || !x.Type.Static() {
		return nil
	}
	c := NumElements(x.Type.Shape.Sizes())
	if c < 0 {
		return nil
	}
	return &symTensor{dt: Int64, e: []elem{{i: c, known: true}}}
}

// roundTo rounds f to the precision of float dtype dt.
func roundTo(dt DType, f float64) float64 {
	switch dt {
	case Float32:
		return float64(float32(f))
	case Float16:
		return float64(float16.Fromfloat32(float32(f)).Float32())
	case BFloat16:
		return float64(math.Float32frombits(math.Float32bits(float32(f)) &^ 0xffff))
	}
	return f
}

// wrapInt reduces i to the range of integer dtype dt (two's complement).
func wrapInt(dt DType, i int64) int64 {
	switch dt {
	case Int8:
		return int64(int8(i))
	case Uint8:
		return int64(uint8(i))
	case Int16:
		return int64(int16(i))
	case Uint16:
		return int64(uint16(i))
	case Int32:
		return int64(int32(i))
	case Uint32:
		return int64(uint32(i))
	case Bool:
		if i != 0 {
			return 1
		}
	}
	return i
}

// convert changes e from dtype from to dtype to (Cast semantics: floats to
// integers truncate toward zero).
func convert(e elem, from, to DType) elem {
	if !e.known {
		if isIntLike(from) && isIntLike(to) {
			return e
		}
		return elem{}
	}
	switch {
	case isIntLike(from) && isIntLike(to):
		return elem{i: wrapInt(to, e.i), known: true}
	case isIntLike(from):
		return elem{f: roundTo(to, float64(e.i)), known: true}
	case isIntLike(to):
		if to == Bool {
			return elem{i: b2i(e.f != 0), known: true}
		}
		if math.IsNaN(e.f) || math.Abs(e.f) >= 1<<63 {
			return elem{}
		}
		return elem{i: wrapInt(to, int64(e.f)), known: true}
	default:
		return elem{f: roundTo(to, e.f), known: true}
	}
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func evalCast(n *Node, in func(int) *symTensor) *symTensor {
	x := in(0)
	to := DType(n.AttrInt("to", 0))
	if x == nil || !evaluable(to) {
		return nil
	}
	out := &symTensor{dt: to, dims: x.dims, e: make([]elem, len(x.e))}
	for i, e := range x.e {
		out.e[i] = convert(e, x.dt, to)
	}
	return out
}

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

func evalConstantOfShape(n *Node, in func(int) *symTensor) *symTensor {
	sh := in(0)
	if sh == nil {
		return nil
	}
	dims, ok := sh.ints()
	if !ok {
		return nil
	}
	cnt := NumElements(dims)
	if cnt < 0 || cnt > MaxEvalElements {
		return nil
	}
	fill := &symTensor{dt: Float32, e: []elem{{f: 0, known: true}}}
	if a := n.Attr("value"); a != nil && a.T != nil {
		fill = fromTensor(a.T)
		if fill == nil || len(fill.e) != 1 {
			return nil
		}
	}
	out := &symTensor{dt: fill.dt, dims: dims, e: make([]elem, cnt)}
	for i := range out.e {
		out.e[i] = fill.e[0]
	}
	return out
}

func evalRange(n *Node, in func(int) *symTensor) *symTensor {
	a, b, c := in(0), in(1), in(2)
	if a == nil || b == nil || c == nil || len(a.e) != 1 || len(b.e) != 1 || len(c.e) != 1 {
		return nil
	}
	if isIntLike(a.dt) {
		st, ok1 := a.ints()
		li, ok2 := b.ints()
		de, ok3 := c.ints()
		if !ok1 || !ok2 || !ok3 || de[0] == 0 {
			return nil
		}
		cnt := rangeCount(float64(st[0]), float64(li[0]), float64(de[0]))
		if cnt < 0 || cnt > MaxEvalElements {
			return nil
		}
		out := &symTensor{dt: a.dt, dims: []int64{cnt}}
		for k := int64(0); k < cnt; k++ {
			out.e = append(out.e, elem{i: wrapInt(a.dt, st[0]+k*de[0]), known: true})
		}
		return out
	}
	st, ok1 := a.floats()
	li, ok2 := b.floats()
	de, ok3 := c.floats()
	if !ok1 || !ok2 || !ok3 || de[0] == 0 {
		return nil
	}
	cnt := rangeCount(st[0], li[0], de[0])
	if cnt < 0 || cnt > MaxEvalElements {
		return nil
	}
	out := &symTensor{dt: a.dt, dims: []int64{cnt}}
	for k := int64(0); k < cnt; k++ {
		out.e = append(out.e, elem{f: roundTo(a.dt, st[0]+float64(k)*de[0]), known: true})
	}
	return out
}

// rangeCount is Range's element count max(ceil((limit-start)/delta), 0), or
// -1 when not finite or too large.
func rangeCount(start, limit, delta float64) int64 {
	c := math.Ceil((limit - start) / delta)
	if math.IsNaN(c) || c > float64(MaxElements) {
		return -1
	}
	if c < 0 {
		return 0
	}
	return int64(c)
}

// binop combines two known elements of dtype dt; ok=false means unknown.
type binop func(dt DType, a, b elem) (elem, bool)

func arith(fi func(a, b int64) (int64, bool), ff func(a, b float64) float64) binop {
	return func(dt DType, a, b elem) (elem, bool) {
		if isIntLike(dt) {
			v, ok := fi(a.i, b.i)
			return elem{i: wrapInt(dt, v), known: ok}, ok
		}
		return elem{f: roundTo(dt, ff(a.f, b.f)), known: true}, true
	}
}

var (
	opAdd = arith(func(a, b int64) (int64, bool) { return a + b, true }, func(a, b float64) float64 { return a + b })
	opSub = arith(func(a, b int64) (int64, bool) { return a - b, true }, func(a, b float64) float64 { return a - b })
	opMul = arith(func(a, b int64) (int64, bool) { return a * b, true }, func(a, b float64) float64 { return a * b })
	opDiv = arith(func(a, b int64) (int64, bool) {
		if b == 0 || (a == math.MinInt64 && b == -1) {
			return 0, false
		}
		return a / b, true
	}, func(a, b float64) float64 { return a / b })
	// opMod is Mod with fmod=0 (integers: result has the divisor's sign).
	opMod = arith(func(a, b int64) (int64, bool) {
		if b == 0 || (a == math.MinInt64 && b == -1) {
			return 0, false
		}
		m := a % b
		if m != 0 && (m < 0) != (b < 0) {
			m += b
		}
		return m, true
	}, math.Mod)
	opMax = arith(func(a, b int64) (int64, bool) { return max(a, b), true }, math.Max)
	opMin = arith(func(a, b int64) (int64, bool) { return min(a, b), true }, math.Min)
)

func compare(fi func(a, b int64) bool, ff func(a, b float64) bool) binop {
	return func(dt DType, a, b elem) (elem, bool) {
		if isIntLike(dt) {
			return elem{i: b2i(fi(a.i, b.i)), known: true}, true
		}
		return elem{i: b2i(ff(a.f, b.f)), known: true}, true
	}
}

var (
	opEqual     = compare(func(a, b int64) bool { return a == b }, func(a, b float64) bool { return a == b })
	opLess      = compare(func(a, b int64) bool { return a < b }, func(a, b float64) bool { return a < b })
	opGreater   = compare(func(a, b int64) bool { return a > b }, func(a, b float64) bool { return a > b })
	opLessEq    = compare(func(a, b int64) bool { return a <= b }, func(a, b float64) bool { return a <= b })
	opGreaterEq = compare(func(a, b int64) bool { return a >= b }, func(a, b float64) bool { return a >= b })
	opAnd       = compare(func(a, b int64) bool { return a != 0 && b != 0 }, nil)
	opOr        = compare(func(a, b int64) bool { return a != 0 || b != 0 }, nil)
)

// isCompare reports whether op yields bool.
func isCompareOp(op string) bool {
	switch op {
	case "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Not":
		return true
	}
	return false
}

func evalBinary(op binop) evalFunc {
	return func(n *Node, in func(int) *symTensor) *symTensor {
		if len(n.Inputs) != 2 {
			return nil
		}
		a, b := in(0), in(1)
		if a == nil || b == nil || a.dt != b.dt {
			return nil
		}
		dims, err := broadcastShapes(S(a.dims...), S(b.dims...))
		if err != nil {
			return nil
		}
		ab, bb := broadcastTo(a, dims.Sizes()), broadcastTo(b, dims.Sizes())
		if ab == nil || bb == nil {
			return nil
		}
		dt := a.dt
		if isCompareOp(n.OpType) {
			dt = Bool
		}
		out := &symTensor{dt: dt, dims: ab.dims, e: make([]elem, len(ab.e))}
		for i := range ab.e {
			x, y := ab.e[i], bb.e[i]
			if !x.known || !y.known {
				// x*1, x+0 and x-0 keep a symbolic dimension's name.
				if n.OpType == "Mul" || n.OpType == "Add" || n.OpType == "Sub" {
					if !x.known && y.known && isIntLike(a.dt) && ((n.OpType == "Mul" && y.i == 1) || (n.OpType != "Mul" && y.i == 0)) {
						out.e[i] = x
						continue
					}
					if !y.known && x.known && isIntLike(a.dt) && ((n.OpType == "Mul" && x.i == 1) || (n.OpType == "Add" && x.i == 0)) {
						out.e[i] = y
						continue
					}
				}
				continue
			}
			if r, ok := op(a.dt, x, y); ok {
				out.e[i] = r
			}
		}
		return out
	}
}

func evalUnary(f func(float64) float64) evalFunc {
	return func(n *Node, in func(int) *symTensor) *symTensor {
		x := in(0)
		if x == nil {
			return nil
		}
		out := &symTensor{dt: x.dt, dims: x.dims, e: make([]elem, len(x.e))}
		for i, e := range x.e {
			if !e.known {
				continue
			}
			if isIntLike(x.dt) {
				v := f(float64(e.i))
				if math.IsNaN(v) || math.Abs(v) >= 1<<62 {
					continue
				}
				out.e[i] = elem{i: wrapInt(x.dt, int64(v)), known: true}
			} else {
				out.e[i] = elem{f: roundTo(x.dt, f(e.f)), known: true}
			}
		}
		return out
	}
}

func evalNot(n *Node, in func(int) *symTensor) *symTensor {
	x := in(0)
	if x == nil || x.dt != Bool {
		return nil
	}
	out := &symTensor{dt: Bool, dims: x.dims, e: make([]elem, len(x.e))}
	for i, e := range x.e {
		if e.known {
			out.e[i] = elem{i: 1 - e.i, known: true}
		}
	}
	return out
}

func evalWhere(n *Node, in func(int) *symTensor) *symTensor {
	c, a, b := in(0), in(1), in(2)
	if c == nil || a == nil || b == nil || a.dt != b.dt {
		return nil
	}
	dims, err := broadcastShapes(S(c.dims...), S(a.dims...))
	if err == nil {
		dims, err = broadcastShapes(dims, S(b.dims...))
	}
	if err != nil {
		return nil
	}
	cb, ab, bb := broadcastTo(c, dims.Sizes()), broadcastTo(a, dims.Sizes()), broadcastTo(b, dims.Sizes())
	if cb == nil || ab == nil || bb == nil {
		return nil
	}
	out := &symTensor{dt: a.dt, dims: ab.dims, e: make([]elem, len(ab.e))}
	for i, e := range cb.e {
		switch {
		case !e.known:
		case e.i != 0:
			out.e[i] = ab.e[i]
		default:
			out.e[i] = bb.e[i]
		}
	}
	return out
}

// evalReduce handles ReduceProd/ReduceSum over all axes or given axes with
// keepdims (the common "number of elements" pattern).
func evalReduce(prod bool) evalFunc {
	return func(n *Node, in func(int) *symTensor) *symTensor {
		x := in(0)
		if x == nil {
			return nil
		}
		axes, ok := axesOf(n, in, 1)
		if !ok {
			return nil
		}
		keep := n.AttrInt("keepdims", 1) != 0
		if len(axes) == 0 && n.AttrInt("noop_with_empty_axes", 0) != 0 {
			return x
		}
		outShape, err := reduceShape(S(x.dims...), axes, keep)
		if err != nil {
			return nil
		}
		r := len(x.dims)
		red := make([]bool, r)
		if len(axes) == 0 {
			for i := range red {
				red[i] = true
			}
		}
		for _, a := range axes {
			red[normAxis(a, r)] = true
		}
		// Output position of each input element: drop reduced coordinates.
		cnt := NumElements(outShape.Sizes())
		out := &symTensor{dt: x.dt, dims: outShape.Sizes(), e: make([]elem, cnt)}
		init := elem{known: true}
		if prod {
			init.i, init.f = 1, 1
		}
		for i := range out.e {
			out.e[i] = init
		}
		xs := strides(x.dims)
		var keptDims []int64
		for d := range r {
			if !red[d] {
				keptDims = append(keptDims, x.dims[d])
			}
		}
		ks := strides(keptDims)
		op := opAdd
		if prod {
			op = opMul
		}
		for k := range x.e {
			rem := int64(k)
			off, j := int64(0), 0
			for d := range r {
				c := rem / xs[d]
				rem %= xs[d]
				if !red[d] {
					off += c * ks[j]
					j++
				}
			}
			o := out.e[off]
			if !o.known || !x.e[k].known {
				out.e[off] = elem{}
				continue
			}
			v, ok := op(x.dt, o, x.e[k])
			if !ok {
				v = elem{}
			}
			out.e[off] = v
		}
		return out
	}
}
