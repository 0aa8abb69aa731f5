package kernels

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
	"unsafe"
)

// benchDepthwise are depthwise shapes of MobileNetV4-conv-small,
// EfficientNet-B0, MobileNetV2, FastViT and StarNet (batch 1, 224x224
// input) on which mconv trailed ONNX Runtime (issue 11).
var benchDepthwise = []struct {
	name string
	p    ConvParams
}{
	{"MNV4S_dw3x3s2_14_576", convCase(1, 576, 14, 14, 576, 3, 3, 2, 1, 1, 576)},
	{"MNV4S_dw5x5s2_28_192", convCase(1, 192, 28, 28, 192, 5, 5, 2, 1, 2, 192)},
	{"MNV4S_dw5x5s1_7_512", convCase(1, 512, 7, 7, 512, 5, 5, 1, 1, 2, 512)},
	{"EffB0_dw5x5s2_14_672", convCase(1, 672, 14, 14, 672, 5, 5, 2, 1, 2, 672)},
	{"EffB0_dw5x5s1_7_1152", convCase(1, 1152, 7, 7, 1152, 5, 5, 1, 1, 2, 1152)},
	{"EffB0_dw3x3s2_28_240", convCase(1, 240, 28, 28, 240, 3, 3, 2, 1, 1, 240)},
	{"EffB0_dw5x5s1_28_240", convCase(1, 240, 28, 28, 240, 5, 5, 1, 1, 2, 240)},
	{"EffB0_dw3x3s2_112_96", convCase(1, 96, 112, 112, 96, 3, 3, 2, 1, 1, 96)},
	{"MNV2_dw3x3s1_7_960", convCase(1, 960, 7, 7, 960, 3, 3, 1, 1, 1, 960)},
	{"MNV2_dw3x3s1_14_384", convCase(1, 384, 14, 14, 384, 3, 3, 1, 1, 1, 384)},
	{"MNV2_dw3x3s1_28_192", convCase(1, 192, 28, 28, 192, 3, 3, 1, 1, 1, 192)},
	{"MNV2_dw3x3s1_56_144", convCase(1, 144, 56, 56, 144, 3, 3, 1, 1, 1, 144)},
	{"MNV2_dw3x3s2_56_144", convCase(1, 144, 56, 56, 144, 3, 3, 2, 1, 1, 144)},
	{"FastViT_dw7x7s1_7_384", convCase(1, 384, 7, 7, 384, 7, 7, 1, 1, 3, 384)},
	{"FastViT_dw7x7s1_14_192", convCase(1, 192, 14, 14, 192, 7, 7, 1, 1, 3, 192)},
	{"FastViT_dw7x7s1_28_96", convCase(1, 96, 28, 28, 96, 7, 7, 1, 1, 3, 96)},
	{"FastViT_dw7x7s1_56_48", convCase(1, 48, 56, 56, 48, 7, 7, 1, 1, 3, 48)},
	{"MNV2_dw3x3s1_112_32", convCase(1, 32, 112, 112, 32, 3, 3, 1, 1, 1, 32)},
	{"EffB0_dw5x5s2_56_144", convCase(1, 144, 56, 56, 144, 5, 5, 2, 1, 2, 144)},
	{"dw5x5s1_56_48", convCase(1, 48, 56, 56, 48, 5, 5, 1, 1, 2, 48)},
	{"dw3x3s1_20_256", convCase(1, 256, 20, 20, 256, 3, 3, 1, 1, 1, 256)},
	{"dw5x5s2_112_32", convCase(1, 32, 112, 112, 32, 5, 5, 2, 1, 2, 32)},
	{"FastViT256_dw7x7s1_64_48", convCase(1, 48, 64, 64, 48, 7, 7, 1, 1, 3, 48)},
	{"FastViT256_dw3x3s2_128_48", convCase(1, 48, 128, 128, 48, 3, 3, 2, 1, 1, 48)},
	{"dw5x5s1_112_24", convCase(1, 24, 112, 112, 24, 5, 5, 1, 1, 2, 24)},
}

