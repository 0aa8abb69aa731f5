package kernels

import (
	"fmt"
	"sync"
)

// convKind is the algorithm chosen for a convolution.
type convKind int

const (
	convGemm      convKind = iota // implicit im2col + GEMM, per group
	convPointwise                 // 1x1, stride 1, no padding: plain GEMM on x
	convDepthwise                 // group == C == M
	convShifted                   // shifted rows of the padded input's phase planes
	convGemv                      // 1x1 on a 1x1 image: y^T = x^T W^T per group
	convWinograd                  // 3x3 stride 1, group 1: Winograd F(4x4, 3x3) (winograd.go)
)

// PackedConv is a convolution's weights prepared once for Conv2D.
//
// A PackedConv also keeps the state of a call, so that Conv2D allocates
// nothing in steady state; concurrent Conv2D calls with the same
// PackedConv are serialized.
type PackedConv struct {
	p    ConvParams
	kind convKind
	a    []*PackedA // per group: [M/G, C/G*KH*KW]
	bt   []*PackedB // gemv: per group, W^T [C/G, M/G]
	dw   []float32  // depthwise: [C, KH*KW]
	offs []int      // shifted: row offsets into one group's padded input;
	// depthwise: tap offsets into the phase planes
	wino *winoWeights // winograd: transformed weights and call state

	mu  sync.Mutex
	wg  Group
	job gemmJob
	s0  scratch
	dwj dwJob
	shj shiftJob
}

var convKindNames = [...]string{"im2col-gemm", "pointwise-gemm", "depthwise", "shifted-gemm", "gemv", "winograd"}

// Path names the algorithm PackConvWeights chose: "depthwise",
// "pointwise-gemm", "gemv", "winograd" (F(4x4, 3x3)), "winograd-f2"
// (F(2x2, 3x3)), "shifted-gemm" or "im2col-gemm".
func (pk *PackedConv) Path() string {
	if pk.kind == convWinograd {
		return pk.wino.v.name
	}
	return convKindNames[pk.kind]
}

// shiftGeom is the geometry of a shifted convolution. The zero-padded input (Hp x Wp = (H+PadT+PadB) x
// (W+PadL+PadR)) of each channel is split into SH*SW phase planes of
// Hq x Wq = ceil(Hp/SH) x ceil(Wp/SW), phase (fh, fw) holding padded
// pixels (r*SH+fh, q*SW+fw). The output is computed at row pitch Wq
// (column j = oh*Wq + ow; the Wq-OW columns past OW of each row are
// discarded). Then input pixel (oh*SH + kh*DH, ow*SW + kw*DW) is phase
// ((kh*DH)%SH, (kw*DW)%SW) at (oh + (kh*DH)/SH, ow + (kw*DW)/SW), so row
// k = (c, kh, kw) of the im2col matrix is one phase plane read
// contiguously from a fixed offset, and the convolution is a GEMM whose
// right operand is packed with contiguous copies (rowsB) instead of
// element-wise im2col. It is used for kernels larger than 1x1 when the
// discarded columns are at most a quarter of OW.
type shiftGeom struct {
	hp, wp int // padded input
	hq, wq int // one phase plane
	phases int // SH*SW
	chan_  int // floats per channel: phases*hq*wq
	nsh    int // GEMM columns: (OH-1)*wq + OW
}

func (p *ConvParams) shiftGeometry() shiftGeom {
	var g shiftGeom
	g.hp, g.wp = p.H+p.PadT+p.PadB, p.W+p.PadL+p.PadR
	g.hq, g.wq = (g.hp+p.SH-1)/p.SH, (g.wp+p.SW-1)/p.SW
	g.phases = p.SH * p.SW
	g.chan_ = g.phases * g.hq * g.wq
	g.nsh = (p.OH-1)*g.wq + p.OW
	return g
}

