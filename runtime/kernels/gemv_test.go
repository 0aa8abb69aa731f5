package kernels

import (
	"fmt"
	"math/rand"
	"testing"
)

// TestGemv: Gemv against the plain reference (RefGemm + RefEpilogue) for
// odd shapes, every activation and residual placement, both layouts of
// B; bit-identical across thread counts and to GemmPackedB with one row
// (the GEMM path it replaces) on the same kernel path.
func TestGemv(t *testing.T) { forEachPath(t, testGemv) }

func testGemv(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	for _, s := range []struct{ k, n int }{{1, 1}, {7, 5}, {256, 32}, {257, 33}, {600, 31}, {1280, 1000}, {96, 67}, {0, 9}} {
		for _, transB := range []bool{true, false} {
			x := randSlice(r, s.k)
			ldb := s.n + 3
			if transB {
				ldb = s.k + 2
			}
			B := randSlice(r, max(1, s.k*ldb+s.n*ldb))
			bias, res := randSlice(r, s.n), randSlice(r, s.n)
			pg := PackGemv(transB, s.k, s.n, B, ldb)
			pb := PackB(transB, s.k, s.n, B, ldb)
			for ai, a := range allActs {
				for v := 0; v < 3; v++ {
					if v > 0 && ai%3 != 0 && s.n != 1000 {
						continue
					}
					ep := Epilogue{Bias: bias, BiasPerCol: true, Act: a.act, Alpha: a.alpha, Beta: a.beta}
					if v > 0 {
						ep.Residual, ep.ActAfterResidual = res, v == 2
					}
					if ai%4 == 1 {
						ep.Bias = nil
					}
					what := fmt.Sprintf("K=%d N=%d transB=%v %v res=%d", s.k, s.n, transB, a.act, v)
					want := make([]float32, s.n)
					RefGemm(false, transB, 1, s.n, s.k, 1, x, s.k, B, ldb, 0, want, s.n)
					RefEpilogue(1, s.n, want, s.n, &ep)
					gemm := make([]float32, s.n)
					GemmPackedB(false, 1, 1, x, s.k, pb, 0, gemm, s.n, &ep, 1)
					for _, th := range []int{1, 2, 3} {
						got := make([]float32, s.n+1)
						got[s.n] = 42
						Gemv(pg, x, got, &ep, th)
						if got[s.n] != 42 {
							t.Fatalf("%s: wrote past y", what)
						}
						closeTo(t, what, got[:s.n], want, s.k)
						if s.k > 0 { // with K = 0 GemmPackedB applies the activation with the scalar reference
							sameBits(t, what+" vs GemmPackedB", got[:s.n], gemm)
						}
					}
				}
			}
		}
	}
}

// TestGemvNoAlloc: Gemv allocates nothing in steady state.
func TestGemvNoAlloc(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	K, N := 300, 200
	x, B, y, bias := randSlice(r, K), randSlice(r, K*N), make([]float32, N), randSlice(r, N)
	pg := PackGemv(true, K, N, B, K)
	ep := &Epilogue{Bias: bias, Act: ActSiLU}
	for _, th := range []int{1, 2} {
		Gemv(pg, x, y, ep, th)
		if n := testing.AllocsPerRun(20, func() { Gemv(pg, x, y, ep, th) }); n != 0 {
			t.Errorf("threads=%d: %v allocations per call", th, n)
		}
	}
}
