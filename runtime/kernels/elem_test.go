package kernels

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// elemSweep is [-30, 30] in steps of 3/1024 plus the extremes.
func elemSweep() []float32 {
	var xs []float32
	for x := -30.0; x <= 30; x += 0.0009765625 * 3 {
		xs = append(xs, float32(x))
	}
	return append(xs, 0, 1e-30, -1e-30, 1e-8, -1e-8, 0.625, -0.625, 4, -4, 86, -86, 88, 88.7, 89, -88, -104, -110, 3e38, -3e38)
}

// checkElem compares got[i] against want(xs[i]) in float64: relative
// error at most rel where |want| >= 1e-30, absolute at most 1e-35 below.
func checkElem(t *testing.T, name string, xs, got []float32, want func(float64) float64, rel float64) {
	t.Helper()
	worst, at := 0.0, float32(0)
	for i, x := range xs {
		w := want(float64(x))
		if math.Abs(w) > math.MaxFloat32 {
			w = math.Inf(int(math.Copysign(1, w)))
		}
		g := float64(got[i])
		if math.IsInf(w, 0) && g == w {
			continue
		}
		if math.Abs(w) < 1e-30 {
			if math.Abs(g-w) > 1e-35 {
				t.Errorf("%s(%v) = %v, want %v", name, x, g, w)
			}
			continue
		}
		if e := math.Abs(g-w) / math.Abs(w); e > worst || e != e {
			worst, at = e, x
		}
	}
	t.Logf("%s: worst relative error %.2g at %v", name, worst, at)
	if !(worst <= rel) {
		t.Errorf("%s: relative error %.2g at %v exceeds %.1g", name, worst, at, rel)
	}
}

// TestElemAccuracy checks the vector and the reference versions of the
// elementwise functions against their float64 definitions, on the sweep
// and on every tail length (the padded tails run the same lane code).
func TestElemAccuracy(t *testing.T) {
	xs := elemSweep()
	geluTanh := func(x float64) float64 {
		return x / (1 + math.Exp(-2*math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
	}
	erf := func(x float64) float64 { return math.Erf(x) }
	for _, c := range []struct {
		name      string
		impl, ref func(dst, src []float32)
		want      func(float64) float64
		rel       float64
	}{
		{"exp", ExpF32, expRef, math.Exp, 2e-6},
		{"tanh", TanhF32, tanhRef, math.Tanh, 2e-6},
		// Eigen's rational erf: 1.6e-6 relative at its worst (near 0.9
		// and the clamp at 4), measured against math.Erf.
		{"erf", ErfF32, erfRef, erf, 2e-6},
		{"gelu_tanh", GeluTanhF32, geluTanhRef, geluTanh, 2e-5},
	} {
		for _, v := range []struct {
			tag string
			f   func(dst, src []float32)
		}{{"", c.impl}, {"_ref", c.ref}} {
			got := make([]float32, len(xs))
			v.f(got, xs)
			checkElem(t, c.name+v.tag, xs, got, c.want, c.rel)
			// In place, and every tail length: the same bits.
			for n := 1; n <= 17; n++ {
				part := append([]float32(nil), xs[1000:1000+n]...)
				v.f(part, part)
				for i := range part {
					if math.Float32bits(part[i]) != math.Float32bits(got[1000+i]) {
						t.Fatalf("%s%s: length %d element %d = %v, whole-slice %v", c.name, v.tag, n, i, part[i], got[1000+i])
					}
				}
			}
			nan := []float32{float32(math.NaN())}
			v.f(nan, nan)
			if nan[0] == nan[0] {
				t.Errorf("%s%s(NaN) = %v", c.name, v.tag, nan[0])
			}
		}
	}
}

// softmax64 is the float64 softmax of x.
func softmax64(x []float32) []float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, float64(v))
	}
	var s float64
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = math.Exp(float64(v) - m)
		s += out[i]
	}
	for i := range out {
		out[i] /= s
	}
	return out
}

