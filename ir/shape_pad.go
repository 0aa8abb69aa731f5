package ir

import (
	"fmt"
)

// Shape functions of padding: Pad and CenterCropPad.

// shapePad: each dim grows by its begin and end pads, from the pads
// attribute (opset 2-10; "paddings" in opset 1) or input 1 (opset >= 11),
// optionally restricted to the axes of input 3 (opset 18).
func shapePad(n *Node, opset int64) error {
	t, ok := shapedInput0(n)
	if !ok {
		return nil
	}
	r := len(t.Shape)
	var pads []int64
	if a := n.Attr("pads"); a != nil {
		pads = a.Ints
	} else if a := n.Attr("paddings"); a != nil {
		pads = a.Ints // Pad-1
	} else {
		var ok bool
		if pads, ok = knownInts(n, 1); !ok {
			setOut(n, 0, t.DType, unknownDims(r))
			return nil
		}
	}
	axes := make([]int64, r)
	for i := range axes {
		axes[i] = int64(i)
	}
	if n.Input(3) != nil {
		var ok bool
		if axes, ok = knownInts(n, 3); !ok {
			setOut(n, 0, t.DType, unknownDims(r))
			return nil
		}
	}
	k := len(axes)
	if len(pads) != 2*k {
		return fmt.Errorf("pads %v should have %d entries", pads, 2*k)
	}
	out := append(Shape{}, t.Shape...)
	for i, a := range axes {
		ax := normAxis(a, r)
		if ax < 0 {
			return fmt.Errorf("axis %d out of range for rank %d", a, r)
		}
		if !out[ax].Known() {
			if pads[i] != 0 || pads[i+k] != 0 {
				out[ax] = Dim{Size: -1}
			}
			continue
		}
		d := out[ax].Size + pads[i] + pads[i+k]
		if d < 0 {
			return fmt.Errorf("pads %v make dimension %d negative", pads, ax)
		}
		out[ax] = Dim{Size: d}
	}
	setOut(n, 0, t.DType, out)
	return nil
}

// shapeCenterCropPad: the dims at axes (default all) become the values of
// the shape input.
func shapeCenterCropPad(n *Node, _ int64) error {
	t, ok := inType(n, 0)
	if !ok {
		return nil
	}
	es, eok := valueElems(n, 1)
	if !t.HasShape || !eok {
		setOutNoShape(n, 0, t.DType)
		return nil
	}
	r := len(t.Shape)
	axes := n.AttrInts("axes", nil)
	if axes == nil {
		for i := range r {
			axes = append(axes, int64(i))
		}
	}
	if len(axes) != len(es) {
		return fmt.Errorf("shape input has %d entries for %d axes", len(es), len(axes))
	}
	target, err := elemDims(es)
	if err != nil {
		return err
	}
	out := append(Shape{}, t.Shape...)
	for i, a := range axes {
		ax := normAxis(a, r)
		if ax < 0 {
			return fmt.Errorf("axis %d out of range for rank %d", a, r)
		}
		out[ax] = target[i]
	}
	setOut(n, 0, t.DType, out)
	return nil
}

// FullPads expands Pad's pads (begins then ends, one pair per axis of
// axes; axes nil means every axis in order) to 2*rank entries: the begins
// of all rank axes, then their ends.
func FullPads(pads, axes []int64, rank int) ([]int64, error) {
	if axes == nil {
		if len(pads) != 2*rank {
			return nil, fmt.Errorf("pads %v for rank %d: want %d entries", pads, rank, 2*rank)
		}
		return append([]int64(nil), pads...), nil
	}
	k := len(axes)
	if len(pads) != 2*k {
		return nil, fmt.Errorf("pads %v for axes %v: want %d entries", pads, axes, 2*k)
	}
	full := make([]int64, 2*rank)
	for i, a := range axes {
		ax := normAxis(a, rank)
		if ax < 0 {
			return nil, fmt.Errorf("axis %d out of range for rank %d", a, rank)
		}
		full[ax], full[ax+rank] = pads[i], pads[i+k]
	}
	return full, nil
}
