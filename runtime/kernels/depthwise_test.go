package kernels

import "testing"

// TestDepthwiseStrips checks that the wide depthwise cases of TestConv2D
// are computed in several strips of output rows, with the phase planes of
// a strip within their budget, so that the strip boundaries (row overlap,
// top and bottom padding) are exercised.
func TestDepthwiseStrips(t *testing.T) {
	for _, p := range []ConvParams{
		convCase(1, 3, 115, 113, 3, 3, 3, 2, 1, 1, 3),
		convCase(1, 5, 131, 130, 5, 3, 3, 1, 1, 1, 5),
		convCase(1, 3, 61, 150, 3, 5, 5, 2, 1, 2, 3),
		convCase(1, 2, 40, 203, 2, 7, 7, 1, 1, 3, 2),
		convCase(1, 3, 50, 170, 3, 3, 3, 1, 2, 2, 3),
		convCase(1, 2, 60, 200, 2, 3, 3, 3, 1, 1, 2),
		convCase(1, 3, 45, 181, 3, 3, 3, 2, 1, 0, 3),
		convCase(1, 48, 112, 112, 48, 3, 3, 2, 1, 1, 48),
	} {
		g := dwGeometry(&p)
		strips := (p.OH + g.so - 1) / g.so
		t.Logf("%dx%d k%d s%d d%d: %d strips of %d output rows, %d phase floats", p.H, p.W, p.KH, p.SH, p.DH, strips, g.so, p.SW*g.plane)
		if strips < 2 {
			t.Errorf("%dx%d k%d s%d: one strip (OH %d, %d rows per strip)", p.H, p.W, p.KH, p.SH, p.OH, g.so)
		}
		if p.SW*g.plane > dwStripFloats {
			t.Errorf("%dx%d k%d s%d: strip phase planes %d floats > %d", p.H, p.W, p.KH, p.SH, p.SW*g.plane, dwStripFloats)
		}
	}
}

// TestSplitRow2 checks splitRow2 against its definition (padded column c
// to even[c/2] or odd[c/2], zeros elsewhere) for every left padding up to
// 3, row widths on both sides of the 16-column vector step, and phase rows
// shorter, as long as and longer than the padded row; the phase rows start
// out holding garbage.
func TestSplitRow2(t *testing.T) { forEachPath(t, testSplitRow2) }

func testSplitRow2(t *testing.T) {
	for padL := 0; padL <= 3; padL++ {
		for w := 0; w <= 40; w++ {
			for _, lw := range []int{(w + padL) / 2, (w+padL+1)/2 + 1, (w + padL + 5) / 2} {
				if lw <= 0 {
					continue
				}
				src := make([]float32, w)
				for i := range src {
					src[i] = float32(i + 1)
				}
				even, odd := make([]float32, lw), make([]float32, lw)
				for i := range even {
					even[i], odd[i] = -1, -1
				}
				splitRow2(even, odd, src, padL)
				for c := 0; c < 2*lw; c++ {
					want := float32(0)
					if i := c - padL; i >= 0 && i < w {
						want = src[i]
					}
					got := even[c/2]
					if c%2 == 1 {
						got = odd[c/2]
					}
					if got != want {
						t.Fatalf("padL=%d w=%d lw=%d: padded column %d = %v, want %v", padL, w, lw, c, got, want)
					}
				}
			}
		}
	}
}
