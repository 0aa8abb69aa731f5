package kernels

import (
	"fmt"
	"math"
	"math/rand"
	"slices"
	"strings"
	"testing"
)

// pathLanes is the vector width in float32 lanes of each path's kernels.
var pathLanes = [numPaths]int{1, 8, 16}

// forEachPath runs fn as a subtest once per kernel path this CPU and
// build support, switching every registered kernel in-process, and
// restores the selected path afterwards. A path that cannot run here is
// named in the log, not skipped silently.
func forEachPath(t *testing.T, fn func(t *testing.T)) {
	t.Helper()
	supported := KernelPaths()
	for _, name := range pathNames {
		if !slices.Contains(supported, name) {
			t.Logf("kernel path %s: not supported by this CPU or build, not tested here", name)
			continue
		}
		prev, err := SetKernelPath(name)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(name, fn)
		if _, err := SetKernelPath(prev); err != nil {
			t.Fatal(err)
		}
	}
}

// TestKernelPathSelection: the start-up choice (MCONV_KERNELS) and
// SetKernelPath.
func TestKernelPathSelection(t *testing.T) {
	supported := KernelPaths()
	if len(supported) == 0 || supported[len(supported)-1] != PathPurego {
		t.Fatalf("KernelPaths() = %v, want a list ending in purego", supported)
	}
	t.Logf("supported kernel paths: %v; in use: %s", supported, KernelPath())
	best, _ := levelOf(supported[0])
	for _, c := range []struct {
		env, want string
		note      bool
	}{
		{"", supported[0], false},
		{"purego", PathPurego, false},
		{" purego ", PathPurego, false},
		{"avx3", supported[0], true},
		{"AVX2", supported[0], true},
	} {
		l, note := choosePath(c.env)
		if pathNames[l] != c.want || (note != "") != c.note {
			t.Errorf("choosePath(%q) = %s, note %q; want %s, note %v", c.env, pathNames[l], note, c.want, c.note)
		}
		if c.note && !strings.Contains(note, KernelsEnv) {
			t.Errorf("choosePath(%q): note %q does not name %s", c.env, note, KernelsEnv)
		}
	}
	for _, name := range pathNames {
		l, note := choosePath(name)
		if slices.Contains(supported, name) {
			if pathNames[l] != name || note != "" {
				t.Errorf("choosePath(%q) = %s, note %q", name, pathNames[l], note)
			}
		} else if l != best || !strings.Contains(note, "does not support") {
			t.Errorf("choosePath(%q) on a machine without it = %s, note %q; want %s and a warning", name, pathNames[l], note, supported[0])
		}
	}
	if _, err := SetKernelPath("sse"); err == nil {
		t.Error("SetKernelPath(sse) accepted")
	}
	for _, name := range pathNames {
		if _, err := SetKernelPath(name); (err == nil) != slices.Contains(supported, name) {
			t.Errorf("SetKernelPath(%s): err %v, supported %v", name, err, supported)
		}
	}
	if _, err := SetKernelPath(pathNames[selectedAtStart]); err != nil {
		t.Fatal(err)
	}
}

var selectedAtStart = selected

// TestRegisterKernel: a variable takes the variant of the highest
// registered level at or below the selected path, its plain value on
// purego.
func TestRegisterKernel(t *testing.T) {
	v := func() string { return "go" }
	registerKernel(&v, PathAVX512, func() string { return "avx512" })
	defer SetKernelPath(KernelPath())
	want := map[string]string{PathPurego: "go", PathAVX2: "go", PathAVX512: "avx512"}
	for _, name := range KernelPaths() {
		SetKernelPath(name)
		if got := v(); got != want[name] {
			t.Errorf("path %s: variable is the %s variant, want %s", name, got, want[name])
		}
	}
	registerKernel(&v, PathAVX2, func() string { return "avx2" })
	want[PathAVX2] = "avx2"
	for _, name := range KernelPaths() {
		SetKernelPath(name)
		if got := v(); got != want[name] {
			t.Errorf("path %s after an avx2 variant: variable is the %s variant, want %s", name, got, want[name])
		}
	}
}

