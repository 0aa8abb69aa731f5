package kernels

import (
	"fmt"
	"math"
	"math/rand"
	"runtime"
	"slices"
	"testing"
)

// TestActTile: ActTile on blocks of odd shapes and strides gives every
// element the bits ApplyAct on its row gives it (ApplyAct itself is tested
// against RefAct in TestFastActAccuracy and TestApplyAct*), and leaves the
// elements between rows alone.
func TestActTile(t *testing.T) { forEachPath(t, testActTile) }

func testActTile(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	for _, a := range allActs {
		for _, s := range []struct{ rows, cols, ldc int }{
			{1, 1, 1}, {1, 7, 9}, {3, 8, 8}, {12, 32, 32}, {12, 32, 37}, {5, 15, 17}, {7, 16, 16}, {6, 17, 40}, {11, 33, 33}, {4, 47, 51}, {2, 100, 103}, {13, 64, 200},
		} {
			src := randSlice(r, (s.rows-1)*s.ldc+s.cols+5)
			for i := range src {
				src[i] *= 8
			}
			if len(src) > 3 {
				src[1], src[2] = float32(inf), float32(-inf)
			}
			got := append([]float32(nil), src...)
			want := append([]float32(nil), src...)
			ActTile(got, s.rows, s.cols, s.ldc, a.act, a.alpha, a.beta)
			for i := range s.rows {
				ApplyAct(want[i*s.ldc:i*s.ldc+s.cols], a.act, a.alpha, a.beta)
			}
			sameBits(t, fmt.Sprintf("%v %dx%d ldc %d", a.act, s.rows, s.cols, s.ldc), got, want)
		}
	}
}

// TestActTileValues: over a sweep of float32 values (a fine grid of
// [-100, 100], random bit patterns, the clamping and overflow points,
// subnormals, zeros, infinities and NaN), ActTile gives the bits of
// ApplyAct row by row on every path, and avx512 the bits of avx2.
func TestActTileValues(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	var xs []float32
	for x := -100.0; x <= 100; x += 1.0 / 128 {
		xs = append(xs, float32(x))
	}
	for range 100000 {
		xs = append(xs, math.Float32frombits(r.Uint32()))
	}
	for _, x := range []float32{0, 1e-45, 1e-40, 1e-38, 1.2e-38, 1e-30, 1e-8, 3, 6, 13, 5.6, 86, 86.5, 87, 88, 88.72, 88.73, 89, 104, 110, 1e30, 3e38, float32(inf), float32(math.NaN())} {
		xs = append(xs, x, -x)
	}
	r.Shuffle(len(xs), func(i, j int) { xs[i], xs[j] = xs[j], xs[i] })
	const cols, ldc = 45, 51 // rows of 2 full avx512 vectors + a tail, avx2: 5 + a tail
	rows := len(xs) / cols
	paths := map[string][]float32{}
	for _, a := range allActs {
		for _, path := range KernelPaths() {
			prev, err := SetKernelPath(path)
			if err != nil {
				t.Fatal(err)
			}
			tile := make([]float32, rows*ldc)
			want := make([]float32, rows*ldc)
			for i := range rows {
				copy(tile[i*ldc:], xs[i*cols:(i+1)*cols])
			}
			copy(want, tile)
			ActTile(tile, rows, cols, ldc, a.act, a.alpha, a.beta)
			for i := range rows {
				ApplyAct(want[i*ldc:i*ldc+cols], a.act, a.alpha, a.beta)
			}
			sameBits(t, fmt.Sprintf("%s %v: ActTile vs ApplyAct by row", path, a.act), tile, want)
			paths[path] = tile
			SetKernelPath(prev)
		}
		if slices.Contains(KernelPaths(), PathAVX512) {
			sameBits(t, fmt.Sprintf("%v: ActTile avx512 vs avx2", a.act), paths[PathAVX512], paths[PathAVX2])
		} else {
			t.Logf("kernel path avx512 not supported by this CPU or build: avx512 vs avx2 not compared here")
		}
		// The piecewise linear activations compute exactly what the
		// scalar code (purego) computes.
		switch a.act {
		case ActRelu, ActRelu6, ActClip, ActHardSwish, ActHardSigmoid, ActLeakyRelu:
			for path, got := range paths {
				sameBits(t, fmt.Sprintf("%v: ActTile %s vs purego", a.act, path), got, paths[PathPurego])
			}
		}
	}
}

// BenchmarkActTile: ns per element of the activation on a 12 x 32 GEMM
// tile of a wide C (the GEMM epilogue's call), per kernel path.
func BenchmarkActTile(b *testing.B) { benchPaths(b, benchActTile) }

func benchActTile(b *testing.B) {
	const rows, cols, ldc = 12, 32, 1024
	r := rand.New(rand.NewSource(1))
	src := randSlice(r, rows*ldc)
	for i := range src {
		src[i] *= 6
	}
	v := make([]float32, len(src))
	for _, a := range allActs {
		if a.act == ActNone {
			continue
		}
		b.Run(fmt.Sprint(a.act), func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			start := threadCPU()
			n := 0
			for b.Loop() {
				// 32 tiles side by side, as a GEMM's epilogue visits them.
				copy(v, src)
				for j0 := 0; j0 < ldc; j0 += cols {
					ActTile(v[j0:], rows, cols, ldc, a.act, a.alpha, a.beta)
				}
				n++
			}
			if start >= 0 {
				b.ReportMetric(float64((threadCPU()-start).Nanoseconds())/float64(n)/float64(len(v)), "cpu-ns/elem")
			}
		})
	}
}

// BenchmarkGemmAct: the GEMM of a 1x1 convolution with bias and an
// activation the micro-kernel does not apply (EfficientNet-B0's
// blocks.1.0 conv_pw: M=96, K=16, N=112*112, and N=1024), one thread.
func BenchmarkGemmAct(b *testing.B) { benchPaths(b, benchGemmAct) }

func benchGemmAct(b *testing.B) {
	const m, k = 96, 16
	for _, n := range []int{12544, 1024} { // C of 4.8 MB, and one that fits in L2
		for _, act := range []Act{ActRelu, ActSiLU, ActHardSwish, ActGelu} {
			b.Run(fmt.Sprintf("N=%d/%v", n, act), func(b *testing.B) {
				r := rand.New(rand.NewSource(1))
				A, B, C := randSlice(r, m*k), randSlice(r, k*n), make([]float32, m*n)
				ep := Epilogue{Bias: randSlice(r, m), Act: act}
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				start := threadCPU()
				for b.Loop() {
					GemmEpilogue(false, false, m, n, k, 1, A, k, B, n, 0, C, n, &ep, 1)
				}
				report(b, 2*float64(m*n*k), 1, start)
			})
		}
	}
}
