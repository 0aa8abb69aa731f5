//go:build amd64 && !purego

package kernels

// tileKernels is one path's tile activations (exp_amd64.s): each works in
// place on rows x cols floats, rows ldc floats apart (rows, cols > 0).
type tileKernels struct {
	sigmoid     func(c *float32, rows, cols, ldc int, silu int)
	gelu        func(c *float32, rows, cols, ldc int)
	hardSwish   func(c *float32, rows, cols, ldc int)
	hardSigmoid func(c *float32, rows, cols, ldc int, a, b float32)
	leakyRelu   func(c *float32, rows, cols, ldc int, a float32)
	tanh        func(c *float32, rows, cols, ldc int)
	geluTanh    func(c *float32, rows, cols, ldc int)
	clamp       func(c *float32, rows, cols, ldc int, lo, hi float32)
}

func init() {
	registerTiles(PathAVX2, tileKernels{sigmoidTileAVX2, geluTileAVX2, hardSwishTileAVX2, hardSigmoidTileAVX2, leakyReluTileAVX2, tanhTileAVX2, geluTanhTileAVX2, clampTileAVX2})
	registerTiles(PathAVX512, tileKernels{sigmoidTileAVX512, geluTileAVX512, hardSwishTileAVX512, hardSigmoidTileAVX512, leakyReluTileAVX512, tanhTileAVX2, geluTanhTileAVX2, clampTileAVX512})
}

// registerTiles registers k as path's actTileImpl (the activations
// without a tile kernel go row by row through ApplyAct) and,
// on one row, as ApplyAct's vector Sigmoid/SiLU, GELU, HardSwish,
// HardSigmoid and LeakyRelu (all of the row: the tail through a masked
// vector). ApplyAct's Tanh and tanh-GELU stay TanhF32's and GeluTanhF32's
// kernels (tail through a padded vector): the same bits per element.
func registerTiles(path string, k tileKernels) {
	registerKernel(&actTileImpl, path, func(c []float32, rows, cols, ldc int, act Act, alpha, beta float32) {
		switch act {
		case ActSigmoid:
			k.sigmoid(&c[0], rows, cols, ldc, 0)
		case ActSiLU:
			k.sigmoid(&c[0], rows, cols, ldc, 1)
		case ActGelu:
			k.gelu(&c[0], rows, cols, ldc)
		case ActHardSwish:
			k.hardSwish(&c[0], rows, cols, ldc)
		case ActHardSigmoid:
			k.hardSigmoid(&c[0], rows, cols, ldc, alpha, beta)
		case ActLeakyRelu:
			k.leakyRelu(&c[0], rows, cols, ldc, alpha)
		case ActTanh:
			k.tanh(&c[0], rows, cols, ldc)
		case ActGeluTanh:
			k.geluTanh(&c[0], rows, cols, ldc)
		case ActRelu, ActRelu6, ActClip:
			lo, hi, _, _ := clampBounds(act, alpha, beta)
			k.clamp(&c[0], rows, cols, ldc, lo, hi)
		default:
			actTileRef(c, rows, cols, ldc, act, alpha, beta)
		}
	})
	registerKernel(&sigmoidVec, path, func(v []float32, silu bool) int {
		if len(v) > 0 {
			s := 0
			if silu {
				s = 1
			}
			k.sigmoid(&v[0], 1, len(v), len(v), s)
		}
		return len(v)
	})
	registerKernel(&geluVec, path, func(v []float32) int {
		if len(v) > 0 {
			k.gelu(&v[0], 1, len(v), len(v))
		}
		return len(v)
	})
	registerKernel(&hardSwishVec, path, func(v []float32) int {
		if len(v) > 0 {
			k.hardSwish(&v[0], 1, len(v), len(v))
		}
		return len(v)
	})
	registerKernel(&hardSigmoidVec, path, func(v []float32, a, b float32) int {
		if len(v) > 0 {
			k.hardSigmoid(&v[0], 1, len(v), len(v), a, b)
		}
		return len(v)
	})
	registerKernel(&leakyReluVec, path, func(v []float32, a float32) int {
		if len(v) > 0 {
			k.leakyRelu(&v[0], 1, len(v), len(v), a)
		}
		return len(v)
	})
}
