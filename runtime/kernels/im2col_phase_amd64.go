//go:build amd64 && !purego

package kernels

import "unsafe"

// packPieces16 is packPiecesVec for one panel with AVX2 masked loads
// (im2col_phase_amd64.s): for k in [0, kcb), dst[k*16:+16] is the OR of
// the n runs' masked 16-float loads at x + offs[k] + off[r] (masked-off
// lanes are not read, and load zeros).
//
//go:noescape
func packPieces16(dst, x *float32, offs *int, kcb int, off *int, mask *int32, n int)

func init() {
	registerKernel(&packPiecesVec, PathAVX2, func(dst, x []float32, offs []int, pc panelPieces) {
		if len(offs) == 0 || pc.n <= 0 || pc.n > maxPieces {
			return
		}
		_ = dst[len(offs)*nr-1]
		packPieces16(&dst[0], unsafe.SliceData(x), &offs[0], len(offs), &pc.off[0], &pc.mask[0][0], pc.n)
	})
}
