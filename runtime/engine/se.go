package engine

import (
	"fmt"

	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/runtime/kernels"
)

// seChunk is one thread's share of the output columns of one of the two
// small GEMMs of fastSqueezeExcite, with its own packed weights.
type seChunk struct {
	pb     *kernels.PackedB
	pg     *kernels.PackedGemv // batch 1: the one-row product's layout
	n0, n1 int
	ep     kernels.Epilogue
}

// seChunks packs the constant weights w ([cols, k] row-major, as a 1x1
// conv stores them) as the right GEMM operand w^T, split into at most T
// column blocks, with bias b per column and activation ka; for a batch of
// one (rows == 1) in kernels.Gemv's layout.
func seChunks(w, b []float32, rows, k, cols, T int, ka kernels.Act, alpha, beta float32) []seChunk {
	T = max(1, min(T, (cols+15)/16))
	ch := make([]seChunk, T)
	for i := range ch {
		n0, n1 := i*cols/T, (i+1)*cols/T
		ch[i] = seChunk{
			n0: n0, n1: n1,
			ep: kernels.Epilogue{Bias: b[n0:n1], BiasPerCol: true, Act: ka, Alpha: alpha, Beta: beta},
		}
		if rows == 1 {
			ch[i].pg = kernels.PackGemv(true, k, n1-n0, w[n0*k:], k)
		} else {
			ch[i].pb = kernels.PackB(true, k, n1-n0, w[n0*k:], k)
		}
	}
	return ch
}

// run computes the chunk's columns of out = act(in * w^T + b) for rows
// rows of k inputs (out has cols columns).
func (ch *seChunk) run(rows int, in []float32, k int, out []float32, cols int) {
	if ch.pg != nil {
		kernels.Gemv(ch.pg, in, out[ch.n0:ch.n1], &ch.ep, 1)
		return
	}
	kernels.GemmPackedB(false, rows, 1, in, k, ch.pb, 0, out[ch.n0:], cols, &ch.ep, 1)
}

// fastSqueezeExcite is the optimized SqueezeExcite (reference: the plain
// loop in opSqueezeExcite). For a batch of N images, as four parallel
// phases with fixed reduction order, so that results are bit-identical for
// every thread count:
//
//  1. S[n,c] = mean of plane (n,c) (planeMean: vectorized sum in a fixed
//     order), parallel over planes;
//  2. H = act(S * W1^T + b1) (act relu or silu) ([N,C] x [C,Cr]) with package kernels'
//     packed GEMM, the activation and bias in its epilogue, parallel over column
//     blocks of H (each output's sum over C is in a fixed order whatever
//     the split);
//  3. G = gate(H * W2^T + b2) likewise ([N,Cr] x [Cr,C]), the gate applied
//     by the kernels' vectorized activation;
//  4. y[n,c,:] = x[n,c,:] * G[n,c], parallel over planes (planeScale,
//     vectorized).
//
// The weights are packed once here, at plan time; a run allocates nothing.
func (c *ctx) fastSqueezeExcite(x, out *tval, W1, B1, W2, B2 []float32, N, C, Cr, HW int, inner, gate act) func() {
	T := c.b.pool.threads
	ga, gb := gate.a, gate.b
	gk := kernels.ActSigmoid
	if gate.kind == actHardSigmoid {
		gk = kernels.ActHardSigmoid
	}
	ik := kernels.ActRelu
	if inner.kind == actSiLU {
		ik = kernels.ActSiLU
	}
	ch1 := seChunks(W1, B1, N, C, Cr, T, ik, 0, 0)
	ch2 := seChunks(W2, B2, N, Cr, C, T, gk, ga, gb)
	S := make([]float32, N*C)
	H := make([]float32, N*Cr)
	G := make([]float32, N*C)
	mean := func(lo, hi int) {
		xs := x.f32()
		for i := lo; i < hi; i++ {
			S[i] = planeMean(xs[i*HW : (i+1)*HW])
		}
	}
	gemm1 := func(lo, hi int) {
		for i := lo; i < hi; i++ {
			ch1[i].run(N, S, C, H, Cr)
		}
	}
	gemm2 := func(lo, hi int) {
		for i := lo; i < hi; i++ {
			ch2[i].run(N, H, Cr, G, C)
		}
	}
	scale := func(lo, hi int) {
		xs, os := x.f32(), out.f32()
		for i := lo; i < hi; i++ {
			planeScale(os[i*HW:(i+1)*HW], xs[i*HW:(i+1)*HW], G[i])
		}
	}
	// Planes per chunk, and column blocks per chunk of each GEMM: at least
	// minChunkWork elements or multiply-adds, so that a small SE is not
	// split into chunks too small to pay for the hand-off.
	grain := grainFor(HW)
	grain1 := grainFor(N * C * Cr / len(ch1))
	grain2 := grainFor(N * Cr * C / len(ch2))
	pool := c.b.pool
	return func() {
		pool.parallelFor(N*C, grain, mean)
		pool.parallelFor(len(ch1), grain1, gemm1)
		pool.parallelFor(len(ch2), grain2, gemm2)
		pool.parallelFor(N*C, grain, scale)
	}
}

