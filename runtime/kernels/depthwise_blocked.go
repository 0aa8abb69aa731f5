package kernels

import "unsafe"

// Channel-blocked depthwise convolution, for small planes, stride 2 and
// large kernels, where the per-plane work of the plane path
// (depthwise.go: filling the phase planes, one kernel call per strip, the
// epilogue per plane) or its stride-2 deinterleave costs as much as the
// arithmetic:
//
// The channels are taken dwLanes at a time. A block's input planes are
// rewritten as an interleaved zero-padded image [rows][wq][dwLanes] (the
// padding materialized; the interior by dwGather, 8x8 transposes of the
// eight planes' consecutive pixels, each pixel vector stored where an
// offset table puts it), so that an output pixel of all the block's
// channels is one vector: acc = bias; acc += w[t]*in[pixel + tap t] for
// the taps t in order, with the weights of a tap one vector (packed at
// PackConvWeights time as [C/dwLanes][KH*KW][dwLanes]). dwBlock computes
// the output pixels eight at a time in row-major order across output
// rows (a pixel-offset table instead of a per-row loop, so a 7x7 output
// is 7 groups, not 7 short rows; on the AVX2 path, rows of 8 and more
// pixels of 3, 5 and 7 wide kernels at stride 1 run row by row, each
// input vector loaded once per kernel row) and transposes them in
// registers back into the block's NCHW planes. As on the plane path, the
// output rows are computed in strips whose padded input rows stay in the
// L1 cache (dwBlockGeometry; strips refill the rows they share). The
// block's planes are consecutive in y, so the activation/residual
// epilogue (dwEpilogue) runs once per block. Threads split the
// N*C/dwLanes blocks, or their strips where the blocks are few
// (dwBlockUnits).
//
// When the blocked path is used is the measured rule dwBlockedRule.

// dwLanes is the number of channels in a block: one AVX2 vector. The
// avx512 path uses the AVX2 kernel (one rule and one packing for every
// path; on Zen 4 the 512-bit form adds no FMA or load bandwidth).
const dwLanes = 8

// useDWBlocked reports whether the depthwise convolution p runs on the
// channel-blocked path: the measured rule dwBlockedRule, unless
// dwBlockedPolicy overrides it.
func (p *ConvParams) useDWBlocked() bool {
	if !p.isDepthwise() || dwBlockedPolicy != 0 {
		return p.isDepthwise() && dwBlockedPolicy > 0
	}
	return dwBlockedRule(p.KH*p.KW, max(p.SH, p.SW), p.OH*p.OW)
}

// dwBlockedRule is the measured choice (BenchmarkDepthwise, 1 thread,
// AMD EPYC Zen 4, README) for a depthwise convolution with taps kernel
// taps, stride and pixels output pixels. The blocked path costs about the
// same per output pixel and tap on every plane size; the plane path's
// per-plane and per-row overhead (and its stride-2 deinterleave)
// dominates on small planes and at stride 2, but its long stride-1 rows of
// 3x3 taps beat the blocked kernel's 8-pixel groups: blocked/plane speed
// 2-7x on 7x7 and 14x14 outputs, 1.2-2x at stride 2 up to 56x56 outputs
// and on 5x5 and 7x7 kernels up to 56x56, 1.0-1.5x for 3x3 stride 1 at
// 28x28, even at 56x56 (0.96-1.15x with the row kernels) and 0.8-0.9x at
// 112x112. Above 56x56 outputs the two are even (7x7 at 64x64 0.98-1.3x,
// 3x3 stride 2 to 64x64 0.93-1.3x, 5x5 at 112x112 0.8-1.05x) and the
// plane path is kept.
func dwBlockedRule(taps, stride, pixels int) bool {
	switch {
	case pixels > 56*56:
		return false
	case stride > 1 || taps >= 25:
		return true
	}
	return pixels <= 28*28
}

// dwBlockedPolicy overrides useDWBlocked's rule in tests and benchmarks:
// 0 the rule, 1 the blocked path for every depthwise convolution, -1
// never.
var dwBlockedPolicy = 0

// dwBlockGeom is the geometry of the blocked path. The output rows are
// computed in strips of so rows, each from the sph padded input rows it
// reads, of wq pixels each (the padded columns the output reads, or more
// so that every input column has its place).
type dwBlockGeom struct {
	wq  int // pixels of a padded row
	so  int // output rows per strip
	sph int // padded input rows of a strip
	in  int // floats of a strip's interleaved padded input
}

