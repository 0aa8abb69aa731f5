package kernels

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// TestSumScaleF32 checks SumF32 against its plain version bit for bit
// (same order on every CPU) and against a float64 sum, and ScaleF32
// against the product per element, on lengths around the vector widths.
func TestSumScaleF32(t *testing.T) { forEachPath(t, testSumScaleF32) }

func testSumScaleF32(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for _, n := range []int{0, 1, 7, 8, 31, 32, 33, 63, 64, 95, 196, 784, 3136} {
		v := make([]float32, n)
		var want float64
		for i := range v {
			v[i] = float32(r.NormFloat64()) + 0.5
			want += float64(v[i])
		}
		got := SumF32(v)
		if ref := RefSumF32(v); math.Float32bits(got) != math.Float32bits(ref) {
			t.Errorf("n=%d: SumF32 %v, plain version %v", n, got, ref)
		}
		if d := math.Abs(float64(got) - want); d > 1e-5*math.Max(1, float64(n)) {
			t.Errorf("n=%d: SumF32 %v, float64 sum %v", n, got, want)
		}
		for _, off := range []int{0, 1} { // unaligned and in place
			if off > n {
				continue
			}
			dst := make([]float32, n-off)
			ScaleF32(dst, v[off:], 0.3)
			for i := range dst {
				if dst[i] != v[off+i]*0.3 {
					t.Fatalf("n=%d off=%d: ScaleF32 element %d = %v, want %v", n, off, i, dst[i], v[off+i]*0.3)
				}
			}
			w := append([]float32(nil), v...)
			ScaleF32(w, w, -2)
			for i := range w {
				if w[i] != v[i]*-2 {
					t.Fatalf("n=%d: in-place ScaleF32 element %d = %v", n, i, w[i])
				}
			}
		}
	}
}

func BenchmarkSumScaleF32(b *testing.B) {
	for _, n := range []int{49, 196, 784} {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(i)
		}
		b.Run(fmt.Sprintf("sum/n=%d", n), func(b *testing.B) {
			b.SetBytes(int64(4 * n))
			var s float32
			for i := 0; i < b.N; i++ {
				s += SumF32(v)
			}
			_ = s
		})
		b.Run(fmt.Sprintf("scale/n=%d", n), func(b *testing.B) {
			b.SetBytes(int64(8 * n))
			for i := 0; i < b.N; i++ {
				ScaleF32(v, v, 1)
			}
		})
	}
}
