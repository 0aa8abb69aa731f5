package engine

import (
	"fmt"
	"math"
	"slices"

	"github.com/mconv/mconv/runtime/kernels"

	"github.com/mconv/mconv/ir"
)

// opGemm: Y = alpha * A' * B' + beta * C (float32). A constant transposed B
// is transposed once at plan time; a run-time one into scratch.
func opGemm(c *ctx) (func(), error) { return gemmOp(c, false) }

// opFusedGemm implements mconv.FusedGemm: Gemm with the epilogue its
// attributes state (see ir/fused.go).
func opFusedGemm(c *ctx) (func(), error) { return gemmOp(c, true) }

// gemmOp is Gemm, with the epilogue read from the node when fused.
func gemmOp(c *ctx, fused bool) (func(), error) {
	a, b, cc := c.input(0), c.input(1), c.input(2)
	if a == nil || b == nil {
		return nil, fmt.Errorf("needs A and B")
	}
	if a.dt != ir.Float32 || b.dt != ir.Float32 || (cc != nil && cc.dt != ir.Float32) {
		return nil, fmt.Errorf("unsupported: Gemm on %s (only float32)", a.dt)
	}
	if len(a.shape) != 2 || len(b.shape) != 2 {
		return nil, fmt.Errorf("A and B must be 2-D, have %v and %v", a.shape, b.shape)
	}
	ta, tb := c.n.AttrInt("transA", 0) == 1, c.n.AttrInt("transB", 0) == 1
	alpha, beta := c.n.AttrFloat("alpha", 1), c.n.AttrFloat("beta", 1)
	M, K := int(a.shape[0]), int(a.shape[1])
	if ta {
		M, K = K, M
	}
	K2, N := int(b.shape[0]), int(b.shape[1])
	if tb {
		K2, N = N, K2
	}
	if K != K2 {
		return nil, fmt.Errorf("inner dimensions differ: A %v B %v (transA=%v transB=%v)", a.shape, b.shape, ta, tb)
	}
	out, err := c.setOut(0, ir.Float32, []int64{int64(M), int64(N)})
	if err != nil {
		return nil, err
	}
	// C broadcast to [M, N]: element (i, j) is C[i*csm + j*csn].
	csm, csn := 0, 0
	if cc != nil {
		// Unidirectional: C must broadcast to [M, N] itself ([0,1] would
		// broadcast with [1,N] to an empty [0,N], which Gemm does not mean).
		mn := []int64{int64(M), int64(N)}
		if bs, err := ir.BroadcastShape(mn, cc.shape); err != nil || len(cc.shape) > 2 || !slices.Equal(bs, mn) {
			return nil, fmt.Errorf("C %v does not broadcast to [%d %d]", cc.shape, M, N)
		}
		cs := append([]int64{1, 1}, cc.shape...)[len(cc.shape):]
		if cs[1] != 1 {
			csn = 1
		}
		if cs[0] != 1 {
			csm = int(cs[1])
		}
	}
	var epi epilogue
	if fused {
		if epi, err = c.fusedEpilogue(3, out, false); err != nil {
			return nil, err
		}
	}
	// The fast path packs a copy of constant B; the reference path
	// transposes constant operands once.
	var packed int64
	for _, t := range []*tval{a, b} {
		if t.konst {
			packed += t.bytes()
		}
	}
	if err := c.b.charge(packed); err != nil {
		return nil, err
	}
	if f := c.fastGemm(a, b, cc, out, ta, tb, M, N, K, alpha, beta, epi); f != nil {
		c.kernels = true
		return f, nil
	}
	// Prepare B as [K, N] row-major.
	bk := b
	if tb {
		if b.konst {
			bk = transposeConst(b)
		} else {
			bk = c.newScratch(ir.Float32, K*N)
		}
	}
	ak := a
	if ta {
		if a.konst {
			ak = transposeConst(a)
		} else {
			ak = c.newScratch(ir.Float32, M*K)
		}
	}
	const nb = 256
	nTiles := (N + nb - 1) / nb
	mTiles := (M + 3) / 4
	f := func(lo, hi int) {
		as, bs, os := ak.f32(), bk.f32(), out.f32()
		for t := lo; t < hi; t++ {
			mt, nt := t/nTiles, t%nTiles
			m0, m1 := mt*4, min(mt*4+4, M)
			j0, j1 := nt*nb, min(nt*nb+nb, N)
			for i := m0; i < m1; i++ {
				clear(os[i*N+j0 : i*N+j1])
			}
			sgemmAcc(os, N, as, K, bs, N, m0, m1, j0, j1, K)
			for i := m0; i < m1; i++ {
				row := os[i*N+j0 : i*N+j1]
				if alpha != 1 {
					for j := range row {
						row[j] *= alpha
					}
				}
				if cc != nil {
					cs := cc.f32()
					for j := range row {
						row[j] += beta * cs[i*csm+(j0+j)*csn]
					}
				}
				if len(epi) > 0 {
					epi.apply(row, 0, i*N+j0)
				}
			}
		}
	}
	return func() {
		if ta && !a.konst {
			transpose2D(ak.f32(), a.f32(), int(a.shape[0]), int(a.shape[1]))
		}
		if tb && !b.konst {
			transpose2D(bk.f32(), b.f32(), int(b.shape[0]), int(b.shape[1]))
		}
		c.b.pool.parallelFor(mTiles*nTiles, 1, f)
	}, nil
}

