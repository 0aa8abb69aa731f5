package engine

import (
	"fmt"
	"math"

	"github.com/mconv/mconv/ir"
)

// opPool implements MaxPool and AveragePool (1-D and 2-D, float32),
// parallel over (batch, channel) planes.
func opPool(c *ctx) (func(), error) {
	x := c.input(0)
	if x.dt != ir.Float32 {
		return nil, fmt.Errorf("unsupported: %s on %s (only float32)", c.n.OpType, x.dt)
	}
	r := len(x.shape)
	if r < 3 {
		return nil, fmt.Errorf("X has rank %d, want at least 3", r)
	}
	isMax := c.n.OpType == "MaxPool"
	isLp := c.n.OpType == "LpPool"
	lpP := float64(c.n.AttrInt("p", 2))
	if isLp && r > 4 {
		return nil, fmt.Errorf("unsupported: LpPool with %d spatial dims", r-2)
	}
	if isMax && len(c.n.Outputs) > 1 && c.n.Outputs[1] != nil {
		return nil, fmt.Errorf("unsupported: MaxPool Indices output")
	}
	if isMax && c.n.AttrInt("storage_order", 0) != 0 {
		return nil, fmt.Errorf("unsupported: storage_order=1")
	}
	kernel := c.n.AttrInts("kernel_shape", nil)
	if len(kernel) != r-2 {
		return nil, fmt.Errorf("kernel_shape %v for %d spatial dims", kernel, r-2)
	}
	ceil := c.n.AttrInt("ceil_mode", 0) == 1
	if r > 4 {
		return opPoolND(c, x, kernel, ceil, isMax)
	}
	outs, pb, pe, st, dl, err := spatialAttrs(c.n, x.shape[2:], kernel, ceil)
	if err != nil {
		return nil, err
	}
	g := convGeom{N: int(x.shape[0]), C: int(x.shape[1])}
	if r == 3 {
		g.H, g.W, g.KH, g.KW, g.SH, g.SW, g.PT, g.PL, g.DH, g.DW, g.OH, g.OW = 1, int(x.shape[2]), 1, int(kernel[0]), 1, st[0], 0, pb[0], 1, dl[0], 1, outs[0]
	} else {
		g.H, g.W, g.KH, g.KW = int(x.shape[2]), int(x.shape[3]), int(kernel[0]), int(kernel[1])
		g.SH, g.SW, g.PT, g.PL, g.DH, g.DW, g.OH, g.OW = st[0], st[1], pb[0], pb[1], dl[0], dl[1], outs[0], outs[1]
	}
	// Padded extent for count_include_pad (the resolved pads; the
	// ceil-mode overhang is never counted).
	padH, padW := 1, g.W+pb[len(pb)-1]+pe[len(pe)-1]
	if r == 4 {
		padH = g.H + pb[0] + pe[0]
	}
	includePad := c.n.AttrInt("count_include_pad", 0) == 1
	out, err := c.setOut(0, ir.Float32, append([]int64{x.shape[0], x.shape[1]}, int64s(outs)...))
	if err != nil {
		return nil, err
	}
	plane := g.H * g.W
	f := func(lo, hi int) {
		xs, os := x.f32(), out.f32()
		for p := lo; p < hi; p++ {
			xp := xs[p*plane : (p+1)*plane]
			op := os[p*g.OH*g.OW : (p+1)*g.OH*g.OW]
			for oy := 0; oy < g.OH; oy++ {
				for ox := 0; ox < g.OW; ox++ {
					iy0, ix0 := oy*g.SH-g.PT, ox*g.SW-g.PL
					var s float32
					if isMax {
						s = float32(math.Inf(-1))
					}
					cnt := 0
					padCnt := 0
					for ky := 0; ky < g.KH; ky++ {
						iy := iy0 + ky*g.DH
						inPadH := iy >= -g.PT && iy < padH-g.PT
						for kx := 0; kx < g.KW; kx++ {
							ix := ix0 + kx*g.DW
							if inPadH && ix >= -g.PL && ix < padW-g.PL {
								padCnt++
							}
							if iy < 0 || iy >= g.H || ix < 0 || ix >= g.W {
								continue
							}
							v := xp[iy*g.W+ix]
							if isLp {
								s += float32(math.Pow(math.Abs(float64(v)), lpP))
								cnt++
								continue
							}
							if isMax {
								if v > s || v != v {
									s = v
								}
							} else {
								s += v
							}
							cnt++
						}
					}
					if isLp {
						op[oy*g.OW+ox] = float32(math.Pow(float64(s), 1/lpP))
						continue
					}
					if !isMax {
						if includePad {
							cnt = padCnt
						}
						if cnt > 0 {
							s /= float32(cnt)
						}
					}
					op[oy*g.OW+ox] = s
				}
			}
		}
	}
	return func() { c.b.pool.parallelFor(g.N*g.C, 1, f) }, nil
}

