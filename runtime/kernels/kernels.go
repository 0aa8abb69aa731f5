// Package kernels holds mconv's optimized float32 compute kernels: GEMM,
// the one-row product (Gemv, weights streamed from a panel layout of their
// own), 2-D convolution (general via implicit im2col + GEMM, 1x1 as plain
// GEMM or, on planes up to 7x7, as the transposed GEMM Y^T = X^T W^T, 1x1
// on a 1x1 image as Gemv, a dedicated depthwise path, grouped convolution
// per group) with fused epilogues (bias, activation, residual add).
//
// Every fast kernel has a plain reference beside it in ref.go (RefGemm,
// RefConv2D, RefAct) and is tested against it.
//
// Kernel paths (dispatch.go): "purego" (plain Go, every platform), "avx2"
// (AVX2+FMA Go assembly, kern_amd64.s: the 6x16 and 6x8 GEMM
// micro-kernels, the depthwise plane kernels, B-panel packing, stride-2
// deinterleave, row copies and the clamp and HardSwish epilogues;
// exp_amd64.s: sigmoid/SiLU, GELU, HardSigmoid, LeakyRelu and the
// elementwise kernels below; winograd_amd64.s: the Winograd F(4x4, 3x3)
// transforms) and "avx512" (AVX-512F assembly, kern_avx512_amd64.s and
// kern_amd64.s: 12x32 and 6x32 GEMM micro-kernels reading two consecutive
// packed B panels (and A panels) of the 6x16 layout, 16-lane depthwise kernels with opmask tails,
// packing, clamp and HardSwish; exp_amd64.s: GELU and sigmoid/SiLU on
// 16 lanes, two vectors per iteration; where it has no variant of a kernel
// the avx2 one runs). The best path the CPU and OS support (CPUID, XGETBV)
// is selected at start-up; MCONV_KERNELS=purego|avx2|avx512 forces one
// (an unusable value is warned about on stderr and the best path used),
// KernelPath names the choice and SetKernelPath switches it (tests run
// every supported path in one process). `-tags purego` builds the Go
// versions only. Assembly rather than GOEXPERIMENT=simd (simd/archsimd)
// so that a default `go build` gets the fast paths without an experiment
// flag.
//
// Rounding: the AVX-512 kernels perform, per output element, the same
// floating-point operations in the same order as the AVX2 ones, so the
// avx2 and avx512 paths give identical bits (TestPathsAgree). Pure Go
// rounds differently (the assembly fuses multiply-add and sums some taps
// in partial sums); on one machine and path the same code always runs.
//
// Elementwise kernels for the runtime's other float32 ops: e^x, tanh, erf
// and tanh-GELU (exp.go), the Softmax/LogSoftmax row (softmax.go), mean and
// variance and the fused normalize-scale-shift of the normalizations
// (norm.go), and Add/Sub/Mul/Div of vectors and scalars, or of rows and
// one scalar per row (binary.go). Each
// is a package-level function variable holding the plain Go version, with
// the AVX2+FMA one (exp_amd64.s, binary_amd64.s) registered for the avx2
// path (registerKernel; an AVX-512 variant would register the same way);
// tests compare both with float64 definitions (elem_test.go states the
// error bounds) and each other.
//
// Convolution paths (PackConvWeights picks one):
//   - depthwise (group == C == M > 1): on small planes, at stride 2 and
//     for 5x5 and larger kernels (a measured rule, depthwise_blocked.go),
//     8 channels at a time in the vector lanes over an interleaved padded
//     copy of their planes; otherwise per channel plane, the padded input
//     split into stride phases, rows computed 8..32 columns at a time;
//   - pointwise (1x1, stride 1, no padding): GEMM straight on x;
//   - 1x1 on a 1x1 image (squeeze-excite): y^T = x^T W^T;
//   - Winograd F(4x4, 3x3), or F(2x2, 3x3) on small images with many
//     channels (3x3, stride 1, dilation 1, by a measured rule on channels
//     and image size): weights transformed at pack time, 36 (16) GEMMs
//     per block of tiles, vectorized input/output transforms
//     (winograd.go);
//   - shifted (kernels > 1x1, and 1x1 of stride up to 2x2): GEMM whose
//     right operand is packed, output row by output row, from contiguous
//     runs of the input's stride-phase planes (im2col_phase.go), writing
//     y directly;
//   - otherwise (1x1 of a larger stride) implicit im2col packed straight
//     into GEMM panels.
//
// Threads: Conv2D and GemmPackedB keep their call state in the packed
// weights and use process-wide worker goroutines started on demand, so in
// steady state they allocate nothing for any thread count.
//
// Determinism: work is split between threads only over output rows,
// columns, images or channels, never over a reduction, and every output
// element is computed by the same sequence of floating-point operations
// whatever the split, so results are bit-identical for every thread count.
//
// Argument errors (slices too short, inconsistent shapes) are programming
// errors of the caller and panic with a message naming the kernel; the
// runtime validates user models before calling these kernels.
package kernels