// transposeConst returns a new constant holding the 2-D transpose of t.
func transposeConst(t *tval) *tval {
	r, cN := int(t.shape[0]), int(t.shape[1])
	o := &tval{name: t.name + "#T", dt: t.dt, shape: []int64{int64(cN), int64(r)}, n: t.n, konst: true}
	o.buf = alignedBytes(o.bytes())
	transpose2D(o.f32(), t.f32(), r, cN)
	return o
}

func transpose2D(dst, src []float32, rows, cols int) {
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			dst[j*rows+i] = src[i*cols+j]
		}
	}
}

// opMatMul: numpy-style matrix product with batch broadcasting (float32),
// parallel over (batch, row tiles, column tiles).
func opMatMul(c *ctx) (func(), error) { return matmulOp(c, false) }

// opFusedMatMul implements mconv.FusedMatMul: MatMul with the epilogue its
// attributes state (see ir/fused.go).
func opFusedMatMul(c *ctx) (func(), error) { return matmulOp(c, true) }

// matmulOp is MatMul, with the epilogue read from the node when fused.
func matmulOp(c *ctx, fused bool) (func(), error) {
	a, b := c.input(0), c.input(1)
	if a.dt != ir.Float32 || b.dt != ir.Float32 {
		return nil, fmt.Errorf("unsupported: MatMul on %s (only float32)", a.dt)
	}
	as, bs := append([]int64{}, a.shape...), append([]int64{}, b.shape...)
	if len(as) == 0 || len(bs) == 0 {
		return nil, fmt.Errorf("MatMul of a scalar")
	}
	dropM, dropN := false, false
	if len(as) == 1 {
		as = []int64{1, as[0]}
		dropM = true
	}
	if len(bs) == 1 {
		bs = []int64{bs[0], 1}
		dropN = true
	}
	M, K := int(as[len(as)-2]), int(as[len(as)-1])
	K2, N := int(bs[len(bs)-2]), int(bs[len(bs)-1])
	if K != K2 {
		return nil, fmt.Errorf("inner dimensions differ: %v x %v", a.shape, b.shape)
	}
	batch, err := ir.BroadcastShape(as[:len(as)-2], bs[:len(bs)-2])
	if err != nil {
		return nil, err
	}
	oshape := append([]int64{}, batch...)
	if !dropM {
		oshape = append(oshape, int64(M))
	}
	if !dropN {
		oshape = append(oshape, int64(N))
	}
	out, err := c.setOut(0, ir.Float32, oshape)
	if err != nil {
		return nil, err
	}
	bl := newBloop(batch, as[:len(as)-2], bs[:len(bs)-2])
	nb := int(max(ir.NumElements(batch), 1))
	const nbCols = 256
	nTiles := (N + nbCols - 1) / nbCols
	mTiles := (M + 3) / 4
	var epi epilogue
	if fused {
		if epi, err = c.fusedEpilogue(2, out, false); err != nil {
			return nil, err
		}
	}
	if useKernels {
		if f := c.matmulConstB(a, b, out, bs, nb, M, N, K, epi); f != nil {
			c.kernels = true
			return f, nil
		}
		if f := c.matmulBatched(a, b, out, &bl, nb, M, N, K, epi); f != nil {
			c.kernels = true
			return f, nil
		}
	}
	f := func(lo, hi int) {
		av, bv, ov := a.f32(), b.f32(), out.f32()
		for t := lo; t < hi; t++ {
			bi := t / (mTiles * nTiles)
			mt := t / nTiles % mTiles
			nt := t % nTiles
			aoff := offsetIn(&bl, 0, bi) * M * K
			boff := offsetIn(&bl, 1, bi) * K * N
			o := ov[bi*M*N : (bi+1)*M*N]
			m0, m1 := mt*4, min(mt*4+4, M)
			j0, j1 := nt*nbCols, min(nt*nbCols+nbCols, N)
			for i := m0; i < m1; i++ {
				clear(o[i*N+j0 : i*N+j1])
			}
			sgemmAcc(o, N, av[aoff:aoff+M*K], K, bv[boff:boff+K*N], N, m0, m1, j0, j1, K)
			if len(epi) > 0 {
				for i := m0; i < m1; i++ {
					epi.apply(o[i*N+j0:i*N+j1], 0, bi*M*N+i*N+j0)
				}
			}
		}
	}
	return func() { c.b.pool.parallelFor(nb*mTiles*nTiles, 1, f) }, nil
}

