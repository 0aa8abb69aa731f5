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

// checkPlannedShapes is the test-mode check of one planned node (c after
// its op prepared it): n's ir shape function runs on a copy of n whose
// inputs carry the planned dtypes, shapes and constant data, and each
// output whose inferred type is known must match the planned one (unknown
// inferred dims match anything). Nodes over sequences and ops without a
// shape function are not checked.
func checkPlannedShapes(c *ctx) error {
	if !checkShapes {
		return nil
	}
	n := c.n
	f := ir.LookupShapeFunc(n.Domain, n.OpType)
	if f == nil {
		return nil
	}
	cp := *n
	cp.Inputs = make([]*ir.Value, len(n.Inputs))
	cp.Outputs = make([]*ir.Value, len(n.Outputs))
	for i, v := range n.Inputs {
		t := c.input(i)
		if v == nil || t == nil {
			continue
		}
		if t.seq != nil {
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
	if err := f(&cp, c.opset); err != nil {
		return fmt.Errorf("shape check: ir shape function fails on the planned inputs: %w", err)
	}
	for i, t := range c.out {
		if i >= len(cp.Outputs) || cp.Outputs[i] == nil || t.seq != nil {
			continue
		}
		want := cp.Outputs[i].Type
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
			return fmt.Errorf("shape check: output %d (%s) planned as %s%v, ir infers %s", i, cp.Outputs[i].Name, t.dt, t.shape, want)
		}
	}
	return nil
}
