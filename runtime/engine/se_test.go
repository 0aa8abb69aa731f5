package engine

import (
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/mconv/mconv/ir"
)

// seModel builds a graph with one mconv SqueezeExcite node on x [N,C,H,W]
// with constant random weights (scaled by 1/sqrt(fan-in), as trained
// weights are) and returns it with an input for it.
func seModel(N, C, Cr, H, W int, gate, inner string, seed int64) (*ir.Model, map[string]*ir.Tensor) {
	r := rand.New(rand.NewSource(seed))
	scaled := func(n, fanIn int) []float32 {
		v := randF32(r, n)
		for i := range v {
			v[i] /= float32(math.Sqrt(float64(fanIn)))
		}
		return v
	}
	m, g := newModel()
	m.Opsets = append(m.Opsets, ir.OpsetImport{Domain: ir.FusedDomain, Version: 1})
	x := g.AddInput("x", ir.TensorOf(ir.Float32, int64(N), int64(C), int64(H), int64(W)))
	ins := []*ir.Value{x,
		g.AddConst("w1", ir.NewFloat32(ints64(int64(Cr), int64(C), 1, 1), scaled(Cr*C, C))),
		g.AddConst("b1", ir.NewFloat32(ints64(int64(Cr)), scaled(Cr, 4))),
		g.AddConst("w2", ir.NewFloat32(ints64(int64(C), int64(Cr), 1, 1), scaled(C*Cr, Cr))),
		g.AddConst("b2", ir.NewFloat32(ints64(int64(C)), scaled(C, 4)))}
	n := g.AddNode("SqueezeExcite", "se", ins, "y")
	n.Domain = ir.FusedDomain
	n.SetAttr(&ir.Attr{Name: "gate", Type: ir.AttrString, S: []byte(gate)})
	if gate == "hardsigmoid" {
		n.SetAttr(&ir.Attr{Name: "alpha", Type: ir.AttrFloat, F: 1.0 / 6})
		n.SetAttr(&ir.Attr{Name: "beta", Type: ir.AttrFloat, F: 0.5})
	}
	if inner != "relu" {
		n.SetAttr(&ir.Attr{Name: "act", Type: ir.AttrString, S: []byte(inner)})
	}
	g.AddOutput(n.Outputs[0])
	// Inputs: post-activation-like values (mean well away from 0).
	xv := randF32(r, N*C*H*W)
	for i := range xv {
		xv[i] = xv[i] + 0.5
	}
	return m, map[string]*ir.Tensor{"x": ir.NewFloat32(ints64(int64(N), int64(C), int64(H), int64(W)), xv)}
}

func runSE(t *testing.T, m *ir.Model, in map[string]*ir.Tensor, fast bool, threads int) []float32 {
	t.Helper()
	useKernels = fast
	defer func() { useKernels = true }()
	p, err := compileFull(m, Options{Threads: threads})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if fast {
		var k bool
		for _, s := range p.steps {
			k = k || s.kernels
		}
		if !k {
			t.Fatal("optimized SqueezeExcite not selected")
		}
	}
	out, err := p.Run(in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := out["y"].Float32s()
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestSqueezeExciteFast checks the optimized SqueezeExcite against the plain
// reference (which TestFusedOps checks against the float64 definition) on
// MobileNetV3-like and awkward shapes (C and Cr not multiples of the GEMM
// tile, C > the GEMM's K block, odd H*W, batch 3), and that its output is
// bit-identical for 1..4 threads.
func TestSqueezeExciteFast(t *testing.T) {
	cases := []struct{ N, C, Cr, H, W int }{
		{1, 72, 24, 28, 28},
		{1, 960, 240, 7, 7},
		{3, 37, 9, 5, 3},
		{2, 300, 75, 1, 1},
		{1, 1, 1, 2, 2},
		{2, 120, 32, 9, 11},
	}
	for _, tc := range cases {
		for _, gate := range []string{"sigmoid", "hardsigmoid", "sigmoid/silu"} {
			gate, inner, _ := strings.Cut(gate, "/")
			if inner == "" {
				inner = "relu"
			}
			t.Run(fmt.Sprintf("%dx%dx%dx%d_cr%d_%s_%s", tc.N, tc.C, tc.H, tc.W, tc.Cr, inner, gate), func(t *testing.T) {
				m, in := seModel(tc.N, tc.C, tc.Cr, tc.H, tc.W, gate, inner, int64(tc.C*tc.H))
				want := runSE(t, m, in, false, 1)
				got1 := runSE(t, m, in, true, 1)
				maxDiff(t, got1, want, 1e-6, 1e-5)
				for th := 2; th <= 4; th++ {
					got := runSE(t, m, in, true, th)
					for i := range got {
						if math.Float32bits(got[i]) != math.Float32bits(got1[i]) {
							t.Fatalf("threads=%d: element %d is %v, with 1 thread %v", th, i, got[i], got1[i])
						}
					}
				}
			})
		}
	}
}

// TestPlaneMeanScale checks the helpers against float64 sums and products.
func TestPlaneMeanScale(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	for _, n := range []int{1, 7, 8, 9, 49, 784} {
		v := randF32(r, n)
		var s float64
		for _, x := range v {
			s += float64(x)
		}
		if d := math.Abs(float64(planeMean(v)) - s/float64(n)); d > 1e-6 {
			t.Errorf("planeMean n=%d: off by %g", n, d)
		}
		dst := make([]float32, n)
		planeScale(dst, v, 0.75)
		for i := range v {
			if dst[i] != float32(float64(v[i])*0.75) {
				t.Fatalf("planeScale n=%d element %d: %v", n, i, dst[i])
			}
		}
	}
}

// BenchmarkSqueezeExcite times one SqueezeExcite step on MobileNetV3-Large's
// SE shapes (C, Cr, H=W), optimized and plain reference.
func BenchmarkSqueezeExcite(b *testing.B) {
	shapes := []struct{ C, Cr, HW int }{
		{72, 24, 28}, {120, 32, 28}, {480, 120, 14}, {672, 168, 14}, {672, 168, 7}, {960, 240, 7},
	}
	for _, sh := range shapes {
		for _, fast := range []bool{true, false} {
			for _, th := range []int{1, 2} {
				kind := "plain"
				if fast {
					kind = "kernels"
				}
				b.Run(fmt.Sprintf("C%d_Cr%d_%dx%d/%s/threads=%d", sh.C, sh.Cr, sh.HW, sh.HW, kind, th), func(b *testing.B) {
					useKernels = fast
					defer func() { useKernels = true }()
					m, in := seModel(1, sh.C, sh.Cr, sh.HW, sh.HW, "hardsigmoid", "relu", 1)
					p, err := compileFull(m, Options{Threads: th})
					if err != nil {
						b.Fatal(err)
					}
					defer p.Close()
					if _, err := p.Run(in); err != nil {
						b.Fatal(err)
					}
					// Time the plan's steps only (the SqueezeExcite),
					// not Run's copying of inputs and outputs.
					if len(p.steps) != 1 {
						b.Fatalf("%d steps, want 1", len(p.steps))
					}
					run := p.steps[0].run
					// bytes: x read twice, y written; weights read once.
					b.SetBytes(int64(4 * (3*sh.C*sh.HW*sh.HW + 2*sh.C*sh.Cr)))
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						run()
					}
				})
			}
		}
	}
}