func (p *ConvParams) useShifted() bool {
	if p.KH*p.KW == 1 || p.isDepthwise() {
		return false
	}
	g := p.shiftGeometry()
	return (g.wq-p.OW)*4 <= p.OW
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
		pk.dw = append([]float32(nil), w[:p.M*kdim]...)
		pk.offs = dwOffsets(p)
		return pk
	case p.isPointwise() && p.H*p.W == 1:
		// One output column per image: as y^T = x^T W^T the output
		// channels become GEMM columns, wasting 5 of 6 micro-kernel rows
		// instead of 15 of 16 columns.
		pk.kind = convGemv
		for g := 0; g < p.Group; g++ {
			pk.bt = append(pk.bt, PackB(true, kdim, mg, w[g*mg*kdim:(g+1)*mg*kdim], kdim))
		}
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
	case p.useWinograd():
		return winoBufSize(p, p.winoVariant())
	case p.useShifted():
		return packBSize(p, p.shiftGeometry().nsh) + shiftedBufSize(p)
	}
	return packBSize(p, p.OH*p.OW)
}

// packBSize is the B pack buffer a conv's GEMM with n columns needs.
func packBSize(p *ConvParams, n int) int {
	return roundUp(min(nc, n), nr) * min(kc, p.C/p.Group*p.KH*p.KW)
}

func shiftedBufSize(p *ConvParams) int {
	g := p.shiftGeometry()
	return p.C*g.chan_ + p.M/p.Group*g.nsh + 2*g.wq + 16
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
				j := &pk.job
				j.reset()
				j.M, j.N, j.K, j.A, j.lda, j.alpha, j.pb, j.C, j.ldc = 1, mg, cg, x[xo:xo+cg], cg, 1, pk.bt[g], y[yo:yo+mg], mg
				j.ep = p.epilogue(nil, nil)
				j.ep.BiasPerCol = true
				if bias != nil {
					j.ep.Bias = bias[g*mg : (g+1)*mg]
				}
				if residual != nil {
					j.ep.Residual = residual[yo : yo+mg]
				}
				j.parallelRun(threads, nil, &pk.wg)
			}
		}
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
		n := p.OH * p.OW
		if pk.kind == convShifted {
			n = p.shiftGeometry().nsh
		}
		nb := packBSize(p, n)
		s0 = &pk.s0
		*s0 = scratch{b: ws[:nb:nb], buf: ws[nb:], offs: s0.offs}
	}
	if pk.kind == convShifted {
		convShifted2D(p, pk, x, bias, residual, y, s0, threads)
		return
	}
	cg, mg := p.C/p.Group, p.M/p.Group
	hw, ohw := p.H*p.W, p.OH*p.OW
	for n := 0; n < p.N; n++ {
		for g := 0; g < p.Group; g++ {
			xg := x[n*in+g*cg*hw : n*in+(g+1)*cg*hw]
			yo := n*out + g*mg*ohw
			j := &pk.job
			j.reset()
			j.M, j.N, j.K, j.pa, j.C, j.ldc = mg, ohw, cg*p.KH*p.KW, pk.a[g], y[yo:yo+mg*ohw], ohw
			if pk.kind == convPointwise {
				j.dense = denseB{B: xg, ldb: hw}
			} else {
				j.src, j.im2col = srcIm2col, im2colB{p: p, x: xg}
			}
			j.ep = p.epilogue(nil, nil)
			if bias != nil {
				j.ep.Bias = bias[g*mg : (g+1)*mg]
			}
			if residual != nil {
				j.ep.Residual = residual[yo : yo+mg*ohw]
			}
			j.parallelRun(threads, s0, &pk.wg)
		}
	}
}

