package kernels

import (
	"fmt"
	"sync"
	"unsafe"
)

// Blocking parameters of the GEMM (BLIS-style loop nest). A micro-tile is
// mr x nr; an A block (mc x kc, 144 KiB) stays in L2, a packed B
// micro-panel (kc x nr, 16 KiB) in L1.
const (
	mr = 6
	nr = 16
	kc = 256
	mc = 24 * mr
	nc = 128 * nr
)

// Micro-kernel flags.
const (
	flagAcc   = 1 // add the tile's current contents of C
	flagBias  = 2 // add a per-row bias
	flagClamp = 4 // clamp to [lo, hi]
)

// microKernel computes one mr x nr tile: acc = sum over k of a[k*mr+i] *
// b[k*nr+j]; then, per flags, acc += C, acc += bias[i], acc = clamp(acc,
// lo, hi); then stores acc to c[i*ldc+j]. a and b are packed panels of k
// steps. It is the assembly kernel where the CPU allows, else kernelGo.
var microKernel = kernelGo

// microKernel8 is microKernel for the first 8 columns of a tile (the last
// panel of a matrix whose width leaves at most 8 columns there); each
// output is computed by the same operations as in microKernel.
var microKernel8 = kernelGo8

// dwKernel computes, for r in [0, rows) and j in [0, n),
// y[r*outStride+j] = bias + sum over t of w[t]*x[r*inStride+offs[t]+j],
// taps in order t = 0, 1, ... It may read x up to column roundUp(n, 8).
var dwKernel = dwKernelGo

// wideKernel, where the kernel path has one (nil otherwise), computes a
// rows x cols tile, 12x32 or 6x32 (2mr x 2nr, mr x 2nr):
// a holds rows/mr consecutive packed A panels of k steps, b cols/nr
// consecutive packed B panels of k steps, and every output element is
// computed by the same operations as in microKernel (so using it or not
// changes no bit).
var wideKernel func(rows, cols, k int, a, b, c []float32, ldc, flags int, bias []float32, lo, hi float32)

// wideRowKernel, where the kernel path has one (nil otherwise), computes
// row 0 alone of wideKernel's 6x32 tile (a one-row left operand: a GEMV,
// as in classifiers and 1x1 convolutions of a 1x1 image), every element
// by the same operations as wideKernel (so the same bits), storing the
// 32 floats at c.
var wideRowKernel func(k int, a, b, c []float32, flags int, bias []float32, lo, hi float32)

func roundUp(x, m int) int { return (x + m - 1) / m * m }

// allocPacked allocates n floats for packed weights: plain Go memory,
// advised to be backed by 2 MiB pages (AdviseHugePages) before it is
// written. The GEMMs stream packed weights from L3 or memory (ResNet-18's
// Winograd weights: about 95 MB an inference), and with 4 KiB pages each
// 4 KiB of them costs a page walk (figures in the package README).
func allocPacked(n int) []float32 {
	f := make([]float32, n)
	if n > 0 {
		AdviseHugePages(unsafe.Slice((*byte)(unsafe.Pointer(&f[0])), n*4))
	}
	return f
}

// PackedA is an M x K matrix packed into mr-row panels per kc block of K,
// as the left operand of GEMM. Rows past M are zero.
type PackedA struct {
	M, K int
	mpad int
	data []float32
}

// PackA packs op(A) (M x K, row-major with leading dimension lda; A is K x
// M if transA) for repeated use as the left GEMM operand, e.g. constant
// convolution weights.
func PackA(transA bool, M, K int, A []float32, lda int) *PackedA {
	return packAInto(allocPacked(roundUp(M, mr)*K), transA, M, K, A, lda)
}

