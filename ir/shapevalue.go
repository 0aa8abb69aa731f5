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