// TestSoftmax: SoftmaxF32 and LogSoftmaxF32 (vector and reference) against
// float64 on random rows of every length to 70 and a few long ones, with
// -Inf (masked) entries: absolute error below 1e-6 (probabilities), and
// below 2e-6 relative to max(1, |want|) for the log form.
func TestSoftmax(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	lens := []int{1000, 3136}
	for n := 1; n <= 70; n++ {
		lens = append(lens, n)
	}
	for _, n := range lens {
		x := randSlice(r, n)
		for i := range x {
			x[i] *= 10
			if n > 3 && i%5 == 2 {
				x[i] = float32(math.Inf(-1))
			}
		}
		want := softmax64(x)
		for _, impl := range []struct {
			tag string
			max func([]float32) float32
			ess func(dst, src []float32, m float32) float32
		}{{"vec", maxImpl, expSubSumImpl}, {"ref", maxRef, expSubSumRef}} {
			got := make([]float32, n)
			m := impl.max(x)
			s := impl.ess(got, x, m)
			for i := range got {
				got[i] /= s
			}
			lg := make([]float32, n)
			for i := range lg {
				lg[i] = x[i] - (m + log32(s))
			}
			for i := range got {
				if d := math.Abs(float64(got[i]) - want[i]); d > 1e-6 || d != d {
					t.Fatalf("%s n=%d: softmax[%d] = %v, want %v", impl.tag, n, i, got[i], want[i])
				}
				lw := math.Log(want[i])
				if math.IsInf(lw, -1) {
					if !math.IsInf(float64(lg[i]), -1) {
						t.Fatalf("%s n=%d: logsoftmax[%d] = %v, want -Inf", impl.tag, n, i, lg[i])
					}
					continue
				}
				if d := math.Abs(float64(lg[i])-lw) / math.Max(1, math.Abs(lw)); d > 2e-6 {
					t.Fatalf("%s n=%d: logsoftmax[%d] = %v, want %v", impl.tag, n, i, lg[i], lw)
				}
			}
		}
		// The exported functions: in place equals out of place.
		a := make([]float32, n)
		SoftmaxF32(a, x)
		b := append([]float32(nil), x...)
		SoftmaxF32(b, b)
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
				t.Fatalf("n=%d: in-place softmax differs at %d", n, i)
			}
		}
		LogSoftmaxF32(a, x)
		for i := range a {
			lw := math.Log(want[i])
			if !math.IsInf(lw, -1) && math.Abs(float64(a[i])-lw)/math.Max(1, math.Abs(lw)) > 2e-6 {
				t.Fatalf("n=%d: LogSoftmaxF32[%d] = %v, want %v", n, i, a[i], lw)
			}
		}
	}
}

// TestNormKernels: MeanVarF32 against float64 statistics (relative error
// below 1e-5 with a mean 100 times the spread), NormAffineF32 and
// AffineF32 against float64 (relative 1e-6 of max(1, |want|)), vector and
// reference.
func TestNormKernels(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	for _, n := range []int{1, 7, 8, 9, 31, 32, 33, 100, 384, 3136} {
		x := randSlice(r, n)
		for i := range x {
			x[i] = 100 + x[i]
		}
		var m, v float64
		for _, e := range x {
			m += float64(e)
		}
		m /= float64(n)
		for _, e := range x {
			v += (float64(e) - m) * (float64(e) - m)
		}
		v /= float64(n)
		gm, gv := MeanVarF32(x)
		if math.Abs(float64(gm)-m)/m > 1e-6 || math.Abs(float64(gv)-v) > 1e-5*v+1e-12 {
			t.Fatalf("n=%d: MeanVarF32 = %v, %v, want %v, %v", n, gm, gv, m, v)
		}
		rv := sumSqDevRef(x, gm) / float32(n)
		if math.Abs(float64(rv)-v) > 1e-5*v+1e-12 {
			t.Fatalf("n=%d: sumSqDevRef variance %v, want %v", n, rv, v)
		}
		s, b := randSlice(r, n), randSlice(r, n)
		k := float32(1 / math.Sqrt(v+1e-5))
		for _, f := range []func(dst, src, s, b []float32, m, k float32){NormAffineF32, normAffineRef} {
			y := make([]float32, n)
			f(y, x, s, b, gm, k)
			for i := range y {
				w := (float64(x[i])-float64(gm))*float64(k)*float64(s[i]) + float64(b[i])
				if math.Abs(float64(y[i])-w) > 1e-6*math.Max(1, math.Abs(w))*10 {
					t.Fatalf("n=%d: normAffine[%d] = %v, want %v", n, i, y[i], w)
				}
			}
		}
		for _, f := range []func(dst, src []float32, m, k, c float32){NormScaleF32, normScaleRef} {
			y := make([]float32, n)
			f(y, x, gm, k, 0.25)
			for i := range y {
				w := (float64(x[i])-float64(gm))*float64(k) + 0.25
				if math.Abs(float64(y[i])-w) > 1e-5*math.Max(1, math.Abs(w)) {
					t.Fatalf("n=%d: normScale[%d] = %v, want %v", n, i, y[i], w)
				}
			}
		}
		for _, f := range []func(dst, src []float32, a, c float32){AffineF32, affineRef} {
			y := make([]float32, n)
			f(y, x, 0.5, -3)
			for i := range y {
				w := float64(x[i])*0.5 - 3
				if math.Abs(float64(y[i])-w) > 1e-6*math.Max(1, math.Abs(w)) {
					t.Fatalf("n=%d: affine[%d] = %v, want %v", n, i, y[i], w)
				}
			}
		}
	}
}