// packAInto is PackA into dst (roundUp(M, mr)*K floats).
func packAInto(dst []float32, transA bool, M, K int, A []float32, lda int) *PackedA {
	checkMat("PackA", "A", transA, M, K, A, lda)
	pa := &PackedA{M: M, K: K, mpad: roundUp(M, mr)}
	pa.data = dst[:pa.mpad*K]
	for pc := 0; pc < K; pc += kc {
		kcb := min(kc, K-pc)
		for i0 := 0; i0 < M; i0 += mr {
			packAPanel(pa.data[pc*pa.mpad+i0*kcb:], transA, A, lda, i0, min(mr, M-i0), pc, kcb, 1)
		}
	}
	return pa
}

// panel returns the packed panels of block pc starting at row i0 (i0 a
// multiple of mr).
func (pa *PackedA) panel(pc, kcb, i0 int) []float32 { return pa.data[pc*pa.mpad+i0*kcb:] }

// packAPanel writes rows [i0, i0+rows) x cols [p0, p0+kcb) of alpha*op(A)
// as one mr-row panel: dst[k*mr+i].
func packAPanel(dst []float32, transA bool, A []float32, lda, i0, rows, p0, kcb int, alpha float32) {
	dst = dst[:kcb*mr]
	if rows == mr && !transA && alpha == 1 {
		packAPanel6(dst, A[i0*lda+p0:], lda, kcb)
		return
	}
	if rows < mr {
		clear(dst)
	}
	for i := 0; i < rows; i++ {
		if transA {
			for k := 0; k < kcb; k++ {
				dst[k*mr+i] = alpha * A[(p0+k)*lda+i0+i]
			}
		} else {
			src := A[(i0+i)*lda+p0 : (i0+i)*lda+p0+kcb]
			if alpha == 1 {
				for k, v := range src {
					dst[k*mr+i] = v
				}
			} else {
				for k, v := range src {
					dst[k*mr+i] = alpha * v
				}
			}
		}
	}
}

// packAPanel6 is packAPanel of a whole panel of a row-major A (no
// transpose, alpha 1): rows a[i*lda : i*lda+kcb], i < 6, interleaved k by
// k (one pass over the six rows together, not one strided pass per row:
// 0.67 -> 0.15 ns per element; LeViT's linear layers and attention pack
// their activations this way on every call).
func packAPanel6(dst, a []float32, lda, kcb int) {
	if n := packA6Vec(dst, a, lda, kcb); n > 0 {
		dst, a, kcb = dst[n*mr:], a[n:], kcb-n
	}
	r0 := a[:kcb]
	r1 := a[lda : lda+kcb]
	r2 := a[2*lda : 2*lda+kcb]
	r3 := a[3*lda : 3*lda+kcb]
	r4 := a[4*lda : 4*lda+kcb]
	r5 := a[5*lda : 5*lda+kcb]
	dst = dst[:kcb*mr]
	for k := range r0 {
		d := dst[k*mr : k*mr+mr : k*mr+mr]
		d[0], d[1], d[2], d[3], d[4], d[5] = r0[k], r1[k], r2[k], r3[k], r4[k], r5[k]
	}
}

// packA6Vec, where the kernel path has one, packs the first steps of
// packAPanel6 (a multiple of 8) and returns how many; the rest is left to
// the caller.
var packA6Vec = func(dst, a []float32, lda, kcb int) int { return 0 }

// PackedB is a K x N matrix packed into nr-column panels per kc block of K,
// as the right operand of GEMM. Columns past N are zero.
//
// A PackedB also keeps the state of a GemmPackedB call, so that the call
// allocates nothing in steady state; concurrent calls with the same
// PackedB are serialized.
type PackedB struct {
	K, N int
	npad int
	data []float32

	mu  sync.Mutex
	wg  Group
	job gemmJob
}

// PackB packs op(B) (K x N; B is N x K with leading dimension ldb if
// transB) for repeated use as the right GEMM operand, e.g. the constant
// weights of a fully connected layer (y = x W^T: transB true).
func PackB(transB bool, K, N int, B []float32, ldb int) *PackedB {
	checkMat("PackB", "B", transB, K, N, B, ldb)
	pb := &PackedB{K: K, N: N, npad: roundUp(N, nr)}
	pb.data = allocPacked(pb.npad * K)
	src := denseB{trans: transB, B: B, ldb: ldb}
	offs := make([]int, kc)
	for pc := 0; pc < K; pc += kc {
		kcb := min(kc, K-pc)
		src.pack(pb.data[pc*pb.npad:], pc, kcb, 0, N, offs)
	}
	return pb
}

