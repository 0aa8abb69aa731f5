package coreml

import (
	"fmt"

	"github.com/mconv/mconv/ir"
)

// Lowering of normalizations to MIL: Softmax and BatchNormalization.

func lowerSoftmax(l *lowerer, n *ir.Node) error {
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	def := int64(-1)
	if l.opset > 0 && l.opset < 13 {
		def = 1
	}
	ax, err := normAxis(n.AttrInt("axis", def), len(x.shape))
	if err != nil {
		return err
	}
	if l.opset > 0 && l.opset < 13 && ax != int64(len(x.shape)-1) {
		// Old Softmax flattens to 2-D at axis; equal to a per-axis softmax
		// only when the trailing dimensions are 1.
		for _, d := range x.shape[ax+1:] {
			if d != 1 {
				return fmt.Errorf("Softmax-%d over flattened axes %d..: %w", l.opset, ax, errUnsupported)
			}
		}
	}
	l.def(n.Outputs[0], "softmax", []arg{a("x", x), a("axis", l.cInt(n.Outputs[0].Name+"_axis", ax))}, x.dt, x.shape)
	return nil
}

// lowerBatchNorm: inference BatchNormalization with constant parameters ->
// batch_norm(x, mean, variance, gamma, beta, epsilon).
func lowerBatchNorm(l *lowerer, n *ir.Node) error {
	x, err := l.x0(n)
	if err != nil {
		return err
	}
	if n.AttrInt("training_mode", 0) != 0 {
		return fmt.Errorf("training_mode=1: %w", errUnsupported)
	}
	if len(x.shape) < 2 {
		return fmt.Errorf("input rank %d", len(x.shape))
	}
	var ps [4]*mvar
	for i := 1; i <= 4; i++ {
		t := l.constOf(n, i)
		if t == nil {
			return fmt.Errorf("parameter %d must be a constant: %w", i, errUnsupported)
		}
		if t.Len() != x.shape[1] {
			return fmt.Errorf("parameter %d has %d elements, want %d", i, t.Len(), x.shape[1])
		}
		if ps[i-1], err = l.in(n, i); err != nil {
			return err
		}
	}
	base := n.Outputs[0].Name
	l.def(n.Outputs[0], "batch_norm", []arg{a("x", x), a("mean", ps[2]), a("variance", ps[3]), a("gamma", ps[0]), a("beta", ps[1]),
		a("epsilon", l.cFloat(base+"_eps", n.AttrFloat("epsilon", 1e-5)))}, x.dt, x.shape)
	return nil
}
