package passes

import (
	"fmt"

	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/runtime/engine"
)

// maxFoldElements bounds the size of a tensor constant folding creates (a
// larger result would grow the file; the plan computes it instead).
const maxFoldElements = 1 << 24

// maxFoldBytes bounds what one evaluation may allocate (the copies of its
// inputs, its output and the returned copy): 256 MiB, enough for a
// maxFoldElements float32 result.
const maxFoldBytes = 1 << 28

// foldConstants evaluates nodes whose inputs are all constants.
//
//	before: y = Constant{value=T}              after: initializer y = T
//	before: y = Op(c1, c2, ...) all constant   after: initializer y = Op(c1, c2, ...)
//	before: y = Shape(x), x of static shape    after: initializer y = dims of x
//	before: y = CastLike(c, x), c constant     after: initializer y = Cast(c, to=dtype of x)
//
// Op is one that engine.Folded names; it is computed by engine.Eval, the
// runtime's own kernels, so a folded value is bit-identical to what
// running the model computes. Shape chains feeding a Reshape (x.view(x.size(0), -1))
// therefore become constant shapes once input shapes are static.
// Preconditions: the result has at most maxFoldElements elements (checked
// before evaluating for the ops that broadcast or take their output shape
// from an input's value); a node that fails to evaluate is left alone.
func foldConstants(c *ctx) error {
	for _, n := range nodesSnapshot(c.g) {
		if !live(n) || (n.Domain != "" && n.Domain != "ai.onnx") || len(n.Outputs) != 1 || n.Outputs[0] == nil || len(n.Subgraphs()) > 0 {
			continue
		}
		var t *ir.Tensor
		var err error
		switch n.OpType {
		case "Constant":
			t, err = constantValue(n)
		case "Shape":
			t, err = foldShape(n)
		case "CastLike":
			t, err = foldCastLike(c, n)
		default:
			if !engine.Folded(n.OpType) || !allConst(n) {
				continue
			}
			t, err = evalFolded(c, n, nil)
		}
		if err != nil || t == nil {
			if err != nil && n.OpType == "Constant" {
				c.leftAlone(n, "%v", err)
			}
			continue
		}
		if t.Len() > maxFoldElements || t.Check() != nil {
			continue
		}
		if err := c.budget.Reserve(int64(len(t.Raw))); err != nil {
			c.leftAlone(n, "not folded: %v", err)
			continue
		}
		out := n.Outputs[0]
		v := c.g.AddConst(c.g.UniqueName(out.Name+"_folded"), t)
		t.Name = v.Name
		c.replace(out, v, true)
		t.Name = v.Name
		c.rewrote("folded %s %q to a constant %v", n.OpType, n.Name, t.Dims)
	}
	return nil
}

// evalFolded computes n's single output with engine.Eval from its constant
// inputs (ins, when given, replaces them). An arithmetic result that
// broadcasting would make larger than maxFoldElements is not computed
// (nil). Eval checks what it allocates against what remains of the run's
// memory budget, at most maxFoldBytes, before allocating (ConstantOfShape
// and Expand take their output size from an input's value).
func evalFolded(c *ctx, n *ir.Node, ins []*ir.Tensor) (*ir.Tensor, error) {
	if ins == nil {
		for _, v := range n.Inputs {
			var t *ir.Tensor
			if v != nil {
				t = v.Const
			}
			ins = append(ins, t)
		}
	}
	switch n.OpType {
	case "Add", "Sub", "Mul", "Div":
		var dims [][]int64
		for _, t := range ins {
			if t != nil {
				dims = append(dims, t.Dims)
			}
		}
		if s := broadcastSize(dims); s < 0 || s > maxFoldElements {
			return nil, nil
		}
	}
	left := min(c.budget.Max()-c.budget.Used(), maxFoldBytes)
	if left <= 0 {
		return nil, nil
	}
	out, err := engine.Eval(n, c.m.Opset(n.Domain), ins, engine.NewBudget(left))
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// broadcastSize is the element count of the numpy broadcast of the given
// shapes, taking the largest size at each (right-aligned) axis: an upper
// bound when they do not broadcast. -1 when a size is negative or the
// count overflows.
func broadcastSize(shapes [][]int64) int64 {
	var out []int64
	for _, s := range shapes {
		for len(out) < len(s) {
			out = append([]int64{1}, out...)
		}
		for i, d := range s {
			j := len(out) - len(s) + i
			if d < 0 {
				return -1
			}
			out[j] = max(out[j], d)
		}
	}
	return ir.NumElements(out)
}

func allConst(n *ir.Node) bool {
	if len(n.Inputs) == 0 {
		return false
	}
	for _, in := range n.Inputs {
		if in != nil && !in.IsConst() {
			return false
		}
	}
	return true
}

// constantValue is a Constant node's value (ir.ConstantValue), checked;
// string and sparse values are not folded.
func constantValue(n *ir.Node) (*ir.Tensor, error) {
	t, err := ir.ConstantValue(n)
	if err != nil {
		return nil, err
	}
	if t.DType == ir.String {
		return nil, fmt.Errorf("Constant kind not folded (string value)")
	}
	return t, t.Check()
}

// foldShape evaluates Shape(x) when the requested dims of x are static.
func foldShape(n *ir.Node) (*ir.Tensor, error) {
	x := n.Inputs[0]
	var dims []int64
	switch {
	case x.IsConst():
		dims = x.Const.Dims
	case x.Type.IsTensor() && x.Type.HasShape:
		dims = x.Type.Shape.Sizes()
	default:
		return nil, nil
	}
	start, end := ir.ShapeStartEnd(n, len(dims))
	out := dims[start:end]
	for _, d := range out {
		if d < 0 {
			return nil, nil
		}
	}
	return ir.NewInt64([]int64{int64(len(out))}, out), nil
}

// foldCastLike evaluates CastLike(c, target) for a constant c when the
// target's element type is known (the target itself need not be constant):
// engine.Eval reads only the dtype of an empty stand-in for the target.
func foldCastLike(c *ctx, n *ir.Node) (*ir.Tensor, error) {
	if len(n.Inputs) != 2 || n.Inputs[0] == nil || !n.Inputs[0].IsConst() || n.Inputs[1] == nil {
		return nil, nil
	}
	tgt := n.Inputs[1]
	dt := tgt.Type.DType
	if tgt.IsConst() {
		dt = tgt.Const.DType
	}
	if !tgt.IsConst() && !tgt.Type.IsTensor() || !dt.Valid() || dt.Size() == 0 || dt == ir.String {
		return nil, nil
	}
	return evalFolded(c, n, []*ir.Tensor{n.Inputs[0].Const, {DType: dt, Dims: []int64{0}, Raw: []byte{}}})
}
