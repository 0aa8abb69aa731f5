package ir

import (
	"fmt"
)

// Shape functions of normalization ops: BatchNormalization and
// LayerNormalization.

// channelCheck checks that input i (a per-channel vector) has shape [C].
func channelCheck(n *Node, i int, c Dim, what string) error {
	s, ok := inShape(n, i)
	if !ok || !c.Known() {
		return nil
	}
	if len(s) != 1 {
		return fmt.Errorf("%s must be 1-D, has shape %s", what, s)
	}
	if s[0].Known() && s[0].Size != c.Size {
		return fmt.Errorf("%s has %d elements, input has %d channels", what, s[0].Size, c.Size)
	}
	return nil
}

// shapeBatchNorm: Y like X; scale, B, mean, var must be [C]; training-mode
// outputs running_mean/var (and older saved_mean/var) are [C].
func shapeBatchNorm(n *Node, _ int64) error {
	t, ok := inType(n, 0)
	if !ok {
		return nil
	}
	c := Dim{Size: -1}
	if t.HasShape {
		if len(t.Shape) < 2 {
			if len(t.Shape) == 1 {
				c = t.Shape[0]
			}
		} else {
			c = t.Shape[1]
		}
	}
	for i, what := range []string{"", "scale", "B", "input_mean", "input_var"} {
		if i == 0 {
			continue
		}
		if err := channelCheck(n, i, c, what); err != nil {
			return err
		}
	}
	setOutMaybe(n, 0, t.DType, t.Shape, t.HasShape)
	for i := 1; i < len(n.Outputs); i++ {
		dt := inDType(n, 3)
		if dt == Undefined {
			dt = t.DType
		}
		setOut(n, i, dt, Shape{c})
	}
	return nil
}

// shapeLayerNorm: Y like X; Mean and InvStdDev keep the dims before axis
// (default -1) and have size 1 from axis on.
func shapeLayerNorm(n *Node, _ int64) error {
	t, ok := inType(n, 0)
	if !ok {
		return nil
	}
	setOutMaybe(n, 0, t.DType, t.Shape, t.HasShape)
	if !t.HasShape {
		return nil
	}
	r := len(t.Shape)
	ax := normAxis(n.AttrInt("axis", -1), r)
	if ax < 0 {
		return fmt.Errorf("axis %d out of range for rank %d", n.AttrInt("axis", -1), r)
	}
	stat := append(Shape{}, t.Shape[:ax]...)
	for range r - ax {
		stat = append(stat, Dim{Size: 1})
	}
	dt := DType(n.AttrInt("stash_type", int64(Float32)))
	setOut(n, 1, dt, stat)
	setOut(n, 2, dt, stat)
	return nil
}
