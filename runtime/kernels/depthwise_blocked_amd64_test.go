//go:build amd64 && !purego

package kernels

import (
	"fmt"
	"math/rand"
	"testing"
)

// TestDWRows: on 3, 5 and 7 wide kernels at stride 1 the AVX2 blocked
// kernel runs whole output rows in the row kernels (each input vector
// loaded once per kernel row); they must give the bits of the
// 8-pixel-group kernel dwBlock8, on row widths at and off multiples of 8,
// several kernel heights, vertical dilation and stride, several rows,
// without writing past the planes' pixels.
func TestDWRows(t *testing.T) {
	if cpuLevel < 1 {
		t.Logf("kernel path avx2 not supported by this CPU: dwRow3x8 not tested here")
		return
	}
	r := rand.New(rand.NewSource(15))
	for _, p := range []ConvParams{
		convCase(1, 8, 8, 8, 8, 3, 3, 1, 1, 1, 8),
		convCase(1, 8, 9, 9, 8, 3, 3, 1, 1, 1, 8),
		convCase(1, 8, 14, 14, 8, 3, 3, 1, 1, 1, 8),
		convCase(1, 8, 28, 30, 8, 3, 3, 1, 1, 1, 8),
		convCase(1, 8, 20, 23, 8, 5, 3, 1, 1, 2, 8),
		convCase(1, 8, 12, 16, 8, 1, 3, 1, 1, 1, 8),
		convCase(1, 8, 14, 14, 8, 5, 5, 1, 1, 2, 8),
		convCase(1, 8, 11, 9, 8, 5, 5, 1, 1, 2, 8),
		convCase(1, 8, 16, 16, 8, 7, 7, 1, 1, 3, 8),
		convCase(1, 8, 13, 21, 8, 3, 7, 1, 1, 3, 8),
		convCase(1, 8, 10, 10, 8, 2, 5, 1, 1, 2, 8),
		{N: 1, C: 8, H: 21, W: 17, M: 8, KH: 3, KW: 3, SH: 2, SW: 1, DH: 2, DW: 1, PadT: 2, PadB: 2, PadL: 1, PadR: 1, Group: 8, OH: 11, OW: 17},
	} {
		if err := p.Validate(); err != nil {
			t.Fatal(err)
		}
		tab := dwBlockTables(&p)
		if tab.rowK != p.KW {
			t.Fatalf("%+v: no row kernel", p)
		}
		g := dwBlockGeometry(&p)
		in := randSlice(r, g.in)
		w, bias := randSlice(r, len(tab.toffs)*dwLanes), randSlice(r, dwLanes)
		n := len(tab.poffs)
		ldy := n + 3
		run := func(row bool) []float32 {
			old := dwRows
			dwRows = row
			defer func() { dwRows = old }()
			y := make([]float32, dwLanes*ldy)
			for i := range y {
				y[i] = 42
			}
			dwBlockAVX2(y, ldy, in, w, bias, tab, n)
			return y
		}
		sameBits(t, fmt.Sprintf("%dx%d k%dx%d s%d d%d: row kernel vs dwBlock8", p.H, p.W, p.KH, p.KW, p.SH, p.DH), run(true), run(false))
	}
}