// Right operands packed on the fly. Each packs rows [p0, p0+kcb) x
// columns [j0, j0+n) into nr-column panels, dst[(j/nr)*nr*kcb + k*nr +
// j%nr], zero-filling the last panel past n.
const (
	srcDense  = iota // denseB
	srcRows          // rowsB
	srcIm2col        // im2colB
)

// denseB is a row-major matrix (K x N, or N x K when trans).
type denseB struct {
	trans bool
	B     []float32
	ldb   int
}

func (s denseB) pack(dst []float32, p0, kcb, j0, n int, offs []int) {
	if !s.trans {
		offs = offs[:kcb]
		for k := range offs {
			offs[k] = (p0 + k) * s.ldb
		}
		packRows(dst, s.B, offs, j0, n)
		return
	}
	np := (n + nr - 1) / nr
	dst = dst[:np*nr*kcb]
	for jp := 0; jp < np; jp++ {
		cnt := min(nr, n-jp*nr)
		d := dst[jp*nr*kcb : (jp+1)*nr*kcb]
		if cnt < nr {
			clear(d)
		}
		for j := 0; j < cnt; j++ {
			off := (j0+jp*nr+j)*s.ldb + p0
			src := s.B[off : off+kcb]
			for k, v := range src {
				d[k*nr+j] = v
			}
		}
	}
}

// rowsB is a matrix whose row k is x[offs[k]:], columns contiguous.
type rowsB struct {
	x    []float32
	offs []int
}

func (s rowsB) pack(dst []float32, p0, kcb, j0, n int) {
	packRows(dst, s.x, s.offs[p0:p0+kcb], j0, n)
}

// packRowsVec packs np full panels: for jp in [0, np), k in
// [0, len(offs)): dst[(jp*len(offs)+k)*nr : +nr] = x[offs[k]+j0+jp*nr : +nr].
// The caller has checked the bounds.
var packRowsVec = func(dst, x []float32, offs []int, j0, np int) {
	kcb := len(offs)
	for jp := 0; jp < np; jp++ {
		for k, off := range offs {
			o := off + j0 + jp*nr
			copy(dst[(jp*kcb+k)*nr:(jp*kcb+k+1)*nr], x[o:o+nr])
		}
	}
}

// packRows packs columns [j0, j0+n) of the rows x[offs[k]:] (see rowsB).
func packRows(dst, x []float32, offs []int, j0, n int) {
	kcb := len(offs)
	np := (n + nr - 1) / nr
	dst = dst[:np*nr*kcb]
	for _, off := range offs {
		if off < 0 || off+j0+n > len(x) {
			panic("kernels: packed rows out of bounds")
		}
	}
	full := n / nr
	packRowsVec(dst, x, offs, j0, full)
	if full < np {
		cnt := n - full*nr
		d := dst[full*nr*kcb:]
		clear(d)
		for k, off := range offs {
			o := off + j0 + full*nr
			copy(d[k*nr:k*nr+cnt], x[o:o+cnt])
		}
	}
}

// scratch is one thread's working memory.
type scratch struct {
	a, b  []float32
	buf   []float32
	offs  []int
	tile  [mr * 2 * nr]float32 // an edge tile (edgeTile)
	tbias [mr]float32          // its bias
}

// packSizes returns the pack buffer lengths a job needs per thread.
func (j *gemmJob) packSizes() (na, nb int) {
	kk := min(kc, j.K)
	if j.pa == nil {
		na = roundUp(min(mc, j.M), mr) * kk
	}
	if j.pb == nil {
		nb = roundUp(min(nc, j.N), nr) * kk
	}
	return na, nb
}

