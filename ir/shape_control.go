package ir

import (
	"fmt"
)

// Shape functions of control flow: If, Loop and Scan.

// shapeIf: with a known condition, the taken branch's output types;
// otherwise each output takes the type both branches agree on (dims that
// differ become unknown; different ranks leave the rank unknown).
func shapeIf(n *Node, _ int64) error {
	var then, els *Graph
	if a := n.Attr("then_branch"); a != nil {
		then = a.G
	}
	if a := n.Attr("else_branch"); a != nil {
		els = a.G
	}
	if then == nil || els == nil {
		return nil
	}
	if c, ok := knownInts(n, 0); ok && len(c) == 1 {
		// The condition is known: the outputs are the taken branch's.
		taken := els
		if c[0] != 0 {
			taken = then
		}
		for i, o := range n.Outputs {
			if o != nil && i < len(taken.Outputs) && taken.Outputs[i] != nil && taken.Outputs[i].Type.Kind != KindUnknown {
				o.Type = taken.Outputs[i].Type.Clone()
			}
		}
		return nil
	}
	for i := range n.Outputs {
		if i >= len(then.Outputs) || i >= len(els.Outputs) {
			break
		}
		if n.Outputs[i] == nil || then.Outputs[i] == nil || els.Outputs[i] == nil {
			continue
		}
		a, b := then.Outputs[i].Type, els.Outputs[i].Type
		if a.Kind != KindTensor || b.Kind != KindTensor || a.DType != b.DType {
			if a.Equal(b) && a.Kind != KindUnknown {
				n.Outputs[i].Type = a.Clone()
			}
			continue
		}
		if !a.HasShape || !b.HasShape || len(a.Shape) != len(b.Shape) {
			setOutNoShape(n, i, a.DType)
			continue
		}
		s := make(Shape, len(a.Shape))
		for k := range s {
			if a.Shape[k].Size == b.Shape[k].Size && (a.Shape[k].Known() || a.Shape[k].Param == b.Shape[k].Param) {
				s[k] = a.Shape[k]
			} else {
				s[k] = Dim{Size: -1}
			}
		}
		setOut(n, i, a.DType, s)
	}
	return nil
}

func init() {
	RegisterShapeFunc("", "Loop", shapeLoop)
	RegisterShapeFunc("", "Scan", shapeScan)
}

// bodyOut returns the type of body output i, or false.
func bodyOut(body *Graph, i int) (Type, bool) {
	if body == nil || i >= len(body.Outputs) || body.Outputs[i] == nil || body.Outputs[i].Type.Kind == KindUnknown {
		return Type{}, false
	}
	return body.Outputs[i].Type, true
}

// shapeLoop: the loop-carried outputs have the type of the body's
// (outputs 1..N, after the condition); each scan output stacks a body
// output along a new first axis of unknown (trip-count) length.
func shapeLoop(n *Node, _ int64) error {
	a := n.Attr("body")
	if a == nil || a.G == nil {
		return nil
	}
	nCarried := len(n.Inputs) - 2
	if nCarried < 0 {
		return nil
	}
	for i, o := range n.Outputs {
		if o == nil {
			continue
		}
		t, ok := bodyOut(a.G, 1+i)
		if !ok {
			continue
		}
		if i < nCarried {
			o.Type = t.Clone()
			continue
		}
		if t.Kind == KindTensor && t.HasShape {
			setOut(n, i, t.DType, append(Shape{{Size: -1}}, t.Shape...))
		} else if t.Kind == KindTensor {
			setOutNoShape(n, i, t.DType)
		}
	}
	return nil
}

// shapeScan (opset >= 9): the N state outputs have the body's state
// types; scan output j stacks body output N+j along scan_output_axes[j]
// (default 0) with the length of scan input 0 along scan_input_axes[0].
func shapeScan(n *Node, opset int64) error {
	a := n.Attr("body")
	if a == nil || a.G == nil || (opset > 0 && opset < 9) {
		return nil
	}
	m := int(n.AttrInt("num_scan_inputs", 0))
	nState := len(n.Inputs) - m
	if m < 1 || nState < 0 {
		return fmt.Errorf("num_scan_inputs %d does not fit %d inputs", m, len(n.Inputs))
	}
	seq := Dim{Size: -1}
	if s, ok := inShape(n, nState); ok {
		axes := n.AttrInts("scan_input_axes", nil)
		ax := 0
		if len(axes) > 0 {
			ax = normAxis(axes[0], len(s))
		}
		if ax >= 0 && ax < len(s) {
			seq = s[ax]
		}
	}
	outAxes := n.AttrInts("scan_output_axes", nil)
	for i, o := range n.Outputs {
		if o == nil {
			continue
		}
		t, ok := bodyOut(a.G, i)
		if !ok {
			continue
		}
		if i < nState {
			o.Type = t.Clone()
			continue
		}
		if t.Kind != KindTensor || !t.HasShape {
			continue
		}
		ax := int64(0)
		if j := i - nState; j < len(outAxes) {
			ax = outAxes[j]
		}
		s, err := unsqueezeDims(t.Shape, []int64{ax})
		if err != nil {
			return err
		}
		s[normAxis(ax, len(s))] = seq
		setOut(n, i, t.DType, s)
	}
	return nil
}