func convShifted2D(p *ConvParams, pk *PackedConv, x, bias, residual, y []float32, s0 *scratch, threads int) {
	shared := s0
	if shared == nil {
		shared = &pk.wg.own // also the caller's chunk scratch below, as s0 is
	}
	sg := p.shiftGeometry()
	nsh := sg.nsh
	buf := shared.ensureBuf(shiftedBufSize(p))
	xq := buf[:p.C*sg.chan_]
	cbuf := buf[p.C*sg.chan_ : p.C*sg.chan_+p.M/p.Group*nsh]
	row := buf[p.C*sg.chan_+p.M/p.Group*nsh:][:2*sg.wq]
	cg, mg := p.C/p.Group, p.M/p.Group
	in, out := p.C*p.H*p.W, p.M*p.OH*p.OW
	if p.SW == 2 {
		clearShiftPad(p, &sg, xq)
	}
	// The phase planes are filled, and the GEMM's rows cropped into y, by
	// channel chunks in parallel (copies: the same bits for any split).
	sj := &pk.shj
	sj.p, sj.sg, sj.xq, sj.cbuf, sj.residual, sj.row, sj.shared = p, sg, xq, cbuf, residual, row, shared
	if sj.fill == nil {
		sj.fill = sj.fillChannels
		sj.crop = sj.cropChannels
	}
	fillWork, cropWork := p.H*p.W, p.OH*p.OW
	for n := 0; n < p.N; n++ {
		sj.x = x[n*in : (n+1)*in]
		parallel(chunkThreads(threads, p.C, fillWork), p.C, s0, &pk.wg, sj.fill)
		for g := 0; g < p.Group; g++ {
			j := &pk.job
			j.reset()
			j.M, j.N, j.K, j.pa, j.C, j.ldc = mg, nsh, len(pk.offs), pk.a[g], cbuf[:mg*nsh], nsh
			j.src, j.rows = srcRows, rowsB{x: xq[g*cg*sg.chan_ : (g+1)*cg*sg.chan_], offs: pk.offs}
			if bias != nil {
				j.ep.Bias = bias[g*mg : (g+1)*mg]
			}
			if residual == nil || !p.ActAfterResidual {
				j.ep.Act, j.ep.Alpha, j.ep.Beta = p.Act, p.Alpha, p.Beta
			}
			j.parallelRun(threads, s0, &pk.wg)
			sj.yo = n*out + g*mg*p.OH*p.OW
			sj.y = y
			parallel(chunkThreads(threads, mg, cropWork), mg, s0, &pk.wg, sj.crop)
		}
	}
	sj.release()
}

// minCopyWork is the least number of elements a chunk of a parallel copy
// (the shifted convolution's fill and crop) gets: handing a chunk to a
// worker costs about as long as copying that many.
const minCopyWork = 1 << 14

// chunkThreads is how many threads a loop of n indices copying work
// elements each uses: at most threads, each with at least minCopyWork.
func chunkThreads(threads, n, work int) int {
	return max(1, min(threads, n*work/minCopyWork))
}

// shiftJob is the call state of a shifted convolution's parallel fill and
// crop (kept in the PackedConv so that a call does not allocate).
type shiftJob struct {
	p           *ConvParams
	sg          shiftGeom
	x, xq, cbuf []float32
	y, residual []float32
	yo          int       // y offset of the group's first output channel
	row         []float32 // the caller's padding row (stride 2)
	shared      *scratch  // the caller's scratch, which holds xq
	fill, crop  func(lo, hi int, s *scratch)
}

func (sj *shiftJob) release() {
	sj.p, sj.x, sj.xq, sj.cbuf, sj.y, sj.residual, sj.row, sj.shared = nil, nil, nil, nil, nil, nil, nil, nil
}

// fillChannels writes input channels [lo, hi) of one image into their
// phase planes. The row fillShiftPhases pads a stride-2 input row in is
// the caller's in the shared buffer, or a worker's own scratch.
func (sj *shiftJob) fillChannels(lo, hi int, s *scratch) {
	p, sg := sj.p, &sj.sg
	row := sj.row
	if s != sj.shared {
		row = s.ensureBuf(2 * sg.wq)
	}
	clear(row)
	for c := lo; c < hi; c++ {
		dst := sj.xq[c*sg.chan_ : (c+1)*sg.chan_]
		if p.SW != 2 {
			clear(dst)
		}
		fillShiftPhases(p, sg, sj.x[c*p.H*p.W:(c+1)*p.H*p.W], dst, row)
	}
}

