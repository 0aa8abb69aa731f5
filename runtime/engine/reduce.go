package engine

import (
	"fmt"
	"math"
	"sort"

	"github.com/mconv/mconv/ir"
)

// Reductions: the Reduce ops, ArgMax/ArgMin and TopK.

// opReduce implements ReduceMean/Sum/Max/Min/Prod/L1/L2/SumSquare/
// LogSum/LogSumExp with keepdims and noop_with_empty_axes, accumulating in
// float64 in input order.
func opReduce(c *ctx) (func(), error) {
	x := c.input(0)
	if x.dt != ir.Float32 && x.dt != ir.Float64 && x.dt != ir.Int64 && x.dt != ir.Int32 {
		return nil, fmt.Errorf("unsupported: %s on %s", c.n.OpType, x.dt)
	}
	op := c.n.OpType
	since := int64(18)
	if op == "ReduceSum" {
		since = 13
	}
	axes, given, err := c.axesArg(1, since)
	if err != nil {
		return nil, err
	}
	if (!given || len(axes) == 0) && c.n.AttrInt("noop_with_empty_axes", 0) == 1 {
		return c.view(x.shape)
	}
	r := len(x.shape)
	red, err := ir.ReduceAxes(axes, r)
	if err != nil {
		return nil, err
	}
	keep := c.n.AttrInt("keepdims", 1) == 1
	var oshape, kshape []int64
	for i, d := range x.shape {
		if red[i] {
			kshape = append(kshape, 1)
			if keep {
				oshape = append(oshape, 1)
			}
		} else {
			kshape = append(kshape, d)
			oshape = append(oshape, d)
		}
	}
	out, err := c.setOut(0, x.dt, oshape)
	if err != nil {
		return nil, err
	}
	if f := reduceContiguous(c, op, x, out, red); f != nil {
		return f, nil
	}
	acc := make([]float64, out.n)
	cnt := make([]int, out.n)
	os := contiguousStrides(kshape)
	for i := range os {
		if red[i] {
			os[i] = 0
		}
	}
	idx := make([]int, r)
	var init float64
	switch op {
	case "ReduceMax":
		init = math.Inf(-1)
	case "ReduceMin":
		init = math.Inf(1)
	case "ReduceProd":
		init = 1
	}
	return func() {
		for i := range acc {
			acc[i] = init
			cnt[i] = 0
		}
		for i := range idx {
			idx[i] = 0
		}
		oi := 0
		for k := 0; k < x.n; k++ {
			v := readF64(x, k)
			a := acc[oi]
			switch op {
			case "ReduceMax":
				if v > a || v != v {
					a = v
				}
			case "ReduceMin":
				if v < a || v != v {
					a = v
				}
			case "ReduceProd":
				a *= v
			case "ReduceL1":
				a += math.Abs(v)
			case "ReduceL2", "ReduceSumSquare":
				a += v * v
			case "ReduceLogSumExp":
				a += math.Exp(v)
			default:
				a += v
			}
			acc[oi] = a
			cnt[oi]++
			for d := r - 1; d >= 0; d-- {
				idx[d]++
				oi += os[d]
				if idx[d] < int(x.shape[d]) {
					break
				}
				oi -= os[d] * int(x.shape[d])
				idx[d] = 0
			}
		}
		for i, a := range acc {
			switch op {
			case "ReduceMean":
				if cnt[i] > 0 {
					a /= float64(cnt[i])
				} else {
					a = math.NaN()
				}
			case "ReduceL2":
				a = math.Sqrt(a)
			case "ReduceLogSum", "ReduceLogSumExp":
				a = math.Log(a)
			}
			writeF64(out, i, a)
		}
	}, nil
}

