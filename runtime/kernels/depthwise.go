package kernels

// Depthwise convolution (group == C == M), any kernel size, stride,
// dilation and padding, vectorized along the output row:
//
// For each channel plane, the zero-padded input is rewritten into SW
// "phase" planes, phase f holding padded columns f, f+SW, f+2*SW, ... Then
// for output column ow and kernel column kw the padded input column
// ow*SW + kw*DW lies in phase (kw*DW)%SW at position ow + (kw*DW)/SW, so
// every tap (kh, kw) of an output row is a contiguous run of one phase row
// and a row of output is y[ow] = bias + sum over taps of w[t]*tap_t[ow]
// (dwKernel), written straight to y. The phase planes are filled and
// consumed a strip of output rows at a time (see dwGeom); the
// activation/residual epilogue then runs over the whole output plane.
// Threads split the N*C planes (overSplit chunks per thread).
//
// This is the plane path; small planes, stride 2 and kernels of 5x5 and
// more take the channel-blocked path instead (depthwise_blocked.go, chosen
// by dwBlockedRule).

// dwGeom is the phase-plane geometry of a depthwise convolution. The
// output rows of a plane are computed in strips of so rows, each from the
// ph padded input rows it reads, so that the phase planes of a strip stay
// in the L1 cache between being filled and being read by every tap
// (consecutive strips refill the (KH-1)*DH+1-SH rows they share).
type dwGeom struct {
	ow8   int // OW rounded up to 8
	so    int // output rows per strip
	ph    int // padded input rows of a strip
	lw    int // length of a phase row
	plane int // size of one phase plane (one strip)
}

// dwStripFloats is the size of a strip's phase planes the strip height is
// chosen for: 16 KiB, half an L1 data cache.
const dwStripFloats = 4096

func dwGeometry(p *ConvParams) dwGeom {
	var g dwGeom
	g.ow8 = roundUp(p.OW, 8)
	g.lw = g.ow8 + (p.KW-1)*p.DW/p.SW
	span := (p.KH-1)*p.DH + 1
	g.so = stripRows(p, dwStripFloats/(p.SW*g.lw), 1)
	g.ph = (g.so-1)*p.SH + span
	g.plane = g.ph * g.lw
	return g
}

// stripRows is the number of output rows of a depthwise strip when fit
// padded input rows fit the strip's budget: as many as fit, but at least
// least, balanced so that the strips of OH rows are as even as they can
// be (ceil(OH/strips) rows each).
func stripRows(p *ConvParams, fit, least int) int {
	span := (p.KH-1)*p.DH + 1
	so := 1
	if fit > span {
		so = (fit-span)/p.SH + 1
	}
	so = max(so, least)
	if so >= p.OH {
		return max(p.OH, 1)
	}
	strips := (p.OH + so - 1) / so
	return (p.OH + strips - 1) / strips
}

// dwScratchSize is the per-thread scratch of the depthwise path p takes.
func dwScratchSize(p *ConvParams) int {
	if p.useDWBlocked() {
		return dwBlockScratchSize(p)
	}
	return dwPlaneScratchSize(p)
}

func dwPlaneScratchSize(p *ConvParams) int {
	g := dwGeometry(p)
	return p.SW * g.plane
}

// copyRows copies rows rows of n floats from src (row stride srcStride) to
// dst (row stride dstStride): one call instead of one copy per short row.
var copyRows = func(dst []float32, dstStride int, src []float32, srcStride, rows, n int) {
	for r := 0; r < rows; r++ {
		copy(dst[r*dstStride:r*dstStride+n], src[r*srcStride:r*srcStride+n])
	}
}

// deinterleave2Vec sets even[i] = src[2i], odd[i] = src[2i+1] for a prefix
// of i and returns its length (0 without SIMD).
var deinterleave2Vec = func(even, odd, src []float32) int { return 0 }

// dwOffsets returns the offset of every tap (kh, kw) into the phase
// planes, relative to the start of an output row's input rows.
func dwOffsets(p *ConvParams) []int {
	g := dwGeometry(p)
	var offs []int
	for kh := 0; kh < p.KH; kh++ {
		for kw := 0; kw < p.KW; kw++ {
			f, off := (kw*p.DW)%p.SW, (kw*p.DW)/p.SW
			offs = append(offs, f*g.plane+kh*p.DH*g.lw+off)
		}
	}
	return offs
}

