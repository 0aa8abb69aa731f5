package engine

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/mconv/mconv/ir"
)

// elemCase is a one-node graph over float32 inputs of the elementwise,
// normalization, softmax and batched MatMul ops, with a float64 reference
// written here (nil where the ONNX backend tests are the reference).
type elemCase struct {
	name   string
	build  func(g *ir.Graph, in []*ir.Value) *ir.Node
	shapes [][]int64
	consts map[int]bool // inputs that are initializers
	ref    func(in [][]float32) []float64
	tol    float64 // |got - want| <= tol * max(1, |want|)
}

func attrI(n *ir.Node, name string, v int64) *ir.Node {
	n.SetAttr(&ir.Attr{Name: name, Type: ir.AttrInt, I: v})
	return n
}

// softmaxRef is Softmax (LogSoftmax when logs) of x [outer, n, stride]
// along the middle axis, in float64.
func softmaxRef(x []float32, outer, n, stride int, logs bool) []float64 {
	y := make([]float64, len(x))
	for o := 0; o < outer; o++ {
		for s := 0; s < stride; s++ {
			m := math.Inf(-1)
			for i := 0; i < n; i++ {
				m = math.Max(m, float64(x[(o*n+i)*stride+s]))
			}
			var sum float64
			for i := 0; i < n; i++ {
				sum += math.Exp(float64(x[(o*n+i)*stride+s]) - m)
			}
			for i := 0; i < n; i++ {
				v := float64(x[(o*n+i)*stride+s]) - m
				if logs {
					y[(o*n+i)*stride+s] = v - math.Log(sum)
				} else {
					y[(o*n+i)*stride+s] = math.Exp(v) / sum
				}
			}
		}
	}
	return y
}

// normRef normalizes each of the rows of x (rows x n) to mean 0 and
// variance 1 (eps 1e-5), then y = z*scale(row, i) + bias(row, i).
func normRef(x []float32, rows, n int, scale, bias func(r, i int) float64) []float64 {
	y := make([]float64, len(x))
	for r := 0; r < rows; r++ {
		var m, v float64
		for i := 0; i < n; i++ {
			m += float64(x[r*n+i])
		}
		m /= float64(n)
		for i := 0; i < n; i++ {
			d := float64(x[r*n+i]) - m
			v += d * d
		}
		v /= float64(n)
		for i := 0; i < n; i++ {
			y[r*n+i] = (float64(x[r*n+i])-m)/math.Sqrt(v+1e-5)*scale(r, i) + bias(r, i)
		}
	}
	return y
}

// bmmRef is a batched product [B, M, K] x [B or 1, K, N] in float64.
func bmmRef(a, b []float32, B, M, K, N int, bBatched bool) []float64 {
	y := make([]float64, B*M*N)
	for bi := 0; bi < B; bi++ {
		bo := 0
		if bBatched {
			bo = bi * K * N
		}
		for i := 0; i < M; i++ {
			for j := 0; j < N; j++ {
				var s float64
				for k := 0; k < K; k++ {
					s += float64(a[bi*M*K+i*K+k]) * float64(b[bo+k*N+j])
				}
				y[bi*M*N+i*N+j] = s
			}
		}
	}
	return y
}

// fusedMatMul builds mconv.FusedMatMul with the given epilogue steps.
func fusedMatMul(steps ...string) func(g *ir.Graph, in []*ir.Value) *ir.Node {
	return func(g *ir.Graph, in []*ir.Value) *ir.Node {
		n := g.AddNode("FusedMatMul", "fmm", in, "y")
		n.Domain = ir.FusedDomain
		a := &ir.Attr{Name: "epilogue", Type: ir.AttrStrings}
		for _, s := range steps {
			a.Strings = append(a.Strings, []byte(s))
		}
		n.SetAttr(a)
		return n
	}
}

