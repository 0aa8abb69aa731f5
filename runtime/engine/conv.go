package engine

import (
	"fmt"
	"slices"

	"github.com/mconv/mconv/ir"
)

// convGeom is the geometry of a 2-D convolution (1-D convs use H = 1).
type convGeom struct {
	N, C, H, W     int
	M, OH, OW      int
	G              int
	KH, KW         int
	SH, SW         int
	PT, PL         int // pad top, left
	DH, DW         int
	Cg, Mg, K, OHW int
}

// spatialAttrs resolves n's window over spatial sizes in (ir.ResolveWindow).
func spatialAttrs(n *ir.Node, in []int64, kernel []int64, ceil bool) (outs, pb, pe, strides, dil []int, err error) {
	w, err := ir.ResolveWindow(n, in, kernel, ceil)
	if err != nil {
		return nil, nil, nil, nil, nil, err
	}
	return ints(w.Out), ints(w.PadBegin), ints(w.PadEnd), ints(w.Strides), ints(w.Dilations), nil
}

// opConv implements Conv (1-D and 2-D, float32) with depthwise, 1x1-GEMM
// and im2col+GEMM paths.
func opConv(c *ctx) (func(), error) { return convOp(c, false) }

// opFusedConv implements mconv.FusedConv: Conv with the epilogue its
// attributes state (see ir/fused.go and fusedEpilogue).
func opFusedConv(c *ctx) (func(), error) { return convOp(c, true) }

// convOp is Conv, with the epilogue read from the node when fused.
func convOp(c *ctx, fused bool) (func(), error) {
	x, w, bias := c.input(0), c.input(1), c.input(2)
	if x == nil || w == nil {
		return nil, fmt.Errorf("needs X and W")
	}
	if x.dt != ir.Float32 || w.dt != ir.Float32 || (bias != nil && bias.dt != ir.Float32) {
		return nil, fmt.Errorf("unsupported: Conv on %s (only float32)", x.dt)
	}
	r := len(x.shape)
	if r < 3 {
		return nil, fmt.Errorf("X has rank %d, want at least 3", r)
	}
	if len(w.shape) != r {
		return nil, fmt.Errorf("W has rank %d, X has rank %d", len(w.shape), r)
	}
	if r > 4 {
		if fused {
			return nil, fmt.Errorf("unsupported: fused epilogue on a %d-D convolution", r-2)
		}
		if ks := c.n.AttrInts("kernel_shape", nil); ks != nil && !slices.Equal(ks, w.shape[2:]) {
			return nil, fmt.Errorf("kernel_shape %v does not match W %v", ks, w.shape)
		}
		return opConvND(c, x, w, bias)
	}
	kernel := w.shape[2:]
	if ks := c.n.AttrInts("kernel_shape", nil); ks != nil && !slices.Equal(ks, kernel) {
		return nil, fmt.Errorf("kernel_shape %v does not match W %v", ks, w.shape)
	}
	outs, pb, pe, st, dl, err := spatialAttrs(c.n, x.shape[2:], kernel, false)
	if err != nil {
		return nil, err
	}
	g := convGeom{N: int(x.shape[0]), C: int(x.shape[1]), M: int(w.shape[0]), G: int(c.n.AttrInt("group", 1))}
	if r == 3 {
		g.H, g.W, g.KH, g.KW, g.SH, g.SW, g.PT, g.PL, g.DH, g.DW, g.OH, g.OW = 1, int(x.shape[2]), 1, int(kernel[0]), 1, st[0], 0, pb[0], 1, dl[0], 1, outs[0]
	} else {
		g.H, g.W, g.KH, g.KW = int(x.shape[2]), int(x.shape[3]), int(kernel[0]), int(kernel[1])
		g.SH, g.SW, g.PT, g.PL, g.DH, g.DW, g.OH, g.OW = st[0], st[1], pb[0], pb[1], dl[0], dl[1], outs[0], outs[1]
	}
	if g.G < 1 || g.C%g.G != 0 || g.M%g.G != 0 || int(w.shape[1]) != g.C/g.G {
		return nil, fmt.Errorf("group %d does not fit X %v and W %v", g.G, x.shape, w.shape)
	}
	if bias != nil && (bias.n != g.M) {
		return nil, fmt.Errorf("B has %d elements for %d output channels", bias.n, g.M)
	}
	g.Cg, g.Mg = g.C/g.G, g.M/g.G
	g.K = g.Cg * g.KH * g.KW
	g.OHW = g.OH * g.OW
	oshape := append([]int64{int64(g.N), int64(g.M)}, int64s(outs)...)
	out, err := c.setOut(0, ir.Float32, oshape)
	if err != nil {
		return nil, err
	}
	var epi epilogue
	if fused {
		if epi, err = c.fusedEpilogue(3, out, true); err != nil {
			return nil, err
		}
	}
	k := &convKernel{g: g, x: x, w: w, bias: bias, out: out, epi: epi, pool: c.b.pool}
	pB, pR := pe[0], 0
	if r == 3 {
		pB, pR = 0, pe[0]
	} else {
		pR = pe[1]
	}
	if k.w.konst && useKernels {
		// The fast path packs a copy of the weights.
		if err := c.b.charge(k.w.bytes()); err != nil {
			return nil, err
		}
	}
	if f := c.fastConv(k, pB, pR); f != nil {
		c.kernels = true
		return f, nil
	}
	switch {
	case g.Cg == 1 && g.KH*g.KW > 1:
		return k.depthwise(), nil
	case g.KH == 1 && g.KW == 1 && g.SH == 1 && g.SW == 1 && g.PT == 0 && g.PL == 0 && pe[0] == 0 && (len(pe) < 2 || pe[1] == 0):
		return k.gemm(nil), nil
	default:
		col := c.newScratch(ir.Float32, g.G*g.K*g.OHW)
		return k.gemm(col), nil
	}
}

