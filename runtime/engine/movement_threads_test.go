package engine

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/mconv/mconv/ir"
)

// TestPartitionCopies splits random strided copies (transposes and
// concatenations of random shapes) into 1 to 5 groups with small minimum
// sizes and checks that running the groups one after the other writes the
// same destination as the unsplit copies, that the pieces cover exactly
// the elements of the copies, and that no group is empty.
func TestPartitionCopies(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	for tc := 0; tc < 40; tc++ {
		rank := 1 + r.Intn(4)
		shape := make([]int64, rank)
		for a := range shape {
			shape[a] = int64(1 + r.Intn(9))
		}
		n := int(ir.NumElements(shape))
		src := make([]int32, 2*n)
		for i := range src {
			src[i] = int32(i + 1)
		}
		// Two copies: a random transpose of src[:n] into the first half of
		// dst, and a plain copy of src[n:] into the second half.
		perm := r.Perm(rank)
		is := contiguousStrides(shape)
		oshape := make([]int64, rank)
		ss := make([]int, rank)
		for i, p := range perm {
			oshape[i], ss[i] = shape[p], is[p]
		}
		mk := func() []copyPiece {
			return []copyPiece{
				{0, 0, newStrided(ints(oshape), contiguousStrides(oshape), ss, 0, 0)},
				{0, 0, newStrided(ints(shape), is, is, n, n)},
			}
		}
		want := make([]int32, 2*n)
		for _, c := range mk() {
			copyStrided(want, src, c.p)
		}
		for threads := 1; threads <= 5; threads++ {
			for _, minElems := range []int{1, 3, n / 2, 4 * n} {
				groups := partitionCopies(mk(), threads, minElems)
				if len(groups) > threads || len(groups) < 1 {
					t.Fatalf("case %d (%v perm %v) threads %d min %d: %d groups", tc, shape, perm, threads, minElems, len(groups))
				}
				got := make([]int32, 2*n)
				total := 0
				for gi, g := range groups {
					if len(g) == 0 {
						t.Fatalf("case %d threads %d min %d: group %d empty", tc, threads, minElems, gi)
					}
					for _, c := range g {
						total += c.p.elems()
						copyStrided(got, src, c.p)
					}
				}
				if total != 2*n {
					t.Fatalf("case %d threads %d min %d: pieces copy %d elements, want %d", tc, threads, minElems, total, 2*n)
				}
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("case %d (%v perm %v) threads %d min %d: element %d = %d, want %d", tc, shape, perm, threads, minElems, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// TestMovementThreadsLarge runs Transpose (the channel shuffle and the
// blocked 4-byte transpose), Concat of unequal inputs, Slice and Split of
// unequal parts on tensors large enough to be split across threads: every
// output against its definition, the same bits with 1 to 4 threads, and
// RunInto allocating nothing.
func TestMovementThreadsLarge(t *testing.T) {
	r := rand.New(rand.NewSource(8))
	type tcase struct {
		name   string
		shapes [][]int64
		build  func(g *ir.Graph, ins []*ir.Value) []*ir.Value
		ref    func(in [][]float32) [][]float32
	}
	transpose := func(shape []int64, perm []int64) tcase {
		return tcase{
			name:   fmt.Sprintf("Transpose%v_%v", shape, perm),
			shapes: [][]int64{shape},
			build: func(g *ir.Graph, ins []*ir.Value) []*ir.Value {
				nd := g.AddNode("Transpose", "tr", ins, "y0")
				nd.SetAttr(&ir.Attr{Name: "perm", Type: ir.AttrInts, Ints: perm})
				return nd.Outputs
			},
			ref: func(in [][]float32) [][]float32 {
				r := len(shape)
				is := contiguousStrides(shape)
				oshape := make([]int64, r)
				for i, p := range perm {
					oshape[i] = shape[p]
				}
				y := make([]float32, len(in[0]))
				idx := make([]int, r)
				for k := range y {
					off := 0
					for i, p := range perm {
						off += idx[i] * is[p]
					}
					y[k] = in[0][off]
					nextIndex(idx, oshape)
				}
				return [][]float32{y}
			},
		}
	}
	cases := []tcase{
		transpose([]int64{1, 2, 58, 28, 28}, []int64{0, 2, 1, 3, 4}),
		transpose([]int64{3, 150, 130}, []int64{0, 2, 1}),
		transpose([]int64{256, 128}, []int64{1, 0}), // split along the transposed dimension
		transpose([]int64{1, 7, 9, 400}, []int64{0, 3, 1, 2}),
		{
			name:   "Concat_axis1",
			shapes: [][]int64{{1, 24, 56, 56}, {1, 40, 56, 56}, {1, 3, 56, 56}},
			build: func(g *ir.Graph, ins []*ir.Value) []*ir.Value {
				nd := g.AddNode("Concat", "cat", ins, "y0")
				nd.SetAttr(&ir.Attr{Name: "axis", Type: ir.AttrInt, I: 1})
				return nd.Outputs
			},
			ref: func(in [][]float32) [][]float32 {
				var y []float32
				for _, v := range in {
					y = append(y, v...)
				}
				return [][]float32{y}
			},
		},
		{
			name:   "Concat_axis3",
			shapes: [][]int64{{2, 30, 40, 17}, {2, 30, 40, 50}},
			build: func(g *ir.Graph, ins []*ir.Value) []*ir.Value {
				nd := g.AddNode("Concat", "cat", ins, "y0")
				nd.SetAttr(&ir.Attr{Name: "axis", Type: ir.AttrInt, I: 3})
				return nd.Outputs
			},
			ref: func(in [][]float32) [][]float32 {
				var y []float32
				for row := 0; row < 2*30*40; row++ {
					y = append(y, in[0][row*17:(row+1)*17]...)
					y = append(y, in[1][row*50:(row+1)*50]...)
				}
				return [][]float32{y}
			},
		},
		{
			name:   "Slice_channels_rows",
			shapes: [][]int64{{2, 64, 60, 60}},
			build: func(g *ir.Graph, ins []*ir.Value) []*ir.Value {
				st := g.AddConst("starts", ir.NewInt64([]int64{2}, []int64{5, 1}))
				en := g.AddConst("ends", ir.NewInt64([]int64{2}, []int64{60, 59}))
				ax := g.AddConst("axes", ir.NewInt64([]int64{2}, []int64{1, 2}))
				return g.AddNode("Slice", "sl", []*ir.Value{ins[0], st, en, ax}, "y0").Outputs
			},
			ref: func(in [][]float32) [][]float32 {
				var y []float32
				for n := 0; n < 2; n++ {
					for c := 5; c < 60; c++ {
						for h := 1; h < 59; h++ {
							o := ((n*64+c)*60 + h) * 60
							y = append(y, in[0][o:o+60]...)
						}
					}
				}
				return [][]float32{y}
			},
		},
		{
			name:   "Split_unequal",
			shapes: [][]int64{{1, 116, 28, 28}},
			build: func(g *ir.Graph, ins []*ir.Value) []*ir.Value {
				sp := g.AddConst("split", ir.NewInt64([]int64{3}, []int64{20, 58, 38}))
				nd := g.AddNode("Split", "sp", []*ir.Value{ins[0], sp}, "y0", "y1", "y2")
				nd.SetAttr(&ir.Attr{Name: "axis", Type: ir.AttrInt, I: 1})
				return nd.Outputs
			},
			ref: func(in [][]float32) [][]float32 {
				const hw = 28 * 28
				return [][]float32{in[0][:20*hw], in[0][20*hw : 78*hw], in[0][78*hw:]}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, g := newModel()
			var ins []*ir.Value
			feeds := map[string]*ir.Tensor{}
			vals := make([][]float32, len(tc.shapes))
			for i, s := range tc.shapes {
				vals[i] = randF32(r, int(ir.NumElements(s)))
				name := fmt.Sprintf("in%d", i)
				ins = append(ins, g.AddInput(name, ir.TensorOf(ir.Float32, s...)))
				feeds[name] = ir.NewFloat32(s, vals[i])
			}
			outs := tc.build(g, ins)
			for _, o := range outs {
				g.AddOutput(o)
			}
			want := tc.ref(vals)
			for th := 1; th <= 4; th++ {
				p := mustCompile(t, m, Options{Threads: th})
				out, err := p.Run(feeds)
				if err != nil {
					t.Fatal(err)
				}
				for i, o := range outs {
					got, err := out[o.Name].Float32s()
					if err != nil {
						t.Fatal(err)
					}
					if len(got) != len(want[i]) {
						t.Fatalf("%d threads: %s has %d elements, want %d", th, o.Name, len(got), len(want[i]))
					}
					for k := range got {
						if math.Float32bits(got[k]) != math.Float32bits(want[i][k]) {
							t.Fatalf("%d threads: %s element %d = %v, want %v", th, o.Name, k, got[k], want[i][k])
						}
					}
				}
				if a := testing.AllocsPerRun(3, func() {
					if err := p.RunInto(feeds, out); err != nil {
						t.Fatal(err)
					}
				}); a != 0 {
					t.Errorf("%d threads: RunInto allocates %v times", th, a)
				}
			}
		})
	}
}
