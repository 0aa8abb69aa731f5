//go:build amd64 && !purego

package kernels

// Implemented in binary_amd64.s; n is a multiple of 8.

//go:noescape
func binVVAVX2(op int, o, a, b *float32, n int)

//go:noescape
func binVSAVX2(op int, o, a *float32, n int, s float32)

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
		k := int(op)
		switch {
		case scalarFirst && op == BinSub:
			k = 4 // s - a
		case scalarFirst && op == BinDiv:
			k = 5 // s / a
		}
		binVSAVX2(k, &o[0], &a[0], n, s)
		return n
	})
}
