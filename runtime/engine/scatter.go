package engine

import (
	"fmt"
	"math"
	"slices"

	"github.com/mconv/mconv/ir"
)

// combine applies a Scatter reduction to the element at out[j] (as float64
// for floats, exactly for integers).
func combine(dt ir.DType, out []byte, j int, src []byte, k int, red string) {
	sz := dt.Size()
	if red == "none" {
		copy(out[j*sz:(j+1)*sz], src[k*sz:(k+1)*sz])
		return
	}
	if dt.IsInt() {
		a, b := getI(dt, out, j), getI(dt, src, k)
		switch red {
		case "add":
			a += b
		case "mul":
			a *= b
		case "max":
			a = max(a, b)
		case "min":
			a = min(a, b)
		}
		setI(dt, out, j, a)
		return
	}
	a, b := getF(dt, out, j), getF(dt, src, k)
	switch red {
	case "add":
		a += b
	case "mul":
		a *= b
	case "max":
		a = math.Max(a, b)
	case "min":
		a = math.Min(a, b)
	}
	setF(dt, out, j, a)
}

func scatterReduction(c *ctx) (string, error) {
	red := c.n.AttrString("reduction", "none")
	switch red {
	case "none", "add", "mul", "max", "min":
		return red, nil
	}
	return "", fmt.Errorf("unsupported reduction %q", red)
}

// opScatterElements: out = data; out[i with axis coordinate indices[i]]
// (reduction) updates[i].
func opScatterElements(c *ctx) (func(), error) {
	x, idx, upd := c.input(0), c.input(1), c.input(2)
	if idx == nil || upd == nil || (idx.dt != ir.Int64 && idx.dt != ir.Int32) || upd.dt != x.dt || !slices.Equal(idx.shape, upd.shape) || len(idx.shape) != len(x.shape) {
		return nil, fmt.Errorf("indices and updates must have one shape and the data's rank")
	}
	if !castable(x.dt) {
		return nil, fmt.Errorf("unsupported data type %s", x.dt)
	}
	red, err := scatterReduction(c)
	if err != nil {
		return nil, err
	}
	r := len(x.shape)
	ax, err := ir.NormAxis(c.n.AttrInt("axis", 0), r)
	if err != nil {
		return nil, err
	}
	out, err := c.setOut(0, x.dt, x.shape)
	if err != nil {
		return nil, err
	}
	is := contiguousStrides(x.shape)
	cnt := make([]int, r)
	d := int(x.shape[ax])
	return func() {
		copy(out.buf, x.buf)
		for i := range cnt {
			cnt[i] = 0
		}
		for k := 0; k < idx.n; k++ {
			j := int(getI(idx.dt, idx.buf, k))
			if j < 0 {
				j += d
			}
			if j >= 0 && j < d {
				off := 0
				for a := 0; a < r; a++ {
					if a == ax {
						off += j * is[a]
					} else {
						off += cnt[a] * is[a]
					}
				}
				combine(x.dt, out.buf, off, upd.buf, k, red)
			}
			nextIndex(cnt, idx.shape)
		}
	}, nil
}

// opScatterND: out = data; out[indices[i]] (reduction) updates[i], where
// each index tuple addresses a slice of data.
func opScatterND(c *ctx) (func(), error) {
	x, idx, upd := c.input(0), c.input(1), c.input(2)
	if idx == nil || upd == nil || idx.dt != ir.Int64 || upd.dt != x.dt || len(idx.shape) < 1 || !castable(x.dt) {
		return nil, fmt.Errorf("unsupported ScatterND inputs")
	}
	red, err := scatterReduction(c)
	if err != nil {
		return nil, err
	}
	k := int(idx.shape[len(idx.shape)-1])
	if k > len(x.shape) {
		return nil, fmt.Errorf("index tuples of %d for rank %d", k, len(x.shape))
	}
	nIdx := int(ir.NumElements(idx.shape[:len(idx.shape)-1]))
	slice := int(ir.NumElements(x.shape[k:]))
	if upd.n != nIdx*slice {
		return nil, fmt.Errorf("updates %v do not fit indices %v and data %v", upd.shape, idx.shape, x.shape)
	}
	out, err := c.setOut(0, x.dt, x.shape)
	if err != nil {
		return nil, err
	}
	is := contiguousStrides(x.shape)
	return func() {
		copy(out.buf, x.buf)
		iv := idx.i64()
		for i := 0; i < nIdx; i++ {
			off, ok := 0, true
			for a := 0; a < k; a++ {
				j := iv[i*k+a]
				if j < 0 {
					j += x.shape[a]
				}
				if j < 0 || j >= x.shape[a] {
					ok = false
					break
				}
				off += int(j) * is[a]
			}
			if !ok {
				continue
			}
			for e := 0; e < slice; e++ {
				combine(x.dt, out.buf, off+e, upd.buf, i*slice+e, red)
			}
		}
	}, nil
}

