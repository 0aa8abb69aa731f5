package engine

import (
	"fmt"
	"math"
	"sort"

	"github.com/mconv/mconv/ir"
)

// opRMSNorm: y = x / sqrt(mean(x^2 over axes axis..end) + epsilon) * scale
// (float32, statistics in float64).
func opRMSNorm(c *ctx) (func(), error) {
	x, sc := c.input(0), c.input(1)
	if x.dt != ir.Float32 || sc == nil || sc.dt != ir.Float32 {
		return nil, fmt.Errorf("unsupported: RMSNormalization on %s", x.dt)
	}
	r := len(x.shape)
	ax, err := ir.NormAxis(c.n.AttrInt("axis", -1), r)
	if err != nil {
		return nil, err
	}
	norm := x.shape[ax:]
	if _, err := ir.BroadcastShape(norm, sc.shape); err != nil || len(sc.shape) > len(norm) {
		return nil, fmt.Errorf("scale %v does not broadcast to %v", sc.shape, norm)
	}
	bl := newBloop(norm, sc.shape, sc.shape)
	eps := float64(c.n.AttrFloat("epsilon", 1e-5))
	out, err := c.setOut(0, ir.Float32, x.shape)
	if err != nil {
		return nil, err
	}
	outer := int(ir.NumElements(x.shape[:ax]))
	inner := int(ir.NumElements(norm))
	return func() {
		xs, os, ss := x.f32(), out.f32(), sc.f32()
		for o := 0; o < outer; o++ {
			row := xs[o*inner : (o+1)*inner]
			var q float64
			for _, v := range row {
				q += float64(v) * float64(v)
			}
			k := 1 / math.Sqrt(q/float64(inner)+eps)
			orow := os[o*inner : (o+1)*inner]
			for i, v := range row {
				orow[i] = float32(float64(v)*k) * ss[offsetIn(&bl, 0, i)]
			}
		}
	}, nil
}

// opLpNorm: x / ||x||_p along axis (p = 1 or 2).
func opLpNorm(c *ctx) (func(), error) {
	x := c.input(0)
	if x.dt != ir.Float32 && x.dt != ir.Float64 {
		return nil, fmt.Errorf("unsupported: LpNormalization on %s", x.dt)
	}
	ax, err := ir.NormAxis(c.n.AttrInt("axis", -1), len(x.shape))
	if err != nil {
		return nil, err
	}
	p := c.n.AttrInt("p", 2)
	if p != 1 && p != 2 {
		return nil, fmt.Errorf("unsupported p=%d", p)
	}
	out, err := c.setOut(0, x.dt, x.shape)
	if err != nil {
		return nil, err
	}
	outer := int(ir.NumElements(x.shape[:ax]))
	n := int(x.shape[ax])
	st := int(ir.NumElements(x.shape[ax+1:]))
	return func() {
		for o := 0; o < outer; o++ {
			for s := 0; s < st; s++ {
				var nv float64
				for i := 0; i < n; i++ {
					v := readF64(x, o*n*st+i*st+s)
					if p == 1 {
						nv += math.Abs(v)
					} else {
						nv += v * v
					}
				}
				if p == 2 {
					nv = math.Sqrt(nv)
				}
				for i := 0; i < n; i++ {
					j := o*n*st + i*st + s
					v := readF64(x, j)
					if nv != 0 {
						v /= nv
					}
					writeF64(out, j, v)
				}
			}
		}
	}, nil
}

// opCumProd: cumulative product along a constant axis (exclusive, reverse).
func opCumProd(c *ctx) (func(), error) { return cumulative(c, "CumProd", true) }

// opTopK: the k largest (or smallest) elements along axis, sorted, with
// their indices; ties keep the lower index first.
func opTopK(c *ctx) (func(), error) {
	x := c.input(0)
	kv, err := c.constInts(1)
	if err != nil {
		return nil, err
	}
	if len(kv) != 1 {
		return nil, fmt.Errorf("K must have one element")
	}
	if x.dt != ir.Float32 && x.dt != ir.Float64 && x.dt != ir.Int32 && x.dt != ir.Int64 {
		return nil, fmt.Errorf("unsupported: TopK on %s", x.dt)
	}
	ax, err := ir.NormAxis(c.n.AttrInt("axis", -1), len(x.shape))
	if err != nil {
		return nil, err
	}
	if c.opset < 10 {
		kv = []int64{c.n.AttrInt("k", 0)}
	}
	k := int(kv[0])
	n := int(x.shape[ax])
	if k < 0 || k > n {
		return nil, fmt.Errorf("K=%d out of range for axis of size %d", k, n)
	}
	largest := c.n.AttrInt("largest", 1) == 1
	shape := append([]int64{}, x.shape...)
	shape[ax] = int64(k)
	vals, err := c.setOut(0, x.dt, shape)
	if err != nil {
		return nil, err
	}
	var idxs *tval
	if len(c.out) > 1 {
		if idxs, err = c.setOut(1, ir.Int64, shape); err != nil {
			return nil, err
		}
	}
	outer := int(ir.NumElements(x.shape[:ax]))
	st := int(ir.NumElements(x.shape[ax+1:]))
	order := make([]int, n)
	return func() {
		for o := 0; o < outer; o++ {
			for s := 0; s < st; s++ {
				base := o*n*st + s
				for i := range order {
					order[i] = i
				}
				sort.SliceStable(order, func(a, b int) bool {
					va, vb := readF64(x, base+order[a]*st), readF64(x, base+order[b]*st)
					if largest {
						return va > vb
					}
					return va < vb
				})
				for i := 0; i < k; i++ {
					j := o*k*st + i*st + s
					if x.dt.IsInt() {
						setI(x.dt, vals.buf, j, getI(x.dt, x.buf, base+order[i]*st))
					} else {
						writeF64(vals, j, readF64(x, base+order[i]*st))
					}
					if idxs != nil {
						idxs.i64()[j] = int64(order[i])
					}
				}
			}
		}
	}, nil
}

func init() {
	register("", "RMSNormalization", opRMSNorm)
	register("", "LpNormalization", opLpNorm)
	register("", "CumProd", opCumProd)
	register("", "TopK", opTopK)
}
