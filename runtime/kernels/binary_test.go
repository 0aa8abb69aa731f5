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

// TestBinaryRowsScalar: BinaryRowsScalarF32 (the vector version where the
// CPU has one: whole rows of a multiple of 8) gives, on every path, row
// length and operation, with the scalar second and first, the bits of the
// float64 operation rounded to float32 with row r's own scalar, in place
// too; a zero divisor and a zero row scalar included.
func TestBinaryRowsScalar(t *testing.T) { forEachPath(t, testBinaryRowsScalar) }

func testBinaryRowsScalar(t *testing.T) {
	r := rand.New(rand.NewSource(8))
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
	for _, n := range []int{1, 3, 7, 8, 9, 16, 17, 24} {
		for _, rows := range []int{1, 2, 5} {
			a, s := randSlice(r, rows*n), randSlice(r, rows)
			a[0], s[rows-1] = 0, 0
			for op := BinAdd; op <= BinDiv; op++ {
				for _, first := range []bool{false, true} {
					o := make([]float32, rows*n)
					BinaryRowsScalarF32(op, o, a, s, n, first)
					c := append([]float32(nil), a...)
					BinaryRowsScalarF32(op, c, c, s, n, first)
					for i := range o {
						w := f64(op, a[i], s[i/n])
						if first {
							w = f64(op, s[i/n], a[i])
						}
						if !same(o[i], w) || !same(c[i], w) {
							t.Fatalf("op %d first=%v n=%d rows=%d: element %d = %v (in place %v), want %v", op, first, n, rows, i, o[i], c[i], w)
						}
					}
				}
			}
		}
	}
}
