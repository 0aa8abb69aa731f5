package engine

import (
	"fmt"
	"math"
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
				got = runInt64(t, m, map[string]*ir.Tensor{"x": xt}, "y")
			} else {
				got, _ = runThreads(t, m, map[string]*ir.Tensor{"x": xt}, "y")
			}
			maxDiff(t, got, want, 0, 0)
		})
	}
}

// TestMovementViews checks the offset views (Concat computed in place,
// contiguous Slice and Split as views) on a GhostNet-like graph: a =
// Relu(x), b = Sigmoid(a) (reads a, written beside it), cat =
// Concat(a, b) on channels, a Slice and a Split of cat, a read of a after
// the Concat, cat and a view among the graph outputs, and a value z that
// lives between the writes of a and b (which cat must not share storage
// with). Outputs are
// compared with the definitions computed here in float64, for batch 1
// (views: no Concat, Slice or Split step is left) and batch 2 (copies), the
// plain path (copies) and the kernels, with 1-3 threads and RunInto
// allocation-free (runThreads).
func TestMovementViews(t *testing.T) {
	const C, H, W = 3, 4, 5
	for _, N := range []int{1, 2} {
		for _, fast := range []bool{true, false} {
			t.Run(fmt.Sprintf("N%d_kernels%v", N, fast), func(t *testing.T) {
				useKernels = fast
				defer func() { useKernels = true }()
				m, g := newModel()
				shape := ints64(int64(N), C, H, W)
				x := g.AddInput("x", ir.TensorOf(ir.Float32, shape...))
				a := g.AddNode("Relu", "a", []*ir.Value{x}, "a").Outputs[0]
				// z lives between the writes of a and b only: the
				// allocator must not give its storage to cat, which holds a
				// from a's step on.
				z := g.AddNode("Concat", "z", []*ir.Value{x, x}, "z")
				z.SetAttr(&ir.Attr{Name: "axis", Type: ir.AttrInt, I: 1})
				w := g.AddNode("ReduceSum", "w", []*ir.Value{z.Outputs[0]}, "w").Outputs[0]
				b := g.AddNode("Sigmoid", "b", []*ir.Value{a}, "b").Outputs[0]
				cat := g.AddNode("Concat", "cat", []*ir.Value{a, b}, "cat")
				cat.SetAttr(&ir.Attr{Name: "axis", Type: ir.AttrInt, I: 1})
				cv := cat.Outputs[0]
				sl := g.AddNode("Slice", "sl", []*ir.Value{cv,
					g.AddConst("st", ir.NewInt64(ints64(1), []int64{2})),
					g.AddConst("en", ir.NewInt64(ints64(1), []int64{5})),
					g.AddConst("ax", ir.NewInt64(ints64(1), []int64{1}))}, "sl").Outputs[0]
				sp := g.AddNode("Split", "sp", []*ir.Value{cv, g.AddConst("sz", ir.NewInt64(ints64(2), []int64{4, 2}))}, "p0", "p1")
				sp.SetAttr(&ir.Attr{Name: "axis", Type: ir.AttrInt, I: 1})
				y1 := g.AddNode("Add", "y1", []*ir.Value{sl, sl}, "y1").Outputs[0]
				y2 := g.AddNode("Neg", "y2", []*ir.Value{sp.Outputs[1]}, "y2").Outputs[0]
				d := g.AddNode("Mul", "d", []*ir.Value{a, a}, "d").Outputs[0]
				for _, o := range []*ir.Value{y1, y2, d, cv, sp.Outputs[0], w} {
					g.AddOutput(o)
				}
				xv := randF32(rand.New(rand.NewSource(int64(N))), N*C*H*W)
				in := map[string]*ir.Tensor{"x": ir.NewFloat32(shape, xv)}
				// Definitions: cat[n, c] = a[n, c] for c < C, else
				// sigmoid(a[n, c-C]); planes of H*W.
				P := H * W
				catW := make([]float64, N*2*C*P)
				for n := 0; n < N; n++ {
					for c := 0; c < C; c++ {
						for i := 0; i < P; i++ {
							v := math.Max(float64(xv[(n*C+c)*P+i]), 0)
							catW[(n*2*C+c)*P+i] = v
							catW[(n*2*C+C+c)*P+i] = 1 / (1 + math.Exp(-v))
						}
					}
				}
				channels := func(c0, c1 int, f func(float64) float64) []float32 {
					var out []float32
					for n := 0; n < N; n++ {
						for _, v := range catW[(n*2*C+c0)*P : (n*2*C+c1)*P] {
							out = append(out, float32(f(v)))
						}
					}
					return out
				}
				id := func(v float64) float64 { return v }
				var sum float64
				for _, v := range xv {
					sum += 2 * float64(v)
				}
				want := map[string][]float32{
					"y1":  channels(2, 5, func(v float64) float64 { return 2 * v }),
					"y2":  channels(4, 6, func(v float64) float64 { return -v }),
					"d":   channels(0, C, func(v float64) float64 { return v * v }),
					"cat": channels(0, 2*C, id),
					"p0":  channels(0, 4, id),
					"w":   {float32(sum)},
				}
				for name, w := range want {
					got, _ := runThreads(t, m, in, name)
					maxDiff(t, got, w, 1e-6, 1e-6)
				}
				p, err := compileFull(m, Options{Threads: 1})
				if err != nil {
					t.Fatal(err)
				}
				defer p.Close()
				var copies []string
				for _, s := range p.steps {
					if s.node != nil && s.node.Name != "z" && (s.node.OpType == "Concat" || s.node.OpType == "Slice" || s.node.OpType == "Split") {
						copies = append(copies, s.node.OpType)
					}
				}
				if views := N == 1 && fast; views != (len(copies) == 0) {
					t.Errorf("copy steps %v; want none exactly when N is 1 with the kernels", copies)
				}
			})
		}
	}
}

// TestCastSameTypeView checks that a Cast of a float32 value to float32
// is a view (no step) whose value is its input's, read after another step
// and as a graph output.
func TestCastSameTypeView(t *testing.T) {
	m, g := newModel()
	shape := ints64(2, 3)
	x := g.AddInput("x", ir.TensorOf(ir.Float32, shape...))
	a := g.AddNode("Neg", "a", []*ir.Value{x}, "a").Outputs[0]
	cast := g.AddNode("Cast", "cast", []*ir.Value{a}, "c")
	cast.SetAttr(&ir.Attr{Name: "to", Type: ir.AttrInt, I: int64(ir.Float32)})
	y := g.AddNode("Add", "y", []*ir.Value{cast.Outputs[0], x}, "y").Outputs[0]
	g.AddOutput(y)
	g.AddOutput(cast.Outputs[0])
	xv := []float32{1, -2, 3.5, 0, 7, -0.25}
	in := map[string]*ir.Tensor{"x": ir.NewFloat32(shape, xv)}
	neg := make([]float32, len(xv))
	for i, v := range xv {
		neg[i] = -v
	}
	got, _ := runThreads(t, m, in, "c")
	maxDiff(t, got, neg, 0, 0)
	got, _ = runThreads(t, m, in, "y")
	maxDiff(t, got, make([]float32, len(xv)), 0, 0)
	p, err := compileFull(m, Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, s := range p.steps {
		if s.node != nil && s.node.OpType == "Cast" {
			t.Errorf("a Cast step runs; want a view")
		}
	}
}
