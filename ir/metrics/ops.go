package metrics

import (
	"fmt"

	"github.com/mconv/mconv/ir"
)

// opCost computes MACs and FLOPs of one node from its static shapes. The
// shapes given are those of n's inputs (nil for omitted ones) and outputs.
type opCost func(n *ir.Node, in, out [][]int64) (macs, flops int64, err error)

// costs maps an op name (domain-qualified outside ai.onnx) to its counter.
var costs = map[string]opCost{
	"Conv":                costConv,
	"ConvTranspose":       costConvTranspose,
	"Gemm":                costGemm,
	"MatMul":              costMatMul,
	"mconv.SqueezeExcite": costSqueezeExcite,
}

// elementwise ops, activations, normalizations, pooling (window and global)
// and reductions: one FLOP per output element (issue 7's rule; for pooling
// and reductions this under-counts the additions/comparisons inside each
// window, which is the convention).
var perOutput = []string{
	"Add", "Sub", "Mul", "Div", "Pow", "Mod", "Max", "Min", "Sum", "Mean",
	"Neg", "Abs", "Sqrt", "Reciprocal", "Exp", "Log", "Floor", "Ceil", "Round", "Sign", "Erf",
	"Sin", "Cos", "Tan", "Tanh", "Where", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual",
	"And", "Or", "Xor", "Not",
	"Relu", "LeakyRelu", "PRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Clip", "Elu", "Selu",
	"Celu", "Gelu", "Softplus", "Softsign", "Mish", "ThresholdedRelu", "Shrink",
	"mconv.Gelu", "mconv.SiLU", "mconv.HardSwish",
	"BatchNormalization", "InstanceNormalization", "LayerNormalization", "GroupNormalization",
	"LpNormalization", "Softmax", "LogSoftmax", "Hardmax",
	"Resize", "Upsample",
	"MaxPool", "AveragePool", "LpPool",
	"GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool",
	"ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
	"ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare", "ArgMax", "ArgMin",
}

// views move no data: zero FLOPs and zero bytes.
var views = map[string]bool{
	"Reshape": true, "Flatten": true, "Squeeze": true, "Unsqueeze": true, "Identity": true,
	"Dropout": true, "Shape": true, "Size": true, "Constant": true,
}

// movers copy data: zero FLOPs, but their bytes count.
var movers = map[string]bool{
	"Transpose": true, "Concat": true, "Split": true, "Slice": true, "Gather": true,
	"GatherElements": true, "Pad": true, "Cast": true, "Expand": true, "Tile": true,
	"DepthToSpace": true, "SpaceToDepth": true, "ConstantOfShape": true, "Range": true,
	"Trilu": true, "ScatterND": true, "ScatterElements": true, "CastLike": true,
	"SplitToSequence": true, "SequenceAt": true, "SequenceConstruct": true, "ConcatFromSequence": true,
	"SequenceInsert": true, "SequenceErase": true, "SequenceEmpty": true, "SequenceLength": true,
}

func init() {
	for _, op := range perOutput {
		costs[op] = costPerOutput
	}
}

// layer computes the figures of n except its param/buffer attribution.
func (c *counter) layer(n *ir.Node) (Layer, error) {
	op := opName(n)
	l := Layer{Name: n.Name, Op: op, OutputShape: []int64{}}
	if o := n.Output(0); o != nil {
		l.Output = o.Name
	}
	if views[op] {
		if o := n.Output(0); o != nil && o.Type.Static() {
			l.OutputShape = o.Type.Shape.Sizes()
		}
		return l, nil
	}
	in := make([][]int64, len(n.Inputs))
	for i, v := range n.Inputs {
		if v == nil {
			continue
		}
		dt, s, seq, err := tensorInfo(v)
		if err != nil {
			return l, err
		}
		if seq {
			continue // a sequence costs nothing itself: its tensors are counted where they are made or taken out
		}
		in[i] = s
		b := c.bytes(dt, s)
		if constTensor(v) != nil {
			l.WeightBytes += b
		} else {
			l.InputBytes += b
		}
	}
	out := make([][]int64, len(n.Outputs))
	for i, v := range n.Outputs {
		if v == nil {
			continue
		}
		dt, s, seq, err := tensorInfo(v)
		if err != nil {
			return l, err
		}
		if seq {
			continue
		}
		out[i] = s
		l.OutputBytes += c.bytes(dt, s)
	}
	if len(out) > 0 && out[0] != nil {
		l.OutputShape = out[0]
	}
	if len(n.Subgraphs()) > 0 {
		c.warn[fmt.Sprintf("op %s has subgraphs, which are not counted", op)] = true
		return l, nil
	}
	if movers[op] {
		return l, nil
	}
	f := costs[op]
	if f == nil {
		c.warn[fmt.Sprintf("op %s is not known to the counter: 0 MACs and 0 FLOPs counted", op)] = true
		return l, nil
	}
	macs, flops, err := f(n, in, out)
	if err != nil {
		return l, err
	}
	l.MACs, l.FLOPs = macs, flops
	return l, nil
}

// seqMakers are the ops whose output is a sequence of tensors.
var seqMakers = map[string]bool{
	"SplitToSequence": true, "SequenceConstruct": true, "SequenceEmpty": true,
	"SequenceInsert": true, "SequenceErase": true,
}

// isSequence reports whether v is a sequence: typed so, or untyped and made
// by a sequence op.
func isSequence(v *ir.Value) bool {
	if v.Type.Kind == ir.KindSequence {
		return true
	}
	return v.Type.Kind == ir.KindUnknown && v.Producer != nil && seqMakers[opName(v.Producer)]
}