// matmulConstB is MatMul with a constant B without batch dimensions of its
// own (a linear layer on [..., M, K] activations): one GEMM of all
// nb*M rows of A against B, packed once at plan time (fastGemm), with the
// epilogue fused. nil when it does not apply.
func (c *ctx) matmulConstB(a, b, out *tval, bs []int64, nb, M, N, K int, epi epilogue) func() {
	if !b.konst || ir.NumElements(bs[:len(bs)-2]) != 1 {
		return nil
	}
	if err := c.b.charge(b.bytes()); err != nil {
		return nil
	}
	return c.fastGemm(a, b, nil, out, false, false, nb*M, N, K, 1, 0, epi)
}

// matmulBatched is MatMul per broadcast batch entry (attention's Q K^T and
// P V per head) by package kernels' GEMM, in parallel over (batch entry,
// block of rows) tiles: a tile is one single-threaded GEMM in the
// workspace of the part running it, the fused activation and residual in
// its epilogue and any other steps after it. A C element is computed by
// the same operations whichever tile holds its row, so results do not
// depend on the thread count. nil when the epilogue has steps it cannot
// take (per-channel affine).
func (c *ctx) matmulBatched(a, b, out *tval, bl *bloop, nb, M, N, K int, epi epilogue) func() {
	affine, ka, alpha, beta, res, after, post := kernelEpilogue(epi)
	if len(affine) > 0 {
		return nil
	}
	T := max(1, c.b.pool.threads)
	// Rows are split only as far as needed to give every thread a tile.
	rTiles := 1
	if nb < T {
		rTiles = min((M+15)/16, (T+nb-1)/nb)
	}
	rTiles = max(rTiles, 1)
	tiles := nb * rTiles
	parts := max(1, min(tiles, T))
	type part struct {
		ws kernels.GemmWorkspace
		ep kernels.Epilogue
	}
	ps := make([]part, parts)
	for i := range ps {
		ps[i].ep = kernels.Epilogue{Act: ka, Alpha: alpha, Beta: beta, ActAfterResidual: after}
	}
	f := func(lo, hi int) {
		av, bv, ov := a.f32(), b.f32(), out.f32()
		for p := lo; p < hi; p++ {
			pt := &ps[p]
			for t := p * tiles / parts; t < (p+1)*tiles/parts; t++ {
				bi, rt := t/rTiles, t%rTiles
				m0, m1 := rt*M/rTiles, (rt+1)*M/rTiles
				if m0 == m1 {
					continue
				}
				aoff := offsetIn(bl, 0, bi)*M*K + m0*K
				boff := offsetIn(bl, 1, bi) * K * N
				ooff := bi*M*N + m0*N
				if res != nil {
					pt.ep.Residual = res.f32()[ooff:]
				}
				pt.ws.Gemm(false, false, m1-m0, N, K, 1, av[aoff:aoff+(m1-m0)*K], K, bv[boff:boff+K*N], N, 0, ov[ooff:ooff+(m1-m0)*N], N, &pt.ep)
				for i := m0; i < m1 && len(post) > 0; i++ {
					post.apply(ov[bi*M*N+i*N:bi*M*N+(i+1)*N], 0, bi*M*N+i*N)
				}
			}
			pt.ep.Residual = nil
		}
	}
	pool := c.b.pool
	return func() { pool.parallelFor(parts, 1, f) }
}