// dwBlockStripFloats is the size of a strip's interleaved input the strip
// height is chosen for: 16 KiB, half an L1 data cache.
const dwBlockStripFloats = 4096

func dwBlockGeometry(p *ConvParams) dwBlockGeom {
	var g dwBlockGeom
	g.wq = max((p.OW-1)*p.SW+(p.KW-1)*p.DW+1, p.PadL+p.W)
	// At least one group of 8 output pixels a strip.
	g.so = stripRows(p, dwBlockStripFloats/(g.wq*dwLanes), (8+p.OW-1)/p.OW)
	g.sph = (g.so-1)*p.SH + (p.KH-1)*p.DH + 1
	g.in = g.sph * g.wq * dwLanes
	return g
}

// dwBlockScratchSize is the per-thread scratch of the blocked path: a
// strip's padded input, the output of a last, partial block, and its
// bias, aligned to 64 bytes.
func dwBlockScratchSize(p *ConvParams) int {
	return dwBlockGeometry(p).in + dwLanes*p.OH*p.OW + dwLanes + 15 // + alignment
}

// align64 returns the part of buf (at most 15 floats shorter) that starts
// on a 64-byte boundary: a 32-byte vector load from a misaligned
// interleaved input splits a cache line every other pixel, which
// measured 15-30% slower (Zen 4).
func align64(buf []float32) []float32 {
	o := int(uintptr(unsafe.Pointer(unsafe.SliceData(buf)))%64) / 4
	return buf[(16-o)%16:]
}

// dwTables are the offsets (in floats) into a strip's interleaved padded
// input of every tap, of every output pixel of a strip (where its taps
// start) and of every input pixel of a strip's rows (where dwGather
// writes it, from the strip's first padded row). The kernels use a prefix
// of poffs and ioffs; both increase, so a prefix's largest offset is its
// last and the kernels check their bounds without a scan.
type dwTables struct {
	toffs, poffs, ioffs []int
	maxT                int

	// rowK > 0: the taps are rows (khStep apart) of rowK (3, 5 or 7)
	// consecutive pixels and the output pixels whole rows of ow >= 8
	// consecutive pixels (rowPitch apart) from offset 0, so dwBlock may
	// run a row kernel on prefixes of whole rows.
	rowK, ow, khStep, rowPitch int
}

// dwRows turns the row kernels off in tests and benchmarks.
var dwRows = true

// newDWTables returns the tables for the given offsets; they must not be
// modified afterwards. It panics on a negative offset or on poffs or
// ioffs not increasing.
func newDWTables(toffs, poffs, ioffs []int) *dwTables {
	t := &dwTables{toffs: toffs, poffs: poffs, ioffs: ioffs}
	for _, o := range toffs {
		if o < 0 {
			panic("kernels: negative blocked depthwise tap offset")
		}
		t.maxT = max(t.maxT, o)
	}
	for _, v := range [][]int{poffs, ioffs} {
		for i, o := range v {
			if o < 0 || (i > 0 && o <= v[i-1]) {
				panic("kernels: blocked depthwise offsets not increasing")
			}
		}
	}
	return t
}

// dwBlockTables returns the tables of the depthwise convolution p.
func dwBlockTables(p *ConvParams) *dwTables {
	g := dwBlockGeometry(p)
	var toffs []int
	for kh := 0; kh < p.KH; kh++ {
		for kw := 0; kw < p.KW; kw++ {
			toffs = append(toffs, (kh*p.DH*g.wq+kw*p.DW)*dwLanes)
		}
	}
	poffs := make([]int, g.so*p.OW)
	for oh := 0; oh < g.so; oh++ {
		for ow := 0; ow < p.OW; ow++ {
			poffs[oh*p.OW+ow] = (oh*p.SH*g.wq + ow*p.SW) * dwLanes
		}
	}
	ioffs := make([]int, g.sph*p.W)
	for i := 0; i < g.sph; i++ {
		for iw := 0; iw < p.W; iw++ {
			ioffs[i*p.W+iw] = (i*g.wq + p.PadL + iw) * dwLanes
		}
	}
	t := newDWTables(toffs, poffs, ioffs)
	if (p.KW == 3 || p.KW == 5 || p.KW == 7) && p.SW == 1 && p.DW == 1 && p.OW >= 8 {
		t.rowK, t.ow, t.khStep, t.rowPitch = p.KW, p.OW, p.DH*g.wq*dwLanes, p.SH*g.wq*dwLanes
	}
	return t
}

