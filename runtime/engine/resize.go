package engine

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/runtime/kernels"
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
		tapBytes += sizes[a] * int64(unsafe.Sizeof(resizeTap{}))
	}
	if err := c.b.charge(tapBytes); err != nil {
		return nil, err
	}
	taps := make([][]resizeTap, r)
	for a := 0; a < r; a++ {
		in, on := int(x.shape[a]), int(sizes[a])
		taps[a] = make([]resizeTap, on)
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
				taps[a][o] = resizeTap{n: 1, idx: [4]int{i}, w: [4]float64{1}}
				continue
			}
			if mode == "cubic" {
				x0 := math.Floor(xo)
				t := xo - x0
				var tp resizeTap
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
			taps[a][o] = resizeTap{n: 2, idx: [4]int{i0, i1}, w: [4]float64{1 - w1, w1}}
		}
	}
	if k := c.resizeRows(x, out, taps); k != nil {
		return k, nil
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

// resizeTap holds the input indices and weights that make one output index
// along one axis (1 tap: nearest, 2: linear, 4: cubic).
type resizeTap struct {
	n   int
	idx [4]int
	w   [4]float64
}

// resizeRows returns the row kernel of a nearest or linear Resize that
// resamples only the last two axes (every other axis maps each index to
// itself), or nil when the resize is not of that form. Per plane, nearest
// makes each output row from its input row by repeating every element an
// integer factor of times, or else through a column index table (an output
// row equal to the one before is copied); linear interpolates
// each needed input row along the columns once (the last two are kept)
// and blends two of them per output row (kernels.LerpInto). Index tables
// and float32 weights come from the per-axis taps made at plan time.
func (c *ctx) resizeRows(x, out *tval, taps [][]resizeTap) func() {
	r := len(x.shape)
	if r < 2 {
		return nil
	}
	n := taps[r-1][0].n
	if n != 1 && n != 2 {
		return nil
	}
	for a := range taps {
		for o, t := range taps[a] {
			if t.n != n {
				return nil
			}
			if a < r-2 && (t.idx[0] != o || t.w[0] != 1 || (n == 2 && t.w[1] != 0) || len(taps[a]) != int(x.shape[a])) {
				return nil
			}
		}
	}
	H, W := int(x.shape[r-2]), int(x.shape[r-1])
	OH, OW := len(taps[r-2]), len(taps[r-1])
	planes := int(ir.NumElements(x.shape[:r-2]))
	if planes == 0 || H == 0 || W == 0 || OH == 0 || OW == 0 {
		return nil
	}
	// Column tables: first and second input column and weights (a second
	// weight of 0 reads the first column again).
	x0, x1 := make([]int32, OW), make([]int32, OW)
	wx0, wx1 := make([]float32, OW), make([]float32, OW)
	for o, t := range taps[r-1] {
		x0[o], x1[o], wx0[o] = int32(t.idx[0]), int32(t.idx[0]), float32(t.w[0])
		if n == 2 && t.w[1] != 0 {
			x1[o], wx1[o] = int32(t.idx[1]), float32(t.w[1])
		}
	}
	// Nearest with an integer factor: every input column dup times, in
	// order.
	dup := OW / W
	if dup < 2 || OW != dup*W {
		dup = 0
	}
	for o := range x0 {
		if dup > 0 && int(x0[o]) != o/dup {
			dup = 0
		}
	}
	ys := taps[r-2]
	chunks := c.b.pool.chunksFor(planes, H*W+2*OH*OW)
	if n == 1 && dup == 2 && OH == 2*H && nearestRowsByTwo(ys) {
		// Nearest x2 on both axes: every input row of every plane makes
		// two output rows, in one kernel call per chunk of planes.
		f := func(lo, hi int) {
			xs, os := x.f32(), out.f32()
			for ch := lo; ch < hi; ch++ {
				p0, p1 := ch*planes/chunks, (ch+1)*planes/chunks
				kernels.Upsample2(os[p0*OH*OW:p1*OH*OW], xs[p0*H*W:p1*H*W], (p1-p0)*H, W)
			}
		}
		return func() { c.b.pool.parallelFor(chunks, 1, f) }
	}
	if H*W <= resizeSmallPlane && planes >= resizeMinBlockPlanes {
		return c.resizeBlocked(x, out, n, planes, H, W, OH, OW, x0, x1, wx0, wx1, ys)
	}
	per := 0
	if n == 2 {
		per = 2 * OW // two interpolated input rows
	}
	var sc *tval
	if per > 0 {
		sc = c.newScratch(ir.Float32, chunks*per)
	}
	nearestRow := func(d, s []float32) {
		switch dup {
		case 0:
			for o, i := range x0 {
				d[o] = s[i]
			}
		case 2:
			kernels.Repeat2(d, s[:len(d)/2])
		default:
			s = s[:len(d)/dup]
			for i, v := range s {
				e := d[i*dup : (i+1)*dup]
				for k := range e {
					e[k] = v
				}
			}
		}
	}
	lerpRow := func(d, s []float32) {
		d = d[:len(x0)]
		for o := range d {
			d[o] = float32(s[x0[o]]*wx0[o]) + float32(s[x1[o]]*wx1[o])
		}
	}
	f := func(lo, hi int) {
		xs, os := x.f32(), out.f32()
		var hb []float32
		if sc != nil {
			hb = sc.f32()
		}
		for ch := lo; ch < hi; ch++ {
			var buf [2][]float32
			if per > 0 {
				buf[0], buf[1] = hb[ch*per:ch*per+OW], hb[ch*per+OW:ch*per+2*OW]
			}
			for p := ch * planes / chunks; p < (ch+1)*planes/chunks; p++ {
				xp := xs[p*H*W : (p+1)*H*W]
				op := os[p*OH*OW : (p+1)*OH*OW]
				held := [2]int{-1, -1} // input rows interpolated in buf
				row := func(y, keep int) []float32 {
					for i, h := range held {
						if h == y {
							return buf[i]
						}
					}
					i := 0
					if held[0] == keep {
						i = 1
					}
					lerpRow(buf[i], xp[y*W:(y+1)*W])
					held[i] = y
					return buf[i]
				}
				for oy := 0; oy < OH; oy++ {
					d := op[oy*OW : (oy+1)*OW]
					t := &ys[oy]
					if n == 1 {
						if oy > 0 && ys[oy-1].idx[0] == t.idx[0] {
							copy(d, op[(oy-1)*OW:oy*OW])
							continue
						}
						nearestRow(d, xp[t.idx[0]*W:(t.idx[0]+1)*W])
						continue
					}
					if t.w[1] == 0 {
						copy(d, row(t.idx[0], -1))
						continue
					}
					h0 := row(t.idx[0], t.idx[1])
					h1 := row(t.idx[1], t.idx[0])
					kernels.LerpInto(d, h0, h1, float32(t.w[0]), float32(t.w[1]))
				}
			}
		}
	}
	return func() { c.b.pool.parallelFor(chunks, 1, f) }
}

// A Resize of many small planes (EfficientFormerV2's linear 7x7 -> 14x14
// on 1024 channels, GhostNetV3's nearest 3x3 -> 7x7 on 960) runs
// channels-last (resizeBlocked) when a plane has
// at most resizeSmallPlane pixels and there are at least
// resizeMinBlockPlanes planes: the per-plane path's short rows cost more
// in calls than in arithmetic there. Variables so tests can force either.
var (
	resizeSmallPlane     = 256
	resizeMinBlockPlanes = 16
)

// resizeBlock is the number of planes resizeBlocked takes at a time.
const resizeBlock = 64

// resizeBlocked is resizeRows on planes taken resizeBlock at a time and
// transposed channels-last (kernels.Transpose32), taps taps per axis (1:
// nearest, 2: linear). Linear: every input row is interpolated along the
// columns as one kernels.LerpInto per output column over the block's
// channels, every output row from two such rows as one LerpInto over the
// whole row and channels (or a copy when its second weight is 0). Each
// output element is the same two rounded products and sum, in the same
// order, as on the per-plane path, so the bits are the same. Nearest: each
// output pixel's channels are one copy (an output row equal to the one
// before is copied whole). The result is transposed back.
func (c *ctx) resizeBlocked(x, out *tval, taps, planes, H, W, OH, OW int, x0, x1 []int32, wx0, wx1 []float32, ys []resizeTap) func() {
	blocks := (planes + resizeBlock - 1) / resizeBlock
	inF, rowF, outF := H*W*resizeBlock, H*OW*resizeBlock, OH*OW*resizeBlock
	if taps == 1 {
		rowF = 0 // nearest reads the input pixels straight
	}
	per := inF + rowF + outF
	chunks := c.b.pool.chunksFor(blocks, resizeBlock*(H*W+H*OW+2*OH*OW))
	sc := c.newScratch(ir.Float32, chunks*per)
	f := func(lo, hi int) {
		xs, os, sb := x.f32(), out.f32(), sc.f32()
		for ch := lo; ch < hi; ch++ {
			buf := sb[ch*per : (ch+1)*per]
			in, rows, o := buf[:inF], buf[inF:inF+rowF], buf[inF+rowF:]
			for b := ch * blocks / chunks; b < (ch+1)*blocks/chunks; b++ {
				p0 := b * resizeBlock
				nc := min(resizeBlock, planes-p0)
				// in: [H*W][nc], rows: [H][OW][nc], o: [OH][OW][nc].
				kernels.Transpose32(in, nc, xs[p0*H*W:], H*W, nc, H*W)
				rl := OW * nc
				if taps == 1 {
					for oy := 0; oy < OH; oy++ {
						d := o[oy*rl : (oy+1)*rl]
						y := ys[oy].idx[0]
						if oy > 0 && ys[oy-1].idx[0] == y {
							copy(d, o[(oy-1)*rl:oy*rl])
							continue
						}
						for ox, xi := range x0 {
							a := (y*W + int(xi)) * nc
							copy(d[ox*nc:(ox+1)*nc], in[a:a+nc])
						}
					}
					kernels.Transpose32(os[p0*OH*OW:], OH*OW, o, nc, OH*OW, nc)
					continue
				}
				for y := 0; y < H; y++ {
					for ox := 0; ox < OW; ox++ {
						a, bb := (y*W+int(x0[ox]))*nc, (y*W+int(x1[ox]))*nc
						kernels.LerpInto(rows[(y*OW+ox)*nc:(y*OW+ox+1)*nc], in[a:a+nc], in[bb:bb+nc], wx0[ox], wx1[ox])
					}
				}
				for oy := 0; oy < OH; oy++ {
					t := &ys[oy]
					d := o[oy*rl : (oy+1)*rl]
					h0 := rows[t.idx[0]*rl : (t.idx[0]+1)*rl]
					if t.w[1] == 0 {
						copy(d, h0)
						continue
					}
					h1 := rows[t.idx[1]*rl : (t.idx[1]+1)*rl]
					kernels.LerpInto(d, h0, h1, float32(t.w[0]), float32(t.w[1]))
				}
				kernels.Transpose32(os[p0*OH*OW:], OH*OW, o, nc, OH*OW, nc)
			}
		}
	}
	return func() { c.b.pool.parallelFor(chunks, 1, f) }
}

// nearestRowsByTwo reports whether the row taps ys read input row o/2 for
// every output row o (nearest upsampling of the rows by 2).
func nearestRowsByTwo(ys []resizeTap) bool {
	for o, t := range ys {
		if t.n != 1 || t.idx[0] != o/2 {
			return false
		}
	}
	return true
}

func init() {
	register("", "Resize", opResize)
	register("", "Upsample", opResize)
}
