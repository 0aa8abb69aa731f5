package ir

import (
	"fmt"
	"math"
)

// Shape functions of resampling: Resize, GridSample and AffineGrid.

// shapeResize handles Resize and Upsample: output sizes from `sizes`
// (Resize >= 11, possibly with axes and keep_aspect_ratio_policy, opset
// 18), else floor(in * scale) with scales from the attribute (Upsample < 9)
// or the scales input (input 1 for Upsample and Resize-10, input 2 from
// Resize-11).
func shapeResize(n *Node, opset int64) error {
	t, ok := shapedInput0(n)
	if !ok {
		return nil
	}
	r := len(t.Shape)
	x := t.Shape
	axes := n.AttrInts("axes", nil)
	if axes == nil {
		for i := range r {
			axes = append(axes, int64(i))
		}
	}
	for _, a := range axes {
		if normAxis(a, r) < 0 {
			return fmt.Errorf("axis %d out of range for rank %d", a, r)
		}
	}
	out := append(Shape{}, x...)
	unknown := func() error {
		for _, a := range axes {
			out[normAxis(a, r)] = Dim{Size: -1}
		}
		setOut(n, 0, t.DType, out)
		return nil
	}
	scalesIdx, sizesIdx := 1, -1
	if n.OpType == "Resize" && (opset >= 11 || len(n.Inputs) > 2) {
		scalesIdx, sizesIdx = 2, 3
	}
	var scales []float64
	if n.OpType == "Upsample" && n.Attr("scales") != nil {
		for _, f := range n.AttrFloats("scales", nil) {
			scales = append(scales, float64(f))
		}
	} else if sv := n.Input(scalesIdx); sv != nil {
		if s, ok := knownFloats(n, scalesIdx); ok {
			scales = s
		} else if !(sv.Type.HasShape && len(sv.Type.Shape) == 1 && sv.Type.Shape[0].Size == 0) {
			return unknown()
		}
	}
	if len(scales) == 0 && sizesIdx >= 0 && n.Input(sizesIdx) != nil {
		sizes, ok := knownInts(n, sizesIdx)
		if !ok {
			return unknown()
		}
		if len(sizes) != len(axes) {
			return fmt.Errorf("sizes %v has %d entries for %d axes", sizes, len(sizes), len(axes))
		}
		for _, s := range sizes {
			if s < 0 {
				return fmt.Errorf("negative sizes %v", sizes)
			}
		}
		policy := n.AttrString("keep_aspect_ratio_policy", "stretch")
		if policy == "stretch" {
			for i, a := range axes {
				out[normAxis(a, r)] = Dim{Size: sizes[i]}
			}
			setOut(n, 0, t.DType, out)
			return nil
		}
		// not_larger / not_smaller: one scale for all axes.
		scale := 0.0
		for i, a := range axes {
			d := x[normAxis(a, r)]
			if !d.Known() || d.Size == 0 {
				return unknown()
			}
			s := float64(sizes[i]) / float64(d.Size)
			if i == 0 || (policy == "not_larger" && s < scale) || (policy == "not_smaller" && s > scale) {
				scale = s
			}
		}
		if policy != "not_larger" && policy != "not_smaller" {
			return fmt.Errorf("unknown keep_aspect_ratio_policy %q", policy)
		}
		for _, a := range axes {
			k := normAxis(a, r)
			out[k] = Dim{Size: int64(math.Round(scale * float64(x[k].Size)))}
		}
		setOut(n, 0, t.DType, out)
		return nil
	}
	if len(scales) == 0 {
		return fmt.Errorf("neither scales nor sizes given")
	}
	if len(scales) != len(axes) {
		return fmt.Errorf("scales %v has %d entries for %d axes", scales, len(scales), len(axes))
	}
	for i, a := range axes {
		k := normAxis(a, r)
		if scales[i] <= 0 || math.IsNaN(scales[i]) || math.IsInf(scales[i], 0) {
			return fmt.Errorf("scales %v must be positive", scales)
		}
		if !x[k].Known() {
			if scales[i] != 1 {
				out[k] = Dim{Size: -1}
			}
			continue
		}
		// ONNX computes in float32: floor(float(in) * scale).
		v := math.Floor(float64(float32(x[k].Size) * float32(scales[i])))
		if v > float64(MaxElements) {
			return fmt.Errorf("scale %v makes dimension %d larger than 2^40", scales[i], k)
		}
		out[k] = Dim{Size: int64(v)}
	}
	setOut(n, 0, t.DType, out)
	return nil
}

// shapeGridSample: [N, C, grid spatial dims...] for X [N,C,...] and grid
// [N, out..., r].
func shapeGridSample(n *Node, _ int64) error {
	t, ok := inType(n, 0)
	if !ok {
		return nil
	}
	g, gok := inShape(n, 1)
	if !t.HasShape || !gok {
		setOutNoShape(n, 0, t.DType)
		return nil
	}
	x := t.Shape
	if len(x) < 3 || len(g) != len(x) {
		return fmt.Errorf("input %s and grid %s ranks do not match", x, g)
	}
	if last := g[len(g)-1]; last.Known() && last.Size != int64(len(x)-2) {
		return fmt.Errorf("grid %s: last dimension must be %d", g, len(x)-2)
	}
	n0, ok := sameDim(x[0], g[0])
	if !ok {
		return fmt.Errorf("input %s and grid %s batch sizes differ", x, g)
	}
	out := append(Shape{n0, x[1]}, g[1:len(g)-1]...)
	setOut(n, 0, t.DType, out)
	return nil
}

// shapeAffineGrid: [N, spatial..., r] from size = [N, C, spatial...].
func shapeAffineGrid(n *Node, _ int64) error {
	dt := inDType(n, 0)
	size, ok := knownInts(n, 1)
	if !ok || len(size) < 3 {
		setOutNoShape(n, 0, dt)
		return nil
	}
	for _, v := range size {
		if v < 0 {
			return fmt.Errorf("negative size %v", size)
		}
	}
	out := append(S(size[0]), S(size[2:]...)...)
	setOut(n, 0, dt, append(out, Dim{Size: int64(len(size) - 2)}))
	return nil
}
