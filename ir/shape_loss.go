package ir

import "fmt"

func init() {
	RegisterShapeFunc("", "NegativeLogLikelihoodLoss", shapeLoss)
	RegisterShapeFunc("", "SoftmaxCrossEntropyLoss", shapeLoss)
}

// shapeLoss: NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss over
// input [N, C, d1...] and target [N, d1...]: the loss has the target's
// shape with reduction "none", else it is a scalar; both have the input's
// dtype, as has SoftmaxCrossEntropyLoss's optional log_prob output (the
// input's shape).
func shapeLoss(n *Node, _ int64) error {
	xt, _ := inType(n, 0)
	red := n.AttrString("reduction", "mean")
	switch red {
	case "none":
		s, ok := inShape(n, 1)
		setOutMaybe(n, 0, xt.DType, s, ok)
	case "sum", "mean":
		setOut(n, 0, xt.DType, Shape{})
	default:
		return fmt.Errorf("unknown reduction %q", red)
	}
	if x, ok := inShape(n, 0); ok {
		if len(x) < 2 {
			return fmt.Errorf("input %s must have rank >= 2", x)
		}
		if t, ok := inShape(n, 1); ok && len(t) != len(x)-1 {
			return fmt.Errorf("target %s must have rank %d for input %s", t, len(x)-1, x)
		}
	}
	setOutMaybe(n, 1, xt.DType, xt.Shape, xt.HasShape)
	return nil
}