// tensorInfo returns v's dtype and static shape, or seq for a sequence, or
// an error if v has no static tensor shape.
func tensorInfo(v *ir.Value) (ir.DType, []int64, bool, error) {
	if t := constTensor(v); t != nil && !v.Type.Static() {
		return t.DType, t.Dims, false, nil
	}
	if isSequence(v) {
		return 0, nil, true, nil
	}
	if v.Type.Static() {
		return v.Type.DType, v.Type.Shape.Sizes(), false, nil
	}
	return 0, nil, false, fmt.Errorf("value %q has no static shape (%s); run shape inference and fix symbolic dimensions such as the batch", v.Name, v.Type)
}

// bytes is the memory cost of a tensor of dt with shape s.
func (c *counter) bytes(dt ir.DType, s []int64) int64 {
	n := ir.NumElements(s)
	if n < 0 {
		return 0
	}
	if dt.IsFloat() {
		if c.opt.FP16 && dt.BitSize() > 16 {
			return 2 * n
		}
		if dt == ir.Float32 {
			return 4 * n
		}
	}
	b := ir.ByteLen(dt, s)
	if b < 0 {
		return 0
	}
	return b
}

func numel(s []int64) int64 {
	n := ir.NumElements(s)
	if n < 0 {
		return 0
	}
	return n
}

func need(in [][]int64, i int, rank int, what string) ([]int64, error) {
	if i >= len(in) || in[i] == nil {
		return nil, fmt.Errorf("missing input %d (%s)", i, what)
	}
	if rank > 0 && len(in[i]) < rank {
		return nil, fmt.Errorf("input %d (%s) has rank %d, want at least %d", i, what, len(in[i]), rank)
	}
	return in[i], nil
}

func firstOut(out [][]int64) ([]int64, error) {
	if len(out) == 0 || out[0] == nil {
		return nil, fmt.Errorf("missing output")
	}
	return out[0], nil
}

// costConv: W is [M, C/group, k1, k2, ...] and Y is [N, M, o1, o2, ...]:
// every output element is a dot product over C/group x k1 x k2 ... inputs,
// so MACs = |Y| x (C/group) x prod(k). Groups and dilation are already in
// W's shape and the output size; padded positions count (the papers' rule).
func costConv(n *ir.Node, in, out [][]int64) (int64, int64, error) {
	w, err := need(in, 1, 3, "W")
	if err != nil {
		return 0, 0, err
	}
	y, err := firstOut(out)
	if err != nil {
		return 0, 0, err
	}
	macs := numel(y) * numel(w[1:])
	return macs, 2 * macs, nil
}

// costConvTranspose: W is [C, M/group, k...]; every input element is
// multiplied into M/group x prod(k) outputs: MACs = |X| x (M/group) x prod(k).
func costConvTranspose(n *ir.Node, in, out [][]int64) (int64, int64, error) {
	x, err := need(in, 0, 3, "X")
	if err != nil {
		return 0, 0, err
	}
	w, err := need(in, 1, 3, "W")
	if err != nil {
		return 0, 0, err
	}
	macs := numel(x) * numel(w[1:])
	return macs, 2 * macs, nil
}

// costGemm: Y[M,N] = A'[M,K] B'[K,N] (+C): MACs = M x N x K; the C term and
// the alpha/beta scalings are not counted.
func costGemm(n *ir.Node, in, out [][]int64) (int64, int64, error) {
	a, err := need(in, 0, 2, "A")
	if err != nil {
		return 0, 0, err
	}
	y, err := firstOut(out)
	if err != nil {
		return 0, 0, err
	}
	k := a[1]
	if n.AttrInt("transA", 0) != 0 {
		k = a[0]
	}
	macs := numel(y) * k
	return macs, 2 * macs, nil
}

// costMatMul: numpy matmul, Y[..., M, N] = A[..., M, K] B[..., K, N]:
// MACs = |Y| x K (a 1-D A is [K]).
func costMatMul(n *ir.Node, in, out [][]int64) (int64, int64, error) {
	a, err := need(in, 0, 1, "A")
	if err != nil {
		return 0, 0, err
	}
	y, err := firstOut(out)
	if err != nil {
		return 0, 0, err
	}
	macs := numel(y) * a[len(a)-1]
	return macs, 2 * macs, nil
}

// costSqueezeExcite counts mconv's fused SqueezeExcite as its expansion:
// mean over H,W (a global pool: one FLOP per output element, N x C), 1x1
// conv C->Cr and Cr->C (N x 2 x C x Cr MACs), ReLU (N x Cr), gate (N x C),
// and the broadcast Mul (|X|).
func costSqueezeExcite(n *ir.Node, in, out [][]int64) (int64, int64, error) {
	x, err := need(in, 0, 2, "X")
	if err != nil {
		return 0, 0, err
	}
	w1, err := need(in, 1, 2, "W1")
	if err != nil {
		return 0, 0, err
	}
	nb, ch, cr := x[0], x[1], w1[0]
	macs := nb * 2 * ch * cr
	flops := 2*macs + nb*ch + nb*cr + nb*ch + numel(x)
	return macs, flops, nil
}

// costPerOutput: one FLOP per output element (elementwise ops, activations,
// normalizations, pooling and reductions).
func costPerOutput(n *ir.Node, in, out [][]int64) (int64, int64, error) {
	y, err := firstOut(out)
	if err != nil {
		return 0, 0, err
	}
	return 0, numel(y), nil
}
