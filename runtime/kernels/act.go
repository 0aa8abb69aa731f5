package kernels

import "math"

var inf = math.Inf(1)

// actScalar applies act to one value.
func actScalar(v float32, act Act, alpha, beta float32) float32 {
	switch act {
	case ActNone:
		return v
	case ActRelu:
		if v < 0 {
			return 0
		}
		return v
	case ActRelu6:
		return clamp(v, 0, 6)
	case ActClip:
		return clamp(v, alpha, beta)
	case ActHardSwish:
		return hardSwishf(v)
	case ActHardSigmoid:
		return clamp(alpha*v+beta, 0, 1)
	case ActSigmoid:
		return sigmoid(v)
	case ActSiLU:
		return v * sigmoid(v)
	case ActGelu:
		// 1 + erf(z) = erfc(-z), without the cancellation for negative v.
		return float32(0.5 * float64(v) * math.Erfc(-float64(v)/math.Sqrt2))
	case ActGeluTanh:
		// x/2 * (1 + tanh(z)) = x / (1 + e^(-2z)), without cancellation.
		x := float64(v)
		return float32(x / (1 + math.Exp(-2*math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x))))
	case ActLeakyRelu:
		if v < 0 {
			return alpha * v
		}
		return v
	case ActTanh:
		return float32(math.Tanh(float64(v)))
	}
	panic("kernels: unknown activation " + act.String())
}

// clamp bounds v to [lo, hi]; NaN stays NaN.
func clamp(v, lo, hi float32) float32 {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

func sigmoid(v float32) float32 {
	return float32(1 / (1 + math.Exp(-float64(v))))
}

// Vectorized activations: each processes a prefix of v and returns its
// length (0 without SIMD). clampVec, hardSwishVec, hardSigmoidVec and
// leakyReluVec compute exactly what the scalar code computes; geluVec and
// sigmoidVec (float32 exponentials, within the error bounds of
// act_fast.go) do all of v, the tail as a masked full vector (amd64: the
// tile kernels of act_tile_amd64.go on one row), so that results do not
// depend on how v is sliced.
var (
	clampVec     = func(v []float32, lo, hi float32) int { return 0 }
	hardSwishVec = func(v []float32) int { return 0 }
	geluVec      = func(v []float32) int { return 0 }
	sigmoidVec   = func(v []float32, silu bool) int { return 0 } // silu: x * sigmoid(x)

	hardSigmoidVec = func(v []float32, alpha, beta float32) int { return 0 }
	leakyReluVec   = func(v []float32, alpha float32) int { return 0 }
)

// ApplyAct applies act in place to every element of v. The piecewise
// linear activations compute exactly what RefAct does; Sigmoid, SiLU, Tanh,
// Gelu use the float32 approximations of act_fast.go (relative error
// below 2e-6 against RefAct), Tanh and GeluTanh those of exp.go (TanhF32,
// GeluTanhF32: below 2e-6 and 2e-5).
func ApplyAct(v []float32, act Act, alpha, beta float32) {
	switch act {
	case ActNone:
	case ActRelu, ActRelu6, ActClip:
		lo, hi := float32(0), float32(6)
		switch act {
		case ActRelu:
			hi = float32(inf)
		case ActClip:
			lo, hi = alpha, beta
		}
		v = v[clampVec(v, lo, hi):]
		for i, x := range v {
			v[i] = clamp(x, lo, hi)
		}
	case ActHardSwish:
		v = v[hardSwishVec(v):]
		for i, x := range v {
			v[i] = hardSwishf(x)
		}
	case ActHardSigmoid:
		v = v[hardSigmoidVec(v, alpha, beta):]
		for i, x := range v {
			v[i] = clamp(alpha*x+beta, 0, 1)
		}
	case ActLeakyRelu:
		v = v[leakyReluVec(v, alpha):]
		for i, x := range v {
			if x < 0 {
				v[i] = alpha * x
			}
		}
	case ActSigmoid:
		v = v[sigmoidVec(v, false):]
		for i, x := range v {
			v[i] = sigmoidf(x)
		}
	case ActSiLU:
		v = v[sigmoidVec(v, true):]
		for i, x := range v {
			v[i] = x * sigmoidf(x)
		}
	case ActTanh:
		tanhImpl(v, v)
	case ActGelu:
		v = v[geluVec(v):]
		for i, x := range v {
			v[i] = geluf(x)
		}
	case ActGeluTanh:
		geluTanhImpl(v, v)
	default:
		for i, x := range v {
			v[i] = actScalar(x, act, alpha, beta)
		}
	}
}

// hardSwishAlpha is ONNX HardSwish's alpha, 1/6 rounded to float32
// (0x3e2aaaab); HardSwish multiplies by it (the vector kernels too)
// rather than dividing by 6.
const hardSwishAlpha float32 = 1.0 / 6

// hardSwishf is x * clamp(x*alpha + 1/2, 0, 1), the product rounded before
// the sum (no FMA), as the vector kernels compute it.
func hardSwishf(x float32) float32 {
	return x * clamp(float32(x*hardSwishAlpha)+0.5, 0, 1)
}