import "fmt"

// Act is an activation fused into a kernel's epilogue.
type Act int

// Activations. Parameters (Alpha, Beta) are noted where used.
const (
	ActNone        Act = iota
	ActRelu            // max(x, 0)
	ActRelu6           // min(max(x, 0), 6)
	ActClip            // min(max(x, Alpha), Beta)
	ActHardSwish       // x * max(0, min(1, x*alpha + 1/2)), alpha = float32(1/6) (ONNX HardSwish)
	ActHardSigmoid     // max(0, min(1, Alpha*x + Beta)) (ONNX defaults 0.2, 0.5)
	ActSigmoid         // 1 / (1 + exp(-x))
	ActSiLU            // x * sigmoid(x)
	ActGelu            // x/2 * (1 + erf(x/sqrt(2))) (exact, approximate="none")
	ActGeluTanh        // x/2 * (1 + tanh(sqrt(2/pi)(x + 0.044715 x^3)))
	ActLeakyRelu       // x if x >= 0 else Alpha*x (ONNX default Alpha 0.01)
	ActTanh            // tanh(x)
)

var actNames = [...]string{"None", "Relu", "Relu6", "Clip", "HardSwish", "HardSigmoid", "Sigmoid", "SiLU", "Gelu", "GeluTanh", "LeakyRelu", "Tanh"}

func (a Act) String() string {
	if a >= 0 && int(a) < len(actNames) {
		return actNames[a]
	}
	return fmt.Sprintf("Act(%d)", int(a))
}

// clampBounds reports whether act is a clamp (None, Relu, Relu6, Clip)
// that the GEMM micro-kernel can apply itself, and its bounds.
func clampBounds(act Act, alpha, beta float32) (lo, hi float32, isClamp, doClamp bool) {
	switch act {
	case ActNone:
		return 0, 0, true, false
	case ActRelu:
		return 0, float32(inf), true, true
	case ActRelu6:
		return 0, 6, true, true
	case ActClip:
		return alpha, beta, true, true
	}
	return 0, 0, false, false
}

// ConvParams describes a 2-D convolution on NCHW float32 data.
// x is [N, C, H, W], the weights [M, C/Group, KH, KW], y [N, M, OH, OW].
// SH/SW are strides, DH/DW dilations, Pad* the explicit padding (auto_pad
// must be resolved by the caller). The epilogue is
//
//	y = act(conv(x) + bias) + residual   (ActAfterResidual false)
//	y = act(conv(x) + bias + residual)   (ActAfterResidual true)
//
// with bias [M] and residual [N, M, OH, OW], each optional.
type ConvParams struct {
	N, C, H, W       int
	M, KH, KW        int
	SH, SW, DH, DW   int
	PadT, PadL       int
	PadB, PadR       int
	Group            int
	OH, OW           int
	Act              Act
	Alpha, Beta      float32
	ActAfterResidual bool
}

