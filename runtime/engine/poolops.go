package engine

import (
	"fmt"
	"math"

	"github.com/mconv/mconv/ir"
)

// opPool implements MaxPool and AveragePool (1-D and 2-D, float32),
// parallel over (batch, channel) planes.
func opPool(c *ctx) (func(), error) {
	x := c.input(0)
	if x.dt != ir.Float32 {
		return nil, fmt.Errorf("unsupported: %s on %s (only float32)", c.n.OpType, x.dt)
	}
	r := len(x.shape)
	if r < 3 {
		return nil, fmt.Errorf("X has rank %d, want at least 3", r)
	}
	isMax := c.n.OpType == "MaxPool"
	isLp := c.n.OpType == "LpPool"
	lpP := float64(c.n.AttrInt("p", 2))
	if isLp && r > 4 {
		return nil, fmt.Errorf("unsupported: LpPool with %d spatial dims", r-2)
	}
	if isMax && len(c.n.Outputs) > 1 && c.n.Outputs[1] != nil {
		return nil, fmt.Errorf("unsupported: MaxPool Indices output")
	}
	if isMax && c.n.AttrInt("storage_order", 0) != 0 {
		return nil, fmt.Errorf("unsupported: storage_order=1")
	}
	kernel := c.n.AttrInts("kernel_shape", nil)
	if len(kernel) != r-2 {
		return nil, fmt.Errorf("kernel_shape %v for %d spatial dims", kernel, r-2)
	}
	ceil := c.n.AttrInt("ceil_mode", 0) == 1
	if r > 4 {
		return opPoolND(c, x, kernel, ceil, isMax)
	}
	outs, pb, pe, st, dl, err := spatialAttrs(c.n, x.shape[2:], kernel, ceil)
	if err != nil {
		return nil, err
	}
	g := convGeom{N: int(x.shape[0]), C: int(x.shape[1])}
	if r == 3 {
		g.H, g.W, g.KH, g.KW, g.SH, g.SW, g.PT, g.PL, g.DH, g.DW, g.OH, g.OW = 1, int(x.shape[2]), 1, int(kernel[0]), 1, st[0], 0, pb[0], 1, dl[0], 1, outs[0]
	} else {
		g.H, g.W, g.KH, g.KW = int(x.shape[2]), int(x.shape[3]), int(kernel[0]), int(kernel[1])
		g.SH, g.SW, g.PT, g.PL, g.DH, g.DW, g.OH, g.OW = st[0], st[1], pb[0], pb[1], dl[0], dl[1], outs[0], outs[1]
	}
	// Padded extent for count_include_pad (the resolved pads; the
	// ceil-mode overhang is never counted).
	padH, padW := 1, g.W+pb[len(pb)-1]+pe[len(pe)-1]
	if r == 4 {
		padH = g.H + pb[0] + pe[0]
	}
	includePad := c.n.AttrInt("count_include_pad", 0) == 1
	out, err := c.setOut(0, ir.Float32, append([]int64{x.shape[0], x.shape[1]}, int64s(outs)...))
	if err != nil {
		return nil, err
	}
	plane := g.H * g.W
	f := func(lo, hi int) {
		xs, os := x.f32(), out.f32()
		for p := lo; p < hi; p++ {
			xp := xs[p*plane : (p+1)*plane]
			op := os[p*g.OH*g.OW : (p+1)*g.OH*g.OW]
			for oy := 0; oy < g.OH; oy++ {
				for ox := 0; ox < g.OW; ox++ {
					iy0, ix0 := oy*g.SH-g.PT, ox*g.SW-g.PL
					var s float32
					if isMax {
						s = float32(math.Inf(-1))
					}
					cnt := 0
					padCnt := 0
					for ky := 0; ky < g.KH; ky++ {
						iy := iy0 + ky*g.DH
						inPadH := iy >= -g.PT && iy < padH-g.PT
						for kx := 0; kx < g.KW; kx++ {
							ix := ix0 + kx*g.DW
							if inPadH && ix >= -g.PL && ix < padW-g.PL {
								padCnt++
							}
							if iy < 0 || iy >= g.H || ix < 0 || ix >= g.W {
								continue
							}
							v := xp[iy*g.W+ix]
							if isLp {
								s += float32(math.Pow(math.Abs(float64(v)), lpP))
								cnt++
								continue
							}
							if isMax {
								if v > s || v != v {
									s = v
								}
							} else {
								s += v
							}
							cnt++
						}
					}
					if isLp {
						op[oy*g.OW+ox] = float32(math.Pow(float64(s), 1/lpP))
						continue
					}
					if !isMax {
						if includePad {
							cnt = padCnt
						}
						if cnt > 0 {
							s /= float32(cnt)
						}
					}
					op[oy*g.OW+ox] = s
				}
			}
		}
	}
	return func() { c.b.pool.parallelFor(g.N*g.C, 1, f) }, nil
}

// opGlobalPool implements GlobalAveragePool and GlobalMaxPool (float32).
func opGlobalPool(c *ctx) (func(), error) {
	x := c.input(0)
	if x.dt != ir.Float32 {
		return nil, fmt.Errorf("unsupported: %s on %s (only float32)", c.n.OpType, x.dt)
	}
	if len(x.shape) < 2 {
		return nil, fmt.Errorf("input rank %d < 2", len(x.shape))
	}
	shape := []int64{x.shape[0], x.shape[1]}
	for range x.shape[2:] {
		shape = append(shape, 1)
	}
	out, err := c.setOut(0, ir.Float32, shape)
	if err != nil {
		return nil, err
	}
	isMax := c.n.OpType == "GlobalMaxPool"
	inner := int(ir.NumElements(x.shape[2:]))
	planes := int(x.shape[0] * x.shape[1])
	return func() {
		xs, os := x.f32(), out.f32()
		for p := 0; p < planes; p++ {
			os[p] = poolPlane(xs[p*inner:(p+1)*inner], isMax)
		}
	}, nil
}

func poolPlane(v []float32, isMax bool) float32 {
	if isMax {
		m := float32(math.Inf(-1))
		for _, x := range v {
			if x > m {
				m = x
			}
		}
		return m
	}
	var s float32
	for _, x := range v {
		s += x
	}
	return s / float32(len(v))
}

func init() {
	register("", "MaxPool", opPool)
	register("", "AveragePool", opPool)
	register("", "LpPool", opPool)
	register("", "GlobalAveragePool", opGlobalPool)
	register("", "GlobalMaxPool", opGlobalPool)
}
