package kernels

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"
)

// TestRows8Tiles: GEMMs whose row blocks end in 8-row tiles (M = 12t + 2,
// 4, 8 or 10, rows8Tail), with every epilogue, K within and beyond one kc
// block, and a leading dimension past N, match RefGemm plus the epilogue
// on every path, and the avx512 path (which has the 8-row kernels) gives
// the avx2 path's bits, with 1 and 3 threads.
func TestRows8Tiles(t *testing.T) {
	r := rand.New(rand.NewSource(12))
	paths := KernelPaths()
	prev := KernelPath()
	defer SetKernelPath(prev)
	for _, s := range []struct{ m, n, k int }{{8, 64, 7}, {14, 40, 9}, {16, 96, 30}, {20, 33, 300}, {22, 70, 5}, {32, 64, 27}, {40, 65, 260}, {64, 96, 147}, {128, 50, 600}, {154, 64, 20}} {
		A, B := randSlice(r, s.m*s.k), randSlice(r, s.k*s.n)
		res, bias := randSlice(r, s.m*(s.n+3)), randSlice(r, s.m)
		for _, a := range allActs {
			for _, after := range []bool{false, true} {
				ep := Epilogue{Bias: bias, Residual: res, Act: a.act, Alpha: a.alpha, Beta: a.beta, ActAfterResidual: after}
				ldc := s.n + 3
				want := make([]float32, s.m*ldc)
				RefGemm(false, false, s.m, s.n, s.k, 1, A, s.k, B, s.n, 0, want, ldc)
				for i := 0; i < s.m; i++ {
					row := want[i*ldc : i*ldc+s.n]
					for jj := range row {
						row[jj] += bias[i]
						if after {
							row[jj] = actScalar(row[jj]+res[i*ldc+jj], a.act, a.alpha, a.beta)
						} else {
							row[jj] = actScalar(row[jj], a.act, a.alpha, a.beta) + res[i*ldc+jj]
						}
					}
				}
				got := map[string][]float32{}
				for _, path := range paths {
					if _, err := SetKernelPath(path); err != nil {
						t.Fatal(err)
					}
					for _, th := range []int{1, 3} {
						c := make([]float32, s.m*ldc)
						GemmEpilogue(false, false, s.m, s.n, s.k, 1, A, s.k, B, s.n, 0, c, ldc, &ep, th)
						what := fmt.Sprintf("%v %v after=%v %s threads=%d", s, a.act, after, path, th)
						closeTo(t, what, c, want, s.k)
						if g, ok := got[path]; ok {
							sameBits(t, what+" vs 1 thread", c, g)
						} else {
							got[path] = c
						}
					}
				}
				if slices.Contains(paths, PathAVX512) {
					sameBits(t, fmt.Sprintf("%v %v after=%v: avx512 vs avx2", s, a.act, after), got[PathAVX512], got[PathAVX2])
				}
			}
		}
	}
}
