package kernels

import (
	"math"
	"math/rand"
	"testing"
)

// TestPoolRows checks MaxInto, AddInto, DivInto, LerpInto, Repeat2 and Deinterleave2 (the
// vector versions where the CPU has them) bit for bit against the
// definitions written out per element, on lengths around the vector
// width, unaligned starts, in place, and with NaN, infinities and signed
// zeros in the data.
func TestPoolRows(t *testing.T) { forEachPath(t, testPoolRows) }

func testPoolRows(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	special := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1))}
	same := func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) }
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 33, 112, 115} {
		for _, off := range []int{0, 1, 3} {
			a := make([]float32, n+off)
			b := make([]float32, n+off)
			for i := range a {
				a[i], b[i] = float32(r.NormFloat64()), float32(r.NormFloat64())
				if r.Intn(6) == 0 {
					a[i] = special[r.Intn(len(special))]
				}
				if r.Intn(6) == 0 {
					b[i] = special[r.Intn(len(special))]
				}
			}
			a, b = a[off:], b[off:]
			dst := make([]float32, n)
			MaxInto(dst, a, b)
			for i := range dst {
				want := b[i]
				if a[i] > b[i] || math.IsNaN(float64(a[i])) {
					want = a[i]
				}
				if !same(dst[i], want) {
					t.Fatalf("n=%d off=%d: MaxInto(%v, %v) = %v, want %v", n, off, a[i], b[i], dst[i], want)
				}
			}
			AddInto(dst, a, b)
			for i := range dst {
				if want := a[i] + b[i]; !same(dst[i], want) && !(dst[i] != dst[i] && want != want) {
					t.Fatalf("n=%d off=%d: AddInto(%v, %v) = %v, want %v", n, off, a[i], b[i], dst[i], want)
				}
			}
			DivInto(dst, a, b)
			for i := range dst {
				if want := a[i] / b[i]; !same(dst[i], want) && !(dst[i] != dst[i] && want != want) {
					t.Fatalf("n=%d off=%d: DivInto(%v, %v) = %v, want %v", n, off, a[i], b[i], dst[i], want)
				}
			}
			const wa, wb = 0.75, 0.25
			LerpInto(dst, a, b, wa, wb)
			for i := range dst {
				p, q := a[i]*wa, b[i]*wb
				if want := p + q; !same(dst[i], want) && !(dst[i] != dst[i] && want != want) {
					t.Fatalf("n=%d off=%d: LerpInto(%v, %v) = %v, want %v", n, off, a[i], b[i], dst[i], want)
				}
			}
			// In place: dst is a.
			c := append([]float32(nil), a...)
			MaxInto(c, c, b)
			for i := range c {
				if want := max32ref(a[i], b[i]); !same(c[i], want) {
					t.Fatalf("n=%d off=%d: in-place MaxInto element %d = %v, want %v", n, off, i, c[i], want)
				}
			}
			rep := make([]float32, 2*n)
			Repeat2(rep, a)
			for i := range a {
				if !same(rep[2*i], a[i]) || !same(rep[2*i+1], a[i]) {
					t.Fatalf("n=%d off=%d: Repeat2 element %d = %v, %v, want %v twice", n, off, i, rep[2*i], rep[2*i+1], a[i])
				}
			}
			even, odd := make([]float32, n/2), make([]float32, n/2)
			Deinterleave2(even, odd, a)
			for i := range even {
				if !same(even[i], a[2*i]) || !same(odd[i], a[2*i+1]) {
					t.Fatalf("n=%d off=%d: Deinterleave2 element %d = %v, %v, want %v, %v", n, off, i, even[i], odd[i], a[2*i], a[2*i+1])
				}
			}
		}
	}
}

func max32ref(x, y float32) float32 {
	if x > y || math.IsNaN(float64(x)) {
		return x
	}
	return y
}

// TestUpsample2 checks Upsample2 (the vector version where the CPU has
// one) against its definition, dst[(2r+a)*2w + 2i+b] = src[r*w+i] for a, b
// in {0, 1}, bit for bit (NaN payloads included) on widths around the
// vector width, and that it writes nothing past 4*rows*w floats.
func TestUpsample2(t *testing.T) { forEachPath(t, testUpsample2) }

func testUpsample2(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	for _, w := range []int{1, 2, 3, 4, 7, 8, 9, 14, 15, 16, 17, 28, 56} {
		for _, rows := range []int{1, 2, 5} {
			src := make([]float32, rows*w)
			for i := range src {
				src[i] = math.Float32frombits(r.Uint32())
			}
			const guard = 37
			dst := make([]float32, 4*rows*w+guard)
			sentinel := float32(-12345)
			for i := range dst {
				dst[i] = sentinel
			}
			Upsample2(dst, src, rows, w)
			for row := 0; row < 2*rows; row++ {
				for j := 0; j < 2*w; j++ {
					got, want := dst[row*2*w+j], src[(row/2)*w+j/2]
					if math.Float32bits(got) != math.Float32bits(want) {
						t.Fatalf("w=%d rows=%d: output row %d column %d is %x, want %x", w, rows, row, j, math.Float32bits(got), math.Float32bits(want))
					}
				}
			}
			for i, v := range dst[4*rows*w:] {
				if v != sentinel {
					t.Fatalf("w=%d rows=%d: wrote %v past the output at %d", w, rows, v, i)
				}
			}
		}
	}
}