// BenchmarkDepthwise reports cpuGFLOP/s (2 x MACs, one thread; bias +
// ReLU epilogue not counted) of the depthwise shapes above on every
// kernel path, on the plane path ("planes"), the channel-blocked one
// ("blocked") and the one the rule picks ("rule").
func BenchmarkDepthwise(b *testing.B) { benchPaths(b, benchDepthwiseShapes) }

func benchDepthwiseShapes(b *testing.B) {
	for _, c := range benchDepthwise {
		for _, pol := range []int{-1, 1, 0} {
			name := map[int]string{-1: "planes", 1: "blocked", 0: "rule"}[pol]
			b.Run(c.name+"/"+name, func(b *testing.B) { benchDepthwiseShape(b, c.p, pol) })
		}
	}
}

func benchDepthwiseShape(b *testing.B, p ConvParams, pol int) {
	withDWBlocked(pol, func() { benchConv(b, p, 1) })
}

// withDWBlocked runs f with dwBlockedPolicy set to v (1 blocked, -1 plane
// path, 0 the rule).
func withDWBlocked(v int, f func()) {
	old := dwBlockedPolicy
	dwBlockedPolicy = v
	defer func() { dwBlockedPolicy = old }()
	f()
}

// dwCases are depthwise convolutions for both depthwise paths: 3x3, 5x5
// and 7x7 at stride 1 and 2, channel counts that are and are not
// multiples of dwLanes (a last partial block), fewer than 8 output or
// input pixels, batch 2, dilation, stride 3, asymmetric padding and
// padding wider than the kernel's half, odd and even plane sizes.
func dwCases() []ConvParams {
	cs := []ConvParams{
		convCase(1, 16, 7, 7, 16, 3, 3, 1, 1, 1, 16),
		convCase(1, 24, 14, 14, 24, 3, 3, 2, 1, 1, 24),
		convCase(2, 12, 13, 11, 12, 3, 3, 2, 1, 1, 12),
		convCase(1, 19, 14, 14, 19, 5, 5, 2, 1, 2, 19),
		convCase(1, 8, 7, 7, 8, 5, 5, 1, 1, 2, 8),
		convCase(1, 5, 9, 10, 5, 5, 5, 1, 1, 2, 5),
		convCase(1, 16, 7, 7, 16, 7, 7, 1, 1, 3, 16),
		convCase(1, 9, 15, 12, 9, 7, 7, 2, 1, 3, 9),
		convCase(1, 16, 2, 3, 16, 3, 3, 1, 1, 1, 16), // 6 output, 6 input pixels
		convCase(1, 8, 4, 4, 8, 3, 3, 2, 1, 1, 8),    // 4 output pixels
		convCase(1, 16, 1, 1, 16, 3, 3, 1, 1, 1, 16), // 1x1 image
		convCase(1, 8, 16, 16, 8, 3, 3, 1, 2, 2, 8),  // dilation 2
		convCase(1, 8, 17, 16, 8, 3, 3, 3, 1, 0, 8),  // stride 3, unread rows and columns
		convCase(1, 8, 12, 12, 8, 3, 3, 2, 1, 0, 8),  // stride 2 without padding: unread last row/column
		convCase(1, 8, 6, 6, 8, 5, 5, 1, 1, 4, 8),    // padding > kernel half
		convCase(1, 16, 28, 28, 16, 3, 3, 1, 1, 1, 16),
		convCase(1, 8, 30, 29, 8, 3, 3, 1, 1, 1, 8),
		convCase(1, 8, 56, 56, 8, 3, 3, 2, 1, 1, 8),
		convCase(1, 8, 58, 57, 8, 7, 7, 1, 1, 3, 8),
		convCase(1, 12, 40, 40, 12, 5, 5, 1, 1, 2, 12), // strips of a partial block as work units
		convCase(1, 16, 20, 20, 16, 9, 9, 2, 2, 8, 16), // 81 taps, dilation 2, stride 2
		convCase(1, 8, 11, 13, 8, 4, 2, 1, 1, 1, 8),    // even kernel sizes
		convCase(1, 8, 9, 9, 8, 1, 1, 1, 1, 0, 8),      // one tap
	}
	asym := ConvParams{N: 1, C: 11, H: 13, W: 10, M: 11, KH: 3, KW: 5, SH: 2, SW: 1, DH: 1, DW: 2, PadT: 0, PadL: 3, PadB: 2, PadR: 1, Group: 11}
	asym.OH, asym.OW = OutSize(13, 3, 2, 1, 0, 2), OutSize(10, 5, 1, 2, 3, 1)
	return append(cs, asym)
}