// TestPathsAgree: the AVX-512 kernels compute every element with the
// operations the AVX2 kernels use, so the two paths give the same bits
// on GEMMs (wide and edge tiles, every epilogue), convolutions of every
// kind and the vectorized activations.
func TestPathsAgree(t *testing.T) {
	if !slices.Contains(KernelPaths(), PathAVX512) {
		t.Logf("kernel path avx512 not supported by this CPU or build: avx512 vs avx2 not compared here")
		return
	}
	prev := KernelPath()
	defer SetKernelPath(prev)
	run := func(path string, f func() []float32) []float32 {
		if _, err := SetKernelPath(path); err != nil {
			t.Fatal(err)
		}
		return f()
	}
	r := rand.New(rand.NewSource(11))
	for _, s := range []struct{ m, n, k int }{{12, 32, 5}, {1, 70, 300}, {13, 70, 300}, {150, 65, 40}, {7, 33, 600}, {30, 2100, 17}} {
		A, B := randSlice(r, s.m*s.k), randSlice(r, s.k*s.n)
		res, bias := randSlice(r, s.m*s.n), randSlice(r, s.m)
		for _, a := range allActs {
			for _, after := range []bool{false, true} {
				ep := Epilogue{Bias: bias, Residual: res, Act: a.act, Alpha: a.alpha, Beta: a.beta, ActAfterResidual: after}
				f := func() []float32 {
					c := make([]float32, s.m*s.n)
					GemmEpilogue(false, false, s.m, s.n, s.k, 1, A, s.k, B, s.n, 0, c, s.n, &ep, 2)
					return c
				}
				sameBits(t, fmt.Sprintf("gemm %v %v after=%v: avx512 vs avx2", s, a.act, after), run(PathAVX512, f), run(PathAVX2, f))
			}
		}
	}
	for _, p := range []ConvParams{
		convCase(1, 24, 20, 20, 40, 3, 3, 1, 1, 1, 1), // shifted
		convCase(1, 24, 20, 20, 40, 3, 3, 2, 1, 1, 1), // im2col
		convCase(1, 32, 14, 14, 64, 1, 1, 1, 1, 0, 1), // pointwise
		convCase(1, 8, 45, 45, 8, 3, 3, 1, 1, 1, 8),   // depthwise 9 taps
		convCase(1, 8, 45, 45, 8, 3, 3, 2, 1, 1, 8),   // depthwise stride 2
		convCase(1, 5, 71, 70, 5, 5, 5, 1, 1, 2, 5),   // depthwise 25 taps
		convCase(1, 3, 40, 38, 3, 7, 7, 1, 1, 3, 3),   // depthwise 49 taps
		convCase(2, 64, 1, 1, 40, 1, 1, 1, 1, 0, 1),   // gemv
		convCase(1, 300, 7, 7, 136, 1, 1, 1, 1, 0, 1), // transposed pointwise
	} {
		for _, act := range []Act{ActRelu, ActHardSwish, ActSiLU, ActGelu, ActSigmoid} {
			p.Act = act
			x, w := randSlice(r, p.N*p.C*p.H*p.W), randSlice(r, p.M*p.C/p.Group*p.KH*p.KW)
			bias := randSlice(r, p.M)
			pk := PackConvWeights(&p, w)
			f := func() []float32 {
				y := make([]float32, p.N*p.M*p.OH*p.OW)
				Conv2D(&p, pk, x, bias, nil, y, nil, 2)
				return y
			}
			sameBits(t, fmt.Sprintf("conv %s %+v: avx512 vs avx2", pk.Path(), p), run(PathAVX512, f), run(PathAVX2, f))
		}
	}
	for _, s := range []struct{ k, n int }{{300, 70}, {1280, 1000}} {
		x, B, bias := randSlice(r, s.k), randSlice(r, s.k*s.n), randSlice(r, s.n)
		pg := PackGemv(true, s.k, s.n, B, s.k)
		f := func() []float32 {
			y := make([]float32, s.n)
			Gemv(pg, x, y, &Epilogue{Bias: bias, Act: ActSiLU}, 2)
			return y
		}
		sameBits(t, fmt.Sprintf("gemv %v: avx512 vs avx2", s), run(PathAVX512, f), run(PathAVX2, f))
	}
	v := randSlice(r, 1000)
	for i := range v {
		v[i] *= 12
	}
	v = append(v, float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 100, -100, 0, -0.0)
	for n := range 40 {
		for _, a := range allActs {
			f := func() []float32 {
				u := append([]float32(nil), v[len(v)-n-7:]...)
				ApplyAct(u, a.act, a.alpha, a.beta)
				return u
			}
			sameBits(t, fmt.Sprintf("ApplyAct %v n=%d: avx512 vs avx2", a.act, n+7), run(PathAVX512, f), run(PathAVX2, f))
		}
	}
	for _, a := range allActs {
		f := func() []float32 {
			u := append([]float32(nil), v...)
			ApplyAct(u, a.act, a.alpha, a.beta)
			return u
		}
		sameBits(t, fmt.Sprintf("ApplyAct %v: avx512 vs avx2", a.act), run(PathAVX512, f), run(PathAVX2, f))
	}
}