func (s *scratch) gemmBufs(na, nb int) {
	if len(s.a) < na {
		s.a = make([]float32, na)
	}
	if len(s.b) < nb {
		s.b = make([]float32, nb)
	}
	if len(s.offs) < kc {
		s.offs = make([]int, kc)
	}
}

func (s *scratch) ensureBuf(n int) []float32 {
	if len(s.buf) < n {
		s.buf = make([]float32, n)
	}
	return s.buf[:n]
}

// gemmJob is one C = op(A) op(B) (+ epilogue) problem.
type gemmJob struct {
	M, N, K int
	// left operand: pa, or A (packed on the fly, scaled by alpha)
	pa     *PackedA
	transA bool
	A      []float32
	lda    int
	alpha  float32
	// right operand: pb, or one of the sources, packed on the fly
	pb     *PackedB
	src    int
	dense  denseB
	rows   rowsB
	im2col im2colB
	C      []float32
	ldc    int
	// beta: 0 overwrite C, 1 accumulate into C, else scale C first
	beta float32
	ep   Epilogue

	// derived by prepare
	preload     bool // residual copied/added into C before the product
	kBias       bool
	kClamp      bool
	lo, hi      float32
	postColBias bool
	postAct     bool
	postRes     bool

	byCols, byRows func(lo, hi int, s *scratch) // built once, see parallelRun
	unit           int                          // rows or columns per chunk index, see parallelRun
}

// reset clears j's problem, keeping the chunk functions.
func (j *gemmJob) reset() {
	byCols, byRows := j.byCols, j.byRows
	*j = gemmJob{byCols: byCols, byRows: byRows}
}

func (j *gemmJob) prepare() {
	ep := &j.ep
	j.preload = ep.Residual != nil && (ep.ActAfterResidual || ep.Act == ActNone)
	j.postRes = ep.Residual != nil && !j.preload
	j.kBias = ep.Bias != nil && !ep.BiasPerCol
	j.postColBias = ep.Bias != nil && ep.BiasPerCol
	lo, hi, isClamp, doClamp := clampBounds(ep.Act, ep.Alpha, ep.Beta)
	j.kClamp = isClamp && doClamp && !j.postColBias
	j.lo, j.hi = lo, hi
	j.postAct = ep.Act != ActNone && !j.kClamp
}