// TestDepthwiseBlocked checks both depthwise paths, forced, against the
// reference convolution (ref.go) on dwCases with every epilogue form,
// bit-identical for every thread count and with or without (garbage)
// workspace.
func TestDepthwiseBlocked(t *testing.T) { forEachPath(t, testDepthwiseBlocked) }

func testDepthwiseBlocked(t *testing.T) {
	r := rand.New(rand.NewSource(12))
	for i, p0 := range dwCases() {
		for ai, a := range []struct {
			act    Act
			res    bool
			after  bool
			noBias bool
		}{{ActNone, false, false, false}, {ActRelu, true, true, false}, {ActHardSwish, true, false, true}, {ActSiLU, false, false, false}} {
			p := p0
			p.Act, p.ActAfterResidual = a.act, a.after
			x, w, bias, res, want := convTestData(r, &p, a.noBias, a.res)
			for _, pol := range []int{1, -1} {
				name := fmt.Sprintf("%d_%dx%dx%dx%d_k%dx%d_s%d_d%d_%d/policy%d", i, p.N, p.C, p.H, p.W, p.KH, p.KW, p.SH, p.DH, ai, pol)
				var pk *PackedConv
				var ws []float32
				withDWBlocked(pol, func() {
					pk = PackConvWeights(&p, w)
					ws = make([]float32, WorkspaceSize(&p))
				})
				if (pk.dwj.tab != nil) != (pol > 0) {
					t.Fatalf("%s: blocked %v", name, pk.dwj.tab != nil)
				}
				for i := range ws {
					ws[i] = float32(math.NaN())
				}
				var first []float32
				for _, th := range threadCounts {
					for _, wsp := range [][]float32{nil, ws} {
						got := make([]float32, len(want))
						for i := range got {
							got[i] = float32(math.NaN())
						}
						Conv2D(&p, pk, x, bias, res, got, wsp, th)
						closeTo(t, fmt.Sprintf("%s threads=%d", name, th), got, want, p.KH*p.KW)
						if first == nil {
							first = got
						} else {
							sameBits(t, fmt.Sprintf("%s threads=%d ws=%v vs 1", name, th, wsp != nil), got, first)
						}
					}
				}
			}
		}
	}
}

// TestDWBlockedRule: the rule's choices on the shapes it was measured on
// (BenchmarkDepthwise).
func TestDWBlockedRule(t *testing.T) {
	for _, c := range []struct {
		p    ConvParams
		want bool
	}{
		{convCase(1, 576, 14, 14, 576, 3, 3, 2, 1, 1, 576), true},
		{convCase(1, 960, 7, 7, 960, 3, 3, 1, 1, 1, 960), true},
		{convCase(1, 384, 14, 14, 384, 3, 3, 1, 1, 1, 384), true},
		{convCase(1, 192, 28, 28, 192, 3, 3, 1, 1, 1, 192), true},
		{convCase(1, 32, 30, 30, 32, 3, 3, 1, 1, 1, 32), false},
		{convCase(1, 144, 56, 56, 144, 3, 3, 1, 1, 1, 144), false},
		{convCase(1, 144, 56, 56, 144, 3, 3, 2, 1, 1, 144), true},
		{convCase(1, 96, 112, 112, 96, 3, 3, 2, 1, 1, 96), true},
		{convCase(1, 32, 114, 114, 32, 3, 3, 2, 1, 1, 32), false},
		{convCase(1, 32, 112, 112, 32, 3, 3, 1, 1, 1, 32), false},
		{convCase(1, 240, 28, 28, 240, 5, 5, 1, 1, 2, 240), true},
		{convCase(1, 48, 56, 56, 48, 7, 7, 1, 1, 3, 48), true},
		{convCase(1, 32, 112, 112, 32, 5, 5, 2, 1, 2, 32), true},
		{convCase(1, 32, 112, 112, 32, 5, 5, 1, 1, 2, 32), false},
		{convCase(1, 32, 56, 56, 32, 5, 5, 1, 1, 2, 32), true},
		{convCase(1, 8, 8, 8, 16, 3, 3, 1, 1, 1, 8), false}, // not depthwise (grouped)
	} {
		if got := c.p.useDWBlocked(); got != c.want {
			t.Errorf("%dx%d k%dx%d s%d: blocked %v, want %v", c.p.H, c.p.W, c.p.KH, c.p.KW, c.p.SH, got, c.want)
		}
	}
}