// offsetIn is the element offset (in units of whole matrices) of input j for
// flat batch index r of a broadcast loop over batch dims.
func offsetIn(bl *bloop, j, r int) int {
	n := bl.inner
	off := bl.offset(j, r/n)
	if bl.istride[j] == 1 {
		off += r % n
	}
	return off
}

// opBatchNorm: inference BatchNormalization as a per-channel affine map.
func opBatchNorm(c *ctx) (func(), error) {
	x := c.input(0)
	if x.dt != ir.Float32 {
		return nil, fmt.Errorf("unsupported: BatchNormalization on %s", x.dt)
	}
	if c.n.AttrInt("training_mode", 0) != 0 {
		return nil, fmt.Errorf("unsupported: training_mode=1")
	}
	if c.opset < 6 && c.n.AttrInt("is_test", 1) == 0 {
		// Old opsets: is_test=0 still computes with given stats when only
		// one output is requested.
		for _, o := range c.n.Outputs[1:] {
			if o != nil {
				return nil, fmt.Errorf("unsupported: training outputs")
			}
		}
	}
	for _, o := range c.n.Outputs[1:] {
		if o != nil && (len(o.Uses) > 0 || o.IsOutput) {
			return nil, fmt.Errorf("unsupported: training-mode outputs")
		}
	}
	if len(x.shape) < 2 {
		return nil, fmt.Errorf("input rank %d < 2", len(x.shape))
	}
	C := x.shape[1]
	for i := 1; i <= 4; i++ {
		p := c.input(i)
		if p == nil || p.n != int(C) || (p.dt != ir.Float32 && p.dt != ir.Float64) {
			return nil, fmt.Errorf("input %d must have %d float elements", i, C)
		}
	}
	for i := range c.out {
		if i > 0 {
			if _, err := c.setOut(i, ir.Float32, []int64{C}); err != nil {
				return nil, err
			}
		}
	}
	out, err := c.setOut(0, ir.Float32, x.shape)
	if err != nil {
		return nil, err
	}
	eps := float64(c.n.AttrFloat("epsilon", 1e-5))
	inner := int(ir.NumElements(x.shape[2:]))
	N := int(x.shape[0])
	sc, sh := make([]float32, C), make([]float32, C)
	return func() {
		// y = (x - mean) / sqrt(var + eps) * scale + B = x*k + (B - mean*k)
		for ch := range sc {
			k := readF64(c.in[1], ch) / math.Sqrt(readF64(c.in[4], ch)+eps)
			sc[ch] = float32(k)
			sh[ch] = float32(readF64(c.in[2], ch) - readF64(c.in[3], ch)*k)
		}
		xs, os := x.f32(), out.f32()
		for n := 0; n < N; n++ {
			for ch := 0; ch < int(C); ch++ {
				off := (n*int(C) + ch) * inner
				k, b := sc[ch], sh[ch]
				kernels.AffineF32(os[off:off+inner], xs[off:off+inner], k, b)
			}
		}
	}, nil
}

func init() {
	register("", "Gemm", opGemm)
	register("", "MatMul", opMatMul)
	register(ir.FusedDomain, "FusedGemm", opFusedGemm)
	register(ir.FusedDomain, "FusedMatMul", opFusedMatMul)
	register("", "BatchNormalization", opBatchNorm)
}
