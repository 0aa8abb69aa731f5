package kernels

import "fmt"

// convKind is the algorithm chosen for a convolution.
type convKind int

const (
	convGemm      convKind = iota // implicit im2col + GEMM, per group
	convPointwise                 // 1x1, stride 1, no padding: plain GEMM on x
	convDepthwise                 // group == C == M
	convShifted                   // stride 1: shifted rows of the padded input
)

// PackedConv is a convolution's weights prepared once for Conv2D.
type PackedConv struct {
	p    ConvParams
	kind convKind
	a    []*PackedA // per group: [M/G, C/G*KH*KW]
	dw   []float32  // depthwise: [C, KH*KW]
	offs []int      // shifted: row offsets into one group's padded input
}

// Shifted convolution (stride 1). With the input zero-padded to
// Hp x Wp = (H+PadT+PadB) x (W+PadL+PadR) and the output computed at row
// pitch Wp (column j = oh*Wp + ow, the Wp-OW columns past OW of each row
// being discarded), row k = (c, kh, kw) of the im2col matrix is the padded
// input read contiguously from offset c*Hp*Wp + kh*DH*Wp + kw*DW. So the
// convolution is a GEMM whose right operand is packed with contiguous
// copies (rowsB) instead of element-wise im2col. It is used when the
// discarded columns are at most a quarter of OW.
func (p *ConvParams) useShifted() bool {
	return p.SH == 1 && p.SW == 1 && !p.isPointwise() && (p.KW-1)*p.DW*4 <= p.OW
}

func (p *ConvParams) shiftedGeom() (hp, wp, nsh int) {
	hp, wp = p.H+p.PadT+p.PadB, p.W+p.PadL+p.PadR
	return hp, wp, (p.OH-1)*wp + p.OW
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
		return pk
	case p.isPointwise():
		pk.kind = convPointwise
	case p.useShifted():
		pk.kind = convShifted
		hp, wp, _ := p.shiftedGeom()
		for c := 0; c < cg; c++ {
			for kh := 0; kh < p.KH; kh++ {
				for kw := 0; kw < p.KW; kw++ {
					pk.offs = append(pk.offs, c*hp*wp+kh*p.DH*wp+kw*p.DW)
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
	if p.isDepthwise() {
		return dwScratchSize(p)
	}
	if p.useShifted() {
		return mc*kc + nc*kc + shiftedBufSize(p)
	}
	return mc*kc + nc*kc
}

func shiftedBufSize(p *ConvParams) int {
	hp, wp, nsh := p.shiftedGeom()
	return p.C*hp*wp + p.M/p.Group*nsh
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
	if pk.kind == convDepthwise {
		convDepthwise2D(p, pk.dw, x, bias, residual, y, ws, threads)
		return
	}
	var s0 *scratch
	if len(ws) >= WorkspaceSize(p) {
		s0 = &scratch{a: ws[:mc*kc], b: ws[mc*kc : mc*kc+nc*kc], buf: ws[mc*kc+nc*kc:]}
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
			j := &gemmJob{M: mg, N: ohw, K: cg * p.KH * p.KW, pa: pk.a[g], C: y[yo : yo+mg*ohw], ldc: ohw}
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
			j.parallelRun(threads, s0)
		}
	}
}

func convShifted2D(p *ConvParams, pk *PackedConv, x, bias, residual, y []float32, s0 *scratch, threads int) {
	shared := s0
	if shared == nil {
		shared = scratchPool.Get().(*scratch)
		defer scratchPool.Put(shared)
	}
	hp, wp, nsh := p.shiftedGeom()
	buf := shared.ensureBuf(shiftedBufSize(p))
	xpad := buf[:p.C*hp*wp]
	cbuf := buf[p.C*hp*wp:]
	cg, mg := p.C/p.Group, p.M/p.Group
	in, out, ohw := p.C*p.H*p.W, p.M*p.OH*p.OW, p.OH*p.OW
	if p.PadT+p.PadB+p.PadL+p.PadR > 0 {
		clear(xpad)
	}
	for n := 0; n < p.N; n++ {
		for c := 0; c < p.C; c++ {
			for h := 0; h < p.H; h++ {
				src := x[n*in+(c*p.H+h)*p.W : n*in+(c*p.H+h+1)*p.W]
				copy(xpad[(c*hp+h+p.PadT)*wp+p.PadL:], src)
			}
		}
		for g := 0; g < p.Group; g++ {
			j := &gemmJob{M: mg, N: nsh, K: len(pk.offs), pa: pk.a[g], C: cbuf[:mg*nsh], ldc: nsh,
				src: srcRows, rows: rowsB{x: xpad[g*cg*hp*wp : (g+1)*cg*hp*wp], offs: pk.offs}}
			if bias != nil {
				j.ep.Bias = bias[g*mg : (g+1)*mg]
			}
			if residual == nil || !p.ActAfterResidual {
				j.ep.Act, j.ep.Alpha, j.ep.Beta = p.Act, p.Alpha, p.Beta
			}
			j.parallelRun(threads, s0)
			for m := 0; m < mg; m++ {
				yo := n*out + (g*mg+m)*ohw
				for oh := 0; oh < p.OH; oh++ {
					yr := y[yo+oh*p.OW : yo+(oh+1)*p.OW]
					cr := cbuf[m*nsh+oh*wp : m*nsh+oh*wp+p.OW]
					if residual == nil {
						copy(yr, cr)
						continue
					}
					rr := residual[yo+oh*p.OW : yo+(oh+1)*p.OW]
					for i, v := range cr {
						yr[i] = v + rr[i]
					}
					if p.ActAfterResidual {
						ApplyAct(yr, p.Act, p.Alpha, p.Beta)
					}
				}
			}
		}
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
