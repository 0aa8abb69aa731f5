package kernels

import (
	"fmt"
	"sync"
)

// convKind is the algorithm chosen for a convolution.
type convKind int

const (
	convGemm       convKind = iota // implicit im2col + GEMM, per group
	convPointwise                  // 1x1, stride 1, no padding: plain GEMM on x
	convDepthwise                  // group == C == M
	convShifted                    // shifted rows of the padded input's phase planes
	convGemv                       // 1x1 on a 1x1 image: y^T = x^T W^T per group
	convWinograd                   // 3x3 stride 1, group 1: Winograd F(4x4, 3x3) (winograd.go)
	convPointwiseT                 // 1x1 on a small plane: Y^T = X^T W^T (pointwise_t.go)
)

// PackedConv is a convolution's weights prepared once for Conv2D.
//
// A PackedConv also keeps the state of a call, so that Conv2D allocates
// nothing in steady state; concurrent Conv2D calls with the same
// PackedConv are serialized.
type PackedConv struct {
	p    ConvParams
	kind convKind
	a    []*PackedA    // per group: [M/G, C/G*KH*KW]
	bt   []*PackedB    // transposed pointwise: per group, W^T [C/G, M/G]
	gv   []*PackedGemv // gemv: per group, W^T [C/G, M/G]
	dw   []float32     // depthwise: [C, KH*KW], blocked: [C/8][KH*KW][8]
	offs []int         // shifted: row offsets into one group's padded input;
	// depthwise: tap offsets into the phase planes
	wino *winoWeights  // winograd: transformed weights and call state
	xt   PackedA       // transposed pointwise: the call's packed X^T
	ptj  pointwiseTJob // transposed pointwise: call state

	mu   sync.Mutex
	wg   Group
	job  gemmJob
	fill phaseFill // shifted: the phase-plane fill's loop state
	// runCols: the column chunk and the chunk function, built once
	chunk   int
	byChunk func(lo, hi int, s *scratch)
	s0      scratch
	dwj     dwJob
}

var convKindNames = [...]string{"im2col-gemm", "pointwise-gemm", "depthwise", "shifted-gemm", "gemv", "winograd", "pointwise-gemm-t"}

// Path names the algorithm PackConvWeights chose: "depthwise",
// "pointwise-gemm", "pointwise-gemm-t" (transposed, small planes), "gemv",
// "winograd" (F(4x4, 3x3)), "winograd-f2" (F(2x2, 3x3)), "shifted-gemm" or
// "im2col-gemm".
func (pk *PackedConv) Path() string {
	if pk.kind == convWinograd {
		return pk.wino.v.name
	}
	return convKindNames[pk.kind]
}

// shiftGeom is the geometry of a shifted convolution. The zero-padded input (Hp x Wp = (H+PadT+PadB) x
// (W+PadL+PadR)) of each channel is split into SH*SW phase planes of
// Hq x Wq = ceil(Hp/SH) x ceil(Wp/SW), phase (fh, fw) holding padded
// pixels (r*SH+fh, q*SW+fw). Input pixel (oh*SH + kh*DH, ow*SW + kw*DW)
// is phase ((kh*DH)%SH, (kw*DW)%SW) at (oh + (kh*DH)/SH, ow + (kw*DW)/SW),
// so row k = (c, kh, kw) of the im2col matrix is, output row by output
// row, contiguous runs of one phase plane read from a fixed offset: the
// convolution is a GEMM whose right operand is packed with contiguous
// copies (im2colB.packPhases) instead of element-wise im2col gathers, and
// whose output is y itself. It is used for kernels larger than 1x1.
type shiftGeom struct {
	hp, wp int // padded input
	hq, wq int // one phase plane
	phases int // SH*SW
	chan_  int // floats per channel: phases*hq*wq
}