// reduceContiguous is the fast path of ReduceMean/Sum/Max/Min on float32
// when the reduced axes are one contiguous block: x viewed as [outer, red,
// inner], summed in float64 over red in order, parallel over outer.
func reduceContiguous(c *ctx, op string, x, out *tval, red []bool) func() {
	if x.dt != ir.Float32 || (op != "ReduceMean" && op != "ReduceSum" && op != "ReduceMax" && op != "ReduceMin") {
		return nil
	}
	a, b := -1, -1
	for i, r := range red {
		if r {
			if a < 0 {
				a = i
			} else if b >= 0 {
				return nil // a second block
			}
		} else if a >= 0 && b < 0 {
			b = i
		}
	}
	if a < 0 {
		return nil
	}
	if b < 0 {
		b = len(red)
	}
	outer := int(ir.NumElements(x.shape[:a]))
	rn := int(ir.NumElements(x.shape[a:b]))
	inner := int(ir.NumElements(x.shape[b:]))
	if rn == 0 {
		return nil
	}
	acc := make([][]float64, c.b.pool.threads)
	for i := range acc {
		acc[i] = make([]float64, inner)
	}
	// parallelFor hands each chunk to one goroutine; chunk k starts at
	// lo = floor(k*outer/chunks), so ceil(lo*T/outer) = k is distinct per
	// chunk and below T: each chunk gets its own accumulator.
	T := len(acc)
	f := func(lo, hi int) {
		xs, os := x.f32(), out.f32()
		ac := acc[(lo*T+outer-1)/outer]
		for o := lo; o < hi; o++ {
			base := o * rn * inner
			if inner == 1 {
				row := xs[base : base+rn]
				var s float64
				switch op {
				case "ReduceMax":
					m := row[0]
					for _, v := range row {
						if v > m || v != v {
							m = v
						}
					}
					os[o] = m
					continue
				case "ReduceMin":
					m := row[0]
					for _, v := range row {
						if v < m || v != v {
							m = v
						}
					}
					os[o] = m
					continue
				}
				for _, v := range row {
					s += float64(v)
				}
				if op == "ReduceMean" {
					s /= float64(rn)
				}
				os[o] = float32(s)
				continue
			}
			for i := range ac {
				ac[i] = float64(xs[base+i])
			}
			for r := 1; r < rn; r++ {
				row := xs[base+r*inner : base+(r+1)*inner]
				for i, v := range row {
					switch op {
					case "ReduceMax":
						if float64(v) > ac[i] || v != v {
							ac[i] = float64(v)
						}
					case "ReduceMin":
						if float64(v) < ac[i] || v != v {
							ac[i] = float64(v)
						}
					default:
						ac[i] += float64(v)
					}
				}
			}
			orow := os[o*inner : (o+1)*inner]
			for i, v := range ac {
				if op == "ReduceMean" {
					v /= float64(rn)
				}
				orow[i] = float32(v)
			}
		}
	}
	pool := c.b.pool
	return func() { pool.parallelFor(outer, 1, f) }
}

func readF64(t *tval, i int) float64 {
	switch t.dt {
	case ir.Float32:
		return float64(t.f32()[i])
	case ir.Float64:
		return t.f64()[i]
	case ir.Int64:
		return float64(t.i64()[i])
	case ir.Int32:
		return float64(t.i32()[i])
	}
	return math.NaN()
}

func writeF64(t *tval, i int, v float64) {
	switch t.dt {
	case ir.Float32:
		t.f32()[i] = float32(v)
	case ir.Float64:
		t.f64()[i] = v
	case ir.Int64:
		t.i64()[i] = int64(v)
	case ir.Int32:
		t.i32()[i] = int32(v)
	}
}