// dwJob is one depthwise call; it lives in the PackedConv so that its
// chunk function is built once.
type dwJob struct {
	p                    *ConvParams
	g                    dwGeom
	x, bias, residual, y []float32
	need                 int
	fn                   func(lo, hi int, s *scratch)

	// The blocked path (depthwise_blocked.go), set by packDepthwise.
	tab   *dwTables // nil on the plane path
	split int       // strips per work unit (dwBlockUnits)
}

func convDepthwise2D(p *ConvParams, pk *PackedConv, x, bias, residual, y, ws []float32, threads int) {
	j := &pk.dwj
	j.p = p
	if j.tab != nil {
		j.need = dwBlockScratchSize(p)
	} else {
		j.g, j.need = dwGeometry(p), dwPlaneScratchSize(p)
	}
	j.x, j.bias, j.residual, j.y = x, bias, residual, y
	var s0 *scratch
	if len(ws) >= j.need {
		s0 = &pk.s0
		s0.buf = ws[:j.need]
	}
	n := p.N * p.C
	switch {
	case j.tab != nil:
		n, j.split = dwBlockUnits(p, threads)
		if j.fn == nil {
			j.fn = func(lo, hi int, s *scratch) { j.blocks(pk, lo, hi, s) }
		}
	case j.fn == nil:
		j.fn = func(lo, hi int, s *scratch) { j.planes(pk, lo, hi, s) }
	}
	if j.tab != nil {
		parallel(threads, n, s0, &pk.wg, j.fn)
		return
	}
	parallelChunks(threads, overSplit*threads, n, s0, &pk.wg, j.fn)
}

// planes computes the (image, channel) planes [lo, hi).
func (j *dwJob) planes(pk *PackedConv, lo, hi int, s *scratch) {
	p, g := j.p, &j.g
	taps := p.KH * p.KW
	buf := s.ensureBuf(j.need)
	phases := buf[:p.SW*g.plane]
	ohw := p.OH * p.OW
	clear(phases) // the padding; fillStrip writes the same positions for every strip
	for pl := lo; pl < hi; pl++ {
		c := pl % p.C
		x := j.x[pl*p.H*p.W : (pl+1)*p.H*p.W]
		var b float32
		if j.bias != nil {
			b = j.bias[c]
		}
		w := pk.dw[c*taps : (c+1)*taps]
		yp := j.y[pl*ohw : (pl+1)*ohw]
		for oh0 := 0; oh0 < p.OH; oh0 += g.so {
			rows := min(g.so, p.OH-oh0)
			fillStrip(p, g, x, phases, oh0*p.SH, (rows-1)*p.SH+(p.KH-1)*p.DH+1)
			dwKernel(yp[oh0*p.OW:], phases, pk.offs, w, p.OW, rows, p.SH*g.lw, p.OW, b)
		}
		var res []float32
		if j.residual != nil {
			res = j.residual[pl*ohw : (pl+1)*ohw]
		}
		dwEpilogue(p, yp, res)
	}
}

