package kernels

// Packing the im2col matrix of a convolution from the stride-phase planes
// of its padded input (see shiftGeom): row k of the matrix, column j =
// oh*OW + ow, is xq[offs[k] + oh*wq + ow]. Each output row of the matrix
// is thus a contiguous run of a phase plane, so a packed nr-column panel
// is one contiguous copy per k when it lies within one output row, and a
// few masked copies (pieces) when it spans row ends. Packing the true
// columns (not the wq-OW padding columns past each output row) lets the
// GEMM write y directly, with the whole epilogue.

// maxPieces is the most runs a packed panel is copied as with
// packPiecesVec; panels of more runs (OW < 5) are packed element-wise.
const maxPieces = 4

// panelPieces describes one packed nr-column panel as runs: lane l of
// run r, l in [lo[r], hi[r]), is x[offs[k] + off[r] + l].
type panelPieces struct {
	n      int
	off    [maxPieces]int
	lo, hi [maxPieces]int
	mask   [maxPieces][nr]int32 // -1 on the run's lanes, else 0
}

// packPiecesVec packs one panel of len(offs) k steps, dst[k*nr+l] =
// x[offs[k]+pc.off[r]+l] for lane l in run r, 0 in lanes of no run. The
// caller has checked the bounds of the lanes read (only those are read).
// pc is passed by value: a pointer would make the caller's copy escape
// through the function variable.
var packPiecesVec = func(dst, x []float32, offs []int, pc panelPieces) {
	for k, o := range offs {
		d := dst[k*nr : (k+1)*nr]
		clear(d)
		for r := 0; r < pc.n; r++ {
			b := o + pc.off[r]
			copy(d[pc.lo[r]:pc.hi[r]], x[b+pc.lo[r]:b+pc.hi[r]])
		}
	}
}

// phaseIm2col is im2colB's source when the convolution runs on phase
// planes: the planes of one image and group, the row offsets of the
// packed weights' rows and the planes' row pitch.
type phaseIm2col struct {
	xq   []float32
	offs []int
	wq   int
}

// packPhases packs rows [p0, p0+kcb) x columns [j0, j0+n) of the im2col
// matrix from the phase planes (see rowsB for the layout).
func (s im2colB) packPhases(dst []float32, p0, kcb, j0, n int) {
	ow, wq, x := s.p.OW, s.ph.wq, s.ph.xq
	offs := s.ph.offs[p0 : p0+kcb]
	lo, hi := offs[0], offs[0]
	for _, o := range offs {
		lo, hi = min(lo, o), max(hi, o)
	}
	if last := j0 + n - 1; lo < 0 || hi+(last/ow)*wq+last%ow >= len(x) {
		panic("kernels: phase-plane im2col out of bounds")
	}
	np := (n + nr - 1) / nr
	dst = dst[:np*nr*kcb]
	var pc panelPieces
	for jp := 0; jp < np; jp++ {
		col, cnt := j0+jp*nr, min(nr, n-jp*nr)
		d := dst[jp*nr*kcb : (jp+1)*nr*kcb]
		oh, w := col/ow, col%ow
		if cnt == nr && w+nr <= ow {
			packRowsVec(d, x, offs, oh*wq+w, 1)
			continue
		}
		pc.n = 0
		for l := 0; l < cnt; {
			m := min(cnt-l, ow-w)
			if pc.n == maxPieces {
				pc.n = -1
				break
			}
			pc.off[pc.n], pc.lo[pc.n], pc.hi[pc.n] = oh*wq+w-l, l, l+m
			for i := range pc.mask[pc.n] {
				pc.mask[pc.n][i] = 0
				if i >= l && i < l+m {
					pc.mask[pc.n][i] = -1
				}
			}
			pc.n++
			l += m
			oh, w = oh+1, 0
		}
		if pc.n > 0 {
			packPiecesVec(d, x, offs, pc)
			continue
		}
		// Runs shorter than a panel's share (OW < 5): element-wise.
		clear(d)
		for l := 0; l < cnt; l++ {
			c := col + l
			b := (c/ow)*wq + c%ow
			for k, o := range offs {
				d[k*nr+l] = x[o+b]
			}
		}
	}
}
