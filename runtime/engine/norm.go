package engine

import (
	"fmt"
	"math"

	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/runtime/kernels"
)

// Normalization ops: LayerNormalization, InstanceNormalization, LRN,
// GroupNormalization, RMSNormalization and LpNormalization.

// opLayerNorm implements LayerNormalization over dims axis..end (float32,
// statistics by package kernels' vector passes, parallel over rows).
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
	pool := c.b.pool
	grain := max(1, (1<<12)/max(inner, 1))
	rows := func(lo, hi int) {
		xs, os, S, B := x.f32(), out.f32(), scE.f32(), biE.f32()
		for o := lo; o < hi; o++ {
			row := xs[o*inner : (o+1)*inner]
			m, vr := kernels.MeanVarF32(row)
			is := float32(1 / math.Sqrt(float64(vr)+eps))
			kernels.NormAffineF32(os[o*inner:(o+1)*inner], row, S, B, m, is)
			if mean != nil {
				mean.f32()[o] = m
			}
			if inv != nil {
				inv.f32()[o] = is
			}
		}
	}
	return func() {
		expand(scE.f32(), sc, sbl)
		expand(biE.f32(), bi, bbl)
		pool.parallelFor(outer, grain, rows)
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
	f := func(lo, hi int) {
		xs, os, S, B := x.f32(), out.f32(), sc.f32(), bi.f32()
		for p := lo; p < hi; p++ {
			row := xs[p*inner : (p+1)*inner]
			m, vr := kernels.MeanVarF32(row)
			k := float32(float64(S[p%C]) / math.Sqrt(float64(vr)+eps))
			kernels.NormScaleF32(os[p*inner:(p+1)*inner], row, m, k, B[p%C])
		}
	}
	pool := c.b.pool
	return func() { pool.parallelFor(planes, grainFor(2*inner), f) }, nil
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

// opGroupNorm: per (n, group) normalization over the group's channels and
// the spatial dims, then per-channel (opset >= 21) or per-group scale and
// bias.
func opGroupNorm(c *ctx) (func(), error) {
	x, sc, bi := c.input(0), c.input(1), c.input(2)
	if x.dt != ir.Float32 || sc == nil || bi == nil || sc.dt != ir.Float32 || bi.dt != ir.Float32 || len(x.shape) < 2 {
		return nil, fmt.Errorf("unsupported: GroupNormalization on %s", x.dt)
	}
	G := int(c.n.AttrInt("num_groups", 0))
	N, C := int(x.shape[0]), int(x.shape[1])
	if G < 1 || C%G != 0 {
		return nil, fmt.Errorf("num_groups %d does not divide %d channels", G, C)
	}
	perChannel := sc.n == C && bi.n == C
	if !perChannel && (sc.n != G || bi.n != G) {
		return nil, fmt.Errorf("scale/bias must have %d or %d elements", C, G)
	}
	eps := float64(c.n.AttrFloat("epsilon", 1e-5))
	out, err := c.setOut(0, ir.Float32, x.shape)
	if err != nil {
		return nil, err
	}
	inner := int(ir.NumElements(x.shape[2:]))
	cg := C / G
	f := func(lo, hi int) {
		xs, os, S, B := x.f32(), out.f32(), sc.f32(), bi.f32()
		for ng := lo; ng < hi; ng++ {
			g := ng % G
			base := ng * cg * inner
			m, vr := kernels.MeanVarF32(xs[base : base+cg*inner])
			inv := 1 / math.Sqrt(float64(vr)+eps)
			for ci := 0; ci < cg; ci++ {
				k := g
				if perChannel {
					k = g*cg + ci
				}
				o := base + ci*inner
				kernels.NormScaleF32(os[o:o+inner], xs[o:o+inner], m, float32(inv*float64(S[k])), B[k])
			}
		}
	}
	pool := c.b.pool
	return func() { pool.parallelFor(N*G, grainFor(2*cg*inner), f) }, nil
}

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

func init() {
	register("", "LayerNormalization", opLayerNorm)
	register("", "InstanceNormalization", opInstanceNorm)
	register("", "LRN", opLRN)
	register("", "GroupNormalization", opGroupNorm)
	register("", "RMSNormalization", opRMSNorm)
	register("", "LpNormalization", opLpNorm)
}