func (p *ConvParams) shiftGeometry() shiftGeom {
	var g shiftGeom
	g.hp, g.wp = p.H+p.PadT+p.PadB, p.W+p.PadL+p.PadR
	g.hq, g.wq = (g.hp+p.SH-1)/p.SH, (g.wp+p.SW-1)/p.SW
	g.phases = p.SH * p.SW
	g.chan_ = g.phases * g.hq * g.wq
	return g
}

// useShifted reports whether the dense convolution p (not pointwise) runs
// on phase planes: every kernel larger than 1x1, and 1x1 kernels whose
// strides multiply to at most 4 (2x2). The phase planes cost one pass
// over the input rows the kernel reads, and packing from them is
// contiguous copies where element-wise im2col gathers every strided or
// padded element; a 1x1 kernel of a larger stride keeps im2col, which
// reads only the pixels it uses.
func (p *ConvParams) useShifted() bool {
	return !p.isDepthwise() && (p.KH*p.KW > 1 || p.SH*p.SW <= 4)
}

// PackConvWeights prepares the weights w [M, C/Group, KH, KW] of the
// convolution p for Conv2D. It panics if p is invalid or w too short.
func PackConvWeights(p *ConvParams, w []float32) *PackedConv {
	if err := p.Validate(); err != nil {
		panic("kernels.PackConvWeights: " + err.Error())
	}
	cg, mg := p.C/p.Group, p.M/p.Group
	kdim := cg * p.KH * p.KW
	if len(w) < p.M*kdim {
		panic(fmt.Sprintf("kernels.PackConvWeights: %d weights, need %d", len(w), p.M*kdim))
	}
	pk := &PackedConv{p: *p}
	switch {
	case p.isDepthwise():
		pk.kind = convDepthwise
		packDepthwise(pk, p, w)
		return pk
	case p.isPointwise() && p.H*p.W == 1:
		// One output column per image: y^T = x^T W^T, a one-row
		// product (Gemv) with the output channels in vector lanes and
		// the weights read in one stream.
		pk.kind = convGemv
		for g := 0; g < p.Group; g++ {
			pk.gv = append(pk.gv, PackGemv(true, kdim, mg, w[g*mg*kdim:(g+1)*mg*kdim], kdim))
		}
		return pk
	case p.usePointwiseT():
		packPointwiseT(pk, w)
		return pk
	case p.isPointwise():
		pk.kind = convPointwise
	case p.useWinograd():
		pk.kind = convWinograd
		pk.wino = packWinoWeights(p, w, p.winoVariant())
		return pk
	case p.useShifted():
		pk.kind = convShifted
		sg := p.shiftGeometry()
		for c := 0; c < cg; c++ {
			for kh := 0; kh < p.KH; kh++ {
				for kw := 0; kw < p.KW; kw++ {
					dh, dw := kh*p.DH, kw*p.DW
					phase := (dh%p.SH)*p.SW + dw%p.SW
					pk.offs = append(pk.offs, c*sg.chan_+phase*sg.hq*sg.wq+(dh/p.SH)*sg.wq+dw/p.SW)
				}
			}
		}
	default:
		pk.kind = convGemm
	}
	for g := 0; g < p.Group; g++ {
		pk.a = append(pk.a, PackA(false, mg, kdim, w[g*mg*kdim:(g+1)*mg*kdim], kdim))
	}
	return pk
}

// WorkspaceSize is the length of the scratch slice Conv2D uses for the
// calling thread. Conv2D takes scratch for other threads, or for the
// calling one when ws is shorter than this, from an internal pool (no
// allocation in steady state).
func WorkspaceSize(p *ConvParams) int {
	switch {
	case p.isDepthwise():
		return dwScratchSize(p)
	case p.isPointwise() && p.H*p.W == 1:
		return 0
	case p.usePointwiseT():
		na, nct := pointwiseTSizes(p)
		return na + nct
	case p.useWinograd():
		return winoBufSize(p, p.winoVariant())
	case p.useShifted():
		return packBSize(p, p.OH*p.OW) + shiftedBufSize(p)
	}
	return packBSize(p, p.OH*p.OW)
}

