package kernels

// rows8Kernel, where the kernel path has one (nil otherwise), computes an
// 8x32 tile whose rows start at row o (0 or 2) of a packed 6-row A panel:
// rows 0 to 5-o are the panel's rows o to 5 (a is the panel from row o
// on: a[p*mr+i]), the rest the first 2+o rows of the next panel (a2); b
// holds two consecutive packed B panels of k steps. Every output element
// is computed by the same operations as in microKernel (so using it or not
// changes no bit).
var rows8Kernel func(k, o int, a, a2, b, c []float32, ldc, flags int, bias []float32, lo, hi float32)

// rows8Tail returns how many of a block's mcb rows the blocked GEMM
// computes in 8-row tiles after its 12-row and 6-row ones: the last 8 or
// 16 where that leaves a multiple of 6 (M = 12t+8, 12t+4, 12t+2 as
// 12(t-1)+6+8... ), 0 where the 6-row tiles and one edge tile fit as well
// (and without rows8Kernel). The 8-row tiles replace an edge tile, which
// computes 6 rows (or 12) in scratch for 2 or 4 and copies them back.
func rows8Tail(mcb int) int {
	if rows8Kernel == nil {
		return 0
	}
	switch mcb % 12 {
	case 8:
		return 8 // 12t + 8
	case 2:
		if mcb >= 14 {
			return 8 // 12(t-1) + 6 + 8
		}
	case 4:
		if mcb >= 16 {
			return 16 // 12(t-1) + 8 + 8
		}
	case 10:
		if mcb >= 22 {
			return 16 // 12(t-1) + 6 + 8 + 8
		}
	}
	return 0
}

// wideRows computes rows [ic, ic+mcb) x the np*2nr columns at jc of C
// with the wide kernels: 12-row tiles, a 6-row one, the 8-row tiles of
// rows8Tail, then an edge tile for what is left. ap is the packed A block
// of the rows (mr-row panels of kcb steps), bp the packed B panels of the
// columns. Row tiles are the outer loop and the column panels the inner
// one, so that each C row is written left to right in runs of np*2nr
// columns (streams the prefetchers follow; tile by tile down the rows,
// 12 rows a plane apart, each tile's stores missed the caches: a 1x1
// convolution of 32 channels on 112x112 ran at 64 GFLOP/s), while the A
// rows stay in L1 and the B panels (at most kc x 2nr each) come from L2.
// Each element gets the same operations in either order.
func (j *gemmJob) wideRows(ap, bp []float32, ic, mcb, jc, np, kcb, flags int, last bool, s *scratch) {
	const w = 2 * nr
	head := mcb - rows8Tail(mcb)
	ir := 0
	for head-ir >= mr {
		rows := mr
		if head-ir >= 2*mr {
			rows = 2 * mr
		}
		for p := range np {
			j.wideTile(ap[ir*kcb:], bp[p*w*kcb:], ic+ir, jc+p*w, rows, w, kcb, flags, last)
		}
		ir += rows
	}
	for ; ir < mcb && ir >= head; ir += 8 {
		// ir is a multiple of 6 (after head) or 2 past one (after an
		// 8-row tile).
		pa, o := ir/mr*mr*kcb, ir%mr
		i0 := ic + ir
		var bias []float32
		if flags&flagBias != 0 {
			bias = j.ep.Bias[i0 : i0+8]
		}
		for p := range np {
			c := j.C[i0*j.ldc+jc+p*w:]
			rows8Kernel(kcb, o, ap[pa+o:], ap[pa+mr*kcb:], bp[p*w*kcb:], c, j.ldc, flags, bias, j.lo, j.hi)
			j.post(c, i0, jc+p*w, 8, w, last)
		}
	}
	if ir < mcb {
		for p := range np {
			j.edgeTile(ap[ir*kcb:], bp[p*w*kcb:], ic+ir, jc+p*w, mcb-ir, w, kcb, flags, last, s)
		}
	}
}