func int64s(v []int) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}

type convKernel struct {
	g             convGeom
	x, w, bias    *tval
	out           *tval
	epi           epilogue
	pool          *pool
	n             int // current batch entry
	col           *tval
	im2colF, gemF func(lo, hi int)
	mTiles, nTile int
}

const (
	convMB = 8
	convNB = 512
)

// gemm returns the kernel of the GEMM paths: per batch entry, im2col (when
// col is not nil) then out[g] = W[g] * col[g] over tiles of output rows and
// columns, each tile initialized with the bias and finished with the
// epilogue.
func (k *convKernel) gemm(col *tval) func() {
	g := k.g
	k.col = col
	k.mTiles = (g.Mg + convMB - 1) / convMB
	nTiles := (g.OHW + convNB - 1) / convNB
	k.im2colF = func(lo, hi int) {
		xs := k.x.f32()[k.n*g.C*g.H*g.W:]
		cs := k.col.f32()
		for r := lo; r < hi; r++ { // r = group*K + row
			gi, row := r/g.K, r%g.K
			c := gi*g.Cg + row/(g.KH*g.KW)
			ky := row / g.KW % g.KH
			kx := row % g.KW
			im2colRow(cs[r*g.OHW:(r+1)*g.OHW], xs[c*g.H*g.W:(c+1)*g.H*g.W], &g, ky, kx)
		}
	}
	k.gemF = func(lo, hi int) {
		xs := k.x.f32()
		ws := k.w.f32()
		os := k.out.f32()[k.n*g.M*g.OHW:]
		var bs []float32
		if k.bias != nil {
			bs = k.bias.f32()
		}
		for t := lo; t < hi; t++ {
			gi := t / (k.mTiles * nTiles)
			mt := t / nTiles % k.mTiles
			nt := t % nTiles
			m0, m1 := mt*convMB, min((mt+1)*convMB, g.Mg)
			j0, j1 := nt*convNB, min((nt+1)*convNB, g.OHW)
			var b []float32
			if k.col != nil {
				b = k.col.f32()[gi*g.K*g.OHW:]
			} else {
				b = xs[(k.n*g.C+gi*g.Cg)*g.OHW:]
			}
			c := os[gi*g.Mg*g.OHW:]
			for m := m0; m < m1; m++ {
				seg := c[m*g.OHW+j0 : m*g.OHW+j1]
				var bv float32
				if bs != nil {
					bv = bs[gi*g.Mg+m]
				}
				for j := range seg {
					seg[j] = bv
				}
			}
			a := ws[gi*g.Mg*g.K:]
			sgemmAcc(c, g.OHW, a, g.K, b, g.OHW, m0, m1, j0, j1, g.K)
			if len(k.epi) > 0 {
				for m := m0; m < m1; m++ {
					off := gi*g.Mg*g.OHW + m*g.OHW + j0
					k.epi.apply(c[m*g.OHW+j0:m*g.OHW+j1], gi*g.Mg+m, k.n*g.M*g.OHW+off)
				}
			}
		}
	}
	tasks := g.G * k.mTiles * nTiles
	return func() {
		for n := 0; n < g.N; n++ {
			k.n = n
			if k.col != nil {
				k.pool.parallelFor(g.G*g.K, 16, k.im2colF)
			}
			k.pool.parallelFor(tasks, 1, k.gemF)
		}
	}
}

