package kernels

import (
	"fmt"
	"sync"
)

// gemvW is the width of a PackedGemv panel: 32 columns (two ZMM, four
// YMM registers of accumulators).
const gemvW = 2 * nr

// gemvKernel computes c[j] = s[j] (+ c[j] when acc) for j < 32, with
// s[j] = sum over p < k, in order from zero, of x[p]*b[p*32+j]: one kc
// block of a 32-column panel. Every element gets the operations the
// GEMM micro-kernels give an element of a one-row product (the same
// bits on the same path). It is the assembly kernel where the CPU allows,
// else gemvKernelGo.
var gemvKernel = gemvKernelGo

func gemvKernelGo(k int, x, b, c []float32, acc bool) {
	x = x[:k]
	b = b[:k*gemvW]
	c = c[:gemvW]
	for h := 0; h < gemvW; h += 8 {
		var c0, c1, c2, c3, c4, c5, c6, c7 float32
		for p, xp := range x {
			bp := b[p*gemvW+h : p*gemvW+h+8 : p*gemvW+h+8]
			c0 += xp * bp[0]
			c1 += xp * bp[1]
			c2 += xp * bp[2]
			c3 += xp * bp[3]
			c4 += xp * bp[4]
			c5 += xp * bp[5]
			c6 += xp * bp[6]
			c7 += xp * bp[7]
		}
		v := [8]float32{c0, c1, c2, c3, c4, c5, c6, c7}
		for q := range v {
			if acc {
				v[q] = c[h+q] + v[q]
			}
			c[h+q] = v[q]
		}
	}
}

// PackedGemv is a K x N matrix packed for products with a single row,
// y = x B (a classifier's fully connected layer, a 1x1 convolution of a
// 1x1 image): panels of 32 columns, each holding all of K contiguously
// (data[(j/32)*K*32 + k*32 + j%32], columns past N zero). One row's
// product then reads the weights in one sequential stream, with no packing
// of the left operand and no K-block passes over y: it is bound by reading
// the weights, once per call and from memory when the rest of a network
// has evicted them (BenchmarkGemvCold: about the rate of a plain vector
// sum of as many bytes).
//
// A PackedGemv keeps the state of a Gemv call, so that calls allocate
// nothing; concurrent calls with the same PackedGemv are serialized.
type PackedGemv struct {
	K, N int
	data []float32

	mu  sync.Mutex
	wg  Group
	job gemvJob
}

// PackGemv packs op(B) (K x N; B is N x K with leading dimension ldb if
// transB, as a fully connected layer's weights [out, in]) for Gemv.
func PackGemv(transB bool, K, N int, B []float32, ldb int) *PackedGemv {
	checkMat("PackGemv", "B", transB, K, N, B, ldb)
	np := (N + gemvW - 1) / gemvW
	pg := &PackedGemv{K: K, N: N, data: allocPacked(np * K * gemvW)}
	for jp := 0; jp < np; jp++ {
		d := pg.data[jp*K*gemvW : (jp+1)*K*gemvW]
		for j := jp * gemvW; j < min(N, (jp+1)*gemvW); j++ {
			jj := j % gemvW
			if transB {
				for k, v := range B[j*ldb : j*ldb+K] {
					d[k*gemvW+jj] = v
				}
			} else {
				for k := 0; k < K; k++ {
					d[k*gemvW+jj] = B[k*ldb+j]
				}
			}
		}
	}
	return pg
}

// gemvJob is one Gemv call.
type gemvJob struct {
	pg      *PackedGemv
	x, y    []float32
	ep      Epilogue
	preload bool
	chunk   func(lo, hi int, s *scratch) // j.panels, bound once
}

// Gemv computes y = x op(B) for the one-row x (K elements) and the matrix
// packed in pg, followed by the epilogue ep (nil: none) with the meaning
// it has in GemmPackedB for one row with BiasPerCol: ep.Bias and
// ep.Residual have one element per output (N). The result has the same
// bits as GemmPackedB(false, 1, 1, x, K, PackB(...), 0, y, N, ep, ...) on
// the same kernel path; it does not depend on threads. In steady state it
// allocates nothing.
func Gemv(pg *PackedGemv, x, y []float32, ep *Epilogue, threads int) {
	K, N := pg.K, pg.N
	switch {
	case len(x) < K:
		panic(fmt.Sprintf("kernels.Gemv: x has %d elements, need %d", len(x), K))
	case len(y) < N:
		panic(fmt.Sprintf("kernels.Gemv: y has %d elements, need %d", len(y), N))
	case ep != nil && ep.Bias != nil && len(ep.Bias) < N:
		panic(fmt.Sprintf("kernels.Gemv: bias has %d elements, need %d", len(ep.Bias), N))
	case ep != nil && ep.Residual != nil && len(ep.Residual) < N:
		panic(fmt.Sprintf("kernels.Gemv: residual has %d elements, need %d", len(ep.Residual), N))
	}
	if N == 0 {
		return
	}
	pg.mu.Lock()
	defer pg.mu.Unlock()
	j := &pg.job
	j.pg, j.x, j.y = pg, x[:K], y[:N]
	j.ep = Epilogue{}
	if ep != nil {
		j.ep = *ep
	}
	// As gemmJob.prepare: a residual added before the activation (or with
	// none) is the product's starting value.
	j.preload = j.ep.Residual != nil && (j.ep.ActAfterResidual || j.ep.Act == ActNone)
	np := (N + gemvW - 1) / gemvW
	if threads <= 1 || np < 2 {
		j.panels(0, np, &pg.wg.own)
	} else {
		if j.chunk == nil {
			j.chunk = j.panels
		}
		parallel(threads, np, nil, &pg.wg, j.chunk)
	}
	yy := j.y
	if b := j.ep.Bias; b != nil {
		for i, v := range b[:N] {
			yy[i] += v
		}
	}
	if j.ep.Act != ActNone {
		ApplyAct(yy, j.ep.Act, j.ep.Alpha, j.ep.Beta)
	}
	if r := j.ep.Residual; r != nil && !j.preload {
		for i, v := range r[:N] {
			yy[i] += v
		}
	}
	j.x, j.y, j.ep = nil, nil, Epilogue{} // do not keep the caller's data alive
}

// panels computes the sums of panels [lo, hi) into y (the epilogue but
// for a preloaded residual is left to Gemv), in s's tile.
func (j *gemvJob) panels(lo, hi int, s *scratch) {
	K, N := j.pg.K, j.pg.N
	t := s.tile[:gemvW]
	for jp := lo; jp < hi; jp++ {
		j0 := jp * gemvW
		n := min(gemvW, N-j0)
		acc := j.preload
		if acc {
			copy(t[:n], j.ep.Residual[j0:j0+n])
		}
		panel := j.pg.data[jp*K*gemvW : (jp+1)*K*gemvW]
		for pc := 0; pc < K; pc += kc {
			kcb := min(kc, K-pc)
			gemvKernel(kcb, j.x[pc:pc+kcb], panel[pc*gemvW:(pc+kcb)*gemvW], t, acc)
			acc = true
		}
		if K == 0 && !j.preload {
			clear(t[:n])
		}
		copy(j.y[j0:j0+n], t[:n])
	}
}