// planeMean is the mean of v: kernels.SumF32 (vectorized, in a fixed
// order that depends on len(v) only) divided by len(v).
func planeMean(v []float32) float32 {
	return kernels.SumF32(v) / float32(len(v))
}

// planeScale sets dst[i] = src[i] * g (dst may be src), vectorized.
func planeScale(dst, src []float32, g float32) { kernels.ScaleF32(dst, src, g) }

// opSqueezeExcite is mconv's fused Squeeze-and-Excite: s = mean_HW(x);
// h = act(w1*s + b1) (act relu or silu); g = gate(w2*h + b2); y = x * g. With constant
// weights and the optimized kernels enabled it runs fastSqueezeExcite
// (se.go); otherwise the plain reference below.
func opSqueezeExcite(c *ctx) (func(), error) {
	x, w1, b1, w2, b2 := c.input(0), c.input(1), c.input(2), c.input(3), c.input(4)
	for i, t := range []*tval{x, w1, b1, w2, b2} {
		if t == nil || t.dt != ir.Float32 {
			return nil, fmt.Errorf("input %d must be float32", i)
		}
	}
	if len(x.shape) != 4 {
		return nil, fmt.Errorf("x must be [N,C,H,W], is %v", x.shape)
	}
	N, C, HW := int(x.shape[0]), int(x.shape[1]), int(x.shape[2]*x.shape[3])
	Cr := int(w1.shape[0])
	if w1.n != Cr*C || b1.n != Cr || w2.n != C*Cr || b2.n != C {
		return nil, fmt.Errorf("weights %v %v %v %v do not fit %d channels", w1.shape, b1.shape, w2.shape, b2.shape, C)
	}
	var gate act
	switch gs := c.n.AttrString("gate", "sigmoid"); gs {
	case "sigmoid":
		gate = act{kind: actSigmoid}
	case "hardsigmoid":
		gate = act{kind: actHardSigmoid, a: c.n.AttrFloat("alpha", 0.2), b: c.n.AttrFloat("beta", 0.5)}
	default:
		return nil, fmt.Errorf("unsupported gate %q", gs)
	}
	var inner act
	switch as := c.n.AttrString("act", "relu"); as {
	case "relu":
		inner = act{kind: actRelu}
	case "silu":
		inner = act{kind: actSiLU}
	default:
		return nil, fmt.Errorf("unsupported act %q", as)
	}
	out, err := c.setOut(0, ir.Float32, x.shape)
	if err != nil {
		return nil, err
	}
	if useKernels && w1.konst && b1.konst && w2.konst && b2.konst && Cr > 0 && C > 0 && HW > 0 {
		c.kernels = true
		// The fast path packs copies of the weights.
		if err := c.b.charge(w1.bytes() + w2.bytes()); err != nil {
			return nil, err
		}
		return c.fastSqueezeExcite(x, out, w1.f32(), b1.f32(), w2.f32(), b2.f32(), N, C, Cr, HW, inner, gate), nil
	}
	s := make([]float32, C)
	h := make([]float32, Cr)
	g := make([]float32, C)
	return func() {
		xs, os := x.f32(), out.f32()
		W1, B1, W2, B2 := w1.f32(), b1.f32(), w2.f32(), b2.f32()
		for n := 0; n < N; n++ {
			xn := xs[n*C*HW : (n+1)*C*HW]
			for ch := 0; ch < C; ch++ {
				s[ch] = poolPlane(xn[ch*HW:(ch+1)*HW], false)
			}
			for i := 0; i < Cr; i++ {
				v := B1[i]
				for ch, sv := range s {
					v += W1[i*C+ch] * sv
				}
				h[i] = v
			}
			inner.apply(h, h)
			for ch := 0; ch < C; ch++ {
				v := B2[ch]
				for i, hv := range h {
					v += W2[ch*Cr+i] * hv
				}
				g[ch] = v
			}
			gate.apply(g, g)
			on := os[n*C*HW : (n+1)*C*HW]
			for ch := 0; ch < C; ch++ {
				gv := g[ch]
				xr, or := xn[ch*HW:(ch+1)*HW], on[ch*HW:(ch+1)*HW]
				for i, v := range xr {
					or[i] = v * gv
				}
			}
		}
	}, nil
}

func init() {
	register(ir.FusedDomain, "SqueezeExcite", opSqueezeExcite)
}