// run computes rows [m0, m1) x columns [n0, n1) of C; m0 is a multiple of
// mr and n0 of nr, so the tiling is the same as for the whole matrix.
func (j *gemmJob) run(m0, m1, n0, n1 int, s *scratch) {
	if m0 >= m1 || n0 >= n1 {
		return
	}
	accInit := j.beta != 0
	if j.beta != 0 && j.beta != 1 {
		for i := m0; i < m1; i++ {
			row := j.C[i*j.ldc+n0 : i*j.ldc+n1]
			for k := range row {
				row[k] *= j.beta
			}
		}
	}
	if j.preload {
		for i := m0; i < m1; i++ {
			row := j.C[i*j.ldc+n0 : i*j.ldc+n1]
			res := j.ep.Residual[i*j.ldc+n0 : i*j.ldc+n1]
			if accInit {
				for k, v := range res {
					row[k] += v
				}
			} else if &row[0] != &res[0] {
				copy(row, res)
			}
		}
		accInit = true
	}
	if j.K == 0 {
		for i := m0; i < m1; i++ {
			if !accInit {
				clear(j.C[i*j.ldc+n0 : i*j.ldc+n1])
			}
			for c := n0; c < n1; c++ {
				j.C[i*j.ldc+c] = j.finish(j.C[i*j.ldc+c], i, c)
			}
		}
		return
	}
	if j.pa == nil || j.pb == nil {
		s.gemmBufs(j.packSizes())
	}
	for jc := n0; jc < n1; jc += nc {
		ncb := min(nc, n1-jc)
		for pc := 0; pc < j.K; pc += kc {
			kcb := min(kc, j.K-pc)
			var bp []float32
			if j.pb != nil {
				bp = j.pb.data[pc*j.pb.npad+jc*kcb:]
			} else {
				bp = s.b[:roundUp(ncb, nr)*kcb]
				switch j.src {
				case srcDense:
					j.dense.pack(bp, pc, kcb, jc, ncb, s.offs)
				case srcRows:
					j.rows.pack(bp, pc, kcb, jc, ncb)
				case srcIm2col:
					j.im2col.pack(bp, pc, kcb, jc, ncb)
				}
			}
			flags := 0
			if pc > 0 || accInit {
				flags |= flagAcc
			}
			last := pc+kcb >= j.K
			if last && j.kBias {
				flags |= flagBias
			}
			if last && j.kClamp {
				flags |= flagClamp
			}
			for ic := m0; ic < m1; ic += mc {
				mcb := min(mc, m1-ic)
				var ap []float32
				if j.pa != nil {
					ap = j.pa.panel(pc, kcb, ic)
				} else {
					ap = s.a[:roundUp(mcb, mr)*kcb]
					for ir := 0; ir < mcb; ir += mr {
						packAPanel(ap[ir*kcb:], j.transA, j.A, j.lda, ic+ir, min(mr, mcb-ir), pc, kcb, j.alpha)
					}
				}
				jr := 0
				if wideKernel != nil && ncb >= 2*nr {
					// Full pairs of B panels: 12x32 and 6x32 tiles. A
					// lone 16-column panel keeps the 6x16 kernel (a
					// 12x16 one, with one B load and 12 broadcasts per
					// 12 FMAs, measured 20-30% slower).
					np := ncb / (2 * nr)
					j.wideRows(ap, bp, ic, mcb, jc, np, kcb, flags, last, s)
					jr = np * 2 * nr
				}
				// The other panels (all of them without the wide kernels),
				// row tiles outer as in wideRows.
				for ir := 0; ir < mcb && jr < ncb; ir += mr {
					for jt := jr; jt < ncb; jt += nr {
						j.tile(ap[ir*kcb:], bp[jt*kcb:], ic+ir, jc+jt, min(mr, mcb-ir), min(nr, ncb-jt), kcb, flags, last, s)
					}
				}
			}
		}
	}
}

func (j *gemmJob) tile(a, b []float32, i0, j0, rows, cols, kcb, flags int, last bool, s *scratch) {
	if rows != mr || (cols != nr && cols != 8) {
		j.edgeTile(a, b, i0, j0, rows, cols, kcb, flags, last, s)
		return
	}
	c := j.C[i0*j.ldc+j0:]
	var bias []float32
	if flags&flagBias != 0 {
		bias = j.ep.Bias[i0 : i0+rows]
	}
	if cols == nr {
		microKernel(kcb, a, b, c, j.ldc, flags, bias, j.lo, j.hi)
	} else {
		microKernel8(kcb, a, b, c, j.ldc, flags, bias, j.lo, j.hi)
	}
	j.post(c, i0, j0, rows, cols, last)
}

