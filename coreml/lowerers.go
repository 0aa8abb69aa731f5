package coreml

import (
	"fmt"

	"github.com/mconv/mconv/ir"
)

// lowerers maps an ONNX op type ("mconv."-prefixed for mconv's fused ops)
// to its lowering into MIL ops. Each function applies the ONNX defaults of
// its op.
var lowerers map[string]func(*lowerer, *ir.Node) error

func init() {
	lowerers = map[string]func(*lowerer, *ir.Node) error{
		"Conv":                  lowerConv,
		"Gemm":                  lowerGemm,
		"MatMul":                lowerMatMul,
		"Relu":                  unary("relu"),
		"Sigmoid":               unary("sigmoid"),
		"Tanh":                  unary("tanh"),
		"Erf":                   unary("erf"),
		"CastLike":              lowerCastLike,
		"Expand":                lowerExpand,
		"SplitToSequence":       lowerSplitToSequence,
		"SequenceAt":            lowerSequenceAt,
		"LeakyRelu":             lowerLeakyRelu,
		"HardSigmoid":           lowerHardSigmoid,
		"HardSwish":             lowerHardSwish,
		"Clip":                  lowerClip,
		"Gelu":                  lowerGelu,
		"mconv.Gelu":            lowerGelu,
		"mconv.SiLU":            unary("silu"),
		"mconv.HardSwish":       lowerHardSwish,
		"Add":                   binaryOp("add"),
		"Sub":                   binaryOp("sub"),
		"Mul":                   binaryOp("mul"),
		"Div":                   binaryOp("real_div"),
		"ReduceMean":            lowerReduce("reduce_mean", 18),
		"ReduceSum":             lowerReduce("reduce_sum", 13),
		"ReduceL2":              lowerReduce("reduce_l2_norm", 18),
		"GlobalAveragePool":     lowerGlobalPool("reduce_mean"),
		"GlobalMaxPool":         lowerGlobalPool("reduce_max"),
		"AveragePool":           lowerPool("avg_pool"),
		"MaxPool":               lowerPool("max_pool"),
		"Softmax":               lowerSoftmax,
		"Concat":                lowerConcat,
		"Split":                 lowerSplit,
		"Reshape":               lowerReshape,
		"Flatten":               lowerFlatten,
		"Squeeze":               lowerAxesReshape(ir.SqueezeShape),
		"Unsqueeze":             lowerAxesReshape(ir.UnsqueezeShape),
		"Transpose":             lowerTranspose,
		"Slice":                 lowerSlice,
		"BatchNormalization":    lowerBatchNorm,
		"LayerNormalization":    lowerLayerNorm,
		"InstanceNormalization": lowerInstanceNorm,
		"GroupNormalization":    lowerGroupNorm,
		"LpNormalization":       lowerLpNorm,
		"Pad":                   lowerPad,
		"Identity":              lowerIdentity,
		"Dropout":               lowerIdentity,
		"Constant":              lowerConstant,
		"Shape":                 lowerShape,
		"mconv.SqueezeExcite":   lowerSqueezeExcite,
		"Gather":                needConst,
		"Cast":                  lowerCast,
		"ConstantOfShape":       needConst,
		"Range":                 needConst,
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