// packBSize is the B pack buffer a conv's GEMM with n columns needs.
func packBSize(p *ConvParams, n int) int {
	return roundUp(min(nc, n), nr) * min(kc, p.C/p.Group*p.KH*p.KW)
}

func shiftedBufSize(p *ConvParams) int {
	g := p.shiftGeometry()
	return p.C * g.chan_
}

// Conv2D computes y = conv(x) with p's epilogue (see ConvParams): x is
// [N, C, H, W], bias [M] or nil, residual [N, M, OH, OW] or nil, y
// [N, M, OH, OW]. pk comes from PackConvWeights for the same parameters.
// y must not overlap x, bias or residual. threads <= 1 runs in the caller's
// goroutine.
func Conv2D(p *ConvParams, pk *PackedConv, x, bias, residual, y []float32, ws []float32, threads int) {
	if err := p.Validate(); err != nil {
		panic("kernels.Conv2D: " + err.Error())
	}
	q := pk.p
	if q.N = p.N; q != *p {
		// Act/epilogue fields and N may differ; the geometry must not.
		q.Act, q.Alpha, q.Beta, q.ActAfterResidual = p.Act, p.Alpha, p.Beta, p.ActAfterResidual
		if q != *p {
			panic(fmt.Sprintf("kernels.Conv2D: weights packed for %+v, called with %+v", pk.p, *p))
		}
	}
	in, out := p.C*p.H*p.W, p.M*p.OH*p.OW
	switch {
	case len(x) < p.N*in:
		panic(fmt.Sprintf("kernels.Conv2D: x has %d elements, need %d", len(x), p.N*in))
	case len(y) < p.N*out:
		panic(fmt.Sprintf("kernels.Conv2D: y has %d elements, need %d", len(y), p.N*out))
	case bias != nil && len(bias) < p.M:
		panic(fmt.Sprintf("kernels.Conv2D: bias has %d elements, need %d", len(bias), p.M))
	case residual != nil && len(residual) < p.N*out:
		panic(fmt.Sprintf("kernels.Conv2D: residual has %d elements, need %d", len(residual), p.N*out))
	}
	pk.mu.Lock()
	defer pk.mu.Unlock()
	defer pk.release()
	if pk.kind == convDepthwise {
		convDepthwise2D(p, pk, x, bias, residual, y, ws, threads)
		return
	}
	if pk.kind == convGemv {
		cg, mg := p.C/p.Group, p.M/p.Group
		for n := 0; n < p.N; n++ {
			for g := 0; g < p.Group; g++ {
				xo, yo := n*p.C+g*cg, n*p.M+g*mg
				ep := p.epilogue(nil, nil)
				ep.BiasPerCol = true
				if bias != nil {
					ep.Bias = bias[g*mg : (g+1)*mg]
				}
				if residual != nil {
					ep.Residual = residual[yo : yo+mg]
				}
				Gemv(pk.gv[g], x[xo:xo+cg], y[yo:yo+mg], &ep, threads)
			}
		}
		return
	}
	if pk.kind == convPointwiseT {
		convPointwiseT2D(p, pk, x, bias, residual, y, ws, threads)
		return
	}
	var s0 *scratch
	if pk.kind == convWinograd {
		if len(ws) >= winoBufSize(p, pk.wino.v) {
			s0 = &pk.s0
			*s0 = scratch{buf: ws, offs: s0.offs}
		}
		convWinograd2D(p, pk, x, bias, residual, y, s0, threads)
		return
	}
	if len(ws) >= WorkspaceSize(p) {
		nb := packBSize(p, p.OH*p.OW)
		s0 = &pk.s0
		*s0 = scratch{b: ws[:nb:nb], buf: ws[nb:], offs: s0.offs}
	}
	var sg shiftGeom
	var phases []float32
	if pk.kind == convShifted {
		sg = p.shiftGeometry()
		shared := s0
		if shared == nil {
			shared = &pk.wg.own // also the caller's chunk scratch, as s0 is
		}
		phases = shared.ensureBuf(shiftedBufSize(p))
	}
	cg, mg := p.C/p.Group, p.M/p.Group
	hw, ohw := p.H*p.W, p.OH*p.OW
	for n := 0; n < p.N; n++ {
		var xq []float32
		if pk.kind == convShifted {
			xq = fillPhases(p, &sg, x, n, phases, n > 0, threads, &pk.fill, &pk.wg)
		}
		for g := 0; g < p.Group; g++ {
			xg := x[n*in+g*cg*hw : n*in+(g+1)*cg*hw]
			yo := n*out + g*mg*ohw
			j := &pk.job
			j.reset()
			j.M, j.N, j.K, j.pa, j.C, j.ldc = mg, ohw, cg*p.KH*p.KW, pk.a[g], y[yo:yo+mg*ohw], ohw
			switch pk.kind {
			case convPointwise:
				j.dense = denseB{B: xg, ldb: hw}
			case convShifted:
				j.src, j.im2col = srcIm2col, im2colB{p: p, ph: phaseIm2col{xq: xq[g*cg*sg.chan_ : (g+1)*cg*sg.chan_], offs: pk.offs, wq: sg.wq}}
			default:
				j.src, j.im2col = srcIm2col, im2colB{p: p, x: xg}
			}
			j.ep = p.epilogue(nil, nil)
			if bias != nil {
				j.ep.Bias = bias[g*mg : (g+1)*mg]
			}
			if residual != nil {
				j.ep.Residual = residual[yo : yo+mg*ohw]
			}
			pk.runCols(threads, s0)
		}
	}
}

