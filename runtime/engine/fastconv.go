package engine

import (
	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/runtime/kernels"
)

// useKernels selects the optimized kernels of package kernels for Conv and
// Gemm when the weights are constant and the fused epilogue fits their
// form. Tests turn it off to check the plain Go reference paths.
var useKernels = true

// kernelAct maps a fused activation to the kernels package's.
func kernelAct(a act) (kernels.Act, float32, float32, bool) {
	switch a.kind {
	case actRelu:
		return kernels.ActRelu, 0, 0, true
	case actClip:
		if a.a == 0 && a.b == 6 {
			return kernels.ActRelu6, 0, 0, true
		}
		return kernels.ActClip, a.a, a.b, true
	case actHardSwish:
		return kernels.ActHardSwish, 0, 0, true
	case actHardSigmoid:
		return kernels.ActHardSigmoid, a.a, a.b, true
	case actSigmoid:
		return kernels.ActSigmoid, 0, 0, true
	case actSiLU:
		return kernels.ActSiLU, 0, 0, true
	case actGelu:
		return kernels.ActGelu, 0, 0, true
	case actGeluTanh:
		return kernels.ActGeluTanh, 0, 0, true
	case actLeaky:
		return kernels.ActLeakyRelu, a.a, 0, true
	case actTanh:
		return kernels.ActTanh, 0, 0, true
	}
	return 0, 0, 0, false
}

// kernelEpilogue splits a fused epilogue into leading per-channel affine
// steps (folded into the weights), the longest next part that package
// kernels' epilogue can do ([act], [add], [act, add] or [add, act]), and the
// rest, which the runtime applies after the kernel (post; vectorized too,
// see epilogue.apply).
func kernelEpilogue(e epilogue) (affine []epiStep, ka kernels.Act, alpha, beta float32, res *tval, actAfterRes bool, post epilogue) {
	i := 0
	for i < len(e) && e[i].kind == epiAffine {
		affine = append(affine, e[i])
		i++
	}
	rest := e[i:]
	ka = kernels.ActNone
	mapAct := func(s epiStep) bool {
		if s.kind != epiAct {
			return false
		}
		k, a, b, good := kernelAct(s.a)
		if good {
			ka, alpha, beta = k, a, b
		}
		return good
	}
	n := 0
	switch {
	case len(rest) >= 2 && rest[0].kind == epiAct && rest[1].kind == epiAdd && mapAct(rest[0]):
		res, n = rest[1].other, 2
	case len(rest) >= 2 && rest[0].kind == epiAdd && rest[1].kind == epiAct && mapAct(rest[1]):
		res, actAfterRes, n = rest[0].other, true, 2
	case len(rest) >= 1 && rest[0].kind == epiAdd:
		res, n = rest[0].other, 1
	case len(rest) >= 1 && mapAct(rest[0]):
		n = 1
	}
	post = append(epilogue(nil), rest[n:]...)
	return affine, ka, alpha, beta, res, actAfterRes, post
}

// fastConv returns a kernels.Conv2D-based kernel for k, or nil when the
// weights are not constant or the epilogue does not fit. Leading
// BatchNormalization steps are folded into the weights and bias:
// W'[m] = W[m]*s[m], b'[m] = b[m]*s[m] + t[m].
func (c *ctx) fastConv(k *convKernel, padB, padR int) func() {
	if !useKernels || !k.w.konst || (k.bias != nil && !k.bias.konst) {
		return nil
	}
	affine, ka, alpha, beta, res, after, post := kernelEpilogue(k.epi)
	g := k.g
	p := kernels.ConvParams{N: g.N, C: g.C, H: g.H, W: g.W, M: g.M, KH: g.KH, KW: g.KW,
		SH: g.SH, SW: g.SW, DH: g.DH, DW: g.DW, PadT: g.PT, PadL: g.PL, PadB: padB, PadR: padR,
		Group: g.G, OH: g.OH, OW: g.OW, Act: ka, Alpha: alpha, Beta: beta, ActAfterResidual: after}
	if p.Validate() != nil {
		return nil
	}
	w := append([]float32(nil), k.w.f32()...)
	var bias []float32
	if k.bias != nil {
		bias = append([]float32(nil), k.bias.f32()...)
	}
	if len(affine) > 0 {
		if bias == nil {
			bias = make([]float32, g.M)
		}
		per := len(w) / g.M
		for _, s := range affine {
			for m := 0; m < g.M; m++ {
				for i := m * per; i < (m+1)*per; i++ {
					w[i] *= s.scale[m]
				}
				bias[m] = bias[m]*s.scale[m] + s.shift[m]
			}
		}
	}
	// A grouped convolution splits its groups into one chunk per thread;
	// each chunk is a convolution of its own with weights packed once, run
	// single-threaded by a worker of the plan's pool over every batch
	// entry. Every output element is computed the same way whatever the
	// split, so results do not depend on the thread count.
	T := c.b.pool.threads
	units, per := g.M, 1 // split units: output channels, or groups
	if g.G > 1 {
		units, per = g.G, g.Mg
	}
	// At least minChunkWork multiply-adds per chunk: a smaller convolution
	// runs on one thread.
	T = max(1, min(T, units, g.N*g.M*g.OHW*g.K/minChunkWork))
	// An ungrouped or depthwise convolution splits its work between threads
	// itself (with the same bits for every thread count): Winograd by
	// tiles, the GEMM paths by output columns or channels (kernels'
	// parallelRun), so that the input transform, im2col or packing of the
	// input is done once, not once per output-channel chunk; depthwise by
	// planes, in more chunks than threads.
	kthreads := 1
	depthwise := g.G == g.C && g.G == g.M
	if g.G == 1 || depthwise || kernels.WinogradChosen(&p) {
		kthreads, T = T, 1
	}
	type chunk struct {
		p      kernels.ConvParams
		pk     *kernels.PackedConv
		bias   []float32
		ws     *tval
		m0     int // first output channel
		c0     int // first input channel
		mCount int
	}
	chunks := make([]chunk, T)
	wper := len(w) / g.M
	for i := range chunks {
		u0, u1 := i*units/T, (i+1)*units/T
		q := p
		q.N = 1
		m0, m1 := u0*per, u1*per
		q.M = m1 - m0
		c0 := 0
		if g.G > 1 {
			q.Group = u1 - u0
			q.C = q.Group * g.Cg
			c0 = u0 * g.Cg
		}
		if q.Validate() != nil {
			return nil
		}
		ch := chunk{p: q, m0: m0, c0: c0, mCount: q.M}
		ch.pk = kernels.PackConvWeights(&ch.p, w[m0*wper:m1*wper])
		if bias != nil {
			ch.bias = bias[m0:m1]
		}
		ch.ws = c.newScratch(ir.Float32, kernels.WorkspaceSize(&ch.p))
		chunks[i] = ch
	}
	x, out := k.x, k.out
	in, osz := g.C*g.H*g.W, g.M*g.OHW
	f := func(lo, hi int) {
		xs, ys := x.f32(), out.f32()
		var rs []float32
		if res != nil {
			rs = res.f32()
		}
		for i := lo; i < hi; i++ {
			ch := &chunks[i]
			for n := 0; n < g.N; n++ {
				xo := n*in + ch.c0*g.H*g.W
				yo := n*osz + ch.m0*g.OHW
				yl := ch.mCount * g.OHW
				var r []float32
				if rs != nil {
					r = rs[yo : yo+yl]
				}
				kernels.Conv2D(&ch.p, ch.pk, xs[xo:xo+ch.p.C*g.H*g.W], ch.bias, r, ys[yo:yo+yl], ch.ws.f32(), kthreads)
				for m := 0; m < ch.mCount && len(post) > 0; m++ {
					o := yo + m*g.OHW
					post.apply(ys[o:o+g.OHW], ch.m0+m, o)
				}
			}
		}
	}
	pool := c.b.pool
	return func() { pool.parallelFor(T, 1, f) }
}