func elemCases() []elemCase {
	unary := func(op string) func(g *ir.Graph, in []*ir.Value) *ir.Node {
		return func(g *ir.Graph, in []*ir.Value) *ir.Node { return g.AddNode(op, op, in, "y") }
	}
	mapRef := func(f func(float64) float64) func(in [][]float32) []float64 {
		return func(in [][]float32) []float64 {
			y := make([]float64, len(in[0]))
			for i, v := range in[0] {
				y[i] = f(float64(v))
			}
			return y
		}
	}
	big := []int64{3, 40, 29, 31} // 107880 elements: several chunks
	return []elemCase{
		{name: "Softmax_last", shapes: [][]int64{{2, 4, 49, 49}}, tol: 1e-6,
			build: func(g *ir.Graph, in []*ir.Value) *ir.Node {
				return attrI(g.AddNode("Softmax", "s", in, "y"), "axis", -1)
			},
			ref: func(in [][]float32) []float64 { return softmaxRef(in[0], 2*4*49, 49, 1, false) }},
		{name: "Softmax_axis1", shapes: [][]int64{{2, 13, 9, 11}}, tol: 1e-6,
			build: func(g *ir.Graph, in []*ir.Value) *ir.Node {
				return attrI(g.AddNode("Softmax", "s", in, "y"), "axis", 1)
			},
			ref: func(in [][]float32) []float64 { return softmaxRef(in[0], 2, 13, 99, false) }},
		{name: "LogSoftmax_axis2", shapes: [][]int64{{3, 5, 21, 4}}, tol: 2e-6,
			build: func(g *ir.Graph, in []*ir.Value) *ir.Node {
				return attrI(g.AddNode("LogSoftmax", "s", in, "y"), "axis", 2)
			},
			ref: func(in [][]float32) []float64 { return softmaxRef(in[0], 15, 21, 4, true) }},
		{name: "LayerNorm", shapes: [][]int64{{2, 196, 77}, {77}, {77}}, consts: map[int]bool{1: true, 2: true}, tol: 1e-5,
			build: func(g *ir.Graph, in []*ir.Value) *ir.Node { return g.AddNode("LayerNormalization", "ln", in, "y") },
			ref: func(in [][]float32) []float64 {
				return normRef(in[0], 2*196, 77, func(r, i int) float64 { return float64(in[1][i]) }, func(r, i int) float64 { return float64(in[2][i]) })
			}},
		{name: "InstanceNorm", shapes: [][]int64{{2, 6, 17, 19}, {6}, {6}}, consts: map[int]bool{1: true, 2: true}, tol: 1e-5,
			build: func(g *ir.Graph, in []*ir.Value) *ir.Node { return g.AddNode("InstanceNormalization", "in", in, "y") },
			ref: func(in [][]float32) []float64 {
				return normRef(in[0], 12, 17*19, func(r, i int) float64 { return float64(in[1][r%6]) }, func(r, i int) float64 { return float64(in[2][r%6]) })
			}},
		{name: "GroupNorm", shapes: [][]int64{{2, 6, 9, 11}, {6}, {6}}, consts: map[int]bool{1: true, 2: true}, tol: 1e-5,
			build: func(g *ir.Graph, in []*ir.Value) *ir.Node {
				return attrI(g.AddNode("GroupNormalization", "gn", in, "y"), "num_groups", 3)
			},
			ref: func(in [][]float32) []float64 {
				// 6 rows (n, group) of 2 channels x 99.
				return normRef(in[0], 6, 2*99, func(r, i int) float64 { return float64(in[1][r%3*2+i/99]) }, func(r, i int) float64 { return float64(in[2][r%3*2+i/99]) })
			}},
		// float32 sums of 16 and 64 products of magnitude up to 16.
		{name: "MatMul_heads", shapes: [][]int64{{1, 4, 49, 16}, {1, 4, 16, 49}}, tol: 1e-4,
			build: unary("MatMul"),
			ref:   func(in [][]float32) []float64 { return bmmRef(in[0], in[1], 4, 49, 16, 49, true) }},
		{name: "MatMul_constB", shapes: [][]int64{{2, 49, 64}, {64, 72}}, consts: map[int]bool{1: true}, tol: 1e-4,
			build: unary("MatMul"),
			ref:   func(in [][]float32) []float64 { return bmmRef(in[0], in[1], 2, 49, 64, 72, false) }},
		{name: "FusedMatMul_heads_add_relu", shapes: [][]int64{{1, 4, 49, 16}, {1, 4, 16, 49}, {1, 4, 49, 49}}, tol: 1e-4,
			build: fusedMatMul("add", "Relu"),
			ref: func(in [][]float32) []float64 {
				y := bmmRef(in[0], in[1], 4, 49, 16, 49, true)
				for i := range y {
					y[i] = math.Max(0, y[i]+float64(in[2][i]))
				}
				return y
			}},
		{name: "FusedMatMul_constB_gelu_add", shapes: [][]int64{{2, 49, 64}, {64, 72}, {2, 49, 72}}, consts: map[int]bool{1: true}, tol: 1e-4,
			build: fusedMatMul("Gelu", "add"),
			ref: func(in [][]float32) []float64 {
				y := bmmRef(in[0], in[1], 2, 49, 64, 72, false)
				for i, v := range y {
					y[i] = 0.5*v*(1+math.Erf(v/math.Sqrt2)) + float64(in[2][i])
				}
				return y
			}},
		// Scores up to ~20 in magnitude: their float32 rounding moves the
		// exponentials by ~1e-5 relative.
		{name: "Attention_causal_gqa", shapes: [][]int64{{2, 4, 20, 8}, {2, 2, 20, 8}, {2, 2, 20, 8}}, tol: 1e-4,
			build: func(g *ir.Graph, in []*ir.Value) *ir.Node {
				return attrI(g.AddNode("Attention", "att", in, "y"), "is_causal", 1)
			},
			ref: func(in [][]float32) []float64 {
				const B, H, Hkv, S, D = 2, 4, 2, 20, 8
				y := make([]float64, B*H*S*D)
				for b := 0; b < B; b++ {
					for h := 0; h < H; h++ {
						kh := h / (H / Hkv)
						for i := 0; i < S; i++ {
							p := make([]float64, i+1) // causal: keys 0..i
							var sum float64
							for j := range p {
								var d float64
								for t := 0; t < D; t++ {
									d += float64(in[0][((b*H+h)*S+i)*D+t]) * float64(in[1][((b*Hkv+kh)*S+j)*D+t])
								}
								p[j] = d / math.Sqrt(D)
							}
							m := math.Inf(-1)
							for _, v := range p {
								m = math.Max(m, v)
							}
							for j := range p {
								p[j] = math.Exp(p[j] - m)
								sum += p[j]
							}
							for t := 0; t < D; t++ {
								var acc float64
								for j, w := range p {
									acc += w * float64(in[2][((b*Hkv+kh)*S+j)*D+t])
								}
								y[((b*H+h)*S+i)*D+t] = acc / sum
							}
						}
					}
				}
				return y
			}},
		{name: "Sigmoid", shapes: [][]int64{big}, build: unary("Sigmoid"), tol: 2e-6,
			ref: mapRef(func(x float64) float64 { return 1 / (1 + math.Exp(-x)) })},
		{name: "Tanh", shapes: [][]int64{big}, build: unary("Tanh"), tol: 2e-6, ref: mapRef(math.Tanh)},
		{name: "Exp", shapes: [][]int64{big}, build: unary("Exp"), tol: 2e-6, ref: mapRef(math.Exp)},
		{name: "Erf", shapes: [][]int64{big}, build: unary("Erf"), tol: 2e-6, ref: mapRef(math.Erf)},
		{name: "Gelu_tanh", shapes: [][]int64{big}, tol: 2e-5,
			build: func(g *ir.Graph, in []*ir.Value) *ir.Node {
				n := g.AddNode("Gelu", "g", in, "y")
				n.SetAttr(&ir.Attr{Name: "approximate", Type: ir.AttrString, S: []byte("tanh")})
				return n
			},
			ref: mapRef(func(x float64) float64 { return 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x))) })},
		{name: "Add_channel", shapes: [][]int64{{2, 40, 29, 31}, {1, 40, 1, 1}}, build: unary("Add"), tol: 0,
			ref: func(in [][]float32) []float64 {
				y := make([]float64, len(in[0]))
				for i, v := range in[0] {
					y[i] = float64(v + in[1][i/(29*31)%40])
				}
				return y
			}},
		{name: "Div_scalar_first", shapes: [][]int64{{1}, {3, 40, 29, 31}}, build: unary("Div"), tol: 0,
			ref: func(in [][]float32) []float64 {
				y := make([]float64, len(in[1]))
				for i, v := range in[1] {
					y[i] = float64(in[0][0] / v)
				}
				return y
			}},
		{name: "Sub_rows", shapes: [][]int64{{3, 40, 29, 31}, {31}}, build: unary("Sub"), tol: 0,
			ref: func(in [][]float32) []float64 {
				y := make([]float64, len(in[0]))
				for i, v := range in[0] {
					y[i] = float64(v - in[1][i%31])
				}
				return y
			}},
		// One divisor per row of 16 (EfficientViT-B0's attention
		// normalization): kernels.BinaryRowsScalarF32, whole vector rows.
		{name: "Div_rowscalar", shapes: [][]int64{{1, 8, 196, 16}, {1, 8, 196, 1}}, build: unary("Div"), tol: 0,
			ref: func(in [][]float32) []float64 {
				y := make([]float64, len(in[0]))
				for i, v := range in[0] {
					y[i] = float64(v / in[1][i/16])
				}
				return y
			}},
		// The per-row operand first, rows of 9 (a vector prefix and a tail).
		{name: "Sub_rowscalar_first", shapes: [][]int64{{3, 50, 1}, {3, 50, 9}}, build: unary("Sub"), tol: 0,
			ref: func(in [][]float32) []float64 {
				y := make([]float64, len(in[1]))
				for i, v := range in[1] {
					y[i] = float64(in[0][i/9] - v)
				}
				return y
			}},
	}
}