// TestDWBlockStrips: wide planes on the blocked path run in several
// strips of output rows, each strip's input within its budget where a
// strip of one row fits it, so that the strip boundaries (shared rows,
// top and bottom padding) are exercised by TestDepthwiseBlocked.
func TestDWBlockStrips(t *testing.T) {
	for _, p := range []ConvParams{
		convCase(1, 8, 56, 56, 8, 3, 3, 2, 1, 1, 8),
		convCase(1, 8, 58, 57, 8, 7, 7, 1, 1, 3, 8),
		convCase(1, 8, 30, 29, 8, 3, 3, 1, 1, 1, 8),
	} {
		g := dwBlockGeometry(&p)
		strips := (p.OH + g.so - 1) / g.so
		t.Logf("%dx%d k%d s%d: %d strips of %d output rows, %d input floats", p.H, p.W, p.KH, p.SH, strips, g.so, g.in)
		if strips < 2 {
			t.Errorf("%dx%d k%d s%d: one strip (OH %d)", p.H, p.W, p.KH, p.SH, p.OH)
		}
		if g.in > dwBlockStripFloats {
			t.Errorf("%dx%d k%d s%d: strip input %d floats > %d", p.H, p.W, p.KH, p.SH, g.in, dwBlockStripFloats)
		}
		// One or two channel blocks: on 2 or 3 threads the work units
		// are strips (TestDepthwiseBlocked runs them on 1-7 threads).
		for _, th := range []int{2, 3} {
			if u, split := dwBlockUnits(&p, th); split != strips || u != strips*((p.C+7)/8) {
				t.Errorf("%dx%d k%d s%d threads=%d: %d units of %d strips, want units of one strip", p.H, p.W, p.KH, p.SH, th, u, split)
			}
		}
	}
	// Many blocks, or as many as threads: units are blocks.
	for _, c := range []struct {
		p       ConvParams
		threads int
	}{
		{convCase(1, 64, 56, 56, 64, 3, 3, 2, 1, 1, 64), 2},
		{convCase(1, 16, 56, 56, 16, 3, 3, 2, 1, 1, 16), 2},
		{convCase(1, 512, 28, 28, 512, 3, 3, 2, 1, 1, 512), 3},
		{convCase(1, 24, 56, 56, 24, 3, 3, 2, 1, 1, 24), 1},
	} {
		if u, split := dwBlockUnits(&c.p, c.threads); split != 1 || u != c.p.C/8 {
			t.Errorf("C=%d threads=%d: %d units of %d strips, want %d blocks", c.p.C, c.threads, u, split, c.p.C/8)
		}
	}
}

// TestDWBlockKernels checks dwBlock and dwGather on every path against a
// float64 evaluation of their definition (dwBlock) and exactly
// (dwGather), on the tables of dwCases and every prefix length up to 20:
// pixel counts below, at and not at multiples of 8, with the plane
// padding of y and the input pixels the tables do not name left
// untouched.
func TestDWBlockKernels(t *testing.T) { forEachPath(t, testDWBlockKernels) }

