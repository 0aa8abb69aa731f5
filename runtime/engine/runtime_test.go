package engine

import (
	"fmt"
	"math"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/runtime/kernels"
)

func randF32(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

func newModel() (*ir.Model, *ir.Graph) {
	g := ir.NewGraph("test")
	return &ir.Model{IRVersion: 8, Opsets: []ir.OpsetImport{{Domain: "", Version: 17}}, Graph: g}, g
}

func ints64(v ...int64) []int64 { return v }

// refConv is a direct 2-D convolution written independently of the runtime
// kernels (NCHW, explicit symmetric pads).
func refConv(x []float32, N, C, H, W int, w []float32, M, KH, KW int, b []float32, stride, pad, group int) ([]float32, int, int) {
	OH := (H+2*pad-KH)/stride + 1
	OW := (W+2*pad-KW)/stride + 1
	out := make([]float32, N*M*OH*OW)
	cg, mg := C/group, M/group
	for n := 0; n < N; n++ {
		for m := 0; m < M; m++ {
			gi := m / mg
			for oy := 0; oy < OH; oy++ {
				for ox := 0; ox < OW; ox++ {
					s := float64(0)
					if b != nil {
						s = float64(b[m])
					}
					for ci := 0; ci < cg; ci++ {
						c := gi*cg + ci
						for ky := 0; ky < KH; ky++ {
							for kx := 0; kx < KW; kx++ {
								iy, ix := oy*stride-pad+ky, ox*stride-pad+kx
								if iy < 0 || iy >= H || ix < 0 || ix >= W {
									continue
								}
								s += float64(x[((n*C+c)*H+iy)*W+ix]) * float64(w[((m*cg+ci)*KH+ky)*KW+kx])
							}
						}
					}
					out[((n*M+m)*OH+oy)*OW+ox] = float32(s)
				}
			}
		}
	}
	return out, OH, OW
}

func maxDiff(t *testing.T, got, want []float32, atol, rtol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("length %d, want %d", len(got), len(want))
	}
	for i := range got {
		d := math.Abs(float64(got[i]) - float64(want[i]))
		if d > atol+rtol*math.Abs(float64(want[i])) || math.IsNaN(float64(got[i])) {
			t.Fatalf("element %d: got %v want %v", i, got[i], want[i])
		}
	}
}

// mustCompile compiles m or fails the test; the plan is closed when the
// test ends.
// FullCompile is runtime.Compile (every phase: graph passes, lowering,
// planning), installed by phases_hook_test.go, an external test package
// that can import package runtime. Tests that compile whole models use it
// through compileFull; tests of the planner alone call Compile.
var FullCompile func(*ir.Model, Options) (*Plan, error)

// compileFull compiles m through every phase of runtime.Compile with
// ir.Verify after each.
func compileFull(m *ir.Model, opt Options) (*Plan, error) {
	if FullCompile == nil {
		panic("engine tests: FullCompile not installed (phases_hook_test.go)")
	}
	opt.CheckPhases = true
	return FullCompile(m, opt)
}

