//go:build amd64 && !purego

package kernels

// dwBlock8 computes groups groups of 8 output pixels of dwBlock
// (poffs[8g : 8g+8] into y[8g:], plane stride ldy floats). Implemented in
// depthwise_blocked_amd64.s.
//
//go:noescape
func dwBlock8(y *float32, ldy int, in, w, bias *float32, toffs *int, taps int, poffs *int, groups int)

// dwGather8 writes chunks chunks of 8 input pixels of dwGather
// (x[8k:] of each plane to ioffs[8k : 8k+8]). Implemented in
// depthwise_blocked_amd64.s.
//
//go:noescape
func dwGather8(in *float32, ioffs *int, x *float32, ldx int, chunks int)

// dwRow3x8, dwRow5x8 and dwRow7x8 are dwBlock for 3, 5 and 7 wide
// kernels at horizontal stride and dilation 1 on whole output rows (see
// dwTables.rowK). Implemented in depthwise_blocked_amd64.s.
//
//go:noescape
func dwRow3x8(y *float32, ldy int, in, w, bias *float32, kh, khStep, rows, ow, rowPitch int)

//go:noescape
func dwRow5x8(y *float32, ldy int, in, w, bias *float32, kh, khStep, rows, ow, rowPitch int)

//go:noescape
func dwRow7x8(y *float32, ldy int, in, w, bias *float32, kh, khStep, rows, ow, rowPitch int)

func init() {
	registerKernel(&dwBlock, PathAVX2, dwBlockAVX2)
	registerKernel(&dwGather, PathAVX2, dwGatherAVX2)
}

// dwBlockAVX2 is dwBlock: on whole rows of a 3, 5 or 7 wide kernel at
// horizontal stride 1 a row kernel, otherwise dwBlock8, with the eight
// pixels of a group in eight accumulators (a chain of fused multiply-adds each, over the taps in
// order), transposed in registers into eight channel planes. A pixel
// count that is not a multiple of 8 ends with a group overlapping the
// one before (the same values written twice); fewer than 8 pixels run in
// Go.
func dwBlockAVX2(y []float32, ldy int, in, w, bias []float32, tab *dwTables, n int) {
	if n < 8 {
		dwBlockGo(y, ldy, in, w, bias, tab, n)
		return
	}
	checkDWBlock(y, ldy, in, w, bias, tab, n)
	if tab.rowK > 0 && n%tab.ow == 0 && dwRows {
		kh, rows := len(tab.toffs)/tab.rowK, n/tab.ow
		switch tab.rowK {
		case 3:
			dwRow3x8(&y[0], ldy, &in[0], &w[0], &bias[0], kh, tab.khStep, rows, tab.ow, tab.rowPitch)
		case 5:
			dwRow5x8(&y[0], ldy, &in[0], &w[0], &bias[0], kh, tab.khStep, rows, tab.ow, tab.rowPitch)
		case 7:
			dwRow7x8(&y[0], ldy, &in[0], &w[0], &bias[0], kh, tab.khStep, rows, tab.ow, tab.rowPitch)
		}
		return
	}
	t, p := tab.toffs, tab.poffs
	dwBlock8(&y[0], ldy, &in[0], &w[0], &bias[0], &t[0], len(t), &p[0], n/8)
	if n%8 != 0 {
		dwBlock8(&y[n-8], ldy, &in[0], &w[0], &bias[0], &t[0], len(t), &p[n-8], 1)
	}
}

// dwGatherAVX2 is dwGather 8x8 transposes at a time, the last one
// overlapping the one before where the pixel count is not a multiple of 8.
func dwGatherAVX2(in []float32, tab *dwTables, n int, x []float32, ldx int) {
	if n < 8 {
		dwGatherGo(in, tab, n, x, ldx)
		return
	}
	checkDWGather(in, tab, n, x, ldx, dwLanes)
	io := tab.ioffs
	dwGather8(&in[0], &io[0], &x[0], ldx, n/8)
	if n%8 != 0 {
		dwGather8(&in[0], &io[n-8], &x[n-8], ldx, 1)
	}
}
