package engine

import (
	"fmt"
	"unsafe"

	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/runtime/kernels"
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
	if r == 0 {
		return func() { copy(out.buf, x.buf) }, nil
	}
	return padRows(c.b.pool, x, out, tables, int(pads[r-1]), cval), nil
}

// padRows returns the kernel of Pad given, per axis, the source index of
// every output index (-1: the constant). The output is made row by row
// along the last axis: a row whose outer indices map to the constant is
// filled with it; any other row is one copy of the input row's run that
// lands inside the output plus the few border elements (the constant or
// one element each). The rows are split into contiguous parts across the
// pool's threads when large enough (each row is written by one part).
func padRows(pl *pool, x, out *tval, tables [][]int, begin int, cval []byte) func() {
	r := len(tables)
	sz := x.dt.Size()
	last := tables[r-1]
	O, D := len(last), int(x.shape[r-1])
	// The run of the last axis copied as one block: output [k0, k1) from
	// input [k0-begin, k1-begin).
	k0, k1 := max(0, begin), min(O, begin+D)
	var border []int // output indices outside the run
	for k := range last {
		if k < k0 || k >= k1 {
			border = append(border, k)
		}
	}
	is := contiguousStrides(x.shape)
	outer := out.shape[:r-1]
	rows := 0
	if O > 0 {
		rows = out.n / O
	}
	parts := pl.chunksFor(rows, O)
	// idxs[k]: part k's multi-index of the outer axes (its own, as the
	// parts run at once).
	idxs := make([][]int, parts)
	for k := range idxs {
		idxs[k] = make([]int, r-1)
	}
	zero := true
	for _, b := range cval {
		zero = zero && b == 0
	}
	rowBytes := O * sz
	// Only the last axis padded or cropped: output row i reads input row
	// i (no index tables to walk).
	lastOnly := true
	for a, t := range tables[:r-1] {
		lastOnly = lastOnly && len(t) == int(x.shape[a])
		for i, s := range t {
			lastOnly = lastOnly && s == i
		}
	}
	var cv32 uint32
	if sz == 4 {
		cv32 = viewOf[uint32](cval, 1)[0]
	}
	part := func(k int) {
		xb, ob := x.buf, out.buf
		r0, r1 := k*rows/parts, (k+1)*rows/parts
		if lastOnly && sz == 4 {
			// 4-byte elements (float32 above all): whole elements moved,
			// no byte copies per border element.
			xs, os := viewOf[uint32](xb, x.n), viewOf[uint32](ob, out.n)
			if k1 > k0 && r1 > r0 {
				of, xf := viewOf[float32](ob, out.n), viewOf[float32](xb, x.n)
				kernels.CopyRows32(of[r0*O+k0:r1*O], O, xf[r0*D+k0-begin:r1*D], D, r1-r0, k1-k0)
			}
			for _, k := range border {
				j := last[k]
				for row := r0; row < r1; row++ {
					if j < 0 {
						os[row*O+k] = cv32
					} else {
						os[row*O+k] = xs[row*D+j]
					}
				}
			}
			return
		}
		idx := idxs[k]
		for a, rest := len(idx)-1, r0; a >= 0; a-- {
			idx[a] = rest % int(outer[a])
			rest /= int(outer[a])
		}
		for row := r0; row < r1; row++ {
			dst := ob[row*rowBytes : (row+1)*rowBytes]
			src := row * D
			if !lastOnly {
				src = 0
				for a, i := range idx {
					s := tables[a][i]
					if s < 0 {
						src = -1
						break
					}
					src += s * is[a]
				}
				nextIndex(idx, outer)
			}
			if src < 0 {
				fillBytes(dst, cval, zero)
				continue
			}
			src *= sz
			if k1 > k0 {
				copy(dst[k0*sz:k1*sz], xb[src+(k0-begin)*sz:src+(k1-begin)*sz])
			}
			for _, k := range border {
				if s := last[k]; s < 0 {
					copy(dst[k*sz:(k+1)*sz], cval)
				} else {
					copy(dst[k*sz:(k+1)*sz], xb[src+s*sz:src+(s+1)*sz])
				}
			}
		}
	}
	f := func(lo, hi int) {
		for k := lo; k < hi; k++ {
			part(k)
		}
	}
	return func() {
		if rows == 0 {
			return
		}
		pl.parallelFor(parts, 1, f)
	}
}

// fillBytes fills dst with copies of the element v (len(dst) a multiple of
// len(v)); zero says v is all zero bytes.
func fillBytes(dst, v []byte, zero bool) {
	if zero {
		clear(dst)
		return
	}
	if len(dst) == 0 {
		return
	}
	n := copy(dst, v)
	for n < len(dst) {
		n += copy(dst[n:], dst[:n])
	}
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
	k, err := copyKernel(c.b.pool, out, []*tval{x}, []*strided{p})
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