// packDWBlocked packs the depthwise weights w [C, KH*KW] as
// [ceil(C/dwLanes)][KH*KW][dwLanes], zero past the last channel.
func packDWBlocked(p *ConvParams, w []float32) []float32 {
	taps := p.KH * p.KW
	nb := (p.C + dwLanes - 1) / dwLanes
	out := align64(make([]float32, nb*taps*dwLanes+15))[:nb*taps*dwLanes]
	for c := 0; c < p.C; c++ {
		b, l := c/dwLanes, c%dwLanes
		for t := 0; t < taps; t++ {
			out[(b*taps+t)*dwLanes+l] = w[c*taps+t]
		}
	}
	return out
}

// packDepthwise fills pk for the depthwise convolution p with weights w.
func packDepthwise(pk *PackedConv, p *ConvParams, w []float32) {
	if p.useDWBlocked() {
		pk.dw = packDWBlocked(p, w)
		pk.dwj.tab = dwBlockTables(p)
		return
	}
	pk.dw = append([]float32(nil), w[:p.C*p.KH*p.KW]...)
	pk.offs = dwOffsets(p)
}

// dwGather writes dwLanes channel planes x (plane stride ldx) into the
// interleaved input: in[ioffs[k]+l] = x[l*ldx+k] for k < n, l < dwLanes
// (ioffs from tab).
var dwGather = dwGatherGo

// dwGatherGo is the pure-Go dwGather.
func dwGatherGo(in []float32, tab *dwTables, n int, x []float32, ldx int) {
	dwGatherLanes(in, tab, n, x, ldx, dwLanes)
}

// dwGatherLanes is dwGather for the first nl lanes.
func dwGatherLanes(in []float32, tab *dwTables, n int, x []float32, ldx, nl int) {
	checkDWGather(in, tab, n, x, ldx, nl)
	for l := 0; l < nl; l++ {
		xl := x[l*ldx : l*ldx+n]
		for k, o := range tab.ioffs[:n] {
			in[o+l] = xl[k]
		}
	}
}

// checkDWGather checks that every access of dwGather is in bounds.
func checkDWGather(in []float32, tab *dwTables, n int, x []float32, ldx, nl int) {
	if n < 0 || n > len(tab.ioffs) || ldx < n || len(x) < (nl-1)*ldx+n || (n > 0 && tab.ioffs[n-1]+dwLanes > len(in)) {
		panic("kernels: blocked depthwise gather out of bounds")
	}
}

// dwBlock computes, for every output pixel i < n and lane l < dwLanes,
// y[l*ldy+i] = bias[l] + sum over the taps t in order of
// w[t*dwLanes+l] * in[poffs[i]+toffs[t]+l] (poffs and toffs from tab).
var dwBlock = dwBlockGo

// dwBlockGo is the pure-Go dwBlock.
func dwBlockGo(y []float32, ldy int, in, w, bias []float32, tab *dwTables, n int) {
	checkDWBlock(y, ldy, in, w, bias, tab, n)
	var acc [dwLanes]float32
	for i, po := range tab.poffs[:n] {
		copy(acc[:], bias[:dwLanes])
		for t, to := range tab.toffs {
			wt := w[t*dwLanes : (t+1)*dwLanes]
			x := in[po+to : po+to+dwLanes]
			for l := range acc {
				acc[l] += wt[l] * x[l]
			}
		}
		for l, v := range acc {
			y[l*ldy+i] = v
		}
	}
}

// checkDWBlock checks that every access of dwBlock is in bounds.
func checkDWBlock(y []float32, ldy int, in, w, bias []float32, tab *dwTables, n int) {
	if n < 0 || n > len(tab.poffs) || len(tab.toffs) == 0 || len(w) < len(tab.toffs)*dwLanes || len(bias) < dwLanes || ldy < n || len(y) < (dwLanes-1)*ldy+n {
		panic("kernels: bad blocked depthwise geometry")
	}
	if n > 0 && tab.maxT+tab.poffs[n-1]+dwLanes > len(in) {
		panic("kernels: blocked depthwise input out of bounds")
	}
}