// Epilogue is applied to every output element of a GEMM, in this order:
// add Bias (per row of C, or per column if BiasPerCol), then, if
// ActAfterResidual, add Residual and apply Act; otherwise apply Act and
// then add Residual. Residual has the layout of C (leading dimension ldc).
type Epilogue struct {
	Bias             []float32
	BiasPerCol       bool
	Residual         []float32
	Act              Act
	Alpha, Beta      float32
	ActAfterResidual bool
}

// Validate checks p for internal consistency (positive sizes, output size
// matching the convolution arithmetic, group dividing C and M).
func (p *ConvParams) Validate() error {
	if p.N < 0 || p.C <= 0 || p.H <= 0 || p.W <= 0 || p.M <= 0 || p.KH <= 0 || p.KW <= 0 {
		return fmt.Errorf("conv: non-positive size in %+v", *p)
	}
	if p.SH <= 0 || p.SW <= 0 || p.DH <= 0 || p.DW <= 0 || p.Group <= 0 {
		return fmt.Errorf("conv: stride, dilation and group must be positive, have %+v", *p)
	}
	if p.PadT < 0 || p.PadL < 0 || p.PadB < 0 || p.PadR < 0 {
		return fmt.Errorf("conv: negative padding in %+v", *p)
	}
	if p.C%p.Group != 0 || p.M%p.Group != 0 {
		return fmt.Errorf("conv: group %d does not divide C=%d and M=%d", p.Group, p.C, p.M)
	}
	// Products of these (workspace and packing sizes, offsets) must not
	// overflow: a larger size, stride or dilation is refused.
	for _, v := range []int{p.N, p.C, p.H, p.W, p.M, p.KH, p.KW, p.SH, p.SW, p.DH, p.DW, p.PadT, p.PadL, p.PadB, p.PadR} {
		if v > maxConvExtent {
			return fmt.Errorf("conv: a size, stride, dilation or pad over %d in %+v", maxConvExtent, *p)
		}
	}
	oh := (p.H+p.PadT+p.PadB-(p.KH-1)*p.DH-1)/p.SH + 1
	ow := (p.W+p.PadL+p.PadR-(p.KW-1)*p.DW-1)/p.SW + 1
	if oh <= 0 || ow <= 0 || oh != p.OH || ow != p.OW {
		return fmt.Errorf("conv: output size %dx%d, expected %dx%d from the input, kernel, stride, dilation and padding", p.OH, p.OW, oh, ow)
	}
	return nil
}

// maxConvExtent bounds every size, stride, dilation and pad Validate
// accepts (2^24).
const maxConvExtent = 1 << 24

// OutSize returns the output size of a convolution along one axis.
func OutSize(in, k, stride, dil, padBegin, padEnd int) int {
	return (in+padBegin+padEnd-(k-1)*dil-1)/stride + 1
}

func (p *ConvParams) isDepthwise() bool { return p.Group == p.C && p.Group == p.M && p.Group > 1 }

func (p *ConvParams) isPointwise() bool {
	return p.KH == 1 && p.KW == 1 && p.SH == 1 && p.SW == 1 && p.PadT == 0 && p.PadL == 0 && p.PadB == 0 && p.PadR == 0
}

func (p *ConvParams) epilogue(bias, residual []float32) Epilogue {
	return Epilogue{Bias: bias, Residual: residual, Act: p.Act, Alpha: p.Alpha, Beta: p.Beta, ActAfterResidual: p.ActAfterResidual}
}

// FLOPs returns 2*MACs of the convolution (epilogue not counted).
func (p *ConvParams) FLOPs() float64 {
	return 2 * float64(p.N) * float64(p.M) * float64(p.OH) * float64(p.OW) * float64(p.C/p.Group) * float64(p.KH) * float64(p.KW)
}
