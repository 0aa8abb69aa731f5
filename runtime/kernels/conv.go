package kernels

import "fmt"

// convKind is the algorithm chosen for a convolution.
type convKind int

const (
	convGemm      convKind = iota // implicit im2col + GEMM, per group
	convPointwise                 // 1x1, stride 1, no padding: plain GEMM on x
	convDepthwise                 // group == C == M
)

// PackedConv is a convolution's weights prepared once for Conv2D.
type PackedConv struct {
	p    ConvParams
	kind convKind
	a    []*PackedA // per group: [M/G, C/G*KH*KW]
	dw   []float32  // depthwise: [C, KH*KW]
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
	return mc*kc + nc*kc
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
	if len(ws) >= mc*kc+nc*kc {
		s0 = &scratch{a: ws[:mc*kc], b: ws[mc*kc : mc*kc+nc*kc]}
	}
	cg, mg := p.C/p.Group, p.M/p.Group
	hw, ohw := p.H*p.W, p.OH*p.OW
	for n := 0; n < p.N; n++ {
		for g := 0; g < p.Group; g++ {
			xg := x[n*in+g*cg*hw : n*in+(g+1)*cg*hw]
			yo := n*out + g*mg*ohw
			j := &gemmJob{M: mg, N: ohw, K: cg * p.KH * p.KW, pa: pk.a[g], C: y[yo : yo+mg*ohw], ldc: ohw}
			if pk.kind == convPointwise {
				j.bsrc = denseB{B: xg, ldb: hw}
			} else {
				j.bsrc = &im2colB{p: p, x: xg}
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

// im2colB is the implicit im2col matrix of one image and group: row
// k = (c*KH + kh)*KW + kw, column j = oh*OW + ow holds
// x[c, oh*SH-PadT+kh*DH, ow*SW-PadL+kw*DW], or 0 in the padding.
type im2colB struct {
	p *ConvParams
	x []float32
}

func (s *im2colB) pack(dst []float32, p0, kcb, j0, n int) {
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
			for t := 0; t < cnt; t++ {
				col := jj + t
				d := (col/nr)*nr*kcb + kk*nr + col%nr
				iw := iw0 + t*p.SW
				if valid && iw >= 0 && iw < p.W {
					dst[d] = row[iw]
				} else {
					dst[d] = 0
				}
			}
			jj += cnt
			ow = 0
			oh++
		}
	}
}