// TestElemNoAlloc: the vector kernels allocate nothing.
func TestElemNoAlloc(t *testing.T) {
	x := randSlice(rand.New(rand.NewSource(5)), 37)
	y := make([]float32, len(x))
	if a := testing.AllocsPerRun(20, func() {
		ExpF32(y, x)
		TanhF32(y, x)
		SoftmaxF32(y, x)
		LogSoftmaxF32(y, x)
		MeanVarF32(x)
		NormAffineF32(y, x, x, x, 1, 2)
		AffineF32(y, x, 1, 2)
		NormScaleF32(y, x, 1, 2, 3)
	}); a != 0 {
		t.Errorf("%v allocations per run", a)
	}
}

// BenchmarkSoftmaxRow times SoftmaxF32 on one row of the lengths
// attention blocks of the zoo softmax over (LeViT: 196, 49, 16 tokens;
// 4096 for a 64x64 map), per kernel path: ns per row and per element.
func BenchmarkSoftmaxRow(b *testing.B) {
	benchPaths(b, func(b *testing.B) {
		for _, n := range []int{16, 49, 196, 4096} {
			b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
				x := randSlice(rand.New(rand.NewSource(1)), n)
				y := make([]float32, n)
				for b.Loop() {
					SoftmaxF32(y, x)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/elem")
			})
		}
	})
}

// TestSoftmaxRowFused: the one-call row kernel, where the path has one,
// gives the bits of the three passes it fuses (maxImpl, expSubSumImpl,
// ScaleF32) on rows of every tail length, NaN, ±Inf and huge spreads.
func TestSoftmaxRowFused(t *testing.T) { forEachPath(t, testSoftmaxRowFused) }

func testSoftmaxRowFused(t *testing.T) {
	fused := softmaxRowImpl
	if fused == nil {
		t.Logf("kernel path %s has no fused softmax row kernel", KernelPath())
		return
	}
	r := rand.New(rand.NewSource(8))
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	for n := 1; n <= 70; n++ {
		for trial := 0; trial < 6; trial++ {
			x := randSlice(r, n)
			for i := range x {
				x[i] *= float32(1 + 30*trial)
			}
			switch trial {
			case 3:
				x[r.Intn(n)] = nan
			case 4:
				x[r.Intn(n)] = inf
				x[r.Intn(n)] = -inf
			case 5:
				x[n-1] = -200 // a tail lane under AMIN
			}
			want := make([]float32, n)
			softmaxRowImpl = nil
			SoftmaxF32(want, x)
			softmaxRowImpl = fused
			got := make([]float32, n)
			SoftmaxF32(got, x)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
					t.Fatalf("n=%d trial %d: [%d] = %v, three passes %v", n, trial, i, got[i], want[i])
				}
			}
			inPlace := append([]float32(nil), x...)
			SoftmaxF32(inPlace, inPlace)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(inPlace[i]) && !(got[i] != got[i]) {
					t.Fatalf("n=%d trial %d: in place [%d] = %v, want %v", n, trial, i, inPlace[i], got[i])
				}
			}
		}
	}
}
