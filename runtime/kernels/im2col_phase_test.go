package kernels

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// TestPackPhases checks the phase-plane im2col packing (packed panels of
// one, several, or more than maxPieces runs, partial last panels, column
// and k blocks not at 0) against the im2col matrix computed from its
// definition, x[c, oh*SH-PadT+kh*DH, ow*SW-PadL+kw*DW] or 0, on every path.
func TestPackPhases(t *testing.T) { forEachPath(t, testPackPhases) }

func testPackPhases(t *testing.T) {
	r := rand.New(rand.NewSource(11))
	cases := []ConvParams{
		convCase(1, 3, 224, 224, 4, 7, 7, 2, 1, 3, 1), // OW 112: whole panels
		convCase(1, 2, 56, 56, 4, 3, 3, 2, 1, 1, 1),   // OW 28: two runs
		convCase(1, 2, 14, 14, 4, 3, 3, 2, 1, 1, 1),   // OW 7: up to four runs
		convCase(1, 2, 9, 9, 4, 3, 3, 2, 1, 1, 1),     // OW 5
		convCase(1, 2, 7, 7, 4, 3, 3, 2, 1, 1, 1),     // OW 4: element-wise
		convCase(1, 2, 3, 3, 4, 3, 3, 1, 1, 0, 1),     // OW 1
		convCase(1, 3, 30, 31, 4, 5, 5, 3, 1, 2, 1),   // stride 3
		convCase(1, 2, 33, 35, 3, 4, 4, 2, 3, 1, 1),   // dilation 3, even kernel
		convCase(1, 4, 20, 21, 4, 3, 3, 1, 2, 2, 1),   // stride 1, dilation 2
		convCase(1, 3, 28, 30, 4, 1, 1, 2, 1, 0, 1),   // 1x1 stride 2: row phase 0 only
	}
	asym := ConvParams{N: 1, C: 3, H: 10, W: 19, M: 4, KH: 3, KW: 2, SH: 2, SW: 1, DH: 1, DW: 2, PadT: 0, PadL: 1, PadB: 2, PadR: 0, Group: 1}
	asym.OH, asym.OW = OutSize(10, 3, 2, 1, 0, 2), OutSize(19, 2, 1, 2, 1, 0)
	cases = append(cases, asym)
	for _, p := range cases {
		t.Run(fmt.Sprintf("%dx%dx%d_k%dx%d_s%d_d%d_ow%d", p.C, p.H, p.W, p.KH, p.KW, p.SH, p.DH, p.OW), func(t *testing.T) {
			w := make([]float32, p.M*p.C*p.KH*p.KW)
			pk := PackConvWeights(&p, w)
			if pk.kind != convShifted {
				t.Fatalf("path %s, want shifted-gemm", pk.Path())
			}
			x := randSlice(r, p.C*p.H*p.W)
			sg := p.shiftGeometry()
			buf := make([]float32, shiftedBufSize(&p))
			for i := range buf {
				buf[i] = float32(math.NaN()) // fillPhases must write every position
			}
			xq := fillPhases(&p, &sg, x, 0, buf, false, 1, new(phaseFill), new(Group))
			src := im2colB{p: &p, ph: phaseIm2col{xq: xq, offs: pk.offs, wq: sg.wq}}
			K, N := p.C*p.KH*p.KW, p.OH*p.OW
			want := func(k, j int) float32 {
				c, kh, kw := k/(p.KH*p.KW), k/p.KW%p.KH, k%p.KW
				ih, iw := j/p.OW*p.SH-p.PadT+kh*p.DH, j%p.OW*p.SW-p.PadL+kw*p.DW
				if ih < 0 || ih >= p.H || iw < 0 || iw >= p.W {
					return 0
				}
				return x[(c*p.H+ih)*p.W+iw]
			}
			for _, blk := range [][4]int{{0, K, 0, N}, {1, K - 1, nr, N - nr}, {0, min(K, 5), 3 * nr, min(N-3*nr, 37)}} {
				p0, kcb, j0, n := blk[0], blk[1], blk[2], blk[3]
				if kcb <= 0 || n <= 0 {
					continue
				}
				np := (n + nr - 1) / nr
				dst := make([]float32, np*nr*kcb)
				for i := range dst {
					dst[i] = float32(math.NaN())
				}
				src.pack(dst, p0, kcb, j0, n)
				bad := 0
				for jp := 0; jp < np; jp++ {
					for k := 0; k < kcb; k++ {
						for l := 0; l < nr; l++ {
							var e float32
							if jj := jp*nr + l; jj < n {
								e = want(p0+k, j0+jj)
							}
							if g := dst[(jp*kcb+k)*nr+l]; g != e && bad < 5 {
								bad++
								t.Errorf("block %v: k %d column %d: got %v, want %v", blk, p0+k, j0+jp*nr+l, g, e)
							}
						}
					}
				}
			}
		})
	}
}
