package engine

import (
	"fmt"
	"math"
	"slices"

	"github.com/mconv/mconv/ir"
)

// epiStep is one elementwise step of a fused epilogue.
type epiStep struct {
	kind         int // epiAct, epiAdd, epiAffine
	a            act
	other        *tval     // epiAdd: tensor of the output's shape
	scale, shift []float32 // epiAffine: per channel
}

const (
	epiAct = iota
	epiAdd
	epiAffine
)

// epilogue is what a Conv applies to its output after accumulation, per
// output row segment (one channel).
type epilogue []epiStep

// apply runs the epilogue on seg = out[off : off+len(seg)], all in channel ch.
func (e epilogue) apply(seg []float32, ch, off int) {
	for i := range e {
		s := &e[i]
		switch s.kind {
		case epiAct:
			s.a.apply(seg, seg)
		case epiAdd:
			o := s.other.f32()[off : off+len(seg)]
			for j := range seg {
				seg[j] += o[j]
			}
		case epiAffine:
			k, b := s.scale[ch], s.shift[ch]
			for j := range seg {
				seg[j] = seg[j]*k + b
			}
		}
	}
}

// fuseEpilogue absorbs the nodes that follow value v (the output of c.n)
// into an epilogue while each intermediate has exactly one consumer and is
// not a graph output: BatchNormalization in inference mode with constant
// parameters (when perChannel), float activations, and Add of a planned
// tensor of the same shape (residual). out is the tval the kernel writes;
// it takes the name of the last absorbed node's output.
func (c *ctx) fuseEpilogue(v *ir.Value, out *tval, perChannel bool) epilogue {
	var e epilogue
	for v != nil && !v.IsOutput && (len(v.Uses) == 1 || len(v.Uses) == 2) {
		if len(v.Uses) == 2 {
			nodes, y, ok := c.b.matchGelu(v)
			if !ok || nodes[0].Owner != c.n.Owner {
				break
			}
			e = append(e, epiStep{kind: epiAct, a: act{kind: actGelu}})
			c.fused = append(c.fused, nodes...)
			v = y
			out.name = v.Name
			continue
		}
		u := v.Uses[0].Node
		if u.Owner != c.n.Owner || len(u.Outputs) == 0 || u.Outputs[0] == nil {
			break
		}
		for _, o := range u.Outputs[1:] {
			if o != nil && (len(o.Uses) > 0 || o.IsOutput) {
				u = nil
				break
			}
		}
		if u == nil {
			break
		}
		opset := c.b.m.Opset(u.Domain)
		var st epiStep
		ok := false
		switch {
		case u.Domain == "" && u.OpType == "BatchNormalization" && perChannel && v.Uses[0].Index == 0:
			sc, sh, err := bnAffine(c.b, u, out.shape[1])
			if err == nil && u.AttrInt("training_mode", 0) == 0 {
				st, ok = epiStep{kind: epiAffine, scale: sc, shift: sh}, true
			}
		case u.Domain == "" && perChannel && len(u.Inputs) == 2 && (u.OpType == "Mul" || u.OpType == "Add" ||
			(u.OpType == "Sub" || u.OpType == "Div") && v.Uses[0].Index == 0) && channelConst(c.b.vals[u.Inputs[1-v.Uses[0].Index]], out.shape) != nil:
			// Per-channel (or scalar) constant: an affine step, e.g. a
			// layer scale. Div becomes a multiply by the reciprocal.
			k := channelConst(c.b.vals[u.Inputs[1-v.Uses[0].Index]], out.shape)
			C := int(out.shape[1])
			sc, sh := make([]float32, C), make([]float32, C)
			for i := range sc {
				switch u.OpType {
				case "Mul":
					sc[i] = k[i]
				case "Div":
					sc[i] = 1 / k[i]
				case "Add":
					sc[i], sh[i] = 1, k[i]
				case "Sub":
					sc[i], sh[i] = 1, -k[i]
				}
			}
			st, ok = epiStep{kind: epiAffine, scale: sc, shift: sh}, true
		case u.Domain == "" && u.OpType == "Add" && len(u.Inputs) == 2:
			other := u.Inputs[1-v.Uses[0].Index]
			ot := c.b.vals[other]
			if ot != nil && ot.dt == ir.Float32 && slices.Equal(ot.shape, out.shape) && other != v {
				st, ok = epiStep{kind: epiAdd, other: ot}, true
				c.extraReads = append(c.extraReads, ot)
			}
		default:
			if v.Uses[0].Index != 0 {
				break
			}
			a, isAct, err := actOf(u, opset, func(i int) *tval {
				if i < len(u.Inputs) && u.Inputs[i] != nil {
					return c.b.vals[u.Inputs[i]]
				}
				return nil
			})
			if err == nil && isAct {
				st, ok = epiStep{kind: epiAct, a: a}, true
			}
		}
		if !ok {
			break
		}
		e = append(e, st)
		c.fused = append(c.fused, u)
		v = u.Outputs[0]
		out.name = v.Name
	}
	return e
}