// opGatherND gathers slices of data addressed by index tuples (batch_dims
// leading dims shared by data and indices).
func opGatherND(c *ctx) (func(), error) {
	x, idx := c.input(0), c.input(1)
	if idx == nil || idx.dt != ir.Int64 || len(idx.shape) < 1 {
		return nil, fmt.Errorf("indices must be int64 of rank >= 1")
	}
	b := int(c.n.AttrInt("batch_dims", 0))
	k := int(idx.shape[len(idx.shape)-1])
	if b < 0 || b+k > len(x.shape) || b >= len(idx.shape) {
		return nil, fmt.Errorf("batch_dims %d and tuples of %d for data rank %d", b, k, len(x.shape))
	}
	for i := 0; i < b; i++ {
		if x.shape[i] != idx.shape[i] {
			return nil, fmt.Errorf("batch dims of data %v and indices %v differ", x.shape, idx.shape)
		}
	}
	shape := append(append([]int64{}, idx.shape[:len(idx.shape)-1]...), x.shape[b+k:]...)
	out, err := c.setOut(0, x.dt, shape)
	if err != nil {
		return nil, err
	}
	nb := int(ir.NumElements(x.shape[:b]))
	per := int(ir.NumElements(idx.shape[b : len(idx.shape)-1]))
	slice := int(ir.NumElements(x.shape[b+k:]))
	batchSz := int(ir.NumElements(x.shape[b:]))
	is := contiguousStrides(x.shape[b:])
	sz := x.dt.Size()
	return func() {
		iv := idx.i64()
		for bi := 0; bi < nb; bi++ {
			for i := 0; i < per; i++ {
				t := bi*per + i
				off, ok := bi*batchSz, true
				for a := 0; a < k; a++ {
					j := iv[t*k+a]
					d := x.shape[b+a]
					if j < 0 {
						j += d
					}
					if j < 0 || j >= d {
						ok = false
						break
					}
					off += int(j) * is[a]
				}
				dst := out.buf[t*slice*sz : (t+1)*slice*sz]
				if !ok {
					clear(dst)
					continue
				}
				copy(dst, x.buf[off*sz:(off+slice)*sz])
			}
		}
	}, nil
}

// opOneHot: output[..., i, ...] = on where i == indices (negative counts
// from depth), else off; depth inserted at axis (default -1).
func opOneHot(c *ctx) (func(), error) {
	idx, dep, vals := c.input(0), c.input(1), c.input(2)
	if dep == nil || vals == nil || vals.n != 2 || !castable(vals.dt) || !castable(idx.dt) {
		return nil, fmt.Errorf("needs indices, depth and two values")
	}
	if !dep.konst {
		return nil, fmt.Errorf("depth must be constant at plan time (it is computed at run time)")
	}
	dv, err := dep.floats()
	if err != nil || len(dv) != 1 || dv[0] < 1 {
		return nil, fmt.Errorf("depth must be one positive number")
	}
	depth := int(dv[0])
	r := len(idx.shape) + 1
	ax, err := ir.NormAxis(c.n.AttrInt("axis", -1), r)
	if err != nil {
		return nil, err
	}
	shape := append(append(append([]int64{}, idx.shape[:ax]...), int64(depth)), idx.shape[ax:]...)
	out, err := c.setOut(0, vals.dt, shape)
	if err != nil {
		return nil, err
	}
	outer := int(ir.NumElements(idx.shape[:ax]))
	inner := int(ir.NumElements(idx.shape[ax:]))
	sz := vals.dt.Size()
	return func() {
		off, on := vals.buf[:sz], vals.buf[sz:2*sz]
		for o := 0; o < outer; o++ {
			for i := 0; i < inner; i++ {
				v := int(math.Trunc(getF(idx.dt, idx.buf, o*inner+i)))
				if v < 0 {
					v += depth
				}
				for d := 0; d < depth; d++ {
					j := (o*depth+d)*inner + i
					if d == v {
						copy(out.buf[j*sz:(j+1)*sz], on)
					} else {
						copy(out.buf[j*sz:(j+1)*sz], off)
					}
				}
			}
		}
	}, nil
}

func init() {
	register("", "ScatterElements", opScatterElements)
	register("", "Scatter", opScatterElements)
	register("", "ScatterND", opScatterND)
	register("", "GatherND", opGatherND)
	register("", "OneHot", opOneHot)
}
