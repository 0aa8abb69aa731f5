//go:build amd64 && !purego

package kernels

// dwBlock8 is dwBlock on AVX2+FMA (see dwBlockAVX2); groups = len(poffs)/8.
// Implemented in depthwise_blocked_amd64.s.
//
//go:noescape
func dwBlock8(out, in, w, bias *float32, toffs *int, taps int, poffs *int, groups int)

func init() {
	registerKernel(&dwBlock, PathAVX2, dwBlockAVX2)
}

// dwBlockAVX2 is dwBlock with the eight pixels of a group in eight
// accumulators (one fused multiply-add chain each, over the taps in
// order).
func dwBlockAVX2(out, in, w, bias []float32, toffs, poffs []int) {
	checkDWBlock(out, in, w, bias, toffs, poffs)
	if len(poffs) == 0 {
		return
	}
	dwBlock8(&out[0], &in[0], &w[0], &bias[0], &toffs[0], len(toffs), &poffs[0], len(poffs)/8)
}
