package engine

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/mconv/mconv/ir"
)

// TestTransposeRandom checks Transpose of random shapes (rank 2 to 5) and
// permutations, float32 (the 4-byte block path among others) and int64,
// against the definition out[i] = x[perm-permuted i], with 1 to 3 threads.
func TestTransposeRandom(t *testing.T) {
	r := rand.New(rand.NewSource(29))
	for tc := 0; tc < 60; tc++ {
		rank := 2 + r.Intn(4)
		shape := make([]int64, rank)
		for a := range shape {
			shape[a] = int64(1 + r.Intn(12))
		}
		if tc%3 == 0 { // attention-like: big last two dims
			shape[rank-1], shape[rank-2] = int64(8+r.Intn(60)), int64(8+r.Intn(60))
		}
		perm := r.Perm(rank)
		if tc%3 == 0 {
			perm = make([]int, rank)
			for i := range perm {
				perm[i] = i
			}
			perm[rank-1], perm[rank-2] = rank-2, rank-1
		}
		isInt := tc%4 == 3
		t.Run(fmt.Sprintf("case%d_%v_perm%v_int%v", tc, shape, perm, isInt), func(t *testing.T) {
			m, g := newModel()
			n := int(ir.NumElements(shape))
			xv := randF32(r, n)
			xt := ir.NewFloat32(shape, xv)
			dt := ir.Float32
			if isInt {
				iv := make([]int64, n)
				for i := range iv {
					iv[i] = int64(i)*7 - 3
					xv[i] = float32(iv[i])
				}
				xt, dt = ir.NewInt64(shape, iv), ir.Int64
			}
			x := g.AddInput("x", ir.TensorOf(dt, shape...))
			p64 := make([]int64, rank)
			oshape := make([]int64, rank)
			for i, p := range perm {
				p64[i], oshape[i] = int64(p), shape[p]
			}
			nd := g.AddNode("Transpose", "tr", []*ir.Value{x}, "y")
			nd.SetAttr(&ir.Attr{Name: "perm", Type: ir.AttrInts, Ints: p64})
			g.AddOutput(nd.Outputs[0])
			is := contiguousStrides(shape)
			want := make([]float32, n)
			idx := make([]int, rank)
			for k := range want {
				off := 0
				for i, p := range perm {
					off += idx[i] * is[p]
				}
				want[k] = xv[off]
				nextIndex(idx, oshape)
			}
			var got []float32
			if isInt {
				p := mustCompile(t, m, Options{Threads: 1})
				out, err := p.Run(map[string]*ir.Tensor{"x": xt})
				if err != nil {
					t.Fatal(err)
				}
				iv, _ := out["y"].Int64s()
				for _, v := range iv {
					got = append(got, float32(v))
				}
			} else {
				got, _ = runThreads(t, m, map[string]*ir.Tensor{"x": xt}, "y")
			}
			maxDiff(t, got, want, 0, 0)
		})
	}
}