// im2colRow fills one row of the column matrix: input channel plane xs,
// kernel offset (ky, kx), for every output position.
func im2colRow(dst, xs []float32, g *convGeom, ky, kx int) {
	for oy := 0; oy < g.OH; oy++ {
		iy := oy*g.SH - g.PT + ky*g.DH
		d := dst[oy*g.OW : (oy+1)*g.OW]
		if iy < 0 || iy >= g.H {
			for i := range d {
				d[i] = 0
			}
			continue
		}
		row := xs[iy*g.W : (iy+1)*g.W]
		ix := -g.PL + kx*g.DW
		if g.SW == 1 && ix >= 0 && ix+g.OW <= g.W {
			copy(d, row[ix:ix+g.OW])
			continue
		}
		for ox := range d {
			if ix >= 0 && ix < g.W {
				d[ox] = row[ix]
			} else {
				d[ox] = 0
			}
			ix += g.SW
		}
	}
}

// depthwise returns the kernel for convs with one input channel per group:
// a direct sliding window per output channel, parallel over (batch,
// channel).
func (k *convKernel) depthwise() func() {
	g := k.g
	mult := g.Mg
	f := func(lo, hi int) {
		xs, ws, os := k.x.f32(), k.w.f32(), k.out.f32()
		var bs []float32
		if k.bias != nil {
			bs = k.bias.f32()
		}
		for t := lo; t < hi; t++ {
			n, m := t/g.M, t%g.M
			c := m / mult
			var bv float32
			if bs != nil {
				bv = bs[m]
			}
			off := (n*g.M + m) * g.OHW
			o := os[off : off+g.OHW]
			dwPlane(o, xs[(n*g.C+c)*g.H*g.W:(n*g.C+c+1)*g.H*g.W], ws[m*g.KH*g.KW:(m+1)*g.KH*g.KW], bv, &g)
			if len(k.epi) > 0 {
				k.epi.apply(o, m, off)
			}
		}
	}
	return func() { k.pool.parallelFor(g.N*g.M, grainFor(g.OHW*g.KH*g.KW), f) }
}

// dwPlane convolves one input plane with one kxk filter (reference
// depthwise kernel): out = bias + sum over the window in (ky, kx) order.
func dwPlane(o, xs, w []float32, bias float32, g *convGeom) {
	for oy := 0; oy < g.OH; oy++ {
		iy0 := oy*g.SH - g.PT
		orow := o[oy*g.OW : (oy+1)*g.OW]
		for ox := range orow {
			ix0 := ox*g.SW - g.PL
			s := bias
			for ky := 0; ky < g.KH; ky++ {
				iy := iy0 + ky*g.DH
				if iy < 0 || iy >= g.H {
					continue
				}
				row := xs[iy*g.W : (iy+1)*g.W]
				wr := w[ky*g.KW : (ky+1)*g.KW]
				for kx, wv := range wr {
					ix := ix0 + kx*g.DW
					if ix >= 0 && ix < g.W {
						s += row[ix] * wv
					}
				}
			}
			orow[ox] = s
		}
	}
}

func init() {
	register("", "Conv", opConv)
	register(ir.FusedDomain, "FusedConv", opFusedConv)
}