// edgeTile computes a tile of fewer than mr rows, or of a width the
// kernels do not store, in scratch: C's rows (when accumulating) and the
// bias are copied into an mr-row scratch tile as wide as the kernel it
// runs (wideKernel for 2nr columns, else microKernel or microKernel8),
// the kernel runs on it with the same flags, and the tile's rows are
// copied back. Each element thus gets the operations a full tile gives
// it (the same bits), with the epilogue vectorized in the kernel. A
// one-row tile of 2nr columns runs wideRowKernel on C directly.
func (j *gemmJob) edgeTile(a, b []float32, i0, j0, rows, cols, kcb, flags int, last bool, s *scratch) {
	ldc := j.ldc
	c := j.C[i0*ldc+j0:]
	if rows == 1 && cols == 2*nr && wideRowKernel != nil {
		var bias []float32
		if flags&flagBias != 0 {
			bias = j.ep.Bias[i0 : i0+1]
		}
		wideRowKernel(kcb, a, b, c[:cols], flags, bias, j.lo, j.hi)
		j.post(c, i0, j0, rows, cols, last)
		return
	}
	w := nr
	switch {
	case cols == 2*nr && wideKernel != nil:
		w = 2 * nr
	case cols <= 8:
		w = 8
	}
	t := s.tile[:mr*w]
	if flags&flagAcc != 0 {
		for i := 0; i < rows; i++ {
			copy(t[i*w:i*w+cols], c[i*ldc:i*ldc+cols])
		}
	}
	var bias []float32
	if flags&flagBias != 0 {
		bias = s.tbias[:]
		copy(bias, j.ep.Bias[i0:i0+rows])
	}
	switch w {
	case 2 * nr:
		wideKernel(mr, w, kcb, a, b, t, w, flags, bias, j.lo, j.hi)
	case 8:
		microKernel8(kcb, a, b, t, w, flags, bias, j.lo, j.hi)
	default:
		microKernel(kcb, a, b, t, w, flags, bias, j.lo, j.hi)
	}
	for i := 0; i < rows; i++ {
		copy(c[i*ldc:i*ldc+cols], t[i*w:i*w+cols])
	}
	j.post(c, i0, j0, rows, cols, last)
}

// wideTile computes the full rows x cols tile at (i0, j0) with wideKernel.
func (j *gemmJob) wideTile(a, b []float32, i0, j0, rows, cols, kcb, flags int, last bool) {
	c := j.C[i0*j.ldc+j0:]
	var bias []float32
	if flags&flagBias != 0 {
		bias = j.ep.Bias[i0 : i0+rows]
	}
	wideKernel(rows, cols, kcb, a, b, c, j.ldc, flags, bias, j.lo, j.hi)
	j.post(c, i0, j0, rows, cols, last)
}

// post applies, after the last K block, the parts of the epilogue the
// micro-kernel does not (a per-column bias, a non-clamp activation, a
// residual added after the activation) to the tile at (i0, j0); c is C
// from that tile on.
//
// Each element gets bias, activation, residual in that order; the
// activation goes over the whole tile in one ActTile call (per row, the
// call would cost more than the arithmetic on 32 floats).
func (j *gemmJob) post(c []float32, i0, j0, rows, cols int, last bool) {
	if !last {
		return
	}
	ldc := j.ldc
	if j.postColBias {
		for i := 0; i < rows; i++ {
			row := c[i*ldc : i*ldc+cols]
			for jj := range row {
				row[jj] += j.ep.Bias[j0+jj]
			}
		}
	}
	if j.postAct {
		ActTile(c, rows, cols, ldc, j.ep.Act, j.ep.Alpha, j.ep.Beta)
	}
	if j.postRes {
		for i := 0; i < rows; i++ {
			row := c[i*ldc : i*ldc+cols]
			res := j.ep.Residual[(i0+i)*ldc+j0 : (i0+i)*ldc+j0+cols]
			for jj, v := range res {
				row[jj] += v
			}
		}
	}
}

// finish applies the epilogue (minus a preloaded residual) to one value;
// used only when K is 0.
func (j *gemmJob) finish(v float32, i, c int) float32 {
	if j.ep.Bias != nil {
		if j.ep.BiasPerCol {
			v += j.ep.Bias[c]
		} else {
			v += j.ep.Bias[i]
		}
	}
	v = actScalar(v, j.ep.Act, j.ep.Alpha, j.ep.Beta)
	if j.postRes {
		v += j.ep.Residual[i*j.ldc+c]
	}
	return v
}

