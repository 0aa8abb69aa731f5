package engine

import (
	"fmt"
	"unsafe"

	"github.com/mconv/mconv/ir"
)

// Padding ops: Pad and CenterCropPad.

// opPad implements Pad (constant, reflect, edge, wrap; negative pads crop)
// for any dtype.
func opPad(c *ctx) (func(), error) {
	x := c.input(0)
	r := len(x.shape)
	mode := c.n.AttrString("mode", "constant")
	var pads []int64
	var err error
	cval := make([]byte, x.dt.Size())
	if c.opset < 11 {
		pads = c.n.AttrInts("pads", c.n.AttrInts("paddings", nil))
		if x.dt.IsFloat() {
			setF(x.dt, cval, 0, float64(c.n.AttrFloat("value", 0)))
		}
	} else {
		if pads, err = c.constInts(1); err != nil {
			return nil, err
		}
		if cv := c.input(2); cv != nil && cv.n > 0 {
			if !cv.konst {
				return nil, fmt.Errorf("unsupported: run-time constant_value")
			}
			copy(cval, cv.buf[:x.dt.Size()])
		}
		if ax := c.input(3); ax != nil {
			axes, err := c.constInts(3)
			if err != nil {
				return nil, err
			}
			if pads, err = ir.FullPads(pads, axes, r); err != nil {
				return nil, err
			}
		}
	}
	if len(pads) != 2*r {
		return nil, fmt.Errorf("pads %v for rank %d", pads, r)
	}
	shape := make([]int64, r)
	for i := 0; i < r; i++ {
		b, e := pads[i], pads[i+r]
		if max(b, e) > ir.MaxElements || min(b, e) < -ir.MaxElements {
			return nil, fmt.Errorf("pads %v out of range", pads)
		}
		if shape[i] = x.shape[i] + b + e; shape[i] < 0 {
			return nil, fmt.Errorf("pads %v give a negative size", pads)
		}
	}
	// The output's size is checked (setOut) before the index tables
	// sized by it are made.
	out, err := c.setOut(0, x.dt, shape)
	if err != nil {
		return nil, err
	}
	var tableBytes int64
	for _, o := range shape {
		tableBytes += o * int64(unsafe.Sizeof(int(0)))
	}
	if err := c.b.charge(tableBytes); err != nil {
		return nil, err
	}
	tables := make([][]int, r)
	for i := 0; i < r; i++ {
		d := int(x.shape[i])
		b := int(pads[i])
		o := int(shape[i])
		t := make([]int, o)
		for k := range t {
			s := k - b
			if s < 0 || s >= d {
				switch mode {
				case "constant":
					s = -1
				case "edge":
					s = min(max(s, 0), d-1)
				case "reflect":
					if d == 1 {
						s = 0
					}
					for d > 1 && (s < 0 || s >= d) {
						if s < 0 {
							s = -s
						}
						if s >= d {
							s = 2*(d-1) - s
						}
					}
				case "wrap":
					s = ((s % d) + d) % d
				default:
					return nil, fmt.Errorf("unsupported mode %q", mode)
				}
			}
			t[k] = s
		}
		tables[i] = t
	}
	is := contiguousStrides(x.shape)
	sz := x.dt.Size()
	idx := make([]int, r)
	return func() {
		xb, ob := x.buf, out.buf
		for i := range idx {
			idx[i] = 0
		}
		for k := 0; k < out.n; k++ {
			off := 0
			for a := 0; a < r; a++ {
				s := tables[a][idx[a]]
				if s < 0 {
					off = -1
					break
				}
				off += s * is[a]
			}
			if off < 0 {
				copy(ob[k*sz:(k+1)*sz], cval)
			} else {
				copy(ob[k*sz:(k+1)*sz], xb[off*sz:(off+1)*sz])
			}
			nextIndex(idx, shape)
		}
	}, nil
}

// opCenterCropPad crops or zero-pads the given axes to the target shape,
// centered (the odd element goes to the end when cropping and padding).
func opCenterCropPad(c *ctx) (func(), error) {
	x := c.input(0)
	target, err := c.constInts(1)
	if err != nil {
		return nil, err
	}
	r := len(x.shape)
	axes, err := axesAttr(c.n, r)
	if err != nil {
		return nil, err
	}
	if len(target) != len(axes) {
		return nil, fmt.Errorf("shape %v for %d axes", target, len(axes))
	}
	shape := append([]int64{}, x.shape...)
	srcOff := make([]int, r)
	dstOff := make([]int, r)
	copyShape := ints(x.shape)
	for i, a := range axes {
		in, t := int(x.shape[a]), int(target[i])
		if t < 0 {
			return nil, fmt.Errorf("negative target size")
		}
		shape[a] = int64(t)
		if t < in {
			srcOff[a] = (in - t) / 2
			copyShape[a] = t
		} else {
			dstOff[a] = (t - in) / 2
			copyShape[a] = in
		}
	}
	out, err := c.setOut(0, x.dt, shape)
	if err != nil {
		return nil, err
	}
	is, os := contiguousStrides(x.shape), contiguousStrides(shape)
	so, do := 0, 0
	for i := 0; i < r; i++ {
		so += srcOff[i] * is[i]
		do += dstOff[i] * os[i]
	}
	p := newStrided(copyShape, os, is, do, so)
	k, err := copyKernel(out, []*tval{x}, []*strided{p})
	if err != nil {
		return nil, err
	}
	return func() {
		clear(out.buf)
		k()
	}, nil
}

// axesAttr is n's "axes" attribute normalized for rank r, or all r axes
// when the attribute is absent.
func axesAttr(n *ir.Node, r int) ([]int, error) {
	axes := make([]int, 0, r)
	if a := n.AttrInts("axes", nil); a != nil {
		for _, v := range a {
			k, err := ir.NormAxis(v, r)
			if err != nil {
				return nil, err
			}
			axes = append(axes, k)
		}
	} else {
		for i := 0; i < r; i++ {
			axes = append(axes, i)
		}
	}
	return axes, nil
}

func init() {
	register("", "Pad", opPad)
	register("", "CenterCropPad", opCenterCropPad)
}
