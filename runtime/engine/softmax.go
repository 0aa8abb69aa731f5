package engine

import (
	"fmt"
	"math"

	"github.com/mconv/mconv/ir"
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
	hard := c.n.OpType == "Hardmax"
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
				if hard {
					for i := 0; i < n; i++ {
						os[base+i*stride] = 0
					}
					if n > 0 {
						os[base+arg*stride] = 1
					}
					continue
				}
				var sum float64
				for i := 0; i < n; i++ {
					sum += math.Exp(float64(xs[base+i*stride]) - m)
				}
				for i := 0; i < n; i++ {
					v := float64(xs[base+i*stride]) - m
					if logs {
						os[base+i*stride] = float32(v - math.Log(sum))
					} else {
						os[base+i*stride] = float32(math.Exp(v) / sum)
					}
				}
			}
		}
	}, nil
}

func init() {
	register("", "Softmax", opSoftmax)
	register("", "LogSoftmax", opSoftmax)
	register("", "Hardmax", opSoftmax)
}