// channelConst returns the per-channel values of t when t is a float32
// constant that broadcasts to out (rank >= 2, NCHW) along the channel axis
// only ([C,1,..,1], [1,C,1,..,1], or one element), else nil.
func channelConst(t *tval, out []int64) []float32 {
	if t == nil || !t.konst || t.dt != ir.Float32 || len(t.shape) > len(out) || len(out) < 2 {
		return nil
	}
	C := int(out[1])
	vals := t.f32()
	if t.n == 1 {
		k := make([]float32, C)
		for i := range k {
			k[i] = vals[0]
		}
		return k
	}
	if t.n != C {
		return nil
	}
	// The one non-1 dimension must line up with axis 1 of out.
	off := len(out) - len(t.shape)
	for i, d := range t.shape {
		if d != 1 && off+i != 1 {
			return nil
		}
	}
	return append([]float32(nil), vals...)
}

// bnAffine computes per-channel scale and shift of an inference
// BatchNormalization with constant parameters:
// y = (x - mean) / sqrt(var + eps) * scale + B = x*k + (B - mean*k).
func bnAffine(b *builder, n *ir.Node, C int64) ([]float32, []float32, error) {
	if len(n.Inputs) < 5 {
		return nil, nil, fmt.Errorf("BatchNormalization needs 5 inputs")
	}
	var p [4][]float64
	for i := 0; i < 4; i++ {
		v := n.Inputs[i+1]
		if v == nil {
			return nil, nil, fmt.Errorf("missing input %d", i+1)
		}
		t := b.vals[v]
		if t == nil || !t.konst {
			return nil, nil, fmt.Errorf("input %d is not constant", i+1)
		}
		if int64(t.n) != C {
			return nil, nil, fmt.Errorf("input %d has %d elements for %d channels", i+1, t.n, C)
		}
		f, err := t.floats()
		if err != nil {
			return nil, nil, err
		}
		p[i] = f
	}
	eps := float64(n.AttrFloat("epsilon", 1e-5))
	sc := make([]float32, C)
	sh := make([]float32, C)
	for i := range sc {
		k := p[0][i] / math.Sqrt(p[3][i]+eps)
		sc[i] = float32(k)
		sh[i] = float32(p[1][i] - p[2][i]*k)
	}
	return sc, sh, nil
}

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
// and im2col+GEMM paths and a fused epilogue.
func opConv(c *ctx) (func(), error) {
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
	if !x.konst {
		epi = c.fuseEpilogue(c.n.Outputs[0], out, true)
	}
	k := &convKernel{g: g, x: x, w: w, bias: bias, out: out, epi: epi, pool: c.b.pool}
	pB, pR := pe[0], 0
	if r == 3 {
		pB, pR = 0, pe[0]
	} else {
		pR = pe[1]
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
	return func() { k.pool.parallelFor(g.N*g.M, 1, f) }
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
}