// fastGemm returns a package kernels kernel for Gemm with a constant B and
// an optional bias C of shape [N] / [1, N] (constant), or nil. B's columns
// are split into one chunk per thread, each packed once (PackB) and run
// single-threaded by a pool worker; the bias (beta*C), a fused activation
// and a fused residual Add run in the kernels' epilogue. A one-row A (a
// classifier at batch 1) runs kernels.Gemv on B packed by PackGemv, which
// streams the weights in one pass (same bits as GemmPackedB).
func (c *ctx) fastGemm(a, b, cc, out *tval, ta, tb bool, M, N, K int, alpha, beta float32, epi epilogue) func() {
	if !useKernels || !b.konst {
		return nil
	}
	var bias []float32
	if cc != nil {
		if !cc.konst || cc.n != N || (len(cc.shape) == 2 && cc.shape[0] != 1) || len(cc.shape) > 2 || N == 1 && M > 1 {
			return nil
		}
		bias = make([]float32, N)
		for i, v := range cc.f32() {
			bias[i] = beta * v
		}
	}
	affine, ka, ealpha, ebeta, res, after, post := kernelEpilogue(epi)
	if len(affine) > 0 {
		return nil
	}
	T := max(1, min(c.b.pool.threads, (N+15)/16))
	type chunk struct {
		pb     *kernels.PackedB
		pg     *kernels.PackedGemv
		n0, n1 int
		ep     kernels.Epilogue
	}
	chunks := make([]chunk, T)
	bs := b.f32()
	gemv := M == 1 && alpha == 1
	for i := range chunks {
		n0, n1 := i*N/T, (i+1)*N/T
		var pb *kernels.PackedB
		var pg *kernels.PackedGemv
		switch {
		case gemv && tb:
			pg = kernels.PackGemv(true, K, n1-n0, bs[n0*K:], K)
		case gemv:
			pg = kernels.PackGemv(false, K, n1-n0, bs[n0:], N)
		case tb:
			pb = kernels.PackB(true, K, n1-n0, bs[n0*K:], K)
		default:
			pb = kernels.PackB(false, K, n1-n0, bs[n0:], N)
		}
		ep := kernels.Epilogue{BiasPerCol: true, Act: ka, Alpha: ealpha, Beta: ebeta, ActAfterResidual: after}
		if bias != nil {
			ep.Bias = bias[n0:n1]
		}
		chunks[i] = chunk{pb: pb, pg: pg, n0: n0, n1: n1, ep: ep}
	}
	lda := K
	if ta {
		lda = M
	}
	f := func(lo, hi int) {
		as, os := a.f32(), out.f32()
		for i := lo; i < hi; i++ {
			ch := &chunks[i]
			if res != nil {
				ch.ep.Residual = res.f32()[ch.n0:]
			}
			if ch.pg != nil {
				kernels.Gemv(ch.pg, as, os[ch.n0:ch.n1], &ch.ep, 1)
			} else {
				kernels.GemmPackedB(ta, M, alpha, as, lda, ch.pb, 0, os[ch.n0:], N, &ch.ep, 1)
			}
			for m := 0; m < M && len(post) > 0; m++ {
				post.apply(os[m*N+ch.n0:m*N+ch.n1], 0, m*N+ch.n0)
			}
		}
	}
	pool := c.b.pool
	return func() { pool.parallelFor(T, 1, f) }
}
