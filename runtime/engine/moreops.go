package engine

import (
	"fmt"
	"math"

	"github.com/mconv/mconv/ir"
)

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
			if len(pads) != 2*len(axes) {
				return nil, fmt.Errorf("pads %v for axes %v", pads, axes)
			}
			full := make([]int64, 2*r)
			for i, a := range axes {
				k, err := ir.NormAxis(a, r)
				if err != nil {
					return nil, err
				}
				full[k], full[k+r] = pads[i], pads[i+len(axes)]
			}
			pads = full
		}
	}
	if len(pads) != 2*r {
		return nil, fmt.Errorf("pads %v for rank %d", pads, r)
	}
	shape := make([]int64, r)
	tables := make([][]int, r)
	for i := 0; i < r; i++ {
		d := int(x.shape[i])
		b, e := int(pads[i]), int(pads[i+r])
		o := d + b + e
		if o < 0 {
			return nil, fmt.Errorf("pads %v give a negative size", pads)
		}
		shape[i] = int64(o)
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
	out, err := c.setOut(0, x.dt, shape)
	if err != nil {
		return nil, err
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

// opSqueezeExcite is mconv's fused Squeeze-and-Excite: s = mean_HW(x);
// h = act(w1*s + b1) (act relu or silu); g = gate(w2*h + b2); y = x * g. With constant
// weights and the optimized kernels enabled it runs fastSqueezeExcite
// (se.go); otherwise the plain reference below.
func opSqueezeExcite(c *ctx) (func(), error) {
	x, w1, b1, w2, b2 := c.input(0), c.input(1), c.input(2), c.input(3), c.input(4)
	for i, t := range []*tval{x, w1, b1, w2, b2} {
		if t == nil || t.dt != ir.Float32 {
			return nil, fmt.Errorf("input %d must be float32", i)
		}
	}
	if len(x.shape) != 4 {
		return nil, fmt.Errorf("x must be [N,C,H,W], is %v", x.shape)
	}
	N, C, HW := int(x.shape[0]), int(x.shape[1]), int(x.shape[2]*x.shape[3])
	Cr := int(w1.shape[0])
	if w1.n != Cr*C || b1.n != Cr || w2.n != C*Cr || b2.n != C {
		return nil, fmt.Errorf("weights %v %v %v %v do not fit %d channels", w1.shape, b1.shape, w2.shape, b2.shape, C)
	}
	var gate act
	switch gs := c.n.AttrString("gate", "sigmoid"); gs {
	case "sigmoid":
		gate = act{kind: actSigmoid}
	case "hardsigmoid":
		gate = act{kind: actHardSigmoid, a: c.n.AttrFloat("alpha", 0.2), b: c.n.AttrFloat("beta", 0.5)}
	default:
		return nil, fmt.Errorf("unsupported gate %q", gs)
	}
	var inner act
	switch as := c.n.AttrString("act", "relu"); as {
	case "relu":
		inner = act{kind: actRelu}
	case "silu":
		inner = act{kind: actSiLU}
	default:
		return nil, fmt.Errorf("unsupported act %q", as)
	}
	out, err := c.setOut(0, ir.Float32, x.shape)
	if err != nil {
		return nil, err
	}
	if useKernels && w1.konst && b1.konst && w2.konst && b2.konst && Cr > 0 && C > 0 && HW > 0 {
		c.kernels = true
		return c.fastSqueezeExcite(x, out, w1.f32(), b1.f32(), w2.f32(), b2.f32(), N, C, Cr, HW, inner, gate), nil
	}
	s := make([]float32, C)
	h := make([]float32, Cr)
	g := make([]float32, C)
	return func() {
		xs, os := x.f32(), out.f32()
		W1, B1, W2, B2 := w1.f32(), b1.f32(), w2.f32(), b2.f32()
		for n := 0; n < N; n++ {
			xn := xs[n*C*HW : (n+1)*C*HW]
			for ch := 0; ch < C; ch++ {
				s[ch] = poolPlane(xn[ch*HW:(ch+1)*HW], false)
			}
			for i := 0; i < Cr; i++ {
				v := B1[i]
				for ch, sv := range s {
					v += W1[i*C+ch] * sv
				}
				h[i] = v
			}
			inner.apply(h, h)
			for ch := 0; ch < C; ch++ {
				v := B2[ch]
				for i, hv := range h {
					v += W2[ch*Cr+i] * hv
				}
				g[ch] = v
			}
			gate.apply(g, g)
			on := os[n*C*HW : (n+1)*C*HW]
			for ch := 0; ch < C; ch++ {
				gv := g[ch]
				xr, or := xn[ch*HW:(ch+1)*HW], on[ch*HW:(ch+1)*HW]
				for i, v := range xr {
					or[i] = v * gv
				}
			}
		}
	}, nil
}

// opLayerNorm implements LayerNormalization over dims axis..end (float32,
// statistics in float64).
func opLayerNorm(c *ctx) (func(), error) {
	x, sc, bi := c.input(0), c.input(1), c.input(2)
	if x.dt != ir.Float32 || sc == nil || sc.dt != ir.Float32 || (bi != nil && bi.dt != ir.Float32) {
		return nil, fmt.Errorf("unsupported: LayerNormalization on %s", x.dt)
	}
	r := len(x.shape)
	ax, err := ir.NormAxis(c.n.AttrInt("axis", -1), r)
	if err != nil {
		return nil, err
	}
	eps := float64(c.n.AttrFloat("epsilon", 1e-5))
	outer := int(ir.NumElements(x.shape[:ax]))
	inner := int(ir.NumElements(x.shape[ax:]))
	norm := x.shape[ax:]
	mk := func(t *tval) (*bloop, error) {
		if t == nil {
			return nil, nil
		}
		if _, err := ir.BroadcastShape(norm, t.shape); err != nil || len(t.shape) > len(norm) {
			return nil, fmt.Errorf("scale/bias %v do not broadcast to %v", t.shape, norm)
		}
		bl := newBloop(norm, t.shape, t.shape)
		return &bl, nil
	}
	sbl, err := mk(sc)
	if err != nil {
		return nil, err
	}
	bbl, err := mk(bi)
	if err != nil {
		return nil, err
	}
	// Expand scale and bias to the normalized shape at run time into
	// scratch (they are usually constants, then this is cheap).
	scE := c.newScratch(ir.Float32, inner)
	biE := c.newScratch(ir.Float32, inner)
	out, err := c.setOut(0, ir.Float32, x.shape)
	if err != nil {
		return nil, err
	}
	stShape := append(append([]int64{}, x.shape[:ax]...), make([]int64, r-ax)...)
	for i := ax; i < r; i++ {
		stShape[i] = 1
	}
	var mean, inv *tval
	if len(c.out) > 1 {
		if mean, err = c.setOut(1, ir.Float32, stShape); err != nil {
			return nil, err
		}
	}
	if len(c.out) > 2 {
		if inv, err = c.setOut(2, ir.Float32, stShape); err != nil {
			return nil, err
		}
	}
	expand := func(dst []float32, t *tval, bl *bloop) {
		if t == nil {
			clear(dst)
			return
		}
		src := t.f32()
		for k := range dst {
			dst[k] = src[offsetIn(bl, 0, k)]
		}
	}
	return func() {
		S, B := scE.f32(), biE.f32()
		expand(S, sc, sbl)
		expand(B, bi, bbl)
		xs, os := x.f32(), out.f32()
		for o := 0; o < outer; o++ {
			row := xs[o*inner : (o+1)*inner]
			var m float64
			for _, v := range row {
				m += float64(v)
			}
			m /= float64(inner)
			var vr float64
			for _, v := range row {
				d := float64(v) - m
				vr += d * d
			}
			vr /= float64(inner)
			is := 1 / math.Sqrt(vr+eps)
			orow := os[o*inner : (o+1)*inner]
			for i, v := range row {
				orow[i] = float32((float64(v)-m)*is)*S[i] + B[i]
			}
			if mean != nil {
				mean.f32()[o] = float32(m)
			}
			if inv != nil {
				inv.f32()[o] = float32(is)
			}
		}
	}, nil
}

// opInstanceNorm: per (n, c) normalization over the spatial dims.
func opInstanceNorm(c *ctx) (func(), error) {
	x, sc, bi := c.input(0), c.input(1), c.input(2)
	if x.dt != ir.Float32 || sc == nil || bi == nil {
		return nil, fmt.Errorf("unsupported: InstanceNormalization on %s", x.dt)
	}
	if len(x.shape) < 2 || sc.n != int(x.shape[1]) || bi.n != int(x.shape[1]) {
		return nil, fmt.Errorf("scale/B must have C elements")
	}
	eps := float64(c.n.AttrFloat("epsilon", 1e-5))
	out, err := c.setOut(0, ir.Float32, x.shape)
	if err != nil {
		return nil, err
	}
	C := int(x.shape[1])
	inner := int(ir.NumElements(x.shape[2:]))
	planes := int(x.shape[0]) * C
	return func() {
		xs, os, S, B := x.f32(), out.f32(), sc.f32(), bi.f32()
		for p := 0; p < planes; p++ {
			row := xs[p*inner : (p+1)*inner]
			var m, vr float64
			for _, v := range row {
				m += float64(v)
			}
			m /= float64(inner)
			for _, v := range row {
				d := float64(v) - m
				vr += d * d
			}
			vr /= float64(inner)
			k := float64(S[p%C]) / math.Sqrt(vr+eps)
			orow := os[p*inner : (p+1)*inner]
			for i, v := range row {
				orow[i] = float32((float64(v)-m)*k + float64(B[p%C]))
			}
		}
	}, nil
}

// opLRN: y = x / (bias + alpha/size * sum of squares over the channel
// window)^beta.
func opLRN(c *ctx) (func(), error) {
	x := c.input(0)
	if x.dt != ir.Float32 || len(x.shape) < 2 {
		return nil, fmt.Errorf("unsupported: LRN on %s%v", x.dt, x.shape)
	}
	size := int(c.n.AttrInt("size", 0))
	if size < 1 {
		return nil, fmt.Errorf("size must be >= 1")
	}
	alpha, beta, bias := float64(c.n.AttrFloat("alpha", 1e-4)), float64(c.n.AttrFloat("beta", 0.75)), float64(c.n.AttrFloat("bias", 1))
	out, err := c.setOut(0, ir.Float32, x.shape)
	if err != nil {
		return nil, err
	}
	N, C := int(x.shape[0]), int(x.shape[1])
	inner := int(ir.NumElements(x.shape[2:]))
	lo, hi := (size-1)/2, (size-1)-(size-1)/2
	return func() {
		xs, os := x.f32(), out.f32()
		for n := 0; n < N; n++ {
			for ch := 0; ch < C; ch++ {
				for i := 0; i < inner; i++ {
					var s float64
					for k := max(0, ch-lo); k <= min(C-1, ch+hi); k++ {
						v := float64(xs[(n*C+k)*inner+i])
						s += v * v
					}
					j := (n*C+ch)*inner + i
					os[j] = float32(float64(xs[j]) / math.Pow(bias+alpha/float64(size)*s, beta))
				}
			}
		}
	}, nil
}

// opDepthSpace implements DepthToSpace (DCR, CRD) and SpaceToDepth as a
// 6-D strided copy.
func opDepthSpace(c *ctx) (func(), error) {
	x := c.input(0)
	if len(x.shape) != 4 {
		return nil, fmt.Errorf("input must be 4-D, is %v", x.shape)
	}
	b := c.n.AttrInt("blocksize", 0)
	if b < 1 {
		return nil, fmt.Errorf("blocksize must be >= 1")
	}
	N, C, H, W := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	var v6, perm []int64
	var oshape []int64
	if c.n.OpType == "DepthToSpace" {
		if C%(b*b) != 0 {
			return nil, fmt.Errorf("channels %d not divisible by blocksize^2", C)
		}
		if c.n.AttrString("mode", "DCR") == "CRD" {
			v6, perm = []int64{N, C / (b * b), b, b, H, W}, []int64{0, 1, 4, 2, 5, 3}
		} else {
			v6, perm = []int64{N, b, b, C / (b * b), H, W}, []int64{0, 3, 4, 1, 5, 2}
		}
		oshape = []int64{N, C / (b * b), H * b, W * b}
	} else {
		if H%b != 0 || W%b != 0 {
			return nil, fmt.Errorf("spatial dims not divisible by blocksize")
		}
		v6, perm = []int64{N, C, H / b, b, W / b, b}, []int64{0, 3, 5, 1, 2, 4}
		oshape = []int64{N, C * b * b, H / b, W / b}
	}
	out, err := c.setOut(0, x.dt, oshape)
	if err != nil {
		return nil, err
	}
	is := contiguousStrides(v6)
	sh := make([]int64, 6)
	ss := make([]int, 6)
	for i, p := range perm {
		sh[i], ss[i] = v6[p], is[p]
	}
	p := newStrided(ints(sh), contiguousStrides(sh), ss, 0, 0)
	return copyKernel(out, []*tval{x}, []*strided{p})
}

// opGatherElements: out[i] = data[i with axis coordinate replaced by
// indices[i]].
func opGatherElements(c *ctx) (func(), error) {
	x, idx := c.input(0), c.input(1)
	r := len(x.shape)
	ax, err := ir.NormAxis(c.n.AttrInt("axis", 0), r)
	if err != nil {
		return nil, err
	}
	if idx.dt != ir.Int64 && idx.dt != ir.Int32 || len(idx.shape) != r {
		return nil, fmt.Errorf("indices must be int32/int64 of rank %d", r)
	}
	out, err := c.setOut(0, x.dt, idx.shape)
	if err != nil {
		return nil, err
	}
	is := contiguousStrides(x.shape)
	sz := x.dt.Size()
	cnt := make([]int, r)
	d := int(x.shape[ax])
	return func() {
		for i := range cnt {
			cnt[i] = 0
		}
		for k := 0; k < out.n; k++ {
			j := int(getI(idx.dt, idx.buf, k))
			if j < 0 {
				j += d
			}
			off := 0
			for a := 0; a < r; a++ {
				if a == ax {
					off += j * is[a]
				} else {
					off += cnt[a] * is[a]
				}
			}
			if j < 0 || j >= d {
				clear(out.buf[k*sz : (k+1)*sz])
			} else {
				copy(out.buf[k*sz:(k+1)*sz], x.buf[off*sz:(off+1)*sz])
			}
			nextIndex(cnt, idx.shape)
		}
	}, nil
}

// opCumSum: cumulative sum along a constant axis (exclusive, reverse).
func opCumSum(c *ctx) (func(), error) { return cumulative(c, "CumSum", false) }

// cumulative implements CumSum (prod false) and CumProd (prod true) along a
// constant axis, honouring the exclusive and reverse attributes; op names
// the operator in errors.
func cumulative(c *ctx, op string, prod bool) (func(), error) {
	x := c.input(0)
	a, err := c.constInts(1)
	if err != nil {
		return nil, err
	}
	if len(a) != 1 {
		return nil, fmt.Errorf("axis must be a scalar")
	}
	ax, err := ir.NormAxis(a[0], len(x.shape))
	if err != nil {
		return nil, err
	}
	if x.dt != ir.Float32 && x.dt != ir.Float64 && x.dt != ir.Int32 && x.dt != ir.Int64 {
		return nil, fmt.Errorf("unsupported: %s on %s", op, x.dt)
	}
	out, err := c.setOut(0, x.dt, x.shape)
	if err != nil {
		return nil, err
	}
	excl, rev := c.n.AttrInt("exclusive", 0) == 1, c.n.AttrInt("reverse", 0) == 1
	outer := int(ir.NumElements(x.shape[:ax]))
	n := int(x.shape[ax])
	st := int(ir.NumElements(x.shape[ax+1:]))
	return func() {
		for o := 0; o < outer; o++ {
			for s := 0; s < st; s++ {
				acc, iacc := 0.0, int64(0)
				if prod {
					acc, iacc = 1, 1
				}
				for k := 0; k < n; k++ {
					kk := k
					if rev {
						kk = n - 1 - k
					}
					j := o*n*st + kk*st + s
					if x.dt.IsInt() {
						v := getI(x.dt, x.buf, j)
						if excl {
							setI(x.dt, out.buf, j, iacc)
							iacc = accI(iacc, v, prod)
						} else {
							iacc = accI(iacc, v, prod)
							setI(x.dt, out.buf, j, iacc)
						}
						continue
					}
					v := getF(x.dt, x.buf, j)
					if excl {
						setF(x.dt, out.buf, j, acc)
						acc = accF(acc, v, prod)
					} else {
						acc = accF(acc, v, prod)
						setF(x.dt, out.buf, j, acc)
					}
				}
			}
		}
	}, nil
}

// accI and accF advance a cumulative sum or product by v.
func accI(acc, v int64, prod bool) int64 {
	if prod {
		return acc * v
	}
	return acc + v
}

func accF(acc, v float64, prod bool) float64 {
	if prod {
		return acc * v
	}
	return acc + v
}

// opTrilu keeps the upper (or lower) triangle of the last two dims.
func opTrilu(c *ctx) (func(), error) {
	x := c.input(0)
	r := len(x.shape)
	if r < 2 {
		return nil, fmt.Errorf("input rank %d < 2", r)
	}
	var k int64
	if c.input(1) != nil {
		kv, err := c.constInts(1)
		if err != nil {
			return nil, err
		}
		k = kv[0]
	}
	upper := c.n.AttrInt("upper", 1) == 1
	out, err := c.setOut(0, x.dt, x.shape)
	if err != nil {
		return nil, err
	}
	R, C := int(x.shape[r-2]), int(x.shape[r-1])
	sz := x.dt.Size()
	return func() {
		copy(out.buf, x.buf)
		for m := 0; m < x.n/max(R*C, 1); m++ {
			for i := 0; i < R; i++ {
				for j := 0; j < C; j++ {
					keep := int64(j-i) >= k
					if !upper {
						keep = int64(j-i) <= k
					}
					if !keep {
						e := (m*R*C + i*C + j) * sz
						clear(out.buf[e : e+sz])
					}
				}
			}
		}
	}, nil
}

func init() {
	register("", "Pad", opPad)
	register("", "Resize", opResize)
	register("", "Upsample", opResize)
	register(ir.FusedDomain, "SqueezeExcite", opSqueezeExcite)
	register("", "LayerNormalization", opLayerNorm)
	register("", "InstanceNormalization", opInstanceNorm)
	register("", "LRN", opLRN)
	register("", "DepthToSpace", opDepthSpace)
	register("", "SpaceToDepth", opDepthSpace)
	register("", "GatherElements", opGatherElements)
	register("", "CumSum", opCumSum)
	register("", "Trilu", opTrilu)
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
