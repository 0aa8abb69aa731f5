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

// ApplyAct's vector SiLU/Sigmoid, GELU and HardSwish are the tile kernels
// on one row (all of it: the tail through a masked vector).
func init() {
	registerKernel(&sigmoidVec, PathAVX2, func(v []float32, silu bool) int {
		if len(v) > 0 {
			sigmoidTileAVX2(&v[0], 1, len(v), len(v), b2i(silu))
		}
		return len(v)
	})
	registerKernel(&sigmoidVec, PathAVX512, func(v []float32, silu bool) int {
		if len(v) > 0 {
			sigmoidTileAVX512(&v[0], 1, len(v), len(v), b2i(silu))
		}
		return len(v)
	})
	registerKernel(&geluVec, PathAVX2, func(v []float32) int {
		if len(v) > 0 {
			geluTileAVX2(&v[0], 1, len(v), len(v))
		}
		return len(v)
	})
	registerKernel(&geluVec, PathAVX512, func(v []float32) int {
		if len(v) > 0 {
			geluTileAVX512(&v[0], 1, len(v), len(v))
		}
		return len(v)
	})
	registerKernel(&hardSwishVec, PathAVX2, func(v []float32) int {
		if len(v) > 0 {
			hardSwishTileAVX2(&v[0], 1, len(v), len(v))
		}
		return len(v)
	})
	registerKernel(&hardSwishVec, PathAVX512, func(v []float32) int {
		if len(v) > 0 {
			hardSwishTileAVX512(&v[0], 1, len(v), len(v))
		}
		return len(v)
	})
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
