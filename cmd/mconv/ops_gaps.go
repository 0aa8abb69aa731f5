package main

import "github.com/mconv/mconv/coreml"

// opGap states why the ops listed lack support in the named columns of
// `mconv ops` (shape, runtime, mlprogram, neuralnetwork, stats).
// TestOpGapsStated fails when an op is in some of those tables but missing
// from another without a gap listed here, and when a gap is listed for a
// table that has the op: adding an op to one table means adding it to the
// others or saying here why not.
type opGap struct {
	cols []string
	why  string
	ops  []string
}

var (
	coremlCols = []string{"mlprogram", "neuralnetwork"}
	allButFold = []string{"runtime", "mlprogram", "neuralnetwork", "stats"}
)

const (
	whyNoCoreML = "no Core ML lowering (coreml/lowerers.go covers the ops of the supported CNN families: conv, linear, " +
		"activations, pooling, normalizations, padding, reductions, reshapes); converting a model that uses it fails naming the node"
	whyNoCost = "no cost rule in ir/metrics/ops.go: mconv stats counts it as 0 MACs and 0 FLOPs and warns"
)

var opGaps = []opGap{
	{allButFold, "control flow (subgraphs): the runtime does not plan subgraphs, Core ML has no lowering for them, and the counter warns that it does not count inside them",
		[]string{"If", "Loop", "Scan"}},
	{allButFold, "recurrent layers: outside mconv's scope (mobile vision networks)", []string{"GRU", "LSTM", "RNN"}},
	{allButFold, "random generators: not implemented (their outputs are not a function of the inputs, so nothing could verify them)",
		[]string{"Bernoulli", "RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike"}},
	{allButFold, "integer (quantized) arithmetic: mconv's runtime and converters compute in float",
		[]string{"ConvInteger", "DynamicQuantizeLinear", "MatMulInteger", "QLinearConv", "QLinearMatMul"}},
	{[]string{"mlprogram", "neuralnetwork", "stats"}, "quantization: only the runtime implements the float <-> integer conversion",
		[]string{"DequantizeLinear", "QuantizeLinear"}},
	{allButFold, "output shape depends on input values: the runtime and Core ML plan static shapes",
		[]string{"Compress", "NonMaxSuppression", "NonZero"}},
	{[]string{"runtime", "mlprogram", "neuralnetwork"}, "sequence ops beyond the split pattern PyTorch exports (SplitToSequence, SequenceAt, SequenceLength): not implemented",
		[]string{"ConcatFromSequence", "SequenceConstruct", "SequenceEmpty", "SequenceErase", "SequenceInsert"}},
	{[]string{"shape"}, "ir's sequence shape rules do not cover it (not implemented anywhere but the counter's mover list)",
		[]string{"ConcatFromSequence"}},
	{allButFold, "not implemented: not used by the model families mconv targets",
		[]string{"AffineGrid", "Det", "Einsum", "MaxUnpool", "MeanVarianceNormalization", "ReverseSequence", "RoiAlign"}},
	{[]string{"runtime", "mlprogram", "neuralnetwork"}, "not implemented: not used by the model families mconv targets",
		[]string{"GlobalLpPool"}},
	{[]string{"mlprogram", "neuralnetwork", "stats"}, "the runtime's lowered linear ops with an epilogue (runtime/lower.go): they exist only inside runtime.Compile's plans, never in a model mconv writes, converts or counts",
		[]string{"mconv.FusedConv", "mconv.FusedGemm", "mconv.FusedMatMul"}},
	{coremlCols, "bool and integer tensors: the Core ML lowering computes in one float dtype",
		[]string{"And", "BitCast", "BitShift", "BitwiseAnd", "BitwiseNot", "BitwiseOr", "BitwiseXor", "Equal", "Greater",
			"GreaterOrEqual", "IsInf", "IsNaN", "Less", "LessOrEqual", "Not", "Or", "Where", "Xor"}},
	{coremlCols, whyNoCoreML, []string{
		"Abs", "Acos", "Acosh", "ArgMax", "ArgMin", "Asin", "Asinh", "Atan", "Atanh", "Attention", "BlackmanWindow",
		"Celu", "CenterCropPad", "ConvTranspose", "Cos", "Cosh", "CumProd", "CumSum", "DepthToSpace", "Elu", "Exp",
		"EyeLike", "GatherElements", "GridSample", "HammingWindow", "HannWindow", "Hardmax", "LRN", "Log",
		"LogSoftmax", "LpPool", "Mean", "Mish", "NegativeLogLikelihoodLoss", "OneHot", "PRelu", "Pow",
		"RMSNormalization", "ReduceL1", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax", "ReduceMin", "ReduceProd",
		"ReduceSumSquare", "Round",
		"Scatter", "ScatterElements", "ScatterND", "Selu", "SequenceLength", "Shrink", "Sign", "Sin", "Sinh", "Size",
		"SoftmaxCrossEntropyLoss", "Softplus", "Softsign", "SpaceToDepth", "Sum", "Swish", "Tan",
		"ThresholdedRelu", "Tile", "TopK", "Trilu"}},
	{[]string{"stats"}, whyNoCost, []string{
		"Acos", "Acosh", "Asin", "Asinh", "Atan", "Atanh", "Attention", "BitCast", "BitShift", "BitwiseAnd",
		"BitwiseNot", "BitwiseOr", "BitwiseXor", "BlackmanWindow", "CenterCropPad", "Cosh", "CumProd", "CumSum",
		"EyeLike", "GatherND", "GridSample", "HammingWindow", "HannWindow", "IsInf", "IsNaN", "LRN",
		"NegativeLogLikelihoodLoss", "OneHot", "RMSNormalization", "Scatter", "Sinh", "SoftmaxCrossEntropyLoss",
		"Swish", "TopK"}},
}

// opGapReasons indexes opGaps, and the NeuralNetwork gaps the coreml
// package states itself (coreml.NeuralNetworkGap: ops the specification
// version it writes cannot express): op key -> column -> reason.
func opGapReasons() map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, k := range coreml.ConvertOps() {
		if why := coreml.NeuralNetworkGap(k[0], k[1]); why != "" {
			key := k[1]
			if k[0] != "" {
				key = k[0] + "." + k[1]
			}
			out[key] = map[string]string{"neuralnetwork": why}
		}
	}
	for _, g := range opGaps {
		for _, op := range g.ops {
			if out[op] == nil {
				out[op] = map[string]string{}
			}
			for _, c := range g.cols {
				out[op][c] = g.why
			}
		}
	}
	return out
}