// opGlobalPool implements GlobalAveragePool and GlobalMaxPool (float32).
func opGlobalPool(c *ctx) (func(), error) {
	x := c.input(0)
	if x.dt != ir.Float32 {
		return nil, fmt.Errorf("unsupported: %s on %s (only float32)", c.n.OpType, x.dt)
	}
	if len(x.shape) < 2 {
		return nil, fmt.Errorf("input rank %d < 2", len(x.shape))
	}
	shape := []int64{x.shape[0], x.shape[1]}
	for range x.shape[2:] {
		shape = append(shape, 1)
	}
	out, err := c.setOut(0, ir.Float32, shape)
	if err != nil {
		return nil, err
	}
	isMax := c.n.OpType == "GlobalMaxPool"
	inner := int(ir.NumElements(x.shape[2:]))
	planes := int(x.shape[0] * x.shape[1])
	return func() {
		xs, os := x.f32(), out.f32()
		for p := 0; p < planes; p++ {
			os[p] = poolPlane(xs[p*inner:(p+1)*inner], isMax)
		}
	}, nil
}

func poolPlane(v []float32, isMax bool) float32 {
	if isMax {
		m := float32(math.Inf(-1))
		for _, x := range v {
			if x > m {
				m = x
			}
		}
		return m
	}
	var s float32
	for _, x := range v {
		s += x
	}
	return s / float32(len(v))
}

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

// opSoftmax implements Softmax and LogSoftmax (float32): opset < 13
// normalizes over the flattened dims from axis on (default axis 1); opset
// >= 13 over the one axis (default -1).
func opSoftmax(c *ctx) (func(), error) {
	x := c.input(0)
	if x.dt != ir.Float32 {
		return nil, fmt.Errorf("unsupported: %s on %s (only float32)", c.n.OpType, x.dt)
	}
	r := len(x.shape)
	def := int64(-1)
	if c.opset < 13 {
		def = 1
	}
	ax, err := ir.NormAxis(c.n.AttrInt("axis", def), max(r, 1))
	if err != nil {
		return nil, err
	}
	out, err := c.setOut(0, ir.Float32, x.shape)
	if err != nil {
		return nil, err
	}
	var outer, n, stride int
	if c.opset < 13 {
		outer = int(ir.NumElements(x.shape[:ax]))
		n = int(ir.NumElements(x.shape[ax:]))
		stride = 1
	} else {
		outer = int(ir.NumElements(x.shape[:ax]))
		n = int(x.shape[ax])
		stride = int(ir.NumElements(x.shape[ax+1:]))
	}
	logs := c.n.OpType == "LogSoftmax"
	hard := c.n.OpType == "Hardmax"
	return func() {
		xs, os := x.f32(), out.f32()
		for o := 0; o < outer; o++ {
			for s := 0; s < stride; s++ {
				base := o*n*stride + s
				m := math.Inf(-1)
				arg := 0
				for i := 0; i < n; i++ {
					if v := float64(xs[base+i*stride]); v > m {
						m, arg = v, i
					}
				}
				if hard {
					for i := 0; i < n; i++ {
						os[base+i*stride] = 0
					}
					if n > 0 {
						os[base+arg*stride] = 1
					}
					continue
				}
				var sum float64
				for i := 0; i < n; i++ {
					sum += math.Exp(float64(xs[base+i*stride]) - m)
				}
				for i := 0; i < n; i++ {
					v := float64(xs[base+i*stride]) - m
					if logs {
						os[base+i*stride] = float32(v - math.Log(sum))
					} else {
						os[base+i*stride] = float32(math.Exp(v) / sum)
					}
				}
			}
		}
	}, nil
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

func init() {
	register("", "MaxPool", opPool)
	register("", "AveragePool", opPool)
	register("", "LpPool", opPool)
	register("", "GlobalAveragePool", opGlobalPool)
	register("", "GlobalMaxPool", opGlobalPool)
	for _, op := range []string{"ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp"} {
		register("", op, opReduce)
	}
	register("", "Softmax", opSoftmax)
	register("", "LogSoftmax", opSoftmax)
	register("", "Hardmax", opSoftmax)
	register("", "ArgMax", opArgMinMax)
	register("", "ArgMin", opArgMinMax)
}
