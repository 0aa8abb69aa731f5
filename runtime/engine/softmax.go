package engine

import (
	"fmt"
	"math"

	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/runtime/kernels"
)

// Softmax, LogSoftmax and Hardmax.

// opSoftmax implements Softmax and LogSoftmax (float32): opset < 13
// normalizes over the flattened dims from axis on (default axis 1); opset
// >= 13 over the one axis (default -1).
func opSoftmax(c *ctx) (func(), error) {
	x := c.input(0)
	if x.dt != ir.Float32 {
		return nil, fmt.Errorf("unsupported: %s on %s (only float32)", c.n.OpType, x.dt)
	}
	r := len(x.shape)
	def := int64(-1)
	if c.opset < 13 {
		def = 1
	}
	ax, err := ir.NormAxis(c.n.AttrInt("axis", def), max(r, 1))
	if err != nil {
		return nil, err
	}
	out, err := c.setOut(0, ir.Float32, x.shape)
	if err != nil {
		return nil, err
	}
	var outer, n, stride int
	if c.opset < 13 {
		outer = int(ir.NumElements(x.shape[:ax]))
		n = int(ir.NumElements(x.shape[ax:]))
		stride = 1
	} else {
		outer = int(ir.NumElements(x.shape[:ax]))
		n = int(x.shape[ax])
		stride = int(ir.NumElements(x.shape[ax+1:]))
	}
	logs := c.n.OpType == "LogSoftmax"
	if c.n.OpType != "Hardmax" {
		return softmaxKernel(c, x, out, outer, n, stride, logs), nil
	}
	return func() {
		xs, os := x.f32(), out.f32()
		for o := 0; o < outer; o++ {
			for s := 0; s < stride; s++ {
				base := o*n*stride + s
				m := math.Inf(-1)
				arg := 0
				for i := 0; i < n; i++ {
					if v := float64(xs[base+i*stride]); v > m {
						m, arg = v, i
					}
				}
				for i := 0; i < n; i++ {
					os[base+i*stride] = 0
				}
				if n > 0 {
					os[base+arg*stride] = 1
				}
			}
		}
	}, nil
}

// softmaxKernel is Softmax (LogSoftmax when logs) over outer x stride rows
// of n elements each, element i of row (o, s) at o*n*stride + i*stride + s,
// by the row kernels of package kernels (max, e^(x - max) with its sum,
// scale), in parallel over rows. Strided rows (stride > 1) are gathered
// into a contiguous buffer per part and scattered back. A row's result
// does not depend on the split, so it is the same for every thread count.
func softmaxKernel(c *ctx, x, out *tval, outer, n, stride int, logs bool) func() {
	row := kernels.SoftmaxF32
	if logs {
		row = kernels.LogSoftmaxF32
	}
	rows := outer * stride
	pool := c.b.pool
	if rows == 0 || n == 0 {
		return func() {}
	}
	if stride == 1 {
		grain := max(1, (1<<12)/n)
		f := func(lo, hi int) {
			xs, os := x.f32(), out.f32()
			for r := lo; r < hi; r++ {
				row(os[r*n:(r+1)*n], xs[r*n:(r+1)*n])
			}
		}
		return func() { pool.parallelFor(rows, grain, f) }
	}
	// One gather/scatter buffer pair per part.
	parts := min(rows, max(1, pool.threads))
	buf := c.newScratch(ir.Float32, parts*2*n)
	f := func(lo, hi int) {
		xs, os, bs := x.f32(), out.f32(), buf.f32()
		for p := lo; p < hi; p++ {
			in, res := bs[p*2*n:p*2*n+n], bs[p*2*n+n:(p+1)*2*n]
			for r := p * rows / parts; r < (p+1)*rows/parts; r++ {
				base := r/stride*n*stride + r%stride
				for i := range in {
					in[i] = xs[base+i*stride]
				}
				row(res, in)
				for i, v := range res {
					os[base+i*stride] = v
				}
			}
		}
	}
	return func() { pool.parallelFor(parts, 1, f) }
}

func init() {
	register("", "Softmax", opSoftmax)
	register("", "LogSoftmax", opSoftmax)
	register("", "Hardmax", opSoftmax)
}