// parallelRun splits C between threads in whole micro-tiles, by rows or
// by columns, whichever gives the busiest thread less work (splitByCols).
// The chunk functions are built on the first call and kept in j, so a
// gemmJob reused across calls (as in PackedConv) runs without allocating.
func (j *gemmJob) parallelRun(threads int, s0 *scratch, wg *Group) {
	j.prepare()
	if threads <= 1 {
		s := s0
		if s == nil {
			s = &wg.own
		}
		j.run(0, j.M, 0, j.N, s)
		return
	}
	if j.byCols == nil {
		j.byCols = func(lo, hi int, s *scratch) { j.run(0, j.M, lo*j.unit, min(hi*j.unit, j.N), s) }
		j.byRows = func(lo, hi int, s *scratch) { j.run(lo*j.unit, min(hi*j.unit, j.M), 0, j.N, s) }
	}
	tm, tn := (j.M+mr-1)/mr, (j.N+nr-1)/nr
	// A split whose chunks repack nothing twice (the other operand is
	// prepacked) takes overSplit chunks per thread, in the wide kernel's
	// tiles when there are enough of them.
	chunks := threads
	if j.splitByCols(threads, tm, tn) {
		j.unit = nr
		if j.pa != nil {
			chunks = overSplit * threads
			if wideKernel != nil && tn >= 4*threads {
				j.unit = 2 * nr
			}
		}
		parallelChunks(threads, chunks, (j.N+j.unit-1)/j.unit, s0, wg, j.byCols)
	} else {
		j.unit = mr
		if j.pb != nil {
			chunks = overSplit * threads
			if wideKernel != nil && tm >= 4*threads {
				j.unit = 2 * mr
			}
		}
		parallelChunks(threads, chunks, (j.M+j.unit-1)/j.unit, s0, wg, j.byRows)
	}
}

// overSplit is how many chunks per thread parallelRun makes when more
// chunks cost no repacking: a worker that starts late, or loses its CPU
// to another process, then holds up at most a quarter of its share.
const overSplit = 4

// splitByCols reports whether C (tm x tn micro-tiles) is better split
// between threads by columns than by rows. Each thread packs the B panels
// of its columns and the A panels of its rows, so a row split repeats the
// packing of every B panel on every thread (unless B is prepacked), and a
// column split that of every A panel (unless A is prepacked, as a
// convolution's weights are). The cost of the busiest thread, in quarter
// micro-tiles: a tile is 4; packing a panel 1 for a dense copy (a load
// and a store per k against a tile's mr FMAs per k) and 2 for im2col or
// shifted rows (gathers and bounds).
func (j *gemmJob) splitByCols(threads, tm, tn int) bool {
	packA, packB := 0, 0
	if j.pa == nil {
		packA = 1
	}
	if j.pb == nil {
		packB = 1
		if j.src != srcDense {
			packB = 2
		}
	}
	ceil := func(a int) int { return (a + threads - 1) / threads }
	byRows := ceil(tm)*(4*tn+packA) + tn*packB
	byCols := ceil(tn)*(4*tm+packB) + tm*packA
	return byCols <= byRows
}

func checkMat(fn, name string, trans bool, rows, cols int, a []float32, ld int) {
	if rows < 0 || cols < 0 {
		panic(fmt.Sprintf("kernels.%s: negative size %dx%d", fn, rows, cols))
	}
	r, c := rows, cols
	if trans {
		r, c = cols, rows
	}
	if r == 0 || c == 0 {
		return
	}
	if ld < c {
		panic(fmt.Sprintf("kernels.%s: leading dimension %d of %s < %d", fn, ld, name, c))
	}
	if len(a) < (r-1)*ld+c {
		panic(fmt.Sprintf("kernels.%s: %s has %d elements, need %d", fn, name, len(a), (r-1)*ld+c))
	}
}

func checkEpilogue(fn string, M, N int, ldc int, ep *Epilogue) {
	if ep == nil {
		return
	}
	if ep.Bias != nil {
		need := M
		if ep.BiasPerCol {
			need = N
		}
		if len(ep.Bias) < need {
			panic(fmt.Sprintf("kernels.%s: bias has %d elements, need %d", fn, len(ep.Bias), need))
		}
	}
	if ep.Residual != nil && M > 0 && N > 0 && len(ep.Residual) < (M-1)*ldc+N {
		panic(fmt.Sprintf("kernels.%s: residual has %d elements, need %d", fn, len(ep.Residual), (M-1)*ldc+N))
	}
}

