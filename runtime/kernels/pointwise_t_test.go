package kernels

import (
	"fmt"
	"math/rand"
	"testing"
)

// TestPointwiseOrientations: the transposed pointwise convolution against
// the reference, and against the plain orientation bit for bit (but where
// the plain one adds a residual first: no activation, or one after the
// residual), for every activation, odd planes, groups, K over kc, on
// every kernel path and thread count.
func TestPointwiseOrientations(t *testing.T) { forEachPath(t, testPointwiseOrientations) }

func testPointwiseOrientations(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	for _, p0 := range []ConvParams{
		convCase(1, 40, 7, 7, 136, 1, 1, 1, 1, 0, 1),
		convCase(2, 300, 5, 9, 70, 1, 1, 1, 1, 0, 1),
		convCase(1, 32, 6, 7, 48, 1, 1, 1, 1, 0, 2),
		convCase(1, 24, 3, 1, 33, 1, 1, 1, 1, 0, 1),
		convCase(1, 520, 2, 2, 17, 1, 1, 1, 1, 0, 1),
	} {
		for ai, a := range allActs {
			for v := 0; v < 3; v++ {
				p := p0
				p.Act, p.Alpha, p.Beta, p.ActAfterResidual = a.act, a.alpha, a.beta, v == 2
				x := randSlice(r, p.N*p.C*p.H*p.W)
				w := randSlice(r, p.M*p.C/p.Group)
				bias := randSlice(r, p.M)
				if ai%3 == 1 {
					bias = nil
				}
				var res []float32
				if v > 0 {
					res = randSlice(r, p.N*p.M*p.OH*p.OW)
				}
				what := fmt.Sprintf("%+v res=%d", p, v)
				want := make([]float32, p.N*p.M*p.OH*p.OW)
				RefConv2D(&p, x, w, bias, res, want)
				plain := make([]float32, len(want))
				Conv2D(&p, packPointwiseAs(&p, w, false), x, bias, res, plain, nil, 1)
				pk := packPointwiseAs(&p, w, true)
				for _, th := range []int{1, 2, 3} {
					got := make([]float32, len(want))
					var ws []float32
					if th == 2 {
						ws = make([]float32, WorkspaceSize(&p)+1000)
					}
					Conv2D(&p, pk, x, bias, res, got, ws, th)
					closeTo(t, what, got, want, p.C/p.Group)
					if res == nil || (!p.ActAfterResidual && p.Act != ActNone) {
						sameBits(t, what+" transposed vs plain", got, plain)
					}
				}
			}
		}
	}
}