// opArgMinMax implements ArgMax and ArgMin (keepdims, select_last_index).
func opArgMinMax(c *ctx) (func(), error) {
	x := c.input(0)
	r := len(x.shape)
	ax, err := ir.NormAxis(c.n.AttrInt("axis", 0), r)
	if err != nil {
		return nil, err
	}
	last := c.n.AttrInt("select_last_index", 0) == 1
	oshape, err := ir.ReduceShape(x.shape, []int64{int64(ax)}, c.n.AttrInt("keepdims", 1) == 1)
	if err != nil {
		return nil, err
	}
	if x.dt != ir.Float32 && x.dt != ir.Float64 && x.dt != ir.Int64 && x.dt != ir.Int32 {
		return nil, fmt.Errorf("unsupported: %s on %s", c.n.OpType, x.dt)
	}
	out, err := c.setOut(0, ir.Int64, oshape)
	if err != nil {
		return nil, err
	}
	outer := int(ir.NumElements(x.shape[:ax]))
	n := int(x.shape[ax])
	stride := int(ir.NumElements(x.shape[ax+1:]))
	isMax := c.n.OpType == "ArgMax"
	return func() {
		os := out.i64()
		for o := 0; o < outer; o++ {
			for s := 0; s < stride; s++ {
				base := o*n*stride + s
				best, bi := readF64(x, base), 0
				for i := 1; i < n; i++ {
					v := readF64(x, base+i*stride)
					if (isMax && (v > best || last && v == best)) || (!isMax && (v < best || last && v == best)) {
						best, bi = v, i
					}
				}
				os[o*stride+s] = int64(bi)
			}
		}
	}, nil
}

// opTopK: the k largest (or smallest) elements along axis, sorted, with
// their indices; ties keep the lower index first.
func opTopK(c *ctx) (func(), error) {
	x := c.input(0)
	kv, err := c.constInts(1)
	if err != nil {
		return nil, err
	}
	if len(kv) != 1 {
		return nil, fmt.Errorf("K must have one element")
	}
	if x.dt != ir.Float32 && x.dt != ir.Float64 && x.dt != ir.Int32 && x.dt != ir.Int64 {
		return nil, fmt.Errorf("unsupported: TopK on %s", x.dt)
	}
	ax, err := ir.NormAxis(c.n.AttrInt("axis", -1), len(x.shape))
	if err != nil {
		return nil, err
	}
	if c.opset < 10 {
		kv = []int64{c.n.AttrInt("k", 0)}
	}
	k := int(kv[0])
	n := int(x.shape[ax])
	if k < 0 || k > n {
		return nil, fmt.Errorf("K=%d out of range for axis of size %d", k, n)
	}
	largest := c.n.AttrInt("largest", 1) == 1
	shape := append([]int64{}, x.shape...)
	shape[ax] = int64(k)
	vals, err := c.setOut(0, x.dt, shape)
	if err != nil {
		return nil, err
	}
	var idxs *tval
	if len(c.out) > 1 {
		if idxs, err = c.setOut(1, ir.Int64, shape); err != nil {
			return nil, err
		}
	}
	outer := int(ir.NumElements(x.shape[:ax]))
	st := int(ir.NumElements(x.shape[ax+1:]))
	order := make([]int, n)
	return func() {
		for o := 0; o < outer; o++ {
			for s := 0; s < st; s++ {
				base := o*n*st + s
				for i := range order {
					order[i] = i
				}
				sort.SliceStable(order, func(a, b int) bool {
					va, vb := readF64(x, base+order[a]*st), readF64(x, base+order[b]*st)
					if largest {
						return va > vb
					}
					return va < vb
				})
				for i := 0; i < k; i++ {
					j := o*k*st + i*st + s
					if x.dt.IsInt() {
						setI(x.dt, vals.buf, j, getI(x.dt, x.buf, base+order[i]*st))
					} else {
						writeF64(vals, j, readF64(x, base+order[i]*st))
					}
					if idxs != nil {
						idxs.i64()[j] = int64(order[i])
					}
				}
			}
		}
	}, nil
}

func init() {
	for _, op := range []string{"ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp"} {
		register("", op, opReduce)
	}
	register("", "ArgMax", opArgMinMax)
	register("", "ArgMin", opArgMinMax)
	register("", "TopK", opTopK)
}