// Gemm computes C = alpha*op(A)*op(B) + beta*C, op(A) M x K and op(B)
// K x N, row-major with leading dimensions lda, ldb, ldc (A is K x M if
// transA, B is N x K if transB). When beta is 0, C is not read.
func Gemm(transA, transB bool, M, N, K int, alpha float32, A []float32, lda int, B []float32, ldb int, beta float32, C []float32, ldc int, threads int) {
	GemmEpilogue(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, nil, threads)
}

// GemmEpilogue is Gemm followed by the epilogue ep (nil: none), fused.
func GemmEpilogue(transA, transB bool, M, N, K int, alpha float32, A []float32, lda int, B []float32, ldb int, beta float32, C []float32, ldc int, ep *Epilogue, threads int) {
	j := new(gemmJob)
	if j.setDense("Gemm", transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, ep) {
		j.parallelRun(threads, nil, new(Group))
	}
}

// setDense checks the operands of a GEMM with a dense right operand (fn
// names the caller in the panic) and fills j with them, keeping j's
// buffers; it reports whether there is anything to compute.
func (j *gemmJob) setDense(fn string, transA, transB bool, M, N, K int, alpha float32, A []float32, lda int, B []float32, ldb int, beta float32, C []float32, ldc int, ep *Epilogue) bool {
	checkMat(fn, "A", transA, M, K, A, lda)
	checkMat(fn, "B", transB, K, N, B, ldb)
	checkMat(fn, "C", false, M, N, C, ldc)
	checkEpilogue(fn, M, N, ldc, ep)
	if M == 0 || N == 0 {
		return false
	}
	j.reset()
	j.M, j.N, j.K, j.transA, j.A, j.lda, j.alpha = M, N, K, transA, A, lda, alpha
	j.dense = denseB{trans: transB, B: B, ldb: ldb}
	j.C, j.ldc, j.beta = C, ldc, beta
	if ep != nil {
		j.ep = *ep
	}
	return true
}

// GemmPackedB is GemmEpilogue with a right operand packed by PackB. In
// steady state it allocates nothing.
func GemmPackedB(transA bool, M int, alpha float32, A []float32, lda int, pb *PackedB, beta float32, C []float32, ldc int, ep *Epilogue, threads int) {
	N, K := pb.N, pb.K
	checkMat("GemmPackedB", "A", transA, M, K, A, lda)
	checkMat("GemmPackedB", "C", false, M, N, C, ldc)
	checkEpilogue("GemmPackedB", M, N, ldc, ep)
	if M == 0 || N == 0 {
		return
	}
	pb.mu.Lock()
	defer pb.mu.Unlock()
	j := &pb.job
	j.reset()
	j.M, j.N, j.K, j.transA, j.A, j.lda, j.alpha, j.pb, j.C, j.ldc, j.beta = M, N, K, transA, A, lda, alpha, pb, C, ldc, beta
	if ep != nil {
		j.ep = *ep
	}
	j.parallelRun(threads, nil, &pb.wg)
	j.A, j.C, j.ep = nil, nil, Epilogue{} // do not keep the caller's data alive
}

// GemmPackedA computes C = A*op(B) (+ beta*C, + epilogue) with a left
// operand packed by PackA.
func GemmPackedA(pa *PackedA, transB bool, N int, B []float32, ldb int, beta float32, C []float32, ldc int, ep *Epilogue, threads int) {
	M, K := pa.M, pa.K
	checkMat("GemmPackedA", "B", transB, K, N, B, ldb)
	checkMat("GemmPackedA", "C", false, M, N, C, ldc)
	checkEpilogue("GemmPackedA", M, N, ldc, ep)
	if M == 0 || N == 0 {
		return
	}
	j := &gemmJob{M: M, N: N, K: K, pa: pa, dense: denseB{trans: transB, B: B, ldb: ldb}, C: C, ldc: ldc, beta: beta}
	if ep != nil {
		j.ep = *ep
	}
	j.parallelRun(threads, nil, new(Group))
}
