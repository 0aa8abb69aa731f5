package engine

import (
	"fmt"

	"github.com/mconv/mconv/ir"
)

// checkShapes, when set (tests only: see shapecheck_test.go), makes
// Compile compare every planned output buffer's dtype and shape with what
// the ir shape functions infer from the planned input types (and the
// plan-time constant inputs), failing the node on a disagreement.
var checkShapes = false

// checkPlannedShapes is the test-mode check of one planned step (c after
// its op prepared it): the ir shape function of c.n, then of each node the
// step absorbed (c.fused, a fused epilogue), runs on a copy of the node
// whose inputs carry the planned dtypes, shapes and constant data (or the
// types inferred for earlier nodes of the step), and each of c.out whose
// inferred type is known must match the planned one (unknown inferred
// dims match anything). Steps over sequences, and steps with a node
// without a shape function, are not checked.
func checkPlannedShapes(c *ctx) error {
	if !checkShapes {
		return nil
	}
	inferred := map[*ir.Value]ir.Type{}
	var outs []*ir.Value
	for k, n := range append([]*ir.Node{c.n}, c.fused...) {
		f := ir.LookupShapeFunc(n.Domain, n.OpType)
		if f == nil {
			return nil
		}
		cp := *n
		cp.Inputs = make([]*ir.Value, len(n.Inputs))
		cp.Outputs = make([]*ir.Value, len(n.Outputs))
		for i, v := range n.Inputs {
			if v == nil {
				continue
			}
			if t, ok := inferred[v]; ok {
				cp.Inputs[i] = &ir.Value{Name: v.Name, Type: t}
				continue
			}
			t := c.b.vals[v]
			if k == 0 {
				t = c.input(i)
			}
			if t == nil || t.seq != nil {
				return nil
			}
			cv := &ir.Value{Name: v.Name, Type: ir.TensorOf(t.dt, t.shape...)}
			if t.konst && int64(len(t.buf)) >= t.bytes() {
				cv.Const = &ir.Tensor{DType: t.dt, Dims: t.shape, Raw: t.buf[:t.bytes()]}
			}
			cp.Inputs[i] = cv
		}
		for i, o := range n.Outputs {
			if o != nil {
				cp.Outputs[i] = &ir.Value{Name: o.Name, Producer: &cp, OutIndex: i}
			}
		}
		opset := c.opset
		if n.Domain != c.n.Domain {
			opset = c.b.m.Opset(n.Domain)
		}
		if err := f(&cp, opset); err != nil {
			return fmt.Errorf("shape check: ir shape function of %s fails on the planned inputs: %w", n.OpType, err)
		}
		for i, o := range n.Outputs {
			if o != nil {
				inferred[o] = cp.Outputs[i].Type
			}
		}
		outs = cp.Outputs
	}
	for i, t := range c.out {
		if i >= len(outs) || outs[i] == nil || t.seq != nil {
			continue
		}
		want := outs[i].Type
		if want.Kind != ir.KindTensor {
			continue
		}
		ok := want.DType == ir.Undefined || want.DType == t.dt
		if ok && want.HasShape {
			ok = len(want.Shape) == len(t.shape)
			for j := 0; ok && j < len(t.shape); j++ {
				ok = !want.Shape[j].Known() || want.Shape[j].Size == t.shape[j]
			}
		}
		if !ok {
			return fmt.Errorf("shape check: output %d (%s) planned as %s%v, ir infers %s", i, outs[i].Name, t.dt, t.shape, want)
		}
	}
	return nil
}
