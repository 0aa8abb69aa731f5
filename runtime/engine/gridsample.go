package engine

import (
	"fmt"
	"math"

	"github.com/mconv/mconv/ir"
)

// gsReflect reflects x by the near border until it lies in [lo, hi].
func gsReflect(x, lo, hi float64) float64 {
	rng := hi - lo
	switch {
	case x < lo:
		dx := lo - x
		n := math.Trunc(dx / rng)
		r := dx - n*rng
		if int64(n)%2 == 0 {
			return lo + r
		}
		return hi - r
	case x > hi:
		dx := x - hi
		n := math.Trunc(dx / rng)
		r := dx - n*rng
		if int64(n)%2 == 0 {
			return hi - r
		}
		return lo + r
	}
	return x
}

func cubicCoeffs(t float64) [4]float64 {
	const a = -0.75
	x := math.Abs(t)
	return [4]float64{
		((a*(x+1)-5*a)*(x+1)+8*a)*(x+1) - 4*a,
		((a+2)*x-(a+3))*x*x + 1,
		((a+2)*(1-x)-(a+3))*(1-x)*(1-x) + 1,
		((a*(2-x)-5*a)*(2-x)+8*a)*(2-x) - 4*a,
	}
}

// opGridSample implements GridSample for any number of spatial dims
// (float32): modes nearest, linear/bilinear, cubic/bicubic; padding zeros,
// border, reflection; align_corners; as the ONNX reference computes it.
func opGridSample(c *ctx) (func(), error) {
	x, grid := c.input(0), c.input(1)
	if grid == nil || x.dt != ir.Float32 || grid.dt != ir.Float32 {
		return nil, fmt.Errorf("unsupported: GridSample on %s", x.dt)
	}
	r := len(x.shape)
	k := r - 2
	if k < 1 || len(grid.shape) != r || int(grid.shape[r-1]) != k || grid.shape[0] != x.shape[0] {
		return nil, fmt.Errorf("X %v and grid %v do not fit", x.shape, grid.shape)
	}
	mode := c.n.AttrString("mode", "linear")
	switch mode {
	case "bilinear":
		mode = "linear"
	case "bicubic":
		mode = "cubic"
	case "linear", "cubic", "nearest":
	default:
		return nil, fmt.Errorf("unsupported mode %q", mode)
	}
	pad := c.n.AttrString("padding_mode", "zeros")
	if pad != "zeros" && pad != "border" && pad != "reflection" {
		return nil, fmt.Errorf("unsupported padding_mode %q", pad)
	}
	align := c.n.AttrInt("align_corners", 0) == 1
	N, C := int(x.shape[0]), int(x.shape[1])
	dims := ints(x.shape[2:])
	oshape := append([]int64{int64(N), int64(C)}, grid.shape[1:r-1]...)
	out, err := c.setOut(0, ir.Float32, oshape)
	if err != nil {
		return nil, err
	}
	nOut := int(ir.NumElements(grid.shape[1 : r-1]))
	inSp := int(ir.NumElements(x.shape[2:]))
	is := contiguousStrides(x.shape[2:])
	lo, hi := make([]float64, k), make([]float64, k)
	for i, d := range dims {
		lo[i], hi[i] = -0.5, float64(d)-0.5
		if align {
			lo[i], hi[i] = 0, float64(d)-1
		}
	}
	type tap struct {
		n   int
		idx [4]int
		w   [4]float64
	}
	taps := make([]tap, k)
	cnt := make([]int, k)
	// index maps an integer position to an input index, or -1 (zero).
	index := func(a, i int) int {
		d := dims[a]
		switch pad {
		case "zeros":
			if i < 0 || i >= d {
				return -1
			}
		case "border":
			i = min(max(i, 0), d-1)
		default:
			i = int(gsReflect(float64(i), lo[a], hi[a]))
			i = min(max(i, 0), d-1)
		}
		return i
	}
	return func() {
		xs, gs, os := x.f32(), grid.f32(), out.f32()
		for n := 0; n < N; n++ {
			for o := 0; o < nOut; o++ {
				g := gs[(n*nOut+o)*k : (n*nOut+o+1)*k]
				for a := 0; a < k; a++ {
					v := float64(g[k-1-a]) // grid's last dim is (x, y, ...) = reversed
					var p float64
					if align {
						p = (v + 1) / 2 * float64(dims[a]-1)
					} else {
						p = ((v+1)*float64(dims[a]) - 1) / 2
					}
					if mode == "nearest" {
						p = math.RoundToEven(p)
					}
					if p < lo[a] || p > hi[a] {
						switch pad {
						case "border":
							p = min(max(p, 0), float64(dims[a]-1))
						case "reflection":
							p = gsReflect(p, lo[a], hi[a])
						}
					}
					t := &taps[a]
					switch mode {
					case "nearest":
						t.n, t.idx[0], t.w[0] = 1, index(a, int(p)), 1
					case "linear":
						x0 := math.Floor(p)
						f := p - x0
						t.n = 2
						t.idx[0], t.w[0] = index(a, int(x0)), 1-f
						t.idx[1], t.w[1] = index(a, int(x0)+1), f
					case "cubic":
						x0 := math.Floor(p)
						cf := cubicCoeffs(p - x0)
						t.n = 4
						for j := 0; j < 4; j++ {
							t.idx[j], t.w[j] = index(a, int(x0)-1+j), cf[j]
						}
					}
				}
				for ch := 0; ch < C; ch++ {
					xp := xs[(n*C+ch)*inSp : (n*C+ch+1)*inSp]
					for i := range cnt {
						cnt[i] = 0
					}
					var s float64
					for {
						w, off := 1.0, 0
						for a := 0; a < k; a++ {
							t := &taps[a]
							j := t.idx[cnt[a]]
							if j < 0 {
								w = 0
								break
							}
							w *= t.w[cnt[a]]
							off += j * is[a]
						}
						if w != 0 {
							s += w * float64(xp[off])
						}
						a := k - 1
						for ; a >= 0; a-- {
							cnt[a]++
							if cnt[a] < taps[a].n {
								break
							}
							cnt[a] = 0
						}
						if a < 0 {
							break
						}
					}
					os[(n*C+ch)*nOut+o] = float32(s)
				}
			}
		}
	}, nil
}

func init() { register("", "GridSample", opGridSample) }
