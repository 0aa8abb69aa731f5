package ir

import (
	"fmt"
)

// Shape functions of convolutions: Conv (and ConvInteger, QLinearConv through
// convShape) and ConvTranspose.

// shapeConv: Y [N, M, out...] for X [N, C, in...] and W [M, C/group, k...].
func shapeConv(n *Node, _ int64) error {
	return convShape(n, 0, 1, 2, inDType(n, 0))
}

// convShape is Conv's shape rule for data input xi, weight wi and bias bi
// (-1 for none), shared with ConvInteger and QLinearConv; dt is the output
// dtype.
func convShape(n *Node, xi, wi, bi int, dt DType) error {
	xt, ok := inType(n, xi)
	if !ok || !xt.HasShape {
		setOutNoShape(n, 0, dt)
		return nil
	}
	x := xt.Shape
	if len(x) < 3 {
		return fmt.Errorf("input must have rank >= 3 ([N,C,spatial...]), has shape %s", x)
	}
	k := len(x) - 2
	w, wok := inShape(n, wi)
	if wok && len(w) != len(x) {
		return fmt.Errorf("weight shape %s has rank %d, input %s has rank %d", w, len(w), x, len(x))
	}
	group := n.AttrInt("group", 1)
	if group < 1 {
		return fmt.Errorf("group %d must be positive", group)
	}
	kernel := n.AttrInts("kernel_shape", nil)
	if kernel == nil {
		if !wok {
			setOut(n, 0, dt, append(Shape{x[0], {Size: -1}}, unknownDims(k)...))
			return nil
		}
		for _, d := range w[2:] {
			if !d.Known() {
				setOut(n, 0, dt, append(Shape{x[0], {Size: -1}}, unknownDims(k)...))
				return nil
			}
			kernel = append(kernel, d.Size)
		}
	}
	if len(kernel) != k {
		return fmt.Errorf("kernel_shape %v does not match %d spatial dimensions", kernel, k)
	}
	m := Dim{Size: -1}
	if wok {
		m = w[0]
		for i, kd := range kernel {
			if w[2+i].Known() && w[2+i].Size != kd {
				return fmt.Errorf("kernel_shape %v does not match weight shape %s", kernel, w)
			}
			if kd < 1 {
				return fmt.Errorf("kernel_shape %v must be positive", kernel)
			}
		}
		if x[1].Known() && w[1].Known() && x[1].Size != w[1].Size*group {
			return fmt.Errorf("input has %d channels, weight %s with group %d expects %d", x[1].Size, w, group, w[1].Size*group)
		}
		if w[0].Known() && w[0].Size%group != 0 {
			return fmt.Errorf("weight %s: %d output channels not divisible by group %d", w, w[0].Size, group)
		}
	}
	if b, ok := inShape(n, bi); ok && bi >= 0 && m.Known() {
		if len(b) != 1 || (b[0].Known() && b[0].Size != m.Size) {
			return fmt.Errorf("bias shape %s does not match %d output channels", b, m.Size)
		}
	}
	sp, err := windowDims(n, x, kernel, false)
	if err != nil {
		return err
	}
	setOut(n, 0, dt, append(Shape{x[0], m}, sp...))
	return nil
}

// shapeConvTranspose: Y [N, W[1]*group, out...], out = stride*(in-1) +
// output_padding + (k-1)*dilation + 1 - pads (NOTSET/VALID), in*stride
// (SAME_*), or the output_shape attribute when given.
func shapeConvTranspose(n *Node, _ int64) error {
	xt, ok := inType(n, 0)
	dt := xt.DType
	if !ok || !xt.HasShape {
		setOutNoShape(n, 0, dt)
		return nil
	}
	x := xt.Shape
	if len(x) < 3 {
		return fmt.Errorf("input must have rank >= 3, has shape %s", x)
	}
	k := len(x) - 2
	group := n.AttrInt("group", 1)
	if group < 1 {
		return fmt.Errorf("group %d must be positive", group)
	}
	w, wok := inShape(n, 1)
	if wok && len(w) != len(x) {
		return fmt.Errorf("weight shape %s does not match input rank %d", w, len(x))
	}
	m := Dim{Size: -1}
	if wok {
		if x[1].Known() && w[0].Known() && x[1].Size != w[0].Size {
			return fmt.Errorf("input has %d channels, weight %s expects %d", x[1].Size, w, w[0].Size)
		}
		if w[1].Known() {
			m = Dim{Size: w[1].Size * group}
		}
	}
	kernel := n.AttrInts("kernel_shape", nil)
	if kernel == nil && wok {
		for _, d := range w[2:] {
			if !d.Known() {
				kernel = nil
				break
			}
			kernel = append(kernel, d.Size)
		}
	}
	strides, dil, pads, outPad, outShape, err := transposeAttrs(n, k)
	if err != nil {
		return err
	}
	autoPad := n.AttrString("auto_pad", "NOTSET")
	out := Shape{x[0], m}
	for i := range k {
		switch {
		case outShape != nil:
			out = append(out, Dim{Size: outShape[i]})
		case len(kernel) != k || !x[2+i].Known():
			out = append(out, Dim{Size: -1})
		default:
			o, _, _, err := TransposeWindowAxis(autoPad, x[2+i].Size, kernel[i], strides[i], dil[i], outPad[i], pads[i], pads[i+k], -1)
			if err != nil {
				return fmt.Errorf("spatial axis %d: %w", i, err)
			}
			out = append(out, Dim{Size: o})
		}
	}
	setOut(n, 0, dt, out)
	return nil
}
