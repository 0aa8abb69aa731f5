//go:build amd64 && !purego

package kernels

func init() {
	registerKernel(&actTileImpl, PathAVX2, actTileAVX2)
	registerKernel(&actTileImpl, PathAVX512, actTileAVX512)
}

// actTileAVX2 runs the tile kernels of exp_amd64.s; the activations
// without one go row by row through ApplyAct.
func actTileAVX2(c []float32, rows, cols, ldc int, act Act, alpha, beta float32) {
	switch act {
	case ActSigmoid:
		sigmoidTileAVX2(&c[0], rows, cols, ldc, 0)
	case ActSiLU:
		sigmoidTileAVX2(&c[0], rows, cols, ldc, 1)
	case ActGelu:
		geluTileAVX2(&c[0], rows, cols, ldc)
	case ActHardSwish:
		hardSwishTileAVX2(&c[0], rows, cols, ldc)
	default:
		actTileRef(c, rows, cols, ldc, act, alpha, beta)
	}
}

// actTileAVX512 is actTileAVX2 on 16 lanes (the same bits per element).
func actTileAVX512(c []float32, rows, cols, ldc int, act Act, alpha, beta float32) {
	switch act {
	case ActSigmoid:
		sigmoidTileAVX512(&c[0], rows, cols, ldc, 0)
	case ActSiLU:
		sigmoidTileAVX512(&c[0], rows, cols, ldc, 1)
	case ActGelu:
		geluTileAVX512(&c[0], rows, cols, ldc)
	case ActHardSwish:
		hardSwishTileAVX512(&c[0], rows, cols, ldc)
	default:
		actTileRef(c, rows, cols, ldc, act, alpha, beta)
	}
}
