package engine

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/mconv/mconv/ir"
)

// Resampling: Resize and Upsample.

// opResize implements Resize (opset 10+) and Upsample with modes nearest and
// linear (multilinear over the resized axes), float32.
func opResize(c *ctx) (func(), error) {
	x := c.input(0)
	if x.dt != ir.Float32 {
		return nil, fmt.Errorf("unsupported: %s on %s", c.n.OpType, x.dt)
	}
	r := len(x.shape)
	mode := c.n.AttrString("mode", "nearest")
	ctm := c.n.AttrString("coordinate_transformation_mode", "half_pixel")
	nm := c.n.AttrString("nearest_mode", "round_prefer_floor")
	if c.n.OpType == "Upsample" || c.opset < 11 {
		// Before opset 11 (Upsample, Resize-10): asymmetric coordinates and
		// ONNX Runtime's "simple" nearest rounding: ceil when downsampling,
		// floor otherwise.
		ctm, nm = "asymmetric", "simple"
	}
	if mode == "bilinear" {
		mode = "linear"
	}
	if mode != "nearest" && mode != "linear" && mode != "cubic" {
		return nil, fmt.Errorf("unsupported mode %q", mode)
	}
	if c.n.AttrInt("antialias", 0) != 0 {
		return nil, fmt.Errorf("unsupported: antialias=1")
	}
	policy := c.n.AttrString("keep_aspect_ratio_policy", "stretch")
	if policy != "stretch" && policy != "not_larger" && policy != "not_smaller" {
		return nil, fmt.Errorf("unsupported keep_aspect_ratio_policy %q", policy)
	}
	scales := make([]float64, r)
	sizes := make([]int64, r)
	var sc, sz []float64
	var err error
	switch {
	case c.n.OpType == "Upsample" && c.opset < 9:
		for _, f := range c.n.AttrFloats("scales", nil) {
			sc = append(sc, float64(f))
		}
	case c.n.OpType == "Upsample" || c.opset < 11:
		t := c.input(1)
		if t == nil || !t.konst {
			return nil, fmt.Errorf("scales must be constant at plan time (it is computed at run time)")
		}
		sc, err = t.floats()
	default:
		if t := c.input(2); t != nil && t.n > 0 {
			if !t.konst {
				return nil, fmt.Errorf("scales must be constant at plan time (it is computed at run time)")
			}
			sc, err = t.floats()
		}
		if t := c.input(3); t != nil && t.n > 0 {
			if !t.konst {
				return nil, fmt.Errorf("sizes must be constant at plan time (it is computed at run time)")
			}
			sz, err = t.floats()
		}
	}
	if err != nil {
		return nil, err
	}
	axes, err := axesAttr(c.n, r)
	if err != nil {
		return nil, err
	}
	for i := range scales {
		scales[i], sizes[i] = 1, x.shape[i]
	}
	switch {
	case sz != nil:
		if len(sz) != len(axes) {
			return nil, fmt.Errorf("sizes %v for %d axes", sz, len(axes))
		}
		if policy != "stretch" {
			// One scale for all axes: the largest that fits (not_larger)
			// or the smallest that covers (not_smaller) the sizes.
			s := sz[0] / float64(x.shape[axes[0]])
			for i, a := range axes {
				r := sz[i] / float64(x.shape[a])
				if policy == "not_larger" {
					s = math.Min(s, r)
				} else {
					s = math.Max(s, r)
				}
			}
			for _, a := range axes {
				scales[a] = s
				sizes[a] = int64(math.Round(s * float64(x.shape[a])))
			}
			break
		}
		for i, a := range axes {
			sizes[a] = int64(sz[i])
			scales[a] = sz[i] / float64(x.shape[a])
		}
	case sc != nil:
		if len(sc) != len(axes) {
			return nil, fmt.Errorf("scales %v for %d axes", sc, len(axes))
		}
		for i, a := range axes {
			if sc[i] <= 0 {
				return nil, fmt.Errorf("scale %v <= 0", sc[i])
			}
			scales[a] = sc[i]
			sizes[a] = int64(math.Floor(float64(x.shape[a]) * sc[i]))
		}
	default:
		return nil, fmt.Errorf("neither scales nor sizes given")
	}
	out, err := c.setOut(0, ir.Float32, sizes)
	if err != nil {
		return nil, err
	}
	// Per axis: for every output index, two input indices and weights.
	// tap: the input indices and weights that make one output index.
	type tap struct {
		n   int
		idx [4]int
		w   [4]float64
	}
	ca := float64(c.n.AttrFloat("cubic_coeff_a", -0.75))
	exclude := c.n.AttrInt("exclude_outside", 0) == 1
	cubicW := func(d float64) float64 {
		d = math.Abs(d)
		switch {
		case d <= 1:
			return ((ca+2)*d-(ca+3))*d*d + 1
		case d < 2:
			return ((ca*d-5*ca)*d+8*ca)*d - 4*ca
		}
		return 0
	}
	var tapBytes int64
	for a := 0; a < r; a++ {
		if sizes[a] > ir.MaxElements {
			return nil, fmt.Errorf("output size %d on axis %d is too large", sizes[a], a)
		}
		tapBytes += sizes[a] * int64(unsafe.Sizeof(tap{}))
	}
	if err := c.b.charge(tapBytes); err != nil {
		return nil, err
	}
	taps := make([][]tap, r)
	for a := 0; a < r; a++ {
		in, on := int(x.shape[a]), int(sizes[a])
		taps[a] = make([]tap, on)
		for o := 0; o < on; o++ {
			var xo float64
			s := scales[a]
			switch ctm {
			case "half_pixel":
				xo = (float64(o)+0.5)/s - 0.5
			case "pytorch_half_pixel":
				if on > 1 {
					xo = (float64(o)+0.5)/s - 0.5
				}
			case "align_corners":
				// ONNX uses the unrounded resized length in*scale.
				if lr := float64(in) * s; lr > 1 {
					xo = float64(o) * float64(in-1) / (lr - 1)
				}
			case "asymmetric":
				xo = float64(o) / s
			case "half_pixel_symmetric":
				adj := float64(on) / (s * float64(in))
				center := float64(in) / 2
				xo = center*(1-adj) + (float64(o)+0.5)/s - 0.5
			default:
				return nil, fmt.Errorf("unsupported coordinate_transformation_mode %q", ctm)
			}
			if mode == "nearest" {
				var k float64
				switch nm {
				case "round_prefer_floor":
					if xo-math.Floor(xo) == 0.5 {
						k = math.Floor(xo)
					} else {
						k = math.Round(xo)
					}
				case "round_prefer_ceil":
					if xo-math.Floor(xo) == 0.5 {
						k = math.Ceil(xo)
					} else {
						k = math.Round(xo)
					}
				case "floor":
					k = math.Floor(xo)
				case "simple":
					if s < 1 {
						k = math.Ceil(xo)
					} else {
						k = math.Floor(xo)
					}
				case "ceil":
					k = math.Ceil(xo)
				default:
					return nil, fmt.Errorf("unsupported nearest_mode %q", nm)
				}
				i := min(max(int(k), 0), in-1)
				taps[a][o] = tap{n: 1, idx: [4]int{i}, w: [4]float64{1}}
				continue
			}
			if mode == "cubic" {
				x0 := math.Floor(xo)
				t := xo - x0
				var tp tap
				tp.n = 4
				sum := 0.0
				for j := 0; j < 4; j++ {
					i := int(x0) - 1 + j
					w := cubicW(t + 1 - float64(j))
					if exclude && (i < 0 || i >= in) {
						w = 0
					}
					tp.idx[j], tp.w[j] = min(max(i, 0), in-1), w
					sum += w
				}
				if exclude && sum != 0 {
					for j := range tp.w {
						tp.w[j] /= sum
					}
				}
				taps[a][o] = tp
				continue
			}
			xo = min(max(xo, 0), float64(in-1))
			i0 := int(math.Floor(xo))
			i1 := min(i0+1, in-1)
			w1 := xo - float64(i0)
			taps[a][o] = tap{n: 2, idx: [4]int{i0, i1}, w: [4]float64{1 - w1, w1}}
		}
	}
	is := contiguousStrides(x.shape)
	idx := make([]int, r)
	cnt := make([]int, r)
	return func() {
		xs, os := x.f32(), out.f32()
		for i := range idx {
			idx[i] = 0
		}
		for k := range os {
			// Sum over the product of the axes' taps (weights 0 skipped).
			var s float64
			for i := range cnt {
				cnt[i] = 0
			}
			for {
				w := 1.0
				off := 0
				for a := 0; a < r; a++ {
					t := &taps[a][idx[a]]
					w *= t.w[cnt[a]]
					off += t.idx[cnt[a]] * is[a]
				}
				if w != 0 {
					s += w * float64(xs[off])
				}
				a := r - 1
				for ; a >= 0; a-- {
					cnt[a]++
					if cnt[a] < taps[a][idx[a]].n {
						break
					}
					cnt[a] = 0
				}
				if a < 0 {
					break
				}
			}
			os[k] = float32(s)
			nextIndex(idx, sizes)
		}
	}, nil
}

func init() {
	register("", "Resize", opResize)
	register("", "Upsample", opResize)
}
