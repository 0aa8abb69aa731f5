package engine

import (
	"fmt"
	"sort"

	"github.com/mconv/mconv/ir"
)

// Eval computes node n on constant inputs with the runtime's own op table:
// the same path (planNode) that computes a plan's constant nodes at plan
// time, so that constant folding in passes and in the Core ML converter
// means exactly what running the model means. inputs is parallel to
// n.Inputs (nil for an omitted optional input); opset is the version of n's
// domain that the model imports (0: the newest the runtime knows). The
// result is parallel to n.Outputs (nil for an omitted output).
//
// n itself is not planned: Eval plans a detached copy (planning computes
// one node as one step; fusion is runtime.Compile's lowering, before
// planning). n must not have subgraphs.
// Errors name the node and op (`node "x" (Op): ...`); an op the runtime
// does not implement gives an "unsupported op" error.
//
// What Eval allocates (the copies of the inputs, the outputs, scratch) is
// checked against budget before it is allocated, as planning checks a
// plan's (a nil budget is NewBudget(0), the default). The budget is
// borrowed: Eval gives back what it reserved when it returns, so a caller
// that keeps the results (constant folding) reserves their size itself.
func Eval(n *ir.Node, opset int64, inputs []*ir.Tensor, budget *Budget) (outs []*ir.Tensor, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("node %q (%s): %w", n.Name, n.OpType, err)
		}
	}()
	if len(inputs) != len(n.Inputs) {
		return nil, fmt.Errorf("%d input tensors for %d inputs", len(inputs), len(n.Inputs))
	}
	if budget == nil {
		budget = NewBudget(0)
	}
	defer func(used int64) { budget.used = used }(budget.used)
	m := &ir.Model{Opsets: []ir.OpsetImport{{Domain: n.Domain, Version: opset}}}
	b := &builder{m: m, vals: map[*ir.Value]*tval{}, pool: newPool(1), budget: budget}
	d := &ir.Node{Name: n.Name, OpType: n.OpType, Domain: n.Domain, Attrs: n.Attrs}
	for i, t := range inputs {
		if t == nil {
			d.Inputs = append(d.Inputs, nil)
			continue
		}
		name := fmt.Sprintf("%s#in%d", n.Name, i)
		if v := n.Input(i); v != nil {
			name = v.Name
		}
		kt, err := b.konstFrom(name, t)
		if err != nil {
			return nil, fmt.Errorf("input %d: %w", i, err)
		}
		v := &ir.Value{Name: name, Const: t}
		b.vals[v] = kt
		d.Inputs = append(d.Inputs, v)
	}
	for i, o := range n.Outputs {
		if o == nil {
			d.Outputs = append(d.Outputs, nil)
			continue
		}
		d.Outputs = append(d.Outputs, &ir.Value{Name: o.Name, Producer: d, OutIndex: i})
	}
	if err := b.planNode(d); err != nil {
		return nil, err
	}
	outs = make([]*ir.Tensor, len(d.Outputs))
	for i, o := range d.Outputs {
		if o == nil {
			continue
		}
		t := b.vals[o]
		switch {
		case t == nil:
			return nil, fmt.Errorf("internal: output %d not bound", i)
		case t.seq != nil:
			return nil, fmt.Errorf("output %d: unsupported: sequence outputs", i)
		case !t.konst:
			return nil, fmt.Errorf("output %d is not computed at plan time", i)
		}
		if err := budget.Reserve(t.bytes()); err != nil {
			return nil, fmt.Errorf("output %d: %w", i, err)
		}
		raw := make([]byte, t.bytes())
		copy(raw, t.buf)
		outs[i] = &ir.Tensor{Name: o.Name, DType: t.dt, Dims: append([]int64{}, t.shape...), Raw: raw}
	}
	return outs, nil
}

// Folded reports whether constant folding at conversion time (passes'
// constant-fold, the Core ML converter) evaluates op of the default domain
// with Eval when all its inputs are constant: shape arithmetic and the
// casts, reshapes and arithmetic exporters put on weights. Other ops with
// constant inputs stay nodes on purpose (DequantizeLinear of quantized
// weights, say, would grow the file). Plan-time evaluation folds every
// op.
func Folded(op string) bool { return foldedOps[op] }

// FoldedOps lists the ops Folded accepts, sorted.
func FoldedOps() []string {
	var out []string
	for op := range foldedOps {
		out = append(out, op)
	}
	sort.Strings(out)
	return out
}

var foldedOps = map[string]bool{
	"Identity": true, "Cast": true, "Reshape": true, "Unsqueeze": true, "Squeeze": true,
	"Concat": true, "Gather": true, "Transpose": true, "Add": true, "Sub": true, "Mul": true,
	"Div": true, "Neg": true, "Sqrt": true, "Reciprocal": true, "ConstantOfShape": true, "Expand": true,
	// index arithmetic of exported F.pad / window partitions (HGNetV2,
	// EfficientViT): pads computed by Mod, Slice with a negative step,
	// Transpose, Reshape, Cast
	"Slice": true, "Mod": true, "Floor": true, "Ceil": true, "Max": true, "Min": true,
	// attention-bias lookups with constant tables and indices (LeViT under
	// the dynamo exporter: GatherND of an initializer by an initializer)
	"GatherND": true,
	// the unsqueeze axes of dynamo's GroupNorm decomposition (MobileViTv2, SHViT)
	"Range": true,
}
