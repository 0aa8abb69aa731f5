package kernels

import (
	"math"
	"math/rand"
	"testing"
)

// TestBinary: BinaryF32 and BinaryScalarF32 give, for every length to 40
// and every operation and form, the bits of the float64 operation rounded
// to float32 (exact for +, -, *, / of float32 operands), in place too.
func TestBinary(t *testing.T) {
	r := rand.New(rand.NewSource(6))
	f64 := func(op BinOp, x, y float32) float32 {
		a, b := float64(x), float64(y)
		switch op {
		case BinAdd:
			return float32(a + b)
		case BinSub:
			return float32(a - b)
		case BinMul:
			return float32(a * b)
		}
		return float32(a / b)
	}
	same := func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) || x != x && y != y }
	for n := 0; n <= 40; n++ {
		a, b := randSlice(r, n), randSlice(r, n)
		if n > 3 {
			b[3] = 0
		}
		s := float32(r.NormFloat64())
		for op := BinAdd; op <= BinDiv; op++ {
			o := make([]float32, n)
			BinaryF32(op, o, a, b)
			for i := range o {
				if w := f64(op, a[i], b[i]); !same(o[i], w) {
					t.Fatalf("op %d n=%d: %v op %v = %v, want %v", op, n, a[i], b[i], o[i], w)
				}
			}
			for _, first := range []bool{false, true} {
				c := append([]float32(nil), a...)
				BinaryScalarF32(op, c, c, s, first)
				for i := range c {
					w := f64(op, a[i], s)
					if first {
						w = f64(op, s, a[i])
					}
					if !same(c[i], w) {
						t.Fatalf("op %d first=%v n=%d: element %d = %v, want %v", op, first, n, i, c[i], w)
					}
				}
			}
		}
	}
}
