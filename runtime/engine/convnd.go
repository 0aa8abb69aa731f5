package engine

import (
	"fmt"
	"math"

	"github.com/mconv/mconv/ir"
)

// ndWindow walks the windows of an N-D sliding-window op (3-D and up):
// for every output position it visits the kernel offsets whose input
// position is inside the input (and, for counting padded positions, those
// inside the padded extent).
type ndWindow struct {
	in, out, k, s, d, pb, pe []int
	inStr                    []int
}

func newNDWindow(in []int64, out, k, s, d, pb, pe []int) *ndWindow {
	w := &ndWindow{in: ints(in), out: out, k: k, s: s, d: d, pb: pb, pe: pe}
	w.inStr = contiguousStrides(in)
	return w
}

// each calls f(outIndex, visit) for every output position; visit(g) calls g
// with (flat input offset, flat kernel index) for each in-bounds tap and
// returns the number of taps inside the padded extent.
func (w *ndWindow) each(f func(o int, visit func(g func(xi, ki int)) int)) {
	nd := len(w.out)
	op := make([]int, nd)
	kp := make([]int, nd)
	total := 1
	for _, v := range w.out {
		total *= v
	}
	visit := func(g func(xi, ki int)) int {
		for i := range kp {
			kp[i] = 0
		}
		padded := 0
		for ki := 0; ; ki++ {
			xi, inside, inPad := 0, true, true
			for a := 0; a < nd; a++ {
				p := op[a]*w.s[a] - w.pb[a] + kp[a]*w.d[a]
				if p < 0 || p >= w.in[a] {
					inside = false
				}
				if p < -w.pb[a] || p >= w.in[a]+w.pe[a] {
					inPad = false
				}
				xi += p * w.inStr[a]
			}
			if inPad {
				padded++
			}
			if inside {
				g(xi, ki)
			}
			a := nd - 1
			for ; a >= 0; a-- {
				kp[a]++
				if kp[a] < w.k[a] {
					break
				}
				kp[a] = 0
			}
			if a < 0 {
				return padded
			}
		}
	}
	for o := 0; o < total; o++ {
		f(o, visit)
		for a := nd - 1; a >= 0; a-- {
			op[a]++
			if op[a] < w.out[a] {
				break
			}
			op[a] = 0
		}
	}
}

// opConvND is Conv with three or more spatial dims (direct, plain Go).
func opConvND(c *ctx, x, w, bias *tval) (func(), error) {
	kernel := w.shape[2:]
	outs, pb, pe, st, dl, err := spatialAttrs(c.n, x.shape[2:], kernel, false)
	if err != nil {
		return nil, err
	}
	N, C, M, G := int(x.shape[0]), int(x.shape[1]), int(w.shape[0]), int(c.n.AttrInt("group", 1))
	if G < 1 || C%G != 0 || M%G != 0 || int(w.shape[1]) != C/G {
		return nil, fmt.Errorf("group %d does not fit X %v and W %v", G, x.shape, w.shape)
	}
	if bias != nil && bias.n != M {
		return nil, fmt.Errorf("B has %d elements for %d output channels", bias.n, M)
	}
	out, err := c.setOut(0, ir.Float32, append([]int64{int64(N), int64(M)}, int64s(outs)...))
	if err != nil {
		return nil, err
	}
	win := newNDWindow(x.shape[2:], outs, ints(kernel), st, dl, pb, pe)
	sp := int(ir.NumElements(x.shape[2:]))
	osp := int(ir.NumElements(int64s(outs)))
	ksz := int(ir.NumElements(kernel))
	Cg, Mg := C/G, M/G
	return func() {
		xs, ws, os := x.f32(), w.f32(), out.f32()
		for n := 0; n < N; n++ {
			for m := 0; m < M; m++ {
				gi := m / Mg
				var bv float32
				if bias != nil {
					bv = bias.f32()[m]
				}
				obase := (n*M + m) * osp
				win.each(func(o int, visit func(g func(xi, ki int)) int) {
					s := bv
					for ci := 0; ci < Cg; ci++ {
						xb := (n*C + gi*Cg + ci) * sp
						wb := (m*Cg + ci) * ksz
						visit(func(xi, ki int) { s += xs[xb+xi] * ws[wb+ki] })
					}
					os[obase+o] = s
				})
			}
		}
	}, nil
}

// opPoolND is MaxPool / AveragePool with three or more spatial dims.
func opPoolND(c *ctx, x *tval, kernel []int64, ceil, isMax bool) (func(), error) {
	outs, pb, pe, st, dl, err := spatialAttrs(c.n, x.shape[2:], kernel, ceil)
	if err != nil {
		return nil, err
	}
	out, err := c.setOut(0, ir.Float32, append([]int64{x.shape[0], x.shape[1]}, int64s(outs)...))
	if err != nil {
		return nil, err
	}
	// Padded extent for count_include_pad: the resolved pads (the
	// ceil-mode overhang is not counted).
	win := newNDWindow(x.shape[2:], outs, ints(kernel), st, dl, pb, pe)
	includePad := c.n.AttrInt("count_include_pad", 0) == 1
	sp := int(ir.NumElements(x.shape[2:]))
	osp := int(ir.NumElements(int64s(outs)))
	planes := int(x.shape[0] * x.shape[1])
	return func() {
		xs, os := x.f32(), out.f32()
		for p := 0; p < planes; p++ {
			xb := p * sp
			win.each(func(o int, visit func(g func(xi, ki int)) int) {
				s := 0.0
				if isMax {
					s = math.Inf(-1)
				}
				cnt := 0
				padded := visit(func(xi, ki int) {
					v := float64(xs[xb+xi])
					if isMax {
						if v > s || v != v {
							s = v
						}
					} else {
						s += v
					}
					cnt++
				})
				if !isMax {
					if includePad {
						cnt = padded
					}
					if cnt > 0 {
						s /= float64(cnt)
					}
				}
				os[p*osp+o] = float32(s)
			})
		}
	}, nil
}
