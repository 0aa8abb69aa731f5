package engine

import (
	"fmt"
	"math"

	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/runtime/kernels"
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
	if !isLp {
		return c.poolRows(x, out, g, padH, padW, isMax, includePad)
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
					for ky := 0; ky < g.KH; ky++ {
						iy := iy0 + ky*g.DH
						for kx := 0; kx < g.KW; kx++ {
							ix := ix0 + kx*g.DW
							if iy < 0 || iy >= g.H || ix < 0 || ix >= g.W {
								continue
							}
							s += float32(math.Pow(math.Abs(float64(xp[iy*g.W+ix])), lpP))
						}
					}
					op[oy*g.OW+ox] = float32(math.Pow(float64(s), 1/lpP))
				}
			}
		}
	}
	return func() { c.b.pool.parallelFor(g.N*g.C, grainFor(g.OH*g.OW*g.KH*g.KW), f) }, nil
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
	return kernels.SumF32(v) / float32(len(v))
}

func init() {
	register("", "MaxPool", opPool)
	register("", "AveragePool", opPool)
	register("", "LpPool", opPool)
	register("", "GlobalAveragePool", opGlobalPool)
	register("", "GlobalMaxPool", opGlobalPool)
}

// poolRows is the MaxPool/AveragePool kernel (1-D and 2-D): separable, one
// output row at a time. The rows of the window that fall inside the input
// are reduced element-wise into a row buffer (kernels.MaxInto/AddInto),
// whose padding around the input row holds the reduction's identity (-Inf
// or 0); the output row is then the reduction of KW shifted views of that
// buffer (for stride 2 of its even and odd halves), with no bounds test
// per element. An average divides by the count of the window's cells
// inside the input (or inside the padded input with count_include_pad),
// the product of a row count and a column count; an empty window gives
// -Inf (max) or 0 (average). Each plane is computed the same way whatever
// the thread count.
func (c *ctx) poolRows(x, out *tval, g convGeom, padH, padW int, isMax, includePad bool) (func(), error) {
	plane, oplane := g.H*g.W, g.OH*g.OW
	planes := g.N * g.C
	if g.KH == 2 && g.KW == 2 && g.SH == 2 && g.SW == 2 && g.DH == 1 && g.DW == 1 &&
		g.PT == 0 && g.PL == 0 && 2*g.OH <= g.H && 2*g.OW <= g.W && g.OW < shortPoolRow {
		// 2x2 stride 2 windows all inside the input, short rows: one loop
		// over the plane (the calls of the row path would cost more than
		// the work), in the row path's order: the two rows first, then
		// the two columns.
		f := func(lo, hi int) {
			xs, os := x.f32(), out.f32()
			for p := lo; p < hi; p++ {
				xp := xs[p*plane : (p+1)*plane]
				op := os[p*oplane : (p+1)*oplane]
				for oy := 0; oy < g.OH; oy++ {
					r0 := xp[2*oy*g.W : 2*oy*g.W+2*g.OW]
					r1 := xp[(2*oy+1)*g.W : (2*oy+1)*g.W+2*g.OW]
					o := op[oy*g.OW : (oy+1)*g.OW]
					for ox := range o {
						a, b, c, d := r0[2*ox], r0[2*ox+1], r1[2*ox], r1[2*ox+1]
						if isMax {
							o[ox] = max2x2(max2x2(a, c), max2x2(b, d))
						} else {
							o[ox] = ((a + c) + (b + d)) / 4
						}
					}
				}
			}
		}
		return func() { c.b.pool.parallelFor(planes, grainFor(plane), f) }, nil
	}
	// Window rows per output row: [kyLo, kyHi) inside the input, and the
	// count for the average.
	kyLo, kyHi := make([]int, g.OH), make([]int, g.OH)
	cy := make([]int, g.OH)
	for oy := range kyLo {
		lo, hi, pc := poolTaps(oy*g.SH-g.PT, g.KH, g.DH, g.H, g.PT, padH)
		kyLo[oy], kyHi[oy], cy[oy] = lo, hi, hi-lo
		if includePad {
			cy[oy] = pc
		}
	}
	cx := make([]int, g.OW)
	for ox := range cx {
		lo, hi, pc := poolTaps(ox*g.SW-g.PL, g.KW, g.DW, g.W, g.PL, padW)
		cx[ox] = hi - lo
		if includePad {
			cx[ox] = pc
		}
	}
	// An average's divisor per output (1 for an empty window, whose sum
	// is 0).
	var div []float32
	if !isMax {
		if err := c.b.charge(int64(4 * g.OH * g.OW)); err != nil {
			return nil, err
		}
		div = make([]float32, g.OH*g.OW)
		for oy := range cy {
			for ox, n := range cx {
				div[oy*g.OW+ox] = float32(max(cy[oy]*n, 1))
			}
		}
	}
	// The row buffer: PL identity cells, the input row, identity cells up
	// to the last tap of the last output (an even length, for stride 2).
	L := max(g.PL+g.W, g.OW*g.SW+(g.KW-1)*g.DW+1)
	L += L & 1
	per := L + L // buffer, then even and odd halves
	chunks := c.b.pool.chunksFor(planes, plane+oplane*g.KH*g.KW)
	sc := c.newScratch(ir.Float32, chunks*per)
	ident := float32(0)
	reduce := kernels.AddInto
	if isMax {
		ident = float32(math.Inf(-1))
		reduce = kernels.MaxInto
	}
	f := func(lo, hi int) {
		xs, os, sb := x.f32(), out.f32(), sc.f32()
		for ch := lo; ch < hi; ch++ {
			buf := sb[ch*per : ch*per+L]
			even, odd := sb[ch*per+L:ch*per+L+L/2], sb[ch*per+L+L/2:ch*per+2*L]
			for i := range buf {
				buf[i] = ident
			}
			row := buf[g.PL : g.PL+g.W]
			for p := ch * planes / chunks; p < (ch+1)*planes/chunks; p++ {
				xp := xs[p*plane : (p+1)*plane]
				op := os[p*oplane : (p+1)*oplane]
				for oy := 0; oy < g.OH; oy++ {
					// Vertical: the window's rows into row.
					y0 := oy*g.SH - g.PT
					switch n := kyHi[oy] - kyLo[oy]; {
					case n <= 0:
						for i := range row {
							row[i] = ident
						}
					case n == 1:
						iy := y0 + kyLo[oy]*g.DH
						copy(row, xp[iy*g.W:(iy+1)*g.W])
					default:
						iy := y0 + kyLo[oy]*g.DH
						reduce(row, xp[iy*g.W:(iy+1)*g.W], xp[(iy+g.DH)*g.W:(iy+g.DH+1)*g.W])
						for ky := kyLo[oy] + 2; ky < kyHi[oy]; ky++ {
							iy := y0 + ky*g.DH
							reduce(row, row, xp[iy*g.W:(iy+1)*g.W])
						}
					}
					// Horizontal: KW shifted views of buf.
					o := op[oy*g.OW : (oy+1)*g.OW]
					switch {
					case g.SW == 1:
						if g.KW == 1 {
							copy(o, buf)
							break
						}
						reduce(o, buf, buf[g.DW:])
						for k := 2; k < g.KW; k++ {
							reduce(o, o, buf[k*g.DW:])
						}
					case g.SW == 2:
						kernels.Deinterleave2(even, odd, buf)
						half := func(off int) []float32 {
							if off&1 == 0 {
								return even[off/2:]
							}
							return odd[off/2:]
						}
						if g.KW == 1 {
							copy(o, even)
							break
						}
						reduce(o, even, half(g.DW))
						for k := 2; k < g.KW; k++ {
							reduce(o, o, half(k*g.DW))
						}
					default:
						for ox := range o {
							b := buf[ox*g.SW:]
							s := b[0]
							for k := 1; k < g.KW; k++ {
								v := b[k*g.DW]
								if isMax {
									if v > s || v != v {
										s = v
									}
								} else {
									s += v
								}
							}
							o[ox] = s
						}
					}
					if !isMax {
						kernels.DivInto(o, o, div[oy*g.OW:(oy+1)*g.OW])
					}
				}
			}
		}
	}
	return func() { c.b.pool.parallelFor(chunks, 1, f) }, nil
}

// shortPoolRow is the output row length under which a 2x2 stride 2 pool
// runs as one loop over the plane.
const shortPoolRow = 16

// max2x2 is kernels.MaxInto for one element: x if x > y or x is NaN, else
// y.
func max2x2(x, y float32) float32 {
	if x > y || x != x {
		return x
	}
	return y
}

// poolTaps returns, for a window of k taps of dilation d starting at input
// index i0 along an axis of size n with padBegin cells of padding before it
// and padded extent padN, the taps [lo, hi) inside the input and the count
// of taps inside the padded input.
func poolTaps(i0, k, d, n, padBegin, padN int) (lo, hi, padded int) {
	lo, hi = k, 0
	for t := 0; t < k; t++ {
		i := i0 + t*d
		if i >= -padBegin && i < padN-padBegin {
			padded++
		}
		if i >= 0 && i < n {
			lo, hi = min(lo, t), max(hi, t+1)
		}
	}
	if hi < lo {
		lo, hi = 0, 0
	}
	return lo, hi, padded
}