// fillStrip writes padded rows [r0, r0+nr) of the zero-padded plane x
// (H x W) as rows [0, nr) of the SW phase planes. The column padding of
// phases must be zero (every input row writes the same positions); rows
// that fall in the top or bottom padding are cleared.
func fillStrip(p *ConvParams, g *dwGeom, x, phases []float32, r0, nr int) {
	// Input rows ih = r0+i-PadT for strip rows i in [i0, i1).
	i0 := min(max(0, p.PadT-r0), nr)
	i1 := max(min(nr, p.H+p.PadT-r0), i0)
	for f := 0; f < p.SW; f++ {
		ph := phases[f*g.plane : (f+1)*g.plane]
		clear(ph[:i0*g.lw])
		clear(ph[i1*g.lw : nr*g.lw])
	}
	if i0 >= i1 {
		return
	}
	ih0 := r0 + i0 - p.PadT
	switch p.SW {
	case 1: // the loop below for its one phase, without the divisions
		if q0, q1 := p.PadL, min(p.W+p.PadL, g.lw); q0 < q1 {
			copyRows(phases[i0*g.lw+q0:], g.lw, x[ih0*p.W:], p.W, i1-i0, q1-q0)
		}
		return
	case 2:
		fillStrip2(p, g, x, phases, ih0, i0, i1-i0)
		return
	}
	for f := 0; f < p.SW; f++ {
		ph := phases[f*g.plane : (f+1)*g.plane]
		// Phase column q is padded column f + q*SW, input column
		// iw = f + q*SW - PadL; the valid q are [q0, q1).
		q0 := 0
		if f < p.PadL {
			q0 = (p.PadL - f + p.SW - 1) / p.SW
		}
		q1 := (p.W - 1 + p.PadL - f) / p.SW
		if p.W-1+p.PadL-f < 0 {
			q1 = -1
		}
		q1 = min(q1+1, g.lw)
		if q0 >= q1 {
			continue
		}
		iw := f + q0*p.SW - p.PadL
		for i := i0; i < i1; i++ {
			dst := ph[i*g.lw+q0 : i*g.lw+q1]
			src := x[(ih0+i-i0)*p.W : (ih0+i-i0+1)*p.W]
			for q := range dst {
				dst[q] = src[iw+q*p.SW]
			}
		}
	}
}

// fillStrip2 is fillStrip for stride 2: input rows [ih0, ih0+n) go to
// strip rows i0, i0+1, ..., each split straight into its even and odd
// padded columns (splitRow2).
func fillStrip2(p *ConvParams, g *dwGeom, x, phases []float32, ih0, i0, n int) {
	for k := 0; k < n; k++ {
		r := (i0 + k) * g.lw
		splitRow2(phases[r:r+g.lw], phases[g.plane+r:g.plane+r+g.lw], x[(ih0+k)*p.W:(ih0+k+1)*p.W], p.PadL)
	}
}

// splitRow2 writes the input row src, padded by padL zero columns on the
// left and by as many as the phase rows hold on the right, into its even
// and odd phase rows (padded column c to even[c/2] if c is even, to
// odd[c/2] if odd; len(even) == len(odd)); the padding columns get zeros.
// The split is one deinterleave of src, the row's last columns as one
// overlapping 16-column step.
func splitRow2(even, odd, src []float32, padL int) {
	lw := len(even)
	w := min(len(src), 2*lw-padL) // input columns that land in a phase row
	if w <= 0 {
		clear(even)
		clear(odd)
		return
	}
	// Padded column padL+i of input column i: a gets the even i, b the odd.
	a, b := even, odd
	if padL%2 == 1 {
		a, b = odd, even
	}
	ea, eb := padL/2, (padL+1)/2 // start of a's and b's data
	na, nb := (w+1)/2, w/2       // their lengths
	clear(a[:ea])
	clear(a[ea+na:])
	clear(b[:eb])
	clear(b[eb+nb:])
	a, b = a[ea:], b[eb:]
	i := 2 * deinterleave2Vec(a, b, src[:w])
	if i < w && w >= 16 {
		// The rest of the row as the last 16 columns from an even one
		// (rewriting some already split: the same values).
		s0 := (w - 16) &^ 1
		if deinterleave2Vec(a[s0/2:], b[s0/2:], src[s0:s0+16]) == 8 {
			i = s0 + 16
		}
	}
	for ; i+1 < w; i += 2 {
		a[i/2], b[i/2] = src[i], src[i+1]
	}
	if i < w {
		a[i/2] = src[i]
	}
}

// dwEpilogue applies the activation and residual to the plane y in place:
// y = act(y) + res, or act(y + res) if ActAfterResidual.
func dwEpilogue(p *ConvParams, y, res []float32) {
	if res != nil && p.ActAfterResidual {
		for i, v := range res[:len(y)] {
			y[i] += v
		}
		res = nil
	}
	ApplyAct(y, p.Act, p.Alpha, p.Beta)
	if res != nil {
		for i, v := range res[:len(y)] {
			y[i] += v
		}
	}
}
