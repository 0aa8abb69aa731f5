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
	return p.SW*g.plane + p.OH*g.ow8 + 2*g.lw
}

// deinterleave2Vec sets even[i] = src[2i], odd[i] = src[2i+1] for a prefix
// of i and returns its length (0 without SIMD).
var deinterleave2Vec = func(even, odd, src []float32) int { return 0 }

func convDepthwise2D(p *ConvParams, w, x, bias, residual, y, ws []float32, threads int) {
	g := dwGeometry(p)
	need := dwScratchSize(p)
	var s0 *scratch
	if len(ws) >= need {
		s0 = &scratch{buf: ws[:need]}
	}
	taps := p.KH * p.KW
	var offsArr [64]int
	offs := offsArr[:0]
	if taps > len(offsArr) {
		offs = make([]int, 0, taps)
	}
	for kh := 0; kh < p.KH; kh++ {
		for kw := 0; kw < p.KW; kw++ {
			f, off := (kw*p.DW)%p.SW, (kw*p.DW)/p.SW
			offs = append(offs, f*g.plane+kh*p.DH*g.lw+off)
		}
	}
	planes := p.N * p.C
	ohw := p.OH * p.OW
	direct := g.ow8 == p.OW && residual == nil
	parallel(threads, planes, s0, func(lo, hi int, s *scratch) {
		buf := s.ensureBuf(need)
		phases := buf[:p.SW*g.plane]
		acc := buf[p.SW*g.plane : p.SW*g.plane+p.OH*g.ow8]
		row := buf[p.SW*g.plane+p.OH*g.ow8 : need]
		for pl := lo; pl < hi; pl++ {
			c := pl % p.C
			fillPhases(p, &g, x[pl*p.H*p.W:(pl+1)*p.H*p.W], phases, row)
			var b float32
			if bias != nil {
				b = bias[c]
			}
			yp := y[pl*ohw : (pl+1)*ohw]
			if direct {
				dwKernel(yp, phases, offs, w[c*taps:(c+1)*taps], g.ow8, p.OH, p.SH*g.lw, p.OW, b)
				ApplyAct(yp, p.Act, p.Alpha, p.Beta)
				continue
			}
			dwKernel(acc, phases, offs, w[c*taps:(c+1)*taps], g.ow8, p.OH, p.SH*g.lw, g.ow8, b)
			var res []float32
			if residual != nil {
				res = residual[pl*ohw : (pl+1)*ohw]
			}
			dwEpilogue(p, acc, g.ow8, yp, res)
		}
	})
}

// fillPhases writes the zero-padded plane x (H x W) as SW phase planes;
// row is scratch of 2*g.lw floats.
func fillPhases(p *ConvParams, g *dwGeom, x, phases, row []float32) {
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

// dwEpilogue writes act(acc) + res or act(acc + res) to the plane y; acc
// has rows of stride ld, y and res rows of p.OW.
func dwEpilogue(p *ConvParams, acc []float32, ld int, y, res []float32) {
	ow := p.OW
	if res == nil || !p.ActAfterResidual {
		ApplyAct(acc, p.Act, p.Alpha, p.Beta)
		for r := 0; r < p.OH; r++ {
			copy(y[r*ow:(r+1)*ow], acc[r*ld:r*ld+ow])
		}
		if res != nil {
			for i, v := range res[:len(y)] {
				y[i] += v
			}
		}
		return
	}
	for r := 0; r < p.OH; r++ {
		yr, ar, rr := y[r*ow:(r+1)*ow], acc[r*ld:r*ld+ow], res[r*ow:(r+1)*ow]
		for i, v := range ar {
			yr[i] = v + rr[i]
		}
	}
	ApplyAct(y, p.Act, p.Alpha, p.Beta)
}

// fillPhases2 is fillPhases for stride 2: each padded row is built in row
// (padded column c at row[c]) and split into its even and odd columns.
func fillPhases2(p *ConvParams, g *dwGeom, x, phases, row []float32) {
	row = row[:2*g.lw]
	n := min(p.W, 2*g.lw-p.PadL) // input columns that land in row
	clear(row)
	for r := 0; r < g.ph; r++ {
		even := phases[r*g.lw : (r+1)*g.lw]
		odd := phases[g.plane+r*g.lw : g.plane+(r+1)*g.lw]
		ih := r - p.PadT
		if ih < 0 || ih >= p.H || n <= 0 {
			clear(even)
			clear(odd)
			continue
		}
		copy(row[p.PadL:p.PadL+n], x[ih*p.W:ih*p.W+n])
		q := deinterleave2Vec(even, odd, row)
		for ; q < g.lw; q++ {
			even[q] = row[2*q]
			odd[q] = row[2*q+1]
		}
	}
}