// dwBlockUnits returns the number of work units of the blocked path for
// threads threads and the strips per unit split: a unit is an (image,
// channel block) pair, or, where those are few and do not divide evenly
// between the threads, one strip of output rows of one (split = the
// number of strips). A thread's work then costs one strip's epilogue call
// per plane instead of one per block, so blocks are split only where that
// evens out the threads' shares. Every output is computed by the same
// operations either way.
func dwBlockUnits(p *ConvParams, threads int) (units, split int) {
	g := dwBlockGeometry(p)
	units, split = p.N*((p.C+dwLanes-1)/dwLanes), 1
	if strips := (p.OH + g.so - 1) / g.so; threads > 1 && strips > 1 && units%threads != 0 && units < 8*threads {
		split = strips
	}
	return units * split, split
}

// blocks computes the work units [lo, hi) of the blocked path (see
// dwBlockUnits; j.split strips per unit).
func (j *dwJob) blocks(pk *PackedConv, lo, hi int, s *scratch) {
	p := j.p
	g := dwBlockGeometry(p)
	taps := p.KH * p.KW
	nb := (p.C + dwLanes - 1) / dwLanes
	hw, ohw := p.H*p.W, p.OH*p.OW
	row := g.wq * dwLanes
	buf := align64(s.ensureBuf(dwBlockScratchSize(p)))
	in, part, bias := buf[:g.in], buf[g.in:g.in+dwLanes*ohw], buf[g.in+dwLanes*ohw:]
	clear(in) // the column padding; every strip writes the same columns
	for u := lo; u < hi; u++ {
		bl := u / j.split
		n, b := bl/nb, bl%nb
		// Output rows [s0, s1) of the block.
		s0, s1 := 0, p.OH
		if j.split > 1 {
			s0 = (u % j.split) * g.so
			s1 = min(s0+g.so, p.OH)
		}
		c0 := b * dwLanes
		nl := min(dwLanes, p.C-c0)
		x := j.x[(n*p.C+c0)*hw : (n*p.C+c0+nl)*hw]
		clear(bias)
		if j.bias != nil {
			copy(bias, j.bias[c0:c0+nl])
		}
		w := pk.dw[b*taps*dwLanes : (b+1)*taps*dwLanes]
		yo := (n*p.C + c0) * ohw
		y := j.y[yo : yo+nl*ohw]
		out := y
		if nl < dwLanes {
			// The last block of a channel count that is not a multiple
			// of dwLanes: the lanes past nl compute on stale input into
			// part, and only nl planes are kept.
			out = part
		}
		for oh0 := s0; oh0 < s1; oh0 += g.so {
			rows := min(g.so, s1-oh0)
			r0, nr := oh0*p.SH, (rows-1)*p.SH+(p.KH-1)*p.DH+1
			// Strip rows i hold input rows r0+i-PadT; [i0, i1) exist.
			i0 := min(max(0, p.PadT-r0), nr)
			i1 := max(min(nr, p.H+p.PadT-r0), i0)
			clear(in[:i0*row])
			clear(in[i1*row : nr*row])
			if i1 > i0 {
				xs, ns := x[(r0+i0-p.PadT)*p.W:], (i1-i0)*p.W
				if nl == dwLanes {
					dwGather(in[i0*row:], j.tab, ns, xs, hw)
				} else {
					dwGatherLanes(in[i0*row:], j.tab, ns, xs, hw, nl)
				}
			}
			dwBlock(out[oh0*p.OW:], ohw, in, w, bias, j.tab, rows*p.OW)
		}
		px0, px1 := s0*p.OW, s1*p.OW
		if nl < dwLanes {
			for l := 0; l < nl; l++ {
				copy(y[l*ohw+px0:l*ohw+px1], part[l*ohw+px0:l*ohw+px1])
			}
		}
		var res []float32
		if j.residual != nil {
			res = j.residual[yo : yo+nl*ohw]
		}
		if j.split == 1 {
			dwEpilogue(p, y, res)
			continue
		}
		for l := 0; l < nl; l++ {
			var rl []float32
			if res != nil {
				rl = res[l*ohw+px0 : l*ohw+px1]
			}
			dwEpilogue(p, y[l*ohw+px0:l*ohw+px1], rl)
		}
	}
}
