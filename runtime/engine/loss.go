package engine

import (
	"fmt"
	"math"

	"github.com/mconv/mconv/ir"
)

// opNLLLoss implements NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss
// (float32/float64): loss[n, d] = -logp[n, t, d] * w[t] for target t (0 and
// weight 0 when t == ignore_index); reduction none, sum, or mean (sum over
// the summed weights). SoftmaxCrossEntropyLoss first takes logp =
// LogSoftmax(scores) over axis 1 and can output it.
func opNLLLoss(c *ctx) (func(), error) {
	x, tgt, wt := c.input(0), c.input(1), c.input(2)
	if tgt == nil || (x.dt != ir.Float32 && x.dt != ir.Float64) || (tgt.dt != ir.Int64 && tgt.dt != ir.Int32) {
		return nil, fmt.Errorf("unsupported: %s on %s with %s targets", c.n.OpType, x.dt, tgt.dt)
	}
	if len(x.shape) < 2 || len(tgt.shape) != len(x.shape)-1 || tgt.shape[0] != x.shape[0] {
		return nil, fmt.Errorf("input %v and target %v shapes do not fit", x.shape, tgt.shape)
	}
	N, C := int(x.shape[0]), int(x.shape[1])
	D := int(ir.NumElements(x.shape[2:]))
	if wt != nil && (wt.n != C || wt.dt != x.dt) {
		return nil, fmt.Errorf("weight must have %d elements of %s", C, x.dt)
	}
	red := c.n.AttrString("reduction", "mean")
	if red != "none" && red != "sum" && red != "mean" {
		return nil, fmt.Errorf("unsupported reduction %q", red)
	}
	ign, hasIgn := int64(0), c.n.Attr("ignore_index") != nil
	if hasIgn {
		ign = c.n.AttrInt("ignore_index", 0)
	}
	var oshape []int64
	if red == "none" {
		oshape = tgt.shape
	}
	out, err := c.setOut(0, x.dt, oshape)
	if err != nil {
		return nil, err
	}
	sce := c.n.OpType == "SoftmaxCrossEntropyLoss"
	logp := x
	if sce {
		if len(c.out) > 1 {
			if logp, err = c.setOut(1, x.dt, x.shape); err != nil {
				return nil, err
			}
		} else {
			logp = c.newScratch(x.dt, x.n)
		}
	}
	return func() {
		if sce {
			for n := 0; n < N; n++ {
				for d := 0; d < D; d++ {
					m := math.Inf(-1)
					for k := 0; k < C; k++ {
						m = math.Max(m, readF64(x, (n*C+k)*D+d))
					}
					var s float64
					for k := 0; k < C; k++ {
						s += math.Exp(readF64(x, (n*C+k)*D+d) - m)
					}
					ls := math.Log(s)
					for k := 0; k < C; k++ {
						j := (n*C+k)*D + d
						writeF64(logp, j, readF64(x, j)-m-ls)
					}
				}
			}
		}
		var sum, wsum float64
		for n := 0; n < N; n++ {
			for d := 0; d < D; d++ {
				t := getI(tgt.dt, tgt.buf, n*D+d)
				var l, w float64
				if !(hasIgn && t == ign) && t >= 0 && t < int64(C) {
					w = 1
					if wt != nil {
						w = readF64(wt, int(t))
					}
					l = -readF64(logp, (n*C+int(t))*D+d) * w
				}
				if red == "none" {
					writeF64(out, n*D+d, l)
				}
				sum += l
				wsum += w
			}
		}
		switch red {
		case "sum":
			writeF64(out, 0, sum)
		case "mean":
			writeF64(out, 0, sum/wsum)
		}
	}, nil
}

func init() {
	register("", "NegativeLogLikelihoodLoss", opNLLLoss)
	register("", "SoftmaxCrossEntropyLoss", opNLLLoss)
}