func mustCompile(t testing.TB, m *ir.Model, opt Options) *Plan {
	t.Helper()
	p, err := compileFull(m, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

func TestConvVariants(t *testing.T) {
	for _, fast := range []bool{false, true} {
		useKernels = fast
		name := "plain"
		if fast {
			name = "kernels"
		}
		t.Run(name, testConvVariants)
	}
	useKernels = true
}

func testConvVariants(t *testing.T) {
	fast := useKernels
	r := rand.New(rand.NewSource(1))
	cases := []struct {
		name                               string
		N, C, H, W, M, K, stride, pad, grp int
	}{
		{"3x3", 2, 3, 9, 11, 8, 3, 1, 1, 1},
		{"3x3s2", 1, 4, 10, 10, 6, 3, 2, 1, 1},
		{"1x1", 2, 16, 7, 5, 12, 1, 1, 0, 1},
		{"1x1s2", 1, 8, 8, 8, 4, 1, 2, 0, 1},
		{"depthwise", 2, 8, 9, 9, 8, 3, 1, 1, 8},
		{"depthwise_s2_k5", 1, 6, 11, 11, 6, 5, 2, 2, 6},
		{"depthwise_mult2", 1, 4, 6, 6, 8, 3, 1, 1, 4},
		{"grouped", 1, 8, 6, 6, 12, 3, 1, 1, 4},
		{"7x7s2", 1, 3, 20, 20, 5, 7, 2, 3, 1},
		// Winograd F(4x4, 3x3) by the kernels' rule (checked below): the
		// layer runs as one chunk with the kernel's own threads
		{"3x3_winograd", 2, 32, 13, 15, 40, 3, 1, 1, 1},
		{"grouped_winograd", 1, 64, 12, 12, 64, 3, 1, 1, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if strings.HasSuffix(tc.name, "_winograd") {
				kp := kernels.ConvParams{N: tc.N, C: tc.C, H: tc.H, W: tc.W, M: tc.M, KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1,
					PadT: tc.pad, PadL: tc.pad, PadB: tc.pad, PadR: tc.pad, Group: tc.grp, OH: tc.H, OW: tc.W}
				if !kernels.WinogradChosen(&kp) {
					t.Fatalf("%s: the kernels no longer choose Winograd for %+v", tc.name, kp)
				}
			}
			m, g := newModel()
			x := g.AddInput("x", ir.TensorOf(ir.Float32, int64(tc.N), int64(tc.C), int64(tc.H), int64(tc.W)))
			wv := randF32(r, tc.M*tc.C/tc.grp*tc.K*tc.K)
			bv := randF32(r, tc.M)
			w := g.AddConst("w", ir.NewFloat32(ints64(int64(tc.M), int64(tc.C/tc.grp), int64(tc.K), int64(tc.K)), wv))
			b := g.AddConst("b", ir.NewFloat32(ints64(int64(tc.M)), bv))
			n := g.AddNode("Conv", "conv", []*ir.Value{x, w, b}, "y")
			p := int64(tc.pad)
			n.SetAttr(&ir.Attr{Name: "pads", Type: ir.AttrInts, Ints: []int64{p, p, p, p}})
			n.SetAttr(&ir.Attr{Name: "strides", Type: ir.AttrInts, Ints: []int64{int64(tc.stride), int64(tc.stride)}})
			n.SetAttr(&ir.Attr{Name: "group", Type: ir.AttrInt, I: int64(tc.grp)})
			g.AddOutput(n.Outputs[0])
			xv := randF32(r, tc.N*tc.C*tc.H*tc.W)
			want, _, _ := refConv(xv, tc.N, tc.C, tc.H, tc.W, wv, tc.M, tc.K, tc.K, bv, tc.stride, tc.pad, tc.grp)
			var first []float32
			for _, th := range []int{1, 2, 3} {
				p, err := compileFull(m, Options{Threads: th})
				if err != nil {
					t.Fatal(err)
				}
				out, err := p.Run(map[string]*ir.Tensor{"x": ir.NewFloat32(x.Type.Shape.Sizes(), xv)})
				if err != nil {
					t.Fatal(err)
				}
				got, _ := out["y"].Float32s()
				atol := 1e-4
				if strings.HasSuffix(tc.name, "_winograd") && fast {
					// the kernels' Winograd bound, 2e-5 of Σ|x·w|, at the
					// expected Σ|x·w| of k standard normal products (0.64k)
					atol = 2e-5 * 0.64 * float64(tc.C/tc.grp*9)
				}
				maxDiff(t, got, want, atol, 1e-4)
				if first == nil {
					first = got
				} else {
					for i := range got {
						if math.Float32bits(got[i]) != math.Float32bits(first[i]) {
							t.Fatalf("threads=%d differs from threads=1 at %d", th, i)
						}
					}
				}
				p.Close()
			}
		})
	}
}

// smallNet builds x -> Conv3x3 -> Relu -> Conv1x1 -> Add(residual with the
// relu output) -> GlobalAveragePool -> Flatten -> Gemm.
func smallNet(r *rand.Rand) (*ir.Model, map[string][]float32) {
	m, g := newModel()
	x := g.AddInput("x", ir.Type{Kind: ir.KindTensor, DType: ir.Float32, HasShape: true, Shape: ir.Shape{{Size: -1, Param: "N"}, {Size: 3}, {Size: 8}, {Size: 8}}})
	p := map[string][]float32{"w1": randF32(r, 4*3*9), "b1": randF32(r, 4), "w2": randF32(r, 4*4), "b2": randF32(r, 4), "fw": randF32(r, 5*4), "fb": randF32(r, 5)}
	w1 := g.AddConst("w1", ir.NewFloat32(ints64(4, 3, 3, 3), p["w1"]))
	b1 := g.AddConst("b1", ir.NewFloat32(ints64(4), p["b1"]))
	w2 := g.AddConst("w2", ir.NewFloat32(ints64(4, 4, 1, 1), p["w2"]))
	b2 := g.AddConst("b2", ir.NewFloat32(ints64(4), p["b2"]))
	fw := g.AddConst("fw", ir.NewFloat32(ints64(5, 4), p["fw"]))
	fb := g.AddConst("fb", ir.NewFloat32(ints64(5), p["fb"]))
	c1 := g.AddNode("Conv", "c1", []*ir.Value{x, w1, b1}, "c1")
	c1.SetAttr(&ir.Attr{Name: "pads", Type: ir.AttrInts, Ints: []int64{1, 1, 1, 1}})
	r1 := g.AddNode("Relu", "r1", []*ir.Value{c1.Outputs[0]}, "r1")
	c2 := g.AddNode("Conv", "c2", []*ir.Value{r1.Outputs[0], w2, b2}, "c2")
	add := g.AddNode("Add", "add", []*ir.Value{c2.Outputs[0], r1.Outputs[0]}, "add")
	gap := g.AddNode("GlobalAveragePool", "gap", []*ir.Value{add.Outputs[0]}, "gap")
	fl := g.AddNode("Flatten", "fl", []*ir.Value{gap.Outputs[0]}, "fl")
	gm := g.AddNode("Gemm", "fc", []*ir.Value{fl.Outputs[0], fw, fb}, "logits")
	gm.SetAttr(&ir.Attr{Name: "transB", Type: ir.AttrInt, I: 1})
	g.AddOutput(gm.Outputs[0])
	return m, p
}

func TestSmallNet(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	m, p := smallNet(r)
	const N = 3
	xv := randF32(r, N*3*8*8)
	// Reference, op by op with the independent refConv.
	c1, _, _ := refConv(xv, N, 3, 8, 8, p["w1"], 4, 3, 3, p["b1"], 1, 1, 1)
	for i, v := range c1 {
		c1[i] = max(v, 0)
	}
	c2, _, _ := refConv(c1, N, 4, 8, 8, p["w2"], 4, 1, 1, p["b2"], 1, 0, 1)
	want := make([]float32, N*5)
	for n := 0; n < N; n++ {
		var pooled [4]float64
		for c := 0; c < 4; c++ {
			for i := 0; i < 64; i++ {
				k := (n*4+c)*64 + i
				pooled[c] += float64(c2[k] + c1[k])
			}
			pooled[c] /= 64
		}
		for o := 0; o < 5; o++ {
			s := float64(p["fb"][o])
			for c := 0; c < 4; c++ {
				s += pooled[c] * float64(p["fw"][o*4+c])
			}
			want[n*5+o] = float32(s)
		}
	}
	for _, fast := range []bool{false, true} {
		t.Run(fmt.Sprintf("kernels=%v", fast), func(t *testing.T) {
			useKernels = fast
			defer func() { useKernels = true }()
			checkSmallNet(t, m, xv, want)
		})
	}
}

// checkSmallNet compiles smallNet for batch 3, checks the result, the
// fusion, zero allocations per run and the peak memory.
func checkSmallNet(t *testing.T, m *ir.Model, xv, want []float32) {
	const N = 3
	plan, err := compileFull(m, Options{Threads: 2, InputShapes: map[string][]int64{"x": {N, 3, 8, 8}}})
	if err != nil {
		t.Fatal(err)
	}
	defer plan.Close()
	// The Relu and the residual Add are fused into the convs.
	if len(plan.steps) != 4 {
		t.Errorf("plan has %d steps, want 4 (conv+relu, conv+add, gap, gemm; flatten is a view)", len(plan.steps))
	}
	in := map[string]*ir.Tensor{"x": ir.NewFloat32(ints64(N, 3, 8, 8), xv)}
	out, err := plan.Run(in)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := out["logits"].Float32s()
	maxDiff(t, got, want, 1e-4, 1e-4)
	// Steady state allocates nothing.
	allocs := testing.AllocsPerRun(20, func() {
		if err := plan.RunInto(in, out); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("RunInto allocates %v times per run", allocs)
	}
	if plan.PeakActivationBytes() <= 0 {
		t.Errorf("peak activation bytes %d", plan.PeakActivationBytes())
	}
}

// TestLiveness: a chain of ten elementwise ops needs two ping-pong buffers
// (the input is dead after the first op, the output is the last buffer
// written), not eleven tensors.
func TestLiveness(t *testing.T) {
	m, g := newModel()
	v := g.AddInput("x", ir.TensorOf(ir.Float32, 1, 1024))
	for i := 0; i < 10; i++ {
		v = g.AddNode("Sigmoid", "s", []*ir.Value{v}, "s").Outputs[0]
	}
	g.AddOutput(v)
	p := mustCompile(t, m, Options{Threads: 1})
	if got, want := p.PeakActivationBytes(), int64(2*4096); got != want {
		t.Errorf("peak %d bytes, want %d", got, want)
	}
	xv := make([]float32, 1024)
	for i := range xv {
		xv[i] = float32(i)/512 - 1
	}
	out, err := p.Run(map[string]*ir.Tensor{"x": ir.NewFloat32(ints64(1, 1024), xv)})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := out[v.Name].Float32s()
	for i, x := range xv {
		y := float64(x)
		for k := 0; k < 10; k++ {
			y = 1 / (1 + math.Exp(-y))
		}
		if math.Abs(float64(got[i])-y) > 1e-6 {
			t.Fatalf("element %d: %v want %v", i, got[i], y)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	m, g := newModel()
	x := g.AddInput("x", ir.TensorOf(ir.Float32, 1, 2))
	n := g.AddNode("NoSuchOp", "weird", []*ir.Value{x}, "y")
	g.AddOutput(n.Outputs[0])
	_, err := compileFull(m, Options{})
	if err == nil || !contains(err.Error(), `node "weird" (NoSuchOp): unsupported op`) {
		t.Fatalf("error %v", err)
	}
	m2, g2 := newModel()
	x2 := g2.AddInput("x", ir.Type{Kind: ir.KindTensor, DType: ir.Float32, HasShape: true, Shape: ir.Shape{{Size: -1, Param: "N"}}})
	n2 := g2.AddNode("Relu", "r", []*ir.Value{x2}, "y")
	g2.AddOutput(n2.Outputs[0])
	if _, err := compileFull(m2, Options{}); err == nil || !contains(err.Error(), "InputShapes") {
		t.Fatalf("symbolic input: error %v", err)
	}
	// Malformed nodes give named errors, not panics.
	bad := []struct {
		op   string
		ins  int
		want string
	}{
		{"Sqrt", 0, `node "n" (Sqrt): input 0 is missing`},
		{"Add", 1, `node "n" (Add): needs two inputs`},
		{"Conv", 1, `node "n" (Conv): needs X and W`},
		{"Gather", 1, `node "n" (Gather)`},
		{"Transpose", 1, ""},
	}
	for _, tc := range bad {
		m3, g3 := newModel()
		x3 := g3.AddInput("x", ir.TensorOf(ir.Float32, 2, 3))
		var ins []*ir.Value
		for i := 0; i < tc.ins; i++ {
			ins = append(ins, x3)
		}
		n3 := g3.AddNode(tc.op, "n", ins, "y")
		if tc.op == "Transpose" {
			n3.SetAttr(&ir.Attr{Name: "perm", Type: ir.AttrInts, Ints: []int64{0, 0}})
			tc.want = "is not a permutation"
		}
		g3.AddOutput(n3.Outputs[0])
		_, err := compileFull(m3, Options{})
		if err == nil || !contains(err.Error(), tc.want) {
			t.Errorf("%s with %d inputs: error %v, want %q", tc.op, tc.ins, err, tc.want)
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// TestGemm checks Gemm (transA/transB, alpha/beta, bias [N] or [M,N] or
// scalar, fused Relu) on the plain path and package kernels' path against a
// direct float64 computation.
func TestGemm(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	cases := []struct {
		name        string
		M, N, K     int
		ta, tb      bool
		alpha, beta float32
		cshape      []int64
		relu        bool
	}{
		{"fc", 1, 1000, 64, false, true, 1, 1, []int64{1000}, false},
		{"fc_batch_relu", 5, 37, 19, false, true, 1, 1, []int64{37}, true},
		{"transA", 6, 9, 4, true, false, 0.5, 2, []int64{1, 9}, false},
		{"full_c", 3, 4, 5, false, false, 1, 0.5, []int64{3, 4}, false},
		{"scalar_c", 3, 4, 5, true, true, 2, 1, []int64{}, false},
		{"no_c", 7, 3, 8, false, false, 1, 1, nil, true},
	}
	for _, tc := range cases {
		for _, fast := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/kernels=%v", tc.name, fast), func(t *testing.T) {
				useKernels = fast
				defer func() { useKernels = true }()
				m, g := newModel()
				ash := ints64(int64(tc.M), int64(tc.K))
				if tc.ta {
					ash = ints64(int64(tc.K), int64(tc.M))
				}
				bsh := ints64(int64(tc.K), int64(tc.N))
				if tc.tb {
					bsh = ints64(int64(tc.N), int64(tc.K))
				}
				a := g.AddInput("a", ir.TensorOf(ir.Float32, ash...))
				bv := randF32(r, tc.N*tc.K)
				b := g.AddConst("b", ir.NewFloat32(bsh, bv))
				ins := []*ir.Value{a, b}
				var cv []float32
				if tc.cshape != nil {
					cv = randF32(r, int(ir.NumElements(tc.cshape)))
					ins = append(ins, g.AddConst("c", ir.NewFloat32(tc.cshape, cv)))
				}
				n := g.AddNode("Gemm", "gemm", ins, "y")
				n.SetAttr(&ir.Attr{Name: "transA", Type: ir.AttrInt, I: b2i(tc.ta)})
				n.SetAttr(&ir.Attr{Name: "transB", Type: ir.AttrInt, I: b2i(tc.tb)})
				n.SetAttr(&ir.Attr{Name: "alpha", Type: ir.AttrFloat, F: tc.alpha})
				n.SetAttr(&ir.Attr{Name: "beta", Type: ir.AttrFloat, F: tc.beta})
				out := n.Outputs[0]
				if tc.relu {
					out = g.AddNode("Relu", "relu", []*ir.Value{out}, "r").Outputs[0]
				}
				g.AddOutput(out)
				av := randF32(r, tc.M*tc.K)
				want := make([]float32, tc.M*tc.N)
				for i := 0; i < tc.M; i++ {
					for j := 0; j < tc.N; j++ {
						s := 0.0
						for k := 0; k < tc.K; k++ {
							x := av[i*tc.K+k]
							if tc.ta {
								x = av[k*tc.M+i]
							}
							y := bv[k*tc.N+j]
							if tc.tb {
								y = bv[j*tc.K+k]
							}
							s += float64(x) * float64(y)
						}
						s *= float64(tc.alpha)
						if cv != nil {
							var c float32
							switch len(cv) {
							case 1:
								c = cv[0]
							case tc.N:
								c = cv[j]
							default:
								c = cv[i*tc.N+j]
							}
							s += float64(tc.beta) * float64(c)
						}
						if tc.relu && s < 0 {
							s = 0
						}
						want[i*tc.N+j] = float32(s)
					}
				}
				for _, th := range []int{1, 2} {
					p, err := compileFull(m, Options{Threads: th})
					if err != nil {
						t.Fatal(err)
					}
					res, err := p.Run(map[string]*ir.Tensor{"a": ir.NewFloat32(ash, av)})
					p.Close()
					if err != nil {
						t.Fatal(err)
					}
					got, _ := res[out.Name].Float32s()
					maxDiff(t, got, want, 1e-5, 1e-4)
				}
			})
		}
	}
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// TestGeluPattern: the exported exact-GELU subgraph (both Mul orders),
// standalone and after a Conv, is fused into one kernel and matches
// x/2*(1+erf(x/sqrt2)) computed in float64.
func TestGeluPattern(t *testing.T) {
	for _, variant := range []int{0, 1} {
		for _, withConv := range []bool{false, true} {
			t.Run(fmt.Sprintf("variant%d/conv=%v", variant, withConv), func(t *testing.T) {
				m, g := newModel()
				x := g.AddInput("x", ir.TensorOf(ir.Float32, 1, 2, 3, 3))
				v := x
				var w []float32
				if withConv {
					w = []float32{1, 0.5, -0.25, 2}
					wc := g.AddConst("w", ir.NewFloat32(ints64(2, 2, 1, 1), w))
					v = g.AddNode("Conv", "conv", []*ir.Value{x, wc}, "c").Outputs[0]
				}
				sq := g.AddConst("sqrt2", ir.NewFloat32(nil, []float32{float32(math.Sqrt2)}))
				one := g.AddConst("one", ir.NewFloat32(nil, []float32{1}))
				half := g.AddConst("half", ir.NewFloat32(nil, []float32{0.5}))
				d := g.AddNode("Div", "div", []*ir.Value{v, sq}, "d").Outputs[0]
				e := g.AddNode("Erf", "erf", []*ir.Value{d}, "e").Outputs[0]
				a := g.AddNode("Add", "add", []*ir.Value{e, one}, "a").Outputs[0]
				var y *ir.Value
				if variant == 0 {
					m1 := g.AddNode("Mul", "m1", []*ir.Value{v, a}, "m1").Outputs[0]
					y = g.AddNode("Mul", "m2", []*ir.Value{m1, half}, "y").Outputs[0]
				} else {
					m1 := g.AddNode("Mul", "m1", []*ir.Value{v, half}, "m1").Outputs[0]
					y = g.AddNode("Mul", "m2", []*ir.Value{a, m1}, "y").Outputs[0]
				}
				g.AddOutput(y)
				p := mustCompile(t, m, Options{Threads: 1})
				if len(p.steps) != 1 {
					t.Errorf("%d steps, want 1 (pattern fused)", len(p.steps))
				}
				xv := make([]float32, 18)
				for i := range xv {
					xv[i] = float32(i)/3 - 3
				}
				out, err := p.Run(map[string]*ir.Tensor{"x": ir.NewFloat32(ints64(1, 2, 3, 3), xv)})
				if err != nil {
					t.Fatal(err)
				}
				got, _ := out["y"].Float32s()
				want := make([]float32, 18)
				for i := range want {
					c, s := i/9, i%9
					u := float64(xv[i])
					if withConv {
						u = float64(w[c*2])*float64(xv[s]) + float64(w[c*2+1])*float64(xv[9+s])
					}
					want[i] = float32(u / 2 * (1 + math.Erf(u/math.Sqrt2)))
				}
				maxDiff(t, got, want, 1e-6, 1e-5)
			})
		}
	}
}

// TestMatMul checks batched, broadcast and 1-D MatMul on both paths against
// a direct computation.
func TestMatMul(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	cases := []struct {
		name   string
		as, bs []int64
	}{
		{"2d", ints64(5, 7), ints64(7, 3)},
		{"batched", ints64(2, 3, 20, 8), ints64(2, 3, 8, 6)},
		{"broadcast_b", ints64(4, 33, 16), ints64(16, 9)},
		{"broadcast_a", ints64(1, 5, 4), ints64(3, 4, 2)},
		{"vec_mat", ints64(6), ints64(2, 6, 5)},
		{"mat_vec", ints64(3, 6), ints64(6)},
	}
	for _, tc := range cases {
		for _, fast := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/kernels=%v", tc.name, fast), func(t *testing.T) {
				useKernels = fast
				defer func() { useKernels = true }()
				m, g := newModel()
				a := g.AddInput("a", ir.TensorOf(ir.Float32, tc.as...))
				b := g.AddInput("b", ir.TensorOf(ir.Float32, tc.bs...))
				y := g.AddNode("MatMul", "mm", []*ir.Value{a, b}, "y").Outputs[0]
				g.AddOutput(y)
				av := randF32(r, int(ir.NumElements(tc.as)))
				bv := randF32(r, int(ir.NumElements(tc.bs)))
				p := mustCompile(t, m, Options{Threads: 2})
				out, err := p.Run(map[string]*ir.Tensor{"a": ir.NewFloat32(tc.as, av), "b": ir.NewFloat32(tc.bs, bv)})
				if err != nil {
					t.Fatal(err)
				}
				got, _ := out["y"].Float32s()
				// Reference: promote 1-D operands, broadcast batch dims by
				// hand over rank-3 views [batch, rows, cols].
				as, bs := tc.as, tc.bs
				if len(as) == 1 {
					as = ints64(1, as[0])
				}
				if len(bs) == 1 {
					bs = ints64(bs[0], 1)
				}
				M, K, N := int(as[len(as)-2]), int(as[len(as)-1]), int(bs[len(bs)-1])
				na := int(ir.NumElements(as[:len(as)-2]))
				nbt := int(ir.NumElements(bs[:len(bs)-2]))
				batch := max(na, nbt)
				want := make([]float32, 0, batch*M*N)
				for bi := 0; bi < batch; bi++ {
					ai, bj := bi%na, bi%nbt
					for i := 0; i < M; i++ {
						for j := 0; j < N; j++ {
							s := 0.0
							for k := 0; k < K; k++ {
								s += float64(av[ai*M*K+i*K+k]) * float64(bv[bj*K*N+k*N+j])
							}
							want = append(want, float32(s))
						}
					}
				}
				maxDiff(t, got, want, 1e-5, 1e-4)
			})
		}
	}
}

// TestFusedOps checks mconv's fused ops (domain "mconv") against their
// definitions in the API contract, computed directly in float64.
func TestFusedOps(t *testing.T) {
	r := rand.New(rand.NewSource(11))
	const N, C, Cr, HW = 2, 4, 2, 6
	xv := randF32(r, N*C*HW)
	w1, b1, w2, b2 := randF32(r, Cr*C), randF32(r, Cr), randF32(r, C*Cr), randF32(r, C)
	for _, gate := range []string{"sigmoid", "hardsigmoid", "sigmoid/silu", "hardsigmoid/silu"} {
		gate, inner, _ := strings.Cut(gate, "/")
		m, g := newModel()
		m.Opsets = append(m.Opsets, ir.OpsetImport{Domain: ir.FusedDomain, Version: 1})
		x := g.AddInput("x", ir.TensorOf(ir.Float32, N, C, 2, 3))
		ins := []*ir.Value{x,
			g.AddConst("w1", ir.NewFloat32(ints64(Cr, C, 1, 1), w1)), g.AddConst("b1", ir.NewFloat32(ints64(Cr), b1)),
			g.AddConst("w2", ir.NewFloat32(ints64(C, Cr, 1, 1), w2)), g.AddConst("b2", ir.NewFloat32(ints64(C), b2))}
		n := g.AddNode("SqueezeExcite", "se", ins, "y")
		n.Domain = ir.FusedDomain
		n.SetAttr(&ir.Attr{Name: "gate", Type: ir.AttrString, S: []byte(gate)})
		n.SetAttr(&ir.Attr{Name: "alpha", Type: ir.AttrFloat, F: 1.0 / 6})
		n.SetAttr(&ir.Attr{Name: "beta", Type: ir.AttrFloat, F: 0.5})
		if inner != "" {
			n.SetAttr(&ir.Attr{Name: "act", Type: ir.AttrString, S: []byte(inner)})
		}
		g.AddOutput(n.Outputs[0])
		p, err := compileFull(m, Options{Threads: 2})
		if err != nil {
			t.Fatal(err)
		}
		out, err := p.Run(map[string]*ir.Tensor{"x": ir.NewFloat32(ints64(N, C, 2, 3), xv)})
		p.Close()
		if err != nil {
			t.Fatal(err)
		}
		got, _ := out["y"].Float32s()
		want := make([]float32, len(xv))
		for b := 0; b < N; b++ {
			var s [C]float64
			for c := 0; c < C; c++ {
				for i := 0; i < HW; i++ {
					s[c] += float64(xv[(b*C+c)*HW+i]) / HW
				}
			}
			var h [Cr]float64
			for j := 0; j < Cr; j++ {
				h[j] = float64(b1[j])
				for c := 0; c < C; c++ {
					h[j] += float64(w1[j*C+c]) * s[c]
				}
				if inner == "silu" {
					h[j] /= 1 + math.Exp(-h[j])
				} else {
					h[j] = math.Max(h[j], 0)
				}
			}
			for c := 0; c < C; c++ {
				z := float64(b2[c])
				for j := 0; j < Cr; j++ {
					z += float64(w2[c*Cr+j]) * h[j]
				}
				gv := 1 / (1 + math.Exp(-z))
				if gate == "hardsigmoid" {
					gv = math.Min(1, math.Max(0, z/6+0.5))
				}
				for i := 0; i < HW; i++ {
					want[(b*C+c)*HW+i] = float32(float64(xv[(b*C+c)*HW+i]) * gv)
				}
			}
		}
		maxDiff(t, got, want, 1e-6, 1e-5)
	}
	// Gelu and SiLU.
	for _, op := range []string{"Gelu", "SiLU"} {
		m, g := newModel()
		x := g.AddInput("x", ir.TensorOf(ir.Float32, 40))
		n := g.AddNode(op, "a", []*ir.Value{x}, "y")
		n.Domain = ir.FusedDomain
		g.AddOutput(n.Outputs[0])
		p, err := compileFull(m, Options{Threads: 1})
		if err != nil {
			t.Fatal(err)
		}
		v := make([]float32, 40)
		for i := range v {
			v[i] = float32(i)/4 - 5
		}
		out, err := p.Run(map[string]*ir.Tensor{"x": ir.NewFloat32(ints64(40), v)})
		p.Close()
		if err != nil {
			t.Fatal(err)
		}
		got, _ := out["y"].Float32s()
		want := make([]float32, 40)
		for i, xv := range v {
			u := float64(xv)
			if op == "Gelu" {
				want[i] = float32(u / 2 * (1 + math.Erf(u/math.Sqrt2)))
			} else {
				want[i] = float32(u / (1 + math.Exp(-u)))
			}
		}
		maxDiff(t, got, want, 1e-6, 1e-5)
	}
}

// TestLongEpilogue: Conv -> BatchNormalization -> Add(r1) -> Add(r2) ->
// Relu -> Sigmoid is one step on both paths (package kernels does part of
// it, the runtime the rest) and matches a direct computation.
func TestLongEpilogue(t *testing.T) {
	r := rand.New(rand.NewSource(13))
	const C, M, H, W = 3, 4, 5, 5
	xv, r1v, r2v := randF32(r, C*H*W), randF32(r, M*H*W), randF32(r, M*H*W)
	wv, bv := randF32(r, M*C*9), randF32(r, M)
	sc, sh, mean := randF32(r, M), randF32(r, M), randF32(r, M)
	vr := make([]float32, M)
	for i := range vr {
		vr[i] = 0.5 + float32(i)
	}
	for _, fast := range []bool{false, true} {
		t.Run(fmt.Sprintf("kernels=%v", fast), func(t *testing.T) {
			useKernels = fast
			defer func() { useKernels = true }()
			m, g := newModel()
			x := g.AddInput("x", ir.TensorOf(ir.Float32, 1, C, H, W))
			r1 := g.AddInput("r1", ir.TensorOf(ir.Float32, 1, M, H, W))
			r2 := g.AddInput("r2", ir.TensorOf(ir.Float32, 1, M, H, W))
			cv := g.AddNode("Conv", "conv", []*ir.Value{x, g.AddConst("w", ir.NewFloat32(ints64(M, C, 3, 3), wv)), g.AddConst("b", ir.NewFloat32(ints64(M), bv))}, "c")
			cv.SetAttr(&ir.Attr{Name: "pads", Type: ir.AttrInts, Ints: []int64{1, 1, 1, 1}})
			bn := g.AddNode("BatchNormalization", "bn", []*ir.Value{cv.Outputs[0],
				g.AddConst("s", ir.NewFloat32(ints64(M), sc)), g.AddConst("sh", ir.NewFloat32(ints64(M), sh)),
				g.AddConst("mean", ir.NewFloat32(ints64(M), mean)), g.AddConst("var", ir.NewFloat32(ints64(M), vr))}, "bn")
			a1 := g.AddNode("Add", "a1", []*ir.Value{r1, bn.Outputs[0]}, "a1")
			a2 := g.AddNode("Add", "a2", []*ir.Value{a1.Outputs[0], r2}, "a2")
			re := g.AddNode("Relu", "relu", []*ir.Value{a2.Outputs[0]}, "re")
			sg := g.AddNode("Sigmoid", "sig", []*ir.Value{re.Outputs[0]}, "y")
			g.AddOutput(sg.Outputs[0])
			p := mustCompile(t, m, Options{Threads: 2})
			if len(p.steps) != 1 {
				t.Errorf("%d steps, want 1", len(p.steps))
			}
			out, err := p.Run(map[string]*ir.Tensor{"x": ir.NewFloat32(ints64(1, C, H, W), xv), "r1": ir.NewFloat32(ints64(1, M, H, W), r1v), "r2": ir.NewFloat32(ints64(1, M, H, W), r2v)})
			if err != nil {
				t.Fatal(err)
			}
			got, _ := out["y"].Float32s()
			conv, _, _ := refConv(xv, 1, C, H, W, wv, M, 3, 3, bv, 1, 1, 1)
			want := make([]float32, len(conv))
			for i, v := range conv {
				ch := i / (H * W)
				z := (float64(v)-float64(mean[ch]))/math.Sqrt(float64(vr[ch])+1e-5)*float64(sc[ch]) + float64(sh[ch])
				z += float64(r1v[i]) + float64(r2v[i])
				z = math.Max(z, 0)
				want[i] = float32(1 / (1 + math.Exp(-z)))
			}
			maxDiff(t, got, want, 1e-5, 1e-4)
		})
	}
}

// TestDeadNodes: nodes whose outputs reach no graph output are not run.
func TestDeadNodes(t *testing.T) {
	m, g := newModel()
	x := g.AddInput("x", ir.TensorOf(ir.Float32, 4))
	y := g.AddNode("Relu", "live", []*ir.Value{x}, "y").Outputs[0]
	g.AddNode("Sigmoid", "dead", []*ir.Value{x}, "unused")
	g.AddNode("NoSuchOp", "dead_unsupported", []*ir.Value{y}, "unused2")
	g.AddOutput(y)
	p := mustCompile(t, m, Options{Threads: 1})
	if len(p.steps) != 1 {
		t.Errorf("%d steps, want 1", len(p.steps))
	}
}

// TestChannelConstEpilogue: per-channel and scalar constant Mul/Add/Sub/Div
// after a Conv fuse as affine steps; a [C] constant (broadcast along W, not
// channels) does not. Both paths match a direct computation.
func TestChannelConstEpilogue(t *testing.T) {
	r := rand.New(rand.NewSource(17))
	const C, M, H, W = 2, 3, 3, 3
	xv, wv := randF32(r, C*H*W), randF32(r, M*C)
	gamma, beta := []float32{0.5, -2, 3}, []float32{1, 2, -1}
	wlast := []float32{1, 2, 3} // [W]-shaped, broadcasts along the last axis
	for _, fast := range []bool{false, true} {
		t.Run(fmt.Sprintf("kernels=%v", fast), func(t *testing.T) {
			useKernels = fast
			defer func() { useKernels = true }()
			m, g := newModel()
			x := g.AddInput("x", ir.TensorOf(ir.Float32, 1, C, H, W))
			v := g.AddNode("Conv", "conv", []*ir.Value{x, g.AddConst("w", ir.NewFloat32(ints64(M, C, 1, 1), wv))}, "c").Outputs[0]
			v = g.AddNode("Mul", "scale", []*ir.Value{g.AddConst("gamma", ir.NewFloat32(ints64(M, 1, 1), gamma)), v}, "m").Outputs[0]
			v = g.AddNode("Add", "shift", []*ir.Value{v, g.AddConst("beta", ir.NewFloat32(ints64(1, M, 1, 1), beta))}, "a").Outputs[0]
			v = g.AddNode("Div", "div", []*ir.Value{v, g.AddConst("four", ir.NewFloat32(nil, []float32{4}))}, "d").Outputs[0]
			v = g.AddNode("Sub", "sub", []*ir.Value{v, g.AddConst("half", ir.NewFloat32(nil, []float32{0.5}))}, "s").Outputs[0]
			v = g.AddNode("Mul", "wmul", []*ir.Value{v, g.AddConst("wlast", ir.NewFloat32(ints64(W), wlast))}, "y").Outputs[0]
			g.AddOutput(v)
			p := mustCompile(t, m, Options{Threads: 2})
			if len(p.steps) != 2 {
				t.Errorf("%d steps, want 2 (conv with 4 fused steps, then the [W] Mul)", len(p.steps))
			}
			out, err := p.Run(map[string]*ir.Tensor{"x": ir.NewFloat32(ints64(1, C, H, W), xv)})
			if err != nil {
				t.Fatal(err)
			}
			got, _ := out["y"].Float32s()
			conv, _, _ := refConv(xv, 1, C, H, W, wv, M, 1, 1, nil, 1, 0, 1)
			want := make([]float32, len(conv))
			for i, c := range conv {
				ch := i / (H * W)
				want[i] = float32(((float64(c)*float64(gamma[ch])+float64(beta[ch]))/4 - 0.5) * float64(wlast[i%W]))
			}
			maxDiff(t, got, want, 1e-5, 1e-5)
		})
	}
}

// TestConstInputsAndProfile: a Reshape whose shape is a graph input
// compiles once the input is bound with ConstInputs (and names it
// otherwise); Profile times every step; Inputs/Outputs report the compiled
// shapes.
func TestConstInputsAndProfile(t *testing.T) {
	m, g := newModel()
	x := g.AddInput("x", ir.TensorOf(ir.Float32, 2, 6))
	s := g.AddInput("shape", ir.TensorOf(ir.Int64, 3))
	y := g.AddNode("Reshape", "rs", []*ir.Value{x, s}, "r").Outputs[0]
	z := g.AddNode("Relu", "relu", []*ir.Value{y}, "y").Outputs[0]
	g.AddOutput(z)
	if _, err := compileFull(m, Options{}); err == nil || !contains(err.Error(), `node "rs" (Reshape): input 1 (shape) must be constant at plan time`) {
		t.Fatalf("error %v", err)
	}
	p := mustCompile(t, m, Options{Threads: 1, ConstInputs: map[string]*ir.Tensor{"shape": ir.NewInt64(ints64(3), []int64{3, -1, 2})}})
	if in := p.Inputs(); len(in) != 1 || in[0].Name != "x" {
		t.Errorf("inputs %+v", in)
	}
	if out := p.Outputs(); len(out) != 1 || !slices.Equal(out[0].Shape, []int64{3, 2, 2}) {
		t.Errorf("outputs %+v", out)
	}
	xv := []float32{-1, 2, -3, 4, -5, 6, 7, -8, 9, -10, 11, -12}
	feeds := map[string]*ir.Tensor{"x": ir.NewFloat32(ints64(2, 6), xv)}
	times, err := p.Profile(feeds)
	if err != nil {
		t.Fatal(err)
	}
	if len(times) != 1 || times[0].Node == nil || times[0].Node.OpType != "Relu" {
		t.Errorf("profile %+v, want one Relu step (the Reshape is a view)", times)
	}
	out, err := p.Run(feeds)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := out["y"].Float32s()
	for i, v := range xv {
		if want := max(v, 0); got[i] != want {
			t.Fatalf("element %d: %v want %v", i, got[i], want)
		}
	}
	if _, err := p.Run(map[string]*ir.Tensor{"x": ir.NewFloat32(ints64(3, 4), xv)}); err == nil || !contains(err.Error(), "compiled for") {
		t.Errorf("wrong input shape: error %v", err)
	}
	if _, err := p.Run(map[string]*ir.Tensor{}); err == nil || !contains(err.Error(), `missing input "x"`) {
		t.Errorf("missing input: error %v", err)
	}
}
