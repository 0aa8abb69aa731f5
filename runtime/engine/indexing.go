package engine

import (
	"fmt"

	"github.com/mconv/mconv/ir"
)

// Indexing ops: Gather, GatherElements and Trilu (GatherND, OneHot and the
// scatters are in scatter.go).

func opGather(c *ctx) (func(), error) {
	x, idx := c.input(0), c.input(1)
	r := len(x.shape)
	ax, err := ir.NormAxis(c.n.AttrInt("axis", 0), r)
	if err != nil {
		return nil, err
	}
	if idx.dt != ir.Int64 && idx.dt != ir.Int32 {
		return nil, fmt.Errorf("indices must be int32 or int64, have %s", idx.dt)
	}
	shape := append(append(append([]int64{}, x.shape[:ax]...), idx.shape...), x.shape[ax+1:]...)
	out, err := c.setOut(0, x.dt, shape)
	if err != nil {
		return nil, err
	}
	outer := int(ir.NumElements(x.shape[:ax]))
	inner := int(ir.NumElements(x.shape[ax+1:]))
	d := int(x.shape[ax])
	if idx.konst {
		iv, _ := idx.ints()
		for _, i := range iv {
			if i < -int64(d) || i >= int64(d) {
				return nil, fmt.Errorf("index %d out of range for axis of size %d", i, d)
			}
		}
	}
	sz := x.dt.Size()
	return func() {
		xb, ob := x.buf, out.buf
		ni := idx.n
		for o := 0; o < outer; o++ {
			for k := 0; k < ni; k++ {
				var i int
				if idx.dt == ir.Int64 {
					i = int(idx.i64()[k])
				} else {
					i = int(idx.i32()[k])
				}
				if i < 0 {
					i += d
				}
				dst := ob[((o*ni)+k)*inner*sz : ((o*ni)+k+1)*inner*sz]
				if i < 0 || i >= d {
					clear(dst) // out-of-range run-time index: zeros
					continue
				}
				copy(dst, xb[((o*d)+i)*inner*sz:((o*d)+i+1)*inner*sz])
			}
		}
	}, nil
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
	register("", "Gather", opGather)
	register("", "GatherElements", opGatherElements)
	register("", "Trilu", opTrilu)
}
