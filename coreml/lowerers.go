package coreml

import (
	"fmt"

	"github.com/mconv/mconv/ir"
)

// lowering is one entry of the lowerers table.
type lowering struct {
	// fn lowers a node into MIL ops, applying the ONNX defaults of its op.
	fn func(*lowerer, *ir.Node) error
	// target is the lowest ML Program deployment target (iOS15..iOS18)
	// whose MIL opset has every op fn emits, with the inputs and dtypes it
	// gives them, for any node. A lowering that needs a later target only
	// for some attribute values or dtypes records that where it emits the
	// op (lowerer.need). tools/reference/xcheck_coreml_targets.py checks
	// these against coremltools' op registry.
	target string
}

// lowerers maps an ONNX op type ("mconv."-prefixed for mconv's fused ops)
// to its lowering into MIL ops and the lowest target that expresses them.
var lowerers map[string]lowering

func init() {
	lowerers = map[string]lowering{
		"Conv":                  {lowerConv, iOS15},
		"Gemm":                  {lowerGemm, iOS15},
		"MatMul":                {lowerMatMul, iOS15},
		"Relu":                  {unary("relu"), iOS15},
		"Sigmoid":               {unary("sigmoid"), iOS15},
		"Tanh":                  {unary("tanh"), iOS15},
		"Erf":                   {unary("erf"), iOS15},
		"CastLike":              {lowerCastLike, iOS15},
		"Expand":                {lowerExpand, iOS15},
		"SplitToSequence":       {lowerSplitToSequence, iOS15},
		"SequenceAt":            {lowerSequenceAt, iOS15},
		"LeakyRelu":             {lowerLeakyRelu, iOS15},
		"HardSigmoid":           {lowerHardSigmoid, iOS15},
		"HardSwish":             {lowerHardSwish, iOS15},
		"Clip":                  {lowerClip, iOS15},
		"Gelu":                  {lowerGelu, iOS15},
		"mconv.Gelu":            {lowerGelu, iOS15},
		"mconv.SiLU":            {unary("silu"), iOS15},
		"mconv.HardSwish":       {lowerHardSwish, iOS15},
		"Add":                   {binaryOp("add"), iOS15},
		"Sub":                   {binaryOp("sub"), iOS15},
		"Mul":                   {binaryOp("mul"), iOS15},
		"Div":                   {binaryOp("real_div"), iOS15},
		"ReduceMean":            {lowerReduce("reduce_mean", 18), iOS15},
		"ReduceSum":             {lowerReduce("reduce_sum", 13), iOS15},
		"ReduceL2":              {lowerReduce("reduce_l2_norm", 18), iOS15},
		"GlobalAveragePool":     {lowerGlobalPool("reduce_mean"), iOS15},
		"GlobalMaxPool":         {lowerGlobalPool("reduce_max"), iOS15},
		"AveragePool":           {lowerPool("avg_pool"), iOS15},
		"MaxPool":               {lowerPool("max_pool"), iOS15},
		"Softmax":               {lowerSoftmax, iOS15},
		"Concat":                {lowerConcat, iOS15},
		"Split":                 {lowerSplit, iOS15},
		"Reshape":               {lowerReshape, iOS15},
		"Flatten":               {lowerFlatten, iOS15},
		"Squeeze":               {lowerAxesReshape(ir.SqueezeShape), iOS15},
		"Unsqueeze":             {lowerAxesReshape(ir.UnsqueezeShape), iOS15},
		"Transpose":             {lowerTranspose, iOS15},
		"Slice":                 {lowerSlice, iOS15},
		"BatchNormalization":    {lowerBatchNorm, iOS15},
		"LayerNormalization":    {lowerLayerNorm, iOS15},
		"InstanceNormalization": {lowerInstanceNorm, iOS15},
		"GroupNormalization":    {lowerGroupNorm, iOS15},
		"LpNormalization":       {lowerLpNorm, iOS15},
		"Pad":                   {lowerPad, iOS15},
		"Identity":              {lowerIdentity, iOS15},
		"Dropout":               {lowerIdentity, iOS15},
		"Constant":              {lowerConstant, iOS15},
		"Shape":                 {lowerShape, iOS15},
		"mconv.SqueezeExcite":   {lowerSqueezeExcite, iOS15},
		"Gather":                {lowerGather, iOS15},
		"GatherND":              {lowerGatherND, iOS15},
		"Resize":                {lowerResize, iOS15},
		"Upsample":              {lowerResize, iOS15},
		"Cast":                  {lowerCast, iOS15},
		"ConstantOfShape":       {needConst, iOS15},
		"Range":                 {needConst, iOS15},
	}
}

// needConst is for ops mconv only evaluates at conversion time (shape
// arithmetic on constants).
func needConst(l *lowerer, n *ir.Node) error {
	return fmt.Errorf("op %s is only supported on constant inputs (shape arithmetic): %w", n.OpType, errUnsupported)
}

func (l *lowerer) x0(n *ir.Node) (*mvar, error) { return l.in(n, 0) }

func lowerIdentity(l *lowerer, n *ir.Node) error {
	if t := l.constOf(n, 0); t != nil {
		l.consts[n.Outputs[0]] = t
		return nil
	}
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	if n.OpType == "Dropout" {
		for _, o := range n.Outputs[1:] {
			if o != nil && (len(o.Uses) > 0 || o.IsOutput) {
				return fmt.Errorf("Dropout mask output is used: %w", errUnsupported)
			}
		}
	}
	if n.Outputs[0].IsOutput {
		l.def(n.Outputs[0], "identity", []arg{a("x", x)}, x.dt, x.shape)
		return nil
	}
	l.vars[n.Outputs[0]] = x
	return nil
}

func lowerConstant(l *lowerer, n *ir.Node) error {
	t, err := ir.ConstantValue(n)
	if err != nil || t.DType == ir.String {
		return fmt.Errorf("Constant without a numeric tensor value: %w", errUnsupported)
	}
	l.consts[n.Outputs[0]] = t
	return nil
}

// lowerShape folds Shape of a statically shaped tensor into a constant.
func lowerShape(l *lowerer, n *ir.Node) error {
	var shape []int64
	if x, ok := l.vars[n.Input(0)]; ok {
		shape = x.shape
	} else if t := l.constOf(n, 0); t != nil {
		shape = t.Dims
	} else {
		return fmt.Errorf("input unknown")
	}
	start, end := ir.ShapeStartEnd(n, len(shape))
	s := append([]int64(nil), shape[start:end]...)
	l.consts[n.Outputs[0]] = ir.NewInt64([]int64{int64(len(s))}, s)
	return nil
}

// normAxis is ir.NormAxis as an int64.
func normAxis(a int64, r int) (int64, error) {
	ax, err := ir.NormAxis(a, r)
	return int64(ax), err
}

func itoa(i int) string { return fmt.Sprint(i) }
