//go:build amd64 && !purego

package kernels

// Implemented in binary_amd64.s; n is a multiple of 8.

//go:noescape
func binVVAVX2(op int, o, a, b *float32, n int)

//go:noescape
func binVSAVX2(op int, o, a *float32, n int, s float32)

//go:noescape
func binRowsVSAVX2(op int, o, a, s *float32, rows, n int)

func init() {
	registerKernel(&binVV, PathAVX2, func(op BinOp, o, a, b []float32) int {
		n := len(o) &^ 7
		if n > 0 && op >= BinAdd && op <= BinDiv {
			binVVAVX2(int(op), &o[0], &a[0], &b[0], n)
			return n
		}
		return 0
	})
	registerKernel(&binVS, PathAVX2, func(op BinOp, o, a []float32, s float32, scalarFirst bool) int {
		n := len(o) &^ 7
		if n == 0 || op < BinAdd || op > BinDiv {
			return 0
		}
		binVSAVX2(vsOp(op, scalarFirst), &o[0], &a[0], n, s)
		return n
	})
	registerKernel(&binRowsVS, PathAVX2, func(op BinOp, o, a, s []float32, n int, scalarFirst bool) int {
		if n%8 != 0 || len(s) == 0 || op < BinAdd || op > BinDiv {
			return 0
		}
		binRowsVSAVX2(vsOp(op, scalarFirst), &o[0], &a[0], &s[0], len(s), n)
		return len(s)
	})
}

// vsOp is binVSAVX2's operation code for op (scalar second, or first).
func vsOp(op BinOp, scalarFirst bool) int {
	switch {
	case scalarFirst && op == BinSub:
		return 4 // s - a
	case scalarFirst && op == BinDiv:
		return 5 // s / a
	}
	return int(op)
}
