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
// (dwKernel). Rows are computed 8 columns at a time into scratch and then
// copied to y with the activation/residual epilogue. Threads split the
// N*C planes.

// dwGeom is the phase-plane geometry of a depthwise convolution.
type dwGeom struct {
	ow8   int // OW rounded up to 8
	ph    int // padded input rows needed
	lw    int // length of a phase row
	plane int // size of one phase plane
}

func dwGeometry(p *ConvParams) dwGeom {
	var g dwGeom
	g.ow8 = roundUp(p.OW, 8)
	g.ph = (p.OH-1)*p.SH + (p.KH-1)*p.DH + 1
	g.lw = g.ow8 + (p.KW-1)*p.DW/p.SW
	g.plane = g.ph * g.lw
	return g
}

func dwScratchSize(p *ConvParams) int {
	g := dwGeometry(p)
	return p.SW*g.plane + 2*g.lw
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
}

func convDepthwise2D(p *ConvParams, pk *PackedConv, x, bias, residual, y, ws []float32, threads int) {
	j := &pk.dwj
	j.p, j.g, j.need = p, dwGeometry(p), dwScratchSize(p)
	j.x, j.bias, j.residual, j.y = x, bias, residual, y
	var s0 *scratch
	if len(ws) >= j.need {
		s0 = &pk.s0
		s0.buf = ws[:j.need]
	}
	if j.fn == nil {
		j.fn = func(lo, hi int, s *scratch) { j.planes(pk, lo, hi, s) }
	}
	parallel(threads, p.N*p.C, s0, &pk.wg, j.fn)
}

// planes computes the (image, channel) planes [lo, hi).
func (j *dwJob) planes(pk *PackedConv, lo, hi int, s *scratch) {
	p, g := j.p, &j.g
	taps := p.KH * p.KW
	buf := s.ensureBuf(j.need)
	phases := buf[:p.SW*g.plane]
	row := buf[p.SW*g.plane : j.need]
	ohw := p.OH * p.OW
	for pl := lo; pl < hi; pl++ {
		c := pl % p.C
		fillPhases(p, g, j.x[pl*p.H*p.W:(pl+1)*p.H*p.W], phases, row, pl == lo)
		var b float32
		if j.bias != nil {
			b = j.bias[c]
		}
		yp := j.y[pl*ohw : (pl+1)*ohw]
		dwKernel(yp, phases, pk.offs, pk.dw[c*taps:(c+1)*taps], p.OW, p.OH, p.SH*g.lw, p.OW, b)
		var res []float32
		if j.residual != nil {
			res = j.residual[pl*ohw : (pl+1)*ohw]
		}
		dwEpilogue(p, yp, res)
	}
}

// fillPhases writes the zero-padded plane x (H x W) as SW phase planes;
// row is scratch of 2*g.lw floats. Every plane of a convolution writes the
// same positions, so the padding is cleared only when first is set.
func fillPhases(p *ConvParams, g *dwGeom, x, phases, row []float32, first bool) {
	if first {
		clear(phases[:p.SW*g.plane])
		clear(row)
	}
	if p.SW == 2 {
		fillPhases2(p, g, x, phases, row)
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
		ih0, ih1 := max(0, -p.PadT), min(p.H, g.ph-p.PadT)
		iw := f + q0*p.SW - p.PadL
		if p.SW == 1 && ih1 > ih0 {
			o := (ih0+p.PadT)*g.lw + q0
			copyRows(ph[o:], g.lw, x[ih0*p.W+iw:], p.W, ih1-ih0, q1-q0)
			continue
		}
		for ih := ih0; ih < ih1; ih++ {
			dst := ph[(ih+p.PadT)*g.lw+q0 : (ih+p.PadT)*g.lw+q1]
			src := x[ih*p.W : (ih+1)*p.W]
			for q := range dst {
				dst[q] = src[iw+q*p.SW]
			}
		}
	}
}

// fillPhases2 is fillPhases for stride 2: each padded row is built in row
// (padded column c at row[c], the padding zero) and split into its even
// and odd columns.
func fillPhases2(p *ConvParams, g *dwGeom, x, phases, row []float32) {
	row = row[:2*g.lw]
	n := min(p.W, 2*g.lw-p.PadL) // input columns that land in row
	if n <= 0 {
		return
	}
	for ih := 0; ih < p.H && ih+p.PadT < g.ph; ih++ {
		r := ih + p.PadT
		even := phases[r*g.lw : (r+1)*g.lw]
		odd := phases[g.plane+r*g.lw : g.plane+(r+1)*g.lw]
		copy(row[p.PadL:p.PadL+n], x[ih*p.W:ih*p.W+n])
		q := deinterleave2Vec(even, odd, row)
		for ; q < g.lw; q++ {
			even[q] = row[2*q]
			odd[q] = row[2*q+1]
		}
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
