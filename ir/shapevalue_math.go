package ir

import (
	"math"
)

// Symbolic evaluation (see shapevalue.go) of elementwise arithmetic,
// comparison and logic, Where and the reductions on shape values.

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

// isCompareOp reports whether op yields bool.
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