// convChunkBytes is the size of the packed right-operand block that
// runCols keeps a column chunk's GEMM within.
var convChunkBytes = 128 << 10

// runCols runs pk.job, a convolution's GEMM. A wide one (many output
// pixels) is computed in chunks of columns whose packed right-operand
// block (K x chunk, up to kc rows) stays in L2 with the chunk of y it
// accumulates into, instead of the nc-column blocks of the general GEMM
// (1.2 MB for ResNet's 7x7 stem), and the chunks are split between the
// threads in equal shares; otherwise parallelRun splits it. Each element
// gets the same operations either way.
func (pk *PackedConv) runCols(threads int, s0 *scratch) {
	j := &pk.job
	ch := convChunkBytes / 4 / min(j.K, kc) / (2 * nr) * (2 * nr)
	ch = min(max(ch, 4*nr), nc)
	if j.N < 2*ch || j.pb != nil {
		j.parallelRun(threads, s0, &pk.wg)
		return
	}
	// As many chunks as a multiple of the threads, of equal widths (whole
	// 32-column tiles), so that each thread gets the same work.
	t := max(threads, 1)
	nch := ((j.N+ch-1)/ch + t - 1) / t * t
	ch = roundUp((j.N+nch-1)/nch, 2*nr)
	j.prepare()
	pk.chunk = ch
	if pk.byChunk == nil {
		pk.byChunk = func(lo, hi int, s *scratch) {
			j := &pk.job
			for c := lo; c < hi; c++ {
				j.run(0, j.M, c*pk.chunk, min((c+1)*pk.chunk, j.N), s)
			}
		}
	}
	parallel(threads, (j.N+ch-1)/ch, s0, &pk.wg, pk.byChunk)
}