func testDWBlockKernels(t *testing.T) {
	r := rand.New(rand.NewSource(13))
	for _, p := range dwCases() {
		tab := dwBlockTables(&p)
		g := dwBlockGeometry(&p)
		ni, np := len(tab.ioffs), len(tab.poffs)
		for _, n := range []int{ni, ni - 1, 1, 7, 8, 9, 15, 16, 17, 20} {
			if n < 0 || n > ni {
				continue
			}
			// dwGather: 8 planes of x with stride n+3.
			ldx := n + 3
			x := randSlice(r, 8*ldx)
			in, want := make([]float32, g.in), make([]float32, g.in)
			for i := range in {
				in[i], want[i] = -7, -7
			}
			for l := 0; l < dwLanes; l++ {
				for k, o := range tab.ioffs[:n] {
					want[o+l] = x[l*ldx+k]
				}
			}
			dwGather(in, tab, n, x, ldx)
			sameBits(t, fmt.Sprintf("dwGather %+v n=%d", p, n), in, want)
		}
		for _, n := range []int{np, np - 1, 1, 7, 8, 9, 15, 16, 17, 20} {
			if n < 0 || n > np {
				continue
			}
			// dwBlock on random input, planes of stride n+5.
			in := randSlice(r, g.in)
			w, bias := randSlice(r, len(tab.toffs)*dwLanes), randSlice(r, dwLanes)
			ldy := n + 5
			y := make([]float32, dwLanes*ldy)
			for i := range y {
				y[i] = 42
			}
			dwBlock(y, ldy, in, w, bias, tab, n)
			for l := 0; l < dwLanes; l++ {
				for i := 0; i < ldy; i++ {
					got := float64(y[l*ldy+i])
					if i >= n {
						if got != 42 {
							t.Fatalf("dwBlock %+v n=%d: plane padding y[%d*ldy+%d] written", p, n, l, i)
						}
						continue
					}
					s, mag := float64(bias[l]), math.Abs(float64(bias[l]))
					for ti, to := range tab.toffs {
						v := float64(w[ti*dwLanes+l]) * float64(in[tab.poffs[i]+to+l])
						s += v
						mag += math.Abs(v)
					}
					if math.Abs(got-s) > 1e-6*float64(len(tab.toffs)+1)*mag {
						t.Fatalf("dwBlock %+v n=%d: lane %d pixel %d = %v, want %v", p, n, l, i, got, s)
					}
				}
			}
		}
	}
}

// TestDepthwiseNoAlloc: steady-state depthwise calls allocate nothing on
// either path.
func TestDepthwiseNoAlloc(t *testing.T) { forEachPath(t, testDepthwiseNoAlloc) }

func testDepthwiseNoAlloc(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on goroutine hand-offs; allocation counts are checked without -race")
	}
	r := rand.New(rand.NewSource(14))
	for _, pol := range []int{1, -1} {
		p := convCase(1, 20, 14, 14, 20, 5, 5, 2, 1, 2, 20)
		p.Act = ActSiLU
		x, w := randSlice(r, p.N*p.C*p.H*p.W), randSlice(r, p.M*p.KH*p.KW)
		bias, y := randSlice(r, p.M), make([]float32, p.N*p.M*p.OH*p.OW)
		res := randSlice(r, len(y))
		var pk *PackedConv
		var ws []float32
		withDWBlocked(pol, func() {
			pk = PackConvWeights(&p, w)
			ws = make([]float32, WorkspaceSize(&p))
		})
		for _, th := range []int{1, 3} {
			for _, w := range [][]float32{nil, ws} {
				Conv2D(&p, pk, x, bias, res, y, w, th)
				if n := testing.AllocsPerRun(20, func() { Conv2D(&p, pk, x, bias, res, y, w, th) }); n != 0 {
					t.Errorf("policy %d threads=%d ws=%v: %v allocations per call", pol, th, w != nil, n)
				}
			}
		}
	}
}

// TestAlign64: align64 starts on a 64-byte boundary and drops at most 15
// floats, wherever the slice starts.
func TestAlign64(t *testing.T) {
	buf := make([]float32, 100)
	for o := 0; o < 16; o++ {
		a := align64(buf[o:])
		if p := uintptr(unsafe.Pointer(&a[0])); p%64 != 0 || len(a) < len(buf)-o-15 {
			t.Errorf("offset %d: start %#x, length %d of %d", o, p, len(a), len(buf)-o)
		}
	}
}

// BenchmarkDWRows compares the row kernels with dwBlock8 on the blocked
// path (stride-1 shapes of BenchmarkDepthwise).
func BenchmarkDWRows(b *testing.B) {
	for _, c := range benchDepthwise {
		if c.p.SW != 1 {
			continue
		}
		for _, row := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/rows=%v", c.name, row), func(b *testing.B) {
				old := dwRows
				dwRows = row
				defer func() { dwRows = old }()
				withDWBlocked(1, func() { benchConv(b, c.p, 1) })
			})
		}
	}
}