// cropChannels copies output channels [lo, hi) of the group from the
// GEMM's rows (pitch wq) into y, adding the residual (and then the
// activation when it comes after it).
func (sj *shiftJob) cropChannels(lo, hi int, _ *scratch) {
	p, nsh, wp := sj.p, sj.sg.nsh, sj.sg.wq
	ohw := p.OH * p.OW
	for m := lo; m < hi; m++ {
		yo := sj.yo + m*ohw
		for oh := 0; oh < p.OH; oh++ {
			yr := sj.y[yo+oh*p.OW : yo+(oh+1)*p.OW]
			cr := sj.cbuf[m*nsh+oh*wp : m*nsh+oh*wp+p.OW]
			if sj.residual == nil {
				copy(yr, cr)
				continue
			}
			rr := sj.residual[yo+oh*p.OW : yo+(oh+1)*p.OW]
			for i, v := range cr {
				yr[i] = v + rr[i]
			}
			if p.ActAfterResidual {
				ApplyAct(yr, p.Act, p.Alpha, p.Beta)
			}
		}
	}
}

// fillShiftPhases writes one channel's zero-padded plane x into its
// SH*SW phase planes of the shifted convolution; row is scratch of at least
// 2*wq floats. dst and row must hold zeros wherever the padding goes (the
// caller clears them once: every channel writes the same positions).
func fillShiftPhases(p *ConvParams, sg *shiftGeom, x, dst, row []float32) {
	plane := sg.hq * sg.wq
	if p.SW == 1 && p.SH == 1 {
		copyRows(dst[p.PadT*sg.wq+p.PadL:], sg.wq, x, p.W, p.H, p.W)
		return
	}
	for ih := 0; ih < p.H; ih++ {
		fh, r := (ih+p.PadT)%p.SH, (ih+p.PadT)/p.SH
		src := x[ih*p.W : (ih+1)*p.W]
		switch p.SW {
		case 1:
			o := fh*plane + r*sg.wq + p.PadL
			copy(dst[o:o+p.W], src)
		case 2:
			pr := row[:2*sg.wq]
			copy(pr[p.PadL:p.PadL+p.W], src)
			even := dst[(fh*2)*plane+r*sg.wq : (fh*2)*plane+(r+1)*sg.wq]
			odd := dst[(fh*2+1)*plane+r*sg.wq : (fh*2+1)*plane+(r+1)*sg.wq]
			q := deinterleave2Vec(even, odd, pr)
			for ; q < sg.wq; q++ {
				even[q], odd[q] = pr[2*q], pr[2*q+1]
			}
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
// stems and downsampling convs spend less on.
func clearShiftPad(p *ConvParams, sg *shiftGeom, xq []float32) {
	plane := sg.hq * sg.wq
	for c := 0; c < p.C; c++ {
		for fh := 0; fh < p.SH; fh++ {
			for r := 0; r < sg.hq; r++ {
				if pr := r*p.SH + fh; pr >= p.PadT && pr < p.PadT+p.H {
					continue
				}
				for fw := 0; fw < p.SW; fw++ {
					o := c*sg.chan_ + (fh*p.SW+fw)*plane + r*sg.wq
					clear(xq[o : o+sg.wq])
				}
			}
		}
	}
}

// release drops the references to the caller's data that the kept call
// state holds.
func (pk *PackedConv) release() {
	pk.job.reset()
	pk.s0.a, pk.s0.b, pk.s0.buf = nil, nil, nil
	pk.dwj.x, pk.dwj.bias, pk.dwj.residual, pk.dwj.y, pk.dwj.p = nil, nil, nil, nil, nil
	if pk.wino != nil {
		pk.wino.release()
	}
}

// im2colB is the implicit im2col matrix of one image and group: row
// k = (c*KH + kh)*KW + kw, column j = oh*OW + ow holds
// x[c, oh*SH-PadT+kh*DH, ow*SW-PadL+kw*DW], or 0 in the padding.
type im2colB struct {
	p *ConvParams
	x []float32
}

func (s im2colB) pack(dst []float32, p0, kcb, j0, n int) {
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