// fillPhases writes the phase planes of image n's channels into the
// start of buf (shiftedBufSize floats) and returns them. cleared: buf holds the
// previous image's planes, whose padding is still zero. The channels are
// split between threads (on g) where the input is large enough; f keeps
// the loop's state, so that it allocates nothing.
func fillPhases(p *ConvParams, sg *shiftGeom, x []float32, n int, buf []float32, cleared bool, threads int, f *phaseFill, g *Group) []float32 {
	in := p.C * p.H * p.W
	f.p, f.sg, f.x, f.cleared, f.used = p, *sg, x[n*in:(n+1)*in], cleared, phaseRowsUsed(p)
	f.xq = buf[:p.C*sg.chan_]
	if f.fn == nil {
		f.fn = f.channels
	}
	if in < 1<<15 {
		threads = 1
	}
	ParallelFor(threads, p.C, g, f.fn)
	xq := f.xq
	f.p, f.x, f.xq = nil, nil, nil
	return xq
}

// phaseFill is the state of fillPhases's loop over channels.
type phaseFill struct {
	p       *ConvParams
	sg      shiftGeom
	x, xq   []float32 // one image's input, its phase planes
	cleared bool
	used    uint64
	fn      func(lo, hi int) // channels, built once
}

// channels fills the phase planes of channels [lo, hi).
func (f *phaseFill) channels(lo, hi int) {
	p, sg := f.p, &f.sg
	for c := lo; c < hi; c++ {
		xq := f.xq[c*sg.chan_ : (c+1)*sg.chan_]
		if !f.cleared {
			if p.SW == 2 {
				clearShiftPad(p, sg, xq)
			} else {
				clear(xq)
			}
		}
		fillShiftPhases(p, sg, f.x[c*p.H*p.W:(c+1)*p.H*p.W], xq, f.used)
	}
}

// phaseRowsUsed returns the set of row phases fh (bit fh) that the
// kernel's rows read: fh = (kh*DH) mod SH for some kh. A 1x1 kernel of
// stride 2 reads only phase 0, so half the input rows are not copied.
// Every phase is in the set when SH > 64.
func phaseRowsUsed(p *ConvParams) uint64 {
	if p.SH > 64 {
		return ^uint64(0)
	}
	var used uint64
	for kh := 0; kh < p.KH; kh++ {
		used |= 1 << ((kh * p.DH) % p.SH)
	}
	return used
}

// fillShiftPhases writes one channel's zero-padded plane x into its
// SH*SW phase planes of the shifted convolution, skipping the input rows
// of row phases not in used (phaseRowsUsed: their planes stay as they
// were). dst must hold zeros wherever the padding goes (the caller clears
// it once: every channel writes the same positions), but for the padding
// columns of the rows stride 2 writes (splitRow2 writes their zeros).
func fillShiftPhases(p *ConvParams, sg *shiftGeom, x, dst []float32, used uint64) {
	plane := sg.hq * sg.wq
	if p.SW == 1 && p.SH == 1 {
		copyRows(dst[p.PadT*sg.wq+p.PadL:], sg.wq, x, p.W, p.H, p.W)
		return
	}
	for ih := 0; ih < p.H; ih++ {
		fh, r := (ih+p.PadT)%p.SH, (ih+p.PadT)/p.SH
		if fh < 64 && used&(1<<fh) == 0 {
			continue
		}
		src := x[ih*p.W : (ih+1)*p.W]
		switch p.SW {
		case 1:
			o := fh*plane + r*sg.wq + p.PadL
			copy(dst[o:o+p.W], src)
		case 2:
			even := dst[(fh*2)*plane+r*sg.wq : (fh*2)*plane+(r+1)*sg.wq]
			odd := dst[(fh*2+1)*plane+r*sg.wq : (fh*2+1)*plane+(r+1)*sg.wq]
			splitRow2(even, odd, src, p.PadL)
		default:
			for iw, v := range src {
				c := iw + p.PadL
				fw, q := c%p.SW, c/p.SW
				dst[(fh*p.SW+fw)*plane+r*sg.wq+q] = v
			}
		}
	}
}

