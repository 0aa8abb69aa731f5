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

// TestPackAPanel6: the whole-panel packing (packAPanel6, with the path's
// vector kernel where it has one) writes exactly the generic layout
// dst[k*mr+i] = A[i0+i][p0+k] and nothing past the panel, for every
// step count around the 8-step blocks.
func TestPackAPanel6(t *testing.T) { forEachPath(t, testPackAPanel6) }

func testPackAPanel6(t *testing.T) {
	r := rand.New(rand.NewSource(6))
	for kcb := 1; kcb <= 41; kcb++ {
		for _, lda := range []int{kcb, kcb + 3, 57} {
			if lda < kcb+2 && lda != kcb {
				continue
			}
			A := randSlice(r, (mr+2)*lda+2)
			dst := make([]float32, kcb*mr+5)
			for i := range dst {
				dst[i] = -7
			}
			packAPanel(dst, false, A, lda, 1, mr, 2%max(1, lda-kcb+1), kcb, 1)
			p0 := 2 % max(1, lda-kcb+1)
			for k := 0; k < kcb; k++ {
				for i := 0; i < mr; i++ {
					if got, want := dst[k*mr+i], A[(1+i)*lda+p0+k]; got != want {
						t.Fatalf("kcb=%d lda=%d: dst[%d*mr+%d] = %v, want %v", kcb, lda, k, i, got, want)
					}
				}
			}
			for i := kcb * mr; i < len(dst); i++ {
				if dst[i] != -7 {
					t.Fatalf("kcb=%d lda=%d: wrote past the panel at %d", kcb, lda, i)
				}
			}
		}
	}
}
