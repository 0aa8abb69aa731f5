package engine

import (
	"fmt"
	"math"

	"github.com/mconv/mconv/ir"
)

// opWindow implements HannWindow, HammingWindow and BlackmanWindow of a
// plan-time size (periodic by default): w[n] for n < size with period size
// (periodic) or size-1 (symmetric).
func opWindow(c *ctx) (func(), error) {
	sz, err := c.constInts(0)
	if err != nil {
		return nil, err
	}
	if len(sz) != 1 || sz[0] < 0 {
		return nil, fmt.Errorf("size must be one non-negative integer")
	}
	n := int(sz[0])
	dt := ir.DType(c.n.AttrInt("output_datatype", int64(ir.Float32)))
	if !castable(dt) {
		return nil, fmt.Errorf("unsupported output_datatype %s", dt)
	}
	d := float64(n)
	if c.n.AttrInt("periodic", 1) == 0 {
		d = float64(n - 1)
	}
	if _, err := c.setOut(0, dt, []int64{int64(n)}); err != nil {
		return nil, err
	}
	raw := make([]byte, n*dt.Size())
	for i := 0; i < n; i++ {
		x := 2 * math.Pi * float64(i) / d
		var v float64
		switch c.n.OpType {
		case "HannWindow":
			v = 0.5 - 0.5*math.Cos(x)
		case "HammingWindow":
			v = 25.0/46 - 21.0/46*math.Cos(x)
		case "BlackmanWindow":
			v = 0.42 - 0.5*math.Cos(x) + 0.08*math.Cos(2*x)
		}
		setF(dt, raw, i, v)
	}
	return nil, c.setConst(0, dt, []int64{int64(n)}, raw)
}

// opCenterCropPad crops or zero-pads the given axes to the target shape,
// centered (the odd element goes to the end when cropping and padding).
func opCenterCropPad(c *ctx) (func(), error) {
	x := c.input(0)
	target, err := c.constInts(1)
	if err != nil {
		return nil, err
	}
	r := len(x.shape)
	axes, err := axesAttr(c.n, r)
	if err != nil {
		return nil, err
	}
	if len(target) != len(axes) {
		return nil, fmt.Errorf("shape %v for %d axes", target, len(axes))
	}
	shape := append([]int64{}, x.shape...)
	srcOff := make([]int, r)
	dstOff := make([]int, r)
	copyShape := ints(x.shape)
	for i, a := range axes {
		in, t := int(x.shape[a]), int(target[i])
		if t < 0 {
			return nil, fmt.Errorf("negative target size")
		}
		shape[a] = int64(t)
		if t < in {
			srcOff[a] = (in - t) / 2
			copyShape[a] = t
		} else {
			dstOff[a] = (t - in) / 2
			copyShape[a] = in
		}
	}
	out, err := c.setOut(0, x.dt, shape)
	if err != nil {
		return nil, err
	}
	is, os := contiguousStrides(x.shape), contiguousStrides(shape)
	so, do := 0, 0
	for i := 0; i < r; i++ {
		so += srcOff[i] * is[i]
		do += dstOff[i] * os[i]
	}
	p := newStrided(copyShape, os, is, do, so)
	k, err := copyKernel(out, []*tval{x}, []*strided{p})
	if err != nil {
		return nil, err
	}
	return func() {
		clear(out.buf)
		k()
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
	return func() {
		xs, os, S, B := x.f32(), out.f32(), sc.f32(), bi.f32()
		for n := 0; n < N; n++ {
			for g := 0; g < G; g++ {
				base := (n*C + g*cg) * inner
				blk := xs[base : base+cg*inner]
				var m, v float64
				for _, e := range blk {
					m += float64(e)
				}
				m /= float64(len(blk))
				for _, e := range blk {
					v += (float64(e) - m) * (float64(e) - m)
				}
				inv := 1 / math.Sqrt(v/float64(len(blk))+eps)
				for ci := 0; ci < cg; ci++ {
					k := g
					if perChannel {
						k = g*cg + ci
					}
					for i := 0; i < inner; i++ {
						j := base + ci*inner + i
						os[j] = float32((float64(xs[j])-m)*inv)*S[k] + B[k]
					}
				}
			}
		}
	}, nil
}

func init() {
	register("", "HannWindow", opWindow)
	register("", "HammingWindow", opWindow)
	register("", "BlackmanWindow", opWindow)
	register("", "CenterCropPad", opCenterCropPad)
	register("", "GroupNormalization", opGroupNorm)
}
