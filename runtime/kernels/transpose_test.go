package kernels

import (
	"fmt"
	"math/rand"
	"testing"
)

// TestTranspose32 checks Transpose32 (8x8 vector blocks where the CPU has
// them, the plain loop for the rest) element by element against the
// definition, on sizes around multiples of 8, with row strides wider than
// the rows and unaligned starts, on slices that end at the block's last
// element (a sub-block of a larger matrix).
func TestTranspose32(t *testing.T) { forEachPath(t, testTranspose32) }

func testTranspose32(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	for _, rows := range []int{1, 7, 8, 9, 16, 17, 49} {
		for _, cols := range []int{1, 8, 15, 24, 32, 33} {
			for _, pad := range []int{0, 3} {
				t.Run(fmt.Sprintf("%dx%d+%d", rows, cols, pad), func(t *testing.T) {
					lds, ldd := cols+pad, rows+2*pad
					src := make([]float32, pad+(rows-1)*lds+cols)
					for i := range src {
						src[i] = float32(r.NormFloat64())
					}
					dst := make([]float32, pad+(cols-1)*ldd+rows)
					Transpose32(dst[pad:], ldd, src[pad:], lds, rows, cols)
					for i := 0; i < rows; i++ {
						for j := 0; j < cols; j++ {
							if got, want := dst[pad+j*ldd+i], src[pad+i*lds+j]; got != want {
								t.Fatalf("dst[%d][%d] = %v, want src[%d][%d] = %v", j, i, got, i, j, want)
							}
						}
					}
					for j := 0; j < cols; j++ { // the stride's gap untouched
						for i := rows; i < ldd && pad+j*ldd+i < len(dst); i++ {
							if dst[pad+j*ldd+i] != 0 {
								t.Fatalf("dst[%d][%d] written (%v): outside the %dx%d block", j, i, dst[pad+j*ldd+i], cols, rows)
							}
						}
					}
				})
			}
		}
	}
}