// clearShiftPad zeroes what fillShiftPhases leaves to the caller when SW
// is 2: there it writes whole phase-plane rows (padding columns included)
// for every input row, so only the rows of padded index R = r*SH + fh
// outside [PadT, PadT+H) need zeros; clearing just those, not the whole
// buffer (1.6 MB for a 32-channel 112x112 input), is what the stride-2
// stems and downsampling convs spend less on. xq is one channel's planes.
func clearShiftPad(p *ConvParams, sg *shiftGeom, xq []float32) {
	plane := sg.hq * sg.wq
	for fh := 0; fh < p.SH; fh++ {
		for r := 0; r < sg.hq; r++ {
			if pr := r*p.SH + fh; pr >= p.PadT && pr < p.PadT+p.H {
				continue
			}
			for fw := 0; fw < p.SW; fw++ {
				o := (fh*p.SW+fw)*plane + r*sg.wq
				clear(xq[o : o+sg.wq])
			}
		}
	}
}

// release drops the references to the caller's data that the kept call
// state holds.
func (pk *PackedConv) release() {
	pk.job.reset()
	pk.s0.a, pk.s0.b, pk.s0.buf = nil, nil, nil
	pk.xt.data = nil
	pk.dwj.x, pk.dwj.bias, pk.dwj.residual, pk.dwj.y, pk.dwj.p = nil, nil, nil, nil, nil
	if pk.wino != nil {
		pk.wino.release()
	}
}

// im2colB is the implicit im2col matrix of one image and group: row
// k = (c*KH + kh)*KW + kw, column j = oh*OW + ow holds
// x[c, oh*SH-PadT+kh*DH, ow*SW-PadL+kw*DW], or 0 in the padding.
//
// When ph holds phase planes (the shifted convolution), the matrix is
// read from them instead of x (packPhases).
type im2colB struct {
	p  *ConvParams
	x  []float32
	ph phaseIm2col
}

func (s im2colB) pack(dst []float32, p0, kcb, j0, n int) {
	if s.ph.offs != nil {
		s.packPhases(dst, p0, kcb, j0, n)
		return
	}
	p := s.p
	khw := p.KH * p.KW
	np := (n + nr - 1) / nr
	dst = dst[:np*nr*kcb]
	if n%nr != 0 {
		clear(dst[(np-1)*nr*kcb:])
	}
	for kk := 0; kk < kcb; kk++ {
		k := p0 + kk
		c, r := k/khw, k%khw
		kh, kw := r/p.KW, r%p.KW
		plane := s.x[c*p.H*p.W : (c+1)*p.H*p.W]
		oh, ow := j0/p.OW, j0%p.OW
		for jj := 0; jj < n; {
			// One run of columns within output row oh.
			cnt := min(n-jj, p.OW-ow)
			ih := oh*p.SH - p.PadT + kh*p.DH
			iw0 := ow*p.SW - p.PadL + kw*p.DW
			valid := ih >= 0 && ih < p.H
			var row []float32
			if valid {
				row = plane[ih*p.W : (ih+1)*p.W]
			}
			// Columns jj+t, t in [0, cnt), in pieces that stay within one
			// nr-column panel (contiguous in dst).
			for t := 0; t < cnt; {
				col := jj + t
				m := min(cnt-t, nr-col%nr)
				d := dst[(col/nr)*nr*kcb+kk*nr+col%nr:][:m]
				switch {
				case !valid:
					clear(d)
				case p.SW == 1:
					a := iw0 + t // input column of d[0]
					lo := min(max(0, -a), m)
					hi := max(min(m, p.W-a), lo)
					clear(d[:lo])
					if lo < hi {
						copy(d[lo:hi], row[a+lo:a+hi])
					}
					clear(d[hi:])
				default:
					for i := range d {
						if iw := iw0 + (t+i)*p.SW; iw >= 0 && iw < p.W {
							d[i] = row[iw]
						} else {
							d[i] = 0
						}
					}
				}
				t += m
			}
			jj += cnt
			ow = 0
			oh++
		}
	}
}