// TestElemOpsThreads: each op against its float64 reference, with 1 to 4
// threads giving the same bits, and RunInto allocating nothing.
func TestElemOpsThreads(t *testing.T) {
	r := rand.New(rand.NewSource(21))
	for _, tc := range elemCases() {
		t.Run(tc.name, func(t *testing.T) {
			m, g := newModel()
			m.Opsets[0].Version = 23
			m.Opsets = append(m.Opsets, ir.OpsetImport{Domain: ir.FusedDomain, Version: 1})
			var ins []*ir.Value
			feeds := map[string]*ir.Tensor{}
			vals := make([][]float32, len(tc.shapes))
			for i, s := range tc.shapes {
				vals[i] = randF32(r, int(ir.NumElements(s)))
				for j := range vals[i] {
					vals[i][j] *= 4
				}
				name := fmt.Sprintf("in%d", i)
				if tc.consts[i] {
					ins = append(ins, g.AddConst(name, ir.NewFloat32(s, vals[i])))
					continue
				}
				ins = append(ins, g.AddInput(name, ir.TensorOf(ir.Float32, s...)))
				feeds[name] = ir.NewFloat32(s, vals[i])
			}
			g.AddOutput(tc.build(g, ins).Outputs[0])
			var first []float32
			for th := 1; th <= 4; th++ {
				p := mustCompile(t, m, Options{Threads: th})
				out, err := p.Run(feeds)
				if err != nil {
					t.Fatal(err)
				}
				got, _ := out["y"].Float32s()
				if th == 1 {
					first = got
					want := tc.ref(vals)
					if len(want) != len(got) {
						t.Fatalf("%d outputs, want %d", len(got), len(want))
					}
					for i, w := range want {
						if d := math.Abs(float64(got[i]) - w); d > tc.tol*math.Max(1, math.Abs(w)) || d != d {
							t.Fatalf("element %d = %v, want %v", i, got[i], w)
						}
					}
				} else {
					for i := range got {
						if math.Float32bits(got[i]) != math.Float32bits(first[i]) {
							t.Fatalf("%d threads: element %d = %v, 1 thread %v", th, i, got[i], first[i])
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
				p.Close()
			}
		})
	}
}
