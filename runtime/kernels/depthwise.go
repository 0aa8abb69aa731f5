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
	return p.SW*g.plane + g.ow8
}

func convDepthwise2D(p *ConvParams, w, x, bias, residual, y, ws []float32, threads int) {
	g := dwGeometry(p)
	need := dwScratchSize(p)
	var s0 *scratch
	if len(ws) >= need {
		s0 = &scratch{buf: ws[:need]}
	}
	planes := p.N * p.C
	taps := p.KH * p.KW
	parallel(threads, planes, s0, func(lo, hi int, s *scratch) {
		buf := s.ensureBuf(need)
		phases := buf[:p.SW*g.plane]
		yrow := buf[p.SW*g.plane : p.SW*g.plane+g.ow8]
		var rowsArr [49][]float32
		rows := rowsArr[:0]
		if taps > len(rowsArr) {
			rows = make([][]float32, 0, taps)
		}
		for pl := lo; pl < hi; pl++ {
			c := pl % p.C
			fillPhases(p, &g, x[pl*p.H*p.W:(pl+1)*p.H*p.W], phases)
			wc := w[c*taps : (c+1)*taps]
			var b float32
			if bias != nil {
				b = bias[c]
			}
			for oh := 0; oh < p.OH; oh++ {
				rows = rows[:0]
				for kh := 0; kh < p.KH; kh++ {
					r := oh*p.SH + kh*p.DH
					for kw := 0; kw < p.KW; kw++ {
						f, off := (kw*p.DW)%p.SW, (kw*p.DW)/p.SW
						start := f*g.plane + r*g.lw + off
						rows = append(rows, phases[start:start+g.ow8])
					}
				}
				dwKernel(yrow, rows, wc, g.ow8, b)
				o := (pl*p.OH + oh) * p.OW
				dwEpilogue(p, yrow[:p.OW], y[o:o+p.OW], residual, o)
			}
		}
	})
}

// fillPhases writes the zero-padded plane x (H x W) as SW phase planes.
func fillPhases(p *ConvParams, g *dwGeom, x, phases []float32) {
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
		for r := 0; r < g.ph; r++ {
			dst := ph[r*g.lw : (r+1)*g.lw]
			ih := r - p.PadT
			if ih < 0 || ih >= p.H || q0 >= q1 {
				clear(dst)
				continue
			}
			clear(dst[:q0])
			clear(dst[q1:])
			src := x[ih*p.W : (ih+1)*p.W]
			iw := f + q0*p.SW - p.PadL
			if p.SW == 1 {
				copy(dst[q0:q1], src[iw:iw+q1-q0])
			} else {
				d := dst[q0:q1]
				for q := range d {
					d[q] = src[iw+q*p.SW]
				}
			}
		}
	}
}

// dwEpilogue writes act(acc) + residual or act(acc + residual) to y.
func dwEpilogue(p *ConvParams, acc, y, residual []float32, o int) {
	if residual == nil {
		copy(y, acc)
		ApplyAct(y, p.Act, p.Alpha, p.Beta)
		return
	}
	res := residual[o : o+len(y)]
	if p.ActAfterResidual {
		for i, v := range acc {
			y[i] = v + res[i]
		}
		ApplyAct(y, p.Act, p.Alpha, p.Beta)
		return
	}
	copy(y, acc)
	ApplyAct(y, p.Act, p.Alpha, p.Beta)
	for i, v := range res {
		y[i] += v
	}
}
