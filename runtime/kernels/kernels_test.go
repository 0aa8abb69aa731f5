package kernels

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = r.Float32()*2 - 1
	}
	return s
}

// closeTo compares got with the plain reference want. The fast kernels sum
// in a different order (K blocks, fused multiply-add), so they agree to a
// tolerance that grows with the reduction length k.
func closeTo(t *testing.T, what string, got, want []float32, k int) {
	t.Helper()
	tol := 1e-6 * float64(k+4)
	bad := 0
	for i := range want {
		g, w := float64(got[i]), float64(want[i])
		if math.IsNaN(g) != math.IsNaN(w) || math.Abs(g-w) > tol*math.Max(1, math.Abs(w)) {
			if bad < 5 {
				t.Errorf("%s: element %d = %v, reference %v", what, i, got[i], want[i])
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d elements differ beyond %g", what, bad, len(want), tol)
	}
}

func sameBits(t *testing.T, what string, a, b []float32) {
	t.Helper()
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			t.Fatalf("%s: element %d differs: %v vs %v", what, i, a[i], b[i])
		}
	}
}

var threadCounts = []int{1, 2, 3, 4, 7}

func TestGemm(t *testing.T) { forEachPath(t, testGemm) }

func testGemm(t *testing.T) {
	cases := []struct {
		m, n, k        int
		ta, tb         bool
		alpha, beta    float32
		padA, padB, pc int // extra leading-dimension padding
	}{
		{1, 1, 1, false, false, 1, 0, 0, 0, 0},
		{6, 16, 8, false, false, 1, 0, 0, 0, 0},
		{7, 17, 9, false, false, 1, 0, 0, 0, 0},
		{13, 35, 300, false, false, 1, 0, 3, 1, 2},
		{5, 3, 2, true, false, 0.5, 0, 0, 0, 0},
		{33, 20, 70, false, true, 1, 1, 2, 3, 0},
		{20, 33, 70, true, true, -1.5, 0.25, 0, 0, 5},
		{150, 40, 600, false, false, 1, 1, 0, 0, 0},
		{12, 2100, 20, false, false, 1, 0, 0, 0, 0},
		{64, 49, 1000, false, true, 1, 0, 0, 0, 0},
		{3, 4, 0, false, false, 1, 0.5, 0, 0, 0},
		{1, 70, 300, false, false, 1, 0, 0, 0, 0},     // one row (GEMV): wide row kernel, K > kc
		{1, 100, 40, false, true, 0.5, 0.25, 0, 2, 1}, // one row, accumulating into C
	}
	r := rand.New(rand.NewSource(1))
	for _, c := range cases {
		name := fmt.Sprintf("%dx%dx%d_ta%v_tb%v_a%v_b%v", c.m, c.n, c.k, c.ta, c.tb, c.alpha, c.beta)
		t.Run(name, func(t *testing.T) {
			ar, ac := c.m, c.k
			if c.ta {
				ar, ac = c.k, c.m
			}
			br, bc := c.k, c.n
			if c.tb {
				br, bc = c.n, c.k
			}
			lda, ldb, ldc := ac+c.padA, bc+c.padB, c.n+c.pc
			A := randSlice(r, ar*lda)
			B := randSlice(r, br*ldb)
			C0 := randSlice(r, c.m*ldc)
			want := append([]float32(nil), C0...)
			RefGemm(c.ta, c.tb, c.m, c.n, c.k, c.alpha, A, lda, B, ldb, c.beta, want, ldc)
			var first []float32
			for _, th := range threadCounts {
				got := append([]float32(nil), C0...)
				Gemm(c.ta, c.tb, c.m, c.n, c.k, c.alpha, A, lda, B, ldb, c.beta, got, ldc, th)
				closeTo(t, fmt.Sprintf("threads=%d", th), got, want, c.k)
				if first == nil {
					first = got
				} else {
					sameBits(t, fmt.Sprintf("threads=%d vs 1", th), got, first)
				}
			}
			// Packed-B variant: split by rows in several chunks per
			// thread (B is packed once), the same bits for every
			// thread count.
			pb := PackB(c.tb, c.k, c.n, B, ldb)
			var firstPB []float32
			for _, th := range threadCounts {
				got := append([]float32(nil), C0...)
				GemmPackedB(c.ta, c.m, c.alpha, A, lda, pb, c.beta, got, ldc, nil, th)
				closeTo(t, fmt.Sprintf("GemmPackedB threads=%d", th), got, want, c.k)
				if firstPB == nil {
					firstPB = got
				} else {
					sameBits(t, fmt.Sprintf("GemmPackedB threads=%d vs 1", th), got, firstPB)
				}
			}
			// Packed-A variant (alpha 1 only).
			if c.alpha == 1 {
				pa := PackA(c.ta, c.m, c.k, A, lda)
				got := append([]float32(nil), C0...)
				GemmPackedA(pa, c.tb, c.n, B, ldb, c.beta, got, ldc, nil, 3)
				closeTo(t, "GemmPackedA", got, want, c.k)
			}
		})
	}
}

var allActs = []struct {
	act         Act
	alpha, beta float32
}{
	{ActNone, 0, 0}, {ActRelu, 0, 0}, {ActRelu6, 0, 0}, {ActClip, -0.3, 0.4},
	{ActHardSwish, 0, 0}, {ActHardSigmoid, 1.0 / 6, 0.5}, {ActSigmoid, 0, 0}, {ActSiLU, 0, 0},
	{ActGelu, 0, 0}, {ActGeluTanh, 0, 0}, {ActLeakyRelu, 0.1, 0}, {ActTanh, 0, 0},
}

func TestGemmEpilogue(t *testing.T) { forEachPath(t, testGemmEpilogue) }

func testGemmEpilogue(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	M, N, K := 14, 37, 300
	A, B := randSlice(r, M*K), randSlice(r, K*N)
	rowBias, colBias, res := randSlice(r, M), randSlice(r, N), randSlice(r, M*N)
	for _, a := range allActs {
		for _, perCol := range []bool{false, true} {
			for _, after := range []bool{false, true} {
				for _, withRes := range []bool{false, true} {
					ep := Epilogue{Bias: rowBias, BiasPerCol: perCol, Act: a.act, Alpha: a.alpha, Beta: a.beta, ActAfterResidual: after}
					if perCol {
						ep.Bias = colBias
					}
					if withRes {
						ep.Residual = res
					}
					want := make([]float32, M*N)
					RefGemm(false, false, M, N, K, 1, A, K, B, N, 0, want, N)
					RefEpilogue(M, N, want, N, &ep)
					var first []float32
					for _, th := range threadCounts {
						got := make([]float32, M*N)
						GemmEpilogue(false, false, M, N, K, 1, A, K, B, N, 0, got, N, &ep, th)
						what := fmt.Sprintf("%v percol=%v after=%v res=%v threads=%d", a.act, perCol, after, withRes, th)
						closeTo(t, what, got, want, K)
						if first == nil {
							first = got
						} else {
							sameBits(t, what, got, first)
						}
					}
				}
			}
		}
	}
}

func convCase(n, c, h, w, m, kh, kw, s, d, pad, group int) ConvParams {
	p := ConvParams{N: n, C: c, H: h, W: w, M: m, KH: kh, KW: kw, SH: s, SW: s, DH: d, DW: d,
		PadT: pad, PadL: pad, PadB: pad, PadR: pad, Group: group}
	p.OH = OutSize(h, kh, s, d, pad, pad)
	p.OW = OutSize(w, kw, s, d, pad, pad)
	return p
}

// convTestData returns a random input, weights, bias (nil if noBias) and
// residual (nil unless res) for p and the output of the reference
// convolution (RefConv2D) on them.
func convTestData(r *rand.Rand, p *ConvParams, noBias, res bool) (x, w, bias, resid, want []float32) {
	x = randSlice(r, p.N*p.C*p.H*p.W)
	w = randSlice(r, p.M*p.C/p.Group*p.KH*p.KW)
	bias = randSlice(r, p.M)
	if noBias {
		bias = nil
	}
	if res {
		resid = randSlice(r, p.N*p.M*p.OH*p.OW)
	}
	want = make([]float32, p.N*p.M*p.OH*p.OW)
	RefConv2D(p, x, w, bias, resid, want)
	return x, w, bias, resid, want
}

func TestConv2D(t *testing.T) { forEachPath(t, testConv2D) }

func testConv2D(t *testing.T) {
	cases := []ConvParams{
		convCase(1, 3, 11, 13, 5, 3, 3, 1, 1, 1, 1),
		convCase(2, 4, 9, 7, 6, 3, 3, 2, 1, 1, 1),
		convCase(1, 8, 10, 10, 8, 3, 3, 1, 2, 2, 1),
		convCase(1, 6, 9, 9, 9, 3, 3, 1, 1, 1, 3),
		convCase(1, 6, 8, 8, 4, 1, 1, 1, 1, 0, 2),
		convCase(2, 16, 12, 12, 20, 1, 1, 1, 1, 0, 1),
		convCase(1, 16, 12, 12, 20, 1, 1, 2, 1, 0, 1),
		convCase(1, 64, 9, 9, 70, 3, 3, 1, 1, 1, 1),  // K = 576 > kc
		convCase(1, 3, 50, 50, 16, 3, 3, 1, 1, 1, 1), // N = 2500 > nc
		convCase(1, 3, 17, 17, 7, 7, 7, 2, 1, 3, 1),
		convCase(1, 5, 6, 6, 5, 5, 5, 1, 1, 4, 1), // padding > kernel half
		// depthwise
		convCase(1, 8, 13, 11, 8, 3, 3, 1, 1, 1, 8),
		convCase(2, 7, 14, 15, 7, 3, 3, 2, 1, 1, 7),
		convCase(1, 5, 19, 17, 5, 5, 5, 1, 1, 2, 5),
		convCase(1, 5, 19, 17, 5, 5, 5, 2, 1, 2, 5),
		convCase(1, 4, 20, 21, 4, 7, 7, 1, 1, 3, 4),
		convCase(1, 4, 16, 16, 4, 3, 3, 1, 2, 2, 4),
		convCase(1, 3, 16, 16, 3, 3, 3, 3, 1, 0, 3),
		convCase(1, 3, 40, 40, 3, 3, 3, 1, 1, 0, 3),
		convCase(1, 6, 5, 5, 6, 1, 1, 1, 1, 0, 6),
		convCase(1, 3, 37, 41, 3, 3, 3, 2, 1, 0, 3),
		convCase(1, 6, 20, 20, 9, 3, 3, 1, 2, 2, 3), // shifted path with dilation and groups
		convCase(2, 5, 24, 21, 7, 3, 5, 1, 1, 0, 1), // shifted path without padding, batch 2
		convCase(1, 4, 20, 20, 6, 3, 3, 2, 1, 1, 1), // shifted, stride 2
		convCase(2, 4, 21, 23, 6, 3, 3, 2, 1, 1, 2), // shifted, stride 2, odd sizes, groups
		convCase(1, 3, 30, 31, 4, 5, 5, 3, 1, 2, 1), // shifted, stride 3
		convCase(1, 2, 33, 35, 3, 4, 4, 2, 3, 1, 1), // shifted, stride 2, dilation 3, even kernel
		// shifted, large enough for the phase-plane fill to run in
		// parallel chunks
		convCase(1, 8, 70, 66, 48, 3, 3, 2, 1, 1, 1),
		convCase(1, 6, 80, 80, 32, 3, 3, 1, 1, 1, 1),
		convCase(1, 3, 9, 9, 5, 1, 1, 2, 1, 0, 1),     // 1x1 stride 2: shifted, row phase 0 only
		convCase(1, 5, 10, 11, 6, 1, 1, 3, 1, 0, 1),   // 1x1 stride 3: im2col
		convCase(1, 32, 40, 40, 20, 3, 3, 2, 1, 1, 1), // K = 288 > kc in column chunks (runCols)
		convCase(2, 16, 48, 48, 12, 3, 3, 2, 1, 1, 1), // phase planes filled by several threads, batch 2
		convCase(3, 40, 1, 1, 24, 1, 1, 1, 1, 0, 1),   // 1x1 image (squeeze-excite): gemv
		convCase(2, 40, 1, 1, 24, 1, 1, 1, 1, 0, 4),   // gemv with groups
		convCase(1, 40, 7, 7, 136, 1, 1, 1, 1, 0, 1),  // small plane: transposed pointwise
		convCase(2, 300, 5, 9, 130, 1, 1, 1, 1, 0, 1), // transposed, K = 300 > kc, batch 2
		convCase(1, 32, 6, 7, 256, 1, 1, 1, 1, 0, 2),  // transposed, groups
		convCase(1, 24, 3, 1, 128, 1, 1, 1, 1, 0, 1),  // transposed, fewer rows than a tile
		convCase(2, 2, 50, 50, 2, 5, 5, 2, 1, 2, 2),
		convCase(1, 2, 33, 35, 2, 4, 4, 2, 3, 1, 2), // even kernel, dilation 3, stride 2
		convCase(1, 4, 9, 9, 8, 3, 3, 1, 1, 1, 4),   // channel multiplier 2: grouped GEMM
		// depthwise planes wide enough to be computed in several strips
		// of output rows (dwGeometry)
		convCase(1, 3, 115, 113, 3, 3, 3, 2, 1, 1, 3),
		convCase(1, 5, 131, 130, 5, 3, 3, 1, 1, 1, 5),
		convCase(1, 3, 61, 150, 3, 5, 5, 2, 1, 2, 3),
		convCase(1, 2, 40, 203, 2, 7, 7, 1, 1, 3, 2),
		convCase(1, 3, 50, 170, 3, 3, 3, 1, 2, 2, 3),
		convCase(1, 2, 60, 200, 2, 3, 3, 3, 1, 1, 2),
		convCase(1, 3, 45, 181, 3, 3, 3, 2, 1, 0, 3),
	}
	// asymmetric padding on a wide depthwise plane (several strips, even
	// left padding at stride 2)
	wideDW := ConvParams{N: 1, C: 3, H: 47, W: 140, M: 3, KH: 3, KW: 3, SH: 2, SW: 2, DH: 1, DW: 1, PadT: 0, PadL: 2, PadB: 2, PadR: 1, Group: 3}
	wideDW.OH, wideDW.OW = OutSize(47, 3, 2, 1, 0, 2), OutSize(140, 3, 2, 1, 2, 1)
	cases = append(cases, wideDW)
	// asymmetric padding, anisotropic stride
	asym := ConvParams{N: 1, C: 3, H: 10, W: 12, M: 4, KH: 3, KW: 2, SH: 2, SW: 1, DH: 1, DW: 2, PadT: 0, PadL: 1, PadB: 2, PadR: 0, Group: 1}
	asym.OH, asym.OW = OutSize(10, 3, 2, 1, 0, 2), OutSize(12, 2, 1, 2, 1, 0)
	cases = append(cases, asym)
	asymDW := asym
	asymDW.M, asymDW.Group = 3, 3
	cases = append(cases, asymDW)

	r := rand.New(rand.NewSource(3))
	seen := map[convKind]int{}
	defer func() {
		for _, k := range []convKind{convGemm, convPointwise, convDepthwise, convShifted, convGemv, convWinograd, convPointwiseT} {
			if seen[k] == 0 {
				t.Errorf("no case takes conv path %d", k)
			}
		}
	}()
	for i, p0 := range cases {
		for ai, a := range []struct {
			act      Act
			res      bool
			after    bool
			noBias   bool
			alpha, b float32
		}{{ActNone, false, false, false, 0, 0}, {ActRelu, true, true, false, 0, 0}, {ActHardSwish, true, false, true, 0, 0}, {ActRelu6, false, false, false, 0, 0}, {ActSiLU, true, true, false, 0, 0}} {
			p := p0
			p.Act, p.ActAfterResidual = a.act, a.after
			name := fmt.Sprintf("%d_%dx%dx%dx%d_m%d_k%dx%d_s%d_d%d_g%d_%v", i, p.N, p.C, p.H, p.W, p.M, p.KH, p.KW, p.SH, p.DH, p.Group, ai)
			t.Run(name, func(t *testing.T) {
				if err := p.Validate(); err != nil {
					t.Fatal(err)
				}
				x, w, bias, res, want := convTestData(r, &p, a.noBias, a.res)
				pk := PackConvWeights(&p, w)
				seen[pk.kind]++
				if pk.Path() == "" {
					t.Errorf("kind %d has no name", pk.kind)
				}
				var first []float32
				for _, th := range threadCounts {
					got := make([]float32, len(want))
					for i := range got {
						got[i] = float32(math.NaN())
					}
					var ws []float32
					if th == 2 {
						// Scratch holding garbage: a kernel must not
						// rely on zeros it did not write.
						ws = make([]float32, WorkspaceSize(&p))
						for i := range ws {
							ws[i] = float32(math.NaN())
						}
					}
					Conv2D(&p, pk, x, bias, res, got, ws, th)
					closeTo(t, fmt.Sprintf("threads=%d", th), got, want, p.C/p.Group*p.KH*p.KW)
					if first == nil {
						first = got
					} else {
						sameBits(t, fmt.Sprintf("threads=%d vs 1", th), got, first)
					}
				}
			})
		}
	}
}

func TestConvValidate(t *testing.T) {
	p := convCase(1, 3, 8, 8, 4, 3, 3, 1, 1, 1, 1)
	p.OH = 7
	if p.Validate() == nil {
		t.Error("wrong OH accepted")
	}
	p = convCase(1, 3, 8, 8, 4, 3, 3, 1, 1, 1, 1)
	p.Group = 2
	if p.Validate() == nil {
		t.Error("group not dividing C accepted")
	}
}

func TestActMatchesRef(t *testing.T) { forEachPath(t, testActMatchesRef) }

func testActMatchesRef(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	v := randSlice(r, 1000)
	for i := range v {
		v[i] *= 8
	}
	v = append(v, 0, -3, 3, 6, -6, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()))
	approx := map[Act]bool{ActSigmoid: true, ActSiLU: true, ActTanh: true, ActGelu: true, ActGeluTanh: true}
	for _, a := range allActs {
		got := append([]float32(nil), v...)
		ApplyAct(got, a.act, a.alpha, a.beta)
		for i, x := range v {
			want := RefAct(x, a.act, a.alpha, a.beta)
			ok := got[i] == want || math.IsNaN(float64(got[i])) && math.IsNaN(float64(want))
			if !ok && approx[a.act] {
				ok = math.Abs(float64(got[i])-float64(want)) <= 2e-6*math.Abs(float64(want))+1e-12
			}
			if !ok {
				t.Errorf("%v(%v) = %v, want %v", a.act, x, got[i], want)
			}
		}
	}
	// Hand-checked values from the ONNX definitions.
	for _, c := range []struct {
		act  Act
		x, y float32
	}{{ActHardSwish, 3, 3}, {ActHardSwish, -3, 0}, {ActHardSwish, 1, 1 * (1.0/6 + 0.5)}, {ActRelu6, 7, 6}, {ActSigmoid, 0, 0.5}, {ActSiLU, 0, 0}, {ActGelu, 0, 0}} {
		if got := RefAct(c.x, c.act, 0, 0); math.Abs(float64(got-c.y)) > 1e-7 {
			t.Errorf("%v(%v) = %v, want %v", c.act, c.x, got, c.y)
		}
	}
}

// TestMicroKernels checks the selected micro-kernels (assembly where the
// CPU allows) against the pure-Go ones on random panels, for every flag
// combination.
func TestMicroKernels(t *testing.T) { forEachPath(t, testMicroKernels) }

func testMicroKernels(t *testing.T) {
	t.Logf("kernel path: %s", KernelPath())
	r := rand.New(rand.NewSource(5))
	for _, k := range []int{0, 1, 3, 17, 256} {
		a, b := randSlice(r, k*mr+1), randSlice(r, k*nr+1)
		bias := randSlice(r, mr)
		c0 := randSlice(r, mr*20)
		c0[3] = float32(math.NaN())
		for flags := 0; flags < 8; flags++ {
			want := append([]float32(nil), c0...)
			got := append([]float32(nil), c0...)
			kernelGo(k, a, b, want, 20, flags, bias, -0.5, 0.7)
			microKernel(k, a, b, got, 20, flags, bias, -0.5, 0.7)
			closeTo(t, fmt.Sprintf("k=%d flags=%d", k, flags), got, want, k)
			// The 8-column kernels compute the first 8 columns with the
			// same operations and leave the others alone.
			got8, want8 := append([]float32(nil), c0...), append([]float32(nil), c0...)
			kernelGo8(k, a, b, want8, 20, flags, bias, -0.5, 0.7)
			microKernel8(k, a, b, got8, 20, flags, bias, -0.5, 0.7)
			for i := 0; i < mr; i++ {
				sameBits(t, "kernelGo8 vs kernelGo", want8[i*20:i*20+8], want[i*20:i*20+8])
				sameBits(t, "microKernel8 vs microKernel", got8[i*20:i*20+8], got[i*20:i*20+8])
				sameBits(t, "microKernel8 past column 8", got8[i*20+8:i*20+20], c0[i*20+8:i*20+20])
			}
		}
	}
	// The wide micro-kernel (where the path has one) computes each output
	// with the operations of microKernel: 2 or 4 microKernel tiles.
	if wideKernel == nil {
		t.Logf("path %s has no wide micro-kernel", KernelPath())
	}
	for _, k := range []int{0, 1, 3, 17, 256} {
		if wideKernel == nil {
			break
		}
		const ldc = 37
		a, b := randSlice(r, 2*k*mr+1), randSlice(r, 2*k*nr+1)
		bias := randSlice(r, 2*mr)
		c0 := randSlice(r, 2*mr*ldc)
		c0[5] = float32(math.NaN())
		for _, tile := range [][2]int{{2 * mr, 2 * nr}, {mr, 2 * nr}} {
			rows, cols := tile[0], tile[1]
			for flags := 0; flags < 8; flags++ {
				want := append([]float32(nil), c0...)
				got := append([]float32(nil), c0...)
				for i := 0; i < rows; i += mr {
					for h := 0; h < cols; h += nr {
						microKernel(k, a[i*k:], b[h*k:], want[i*ldc+h:], ldc, flags, bias[i:], -0.5, 0.7)
					}
				}
				wideKernel(rows, cols, k, a, b, got, ldc, flags, bias, -0.5, 0.7)
				what := fmt.Sprintf("wide %dx%d k=%d flags=%d", rows, cols, k, flags)
				sameBits(t, what+" vs microKernel", got, want)
				ref := append([]float32(nil), c0...)
				for i := 0; i < rows; i += mr {
					for h := 0; h < cols; h += nr {
						kernelGo(k, a[i*k:], b[h*k:], ref[i*ldc+h:], ldc, flags, bias[i:], -0.5, 0.7)
					}
				}
				closeTo(t, what+" vs kernelGo", got, ref, k)
			}
		}
	}
	for _, taps := range []int{1, 9, 25, 49, 70} {
		for _, n := range []int{1, 7, 8, 13, 24, 29, 32, 40, 112} {
			const rows, inStride, outStride = 3, 150, 120
			x, w, offs, want, got := dwPlaneCase(r, taps, n, rows, inStride, outStride)
			dwKernelGo(want, x, offs, w, n, rows, inStride, outStride, 0.25)
			dwKernel(got, x, offs, w, n, rows, inStride, outStride, 0.25)
			closeTo(t, fmt.Sprintf("dw taps=%d n=%d", taps, n), got, want, taps)
		}
	}
}

// dwPlaneCase returns a random depthwise plane problem for the plane
// kernels (see dwKernel): input x (readable up to column roundUp(n, 8)),
// weights, tap offsets in [0, 30), and two outputs filled with 42, which
// must stay untouched past n.
func dwPlaneCase(r *rand.Rand, taps, n, rows, inStride, outStride int) (x, w []float32, offs []int, want, got []float32) {
	offs = make([]int, taps)
	for i := range offs {
		offs[i] = r.Intn(30)
	}
	x = randSlice(r, (rows-1)*inStride+30+roundUp(n, 8))
	w = randSlice(r, taps)
	want, got = make([]float32, rows*outStride), make([]float32, rows*outStride)
	for i := range got {
		want[i], got[i] = 42, 42
	}
	return x, w, offs, want, got
}

// TestConv2DNoAlloc: in steady state Conv2D allocates nothing, on every
// path and with several threads (persistent workers, state kept in the
// PackedConv, pooled scratch).
func TestConv2DNoAlloc(t *testing.T) { forEachPath(t, testConv2DNoAlloc) }

func testConv2DNoAlloc(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on goroutine hand-offs; allocation counts are checked without -race")
	}
	r := rand.New(rand.NewSource(6))
	for _, p := range []ConvParams{
		convCase(1, 16, 12, 12, 20, 1, 1, 1, 1, 0, 1), // pointwise
		convCase(1, 8, 16, 16, 8, 3, 3, 1, 1, 1, 1),   // shifted
		convCase(1, 8, 16, 16, 8, 3, 3, 2, 1, 1, 1),   // shifted, stride 2
		convCase(1, 8, 16, 16, 8, 1, 1, 3, 1, 0, 1),   // im2col
		convCase(2, 16, 48, 48, 8, 3, 3, 2, 1, 1, 1),  // shifted, phase planes filled in parallel
		convCase(1, 8, 70, 66, 48, 3, 3, 2, 1, 1, 1),  // shifted, parallel phase fill
		convCase(1, 8, 16, 16, 8, 3, 3, 2, 1, 1, 8),   // depthwise
		convCase(1, 8, 16, 16, 8, 3, 3, 1, 1, 1, 2),   // groups
		convCase(2, 64, 1, 1, 16, 1, 1, 1, 1, 0, 1),   // gemv
		convCase(1, 48, 7, 7, 128, 1, 1, 1, 1, 0, 1),  // transposed pointwise
	} {
		p.Act = ActRelu
		x := randSlice(r, p.N*p.C*p.H*p.W)
		w := randSlice(r, p.M*p.C/p.Group*p.KH*p.KW)
		bias, y := randSlice(r, p.M), make([]float32, p.N*p.M*p.OH*p.OW)
		res := randSlice(r, len(y))
		pk := PackConvWeights(&p, w)
		ws := make([]float32, WorkspaceSize(&p))
		for _, th := range []int{1, 3} {
			for _, w := range [][]float32{nil, ws} {
				Conv2D(&p, pk, x, bias, res, y, w, th)
				if n := testing.AllocsPerRun(20, func() { Conv2D(&p, pk, x, bias, res, y, w, th) }); n != 0 {
					t.Errorf("%+v threads=%d ws=%v: %v allocations per call", p, th, w != nil, n)
				}
			}
		}
	}
}

// TestGemmPackedBNoAlloc: GemmPackedB allocates nothing in steady state.
func TestGemmPackedBNoAlloc(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on goroutine hand-offs; allocation counts are checked without -race")
	}
	r := rand.New(rand.NewSource(7))
	M, N, K := 3, 100, 300
	A, B, C := randSlice(r, M*K), randSlice(r, N*K), make([]float32, M*N)
	pb := PackB(true, K, N, B, K)
	ep := &Epilogue{Bias: randSlice(r, N), BiasPerCol: true, Act: ActRelu}
	for _, th := range []int{1, 3} {
		GemmPackedB(false, M, 1, A, K, pb, 0, C, N, ep, th)
		if n := testing.AllocsPerRun(20, func() { GemmPackedB(false, M, 1, A, K, pb, 0, C, N, ep, th) }); n != 0 {
			t.Errorf("threads=%d: %v allocations per call", th, n)
		}
	}
}

// TestConv2DRandomShapes checks Conv2D against RefConv2D on random small
// geometries (every path, asymmetric padding, strides and dilations up to
// 3, groups, batch up to 2, random epilogues), each with 1 and 3 threads.
func TestConv2DRandomShapes(t *testing.T) { forEachPath(t, testConv2DRandomShapes) }

func testConv2DRandomShapes(t *testing.T) {
	r := rand.New(rand.NewSource(8))
	acts := []Act{ActNone, ActRelu, ActClip, ActHardSwish, ActLeakyRelu}
	kinds := map[convKind]int{}
	defer func() {
		t.Logf("cases per conv path: %v", kinds)
		if len(kinds) < 5 {
			t.Errorf("random shapes reached only %d of 5 conv paths: %v", len(kinds), kinds)
		}
	}()
	for i := 0; i < 400; i++ {
		g := 1 + r.Intn(3)
		dw := r.Intn(4) == 0
		p := ConvParams{N: 1 + r.Intn(2), C: g * (1 + r.Intn(5)), H: 1 + r.Intn(13), W: 1 + r.Intn(13),
			KH: 1 + r.Intn(5), KW: 1 + r.Intn(5), SH: 1 + r.Intn(3), SW: 1 + r.Intn(3), DH: 1 + r.Intn(3), DW: 1 + r.Intn(3),
			PadT: r.Intn(3), PadL: r.Intn(3), PadB: r.Intn(3), PadR: r.Intn(3), Group: g}
		p.M = g * (1 + r.Intn(6))
		if !dw && r.Intn(4) == 0 { // pointwise, sometimes on a 1x1 image
			p.KH, p.KW, p.SH, p.SW, p.PadT, p.PadL, p.PadB, p.PadR = 1, 1, 1, 1, 0, 0, 0, 0
			if r.Intn(2) == 0 {
				p.H, p.W = 1, 1
			}
		}
		if dw {
			p.C = 2 + r.Intn(6)
			p.Group, p.M = p.C, p.C
		}
		p.OH = OutSize(p.H, p.KH, p.SH, p.DH, p.PadT, p.PadB)
		p.OW = OutSize(p.W, p.KW, p.SW, p.DW, p.PadL, p.PadR)
		if p.OH <= 0 || p.OW <= 0 || p.H+p.PadT+p.PadB < (p.KH-1)*p.DH+1 || p.W+p.PadL+p.PadR < (p.KW-1)*p.DW+1 {
			continue
		}
		p.Act, p.Alpha, p.Beta = acts[r.Intn(len(acts))], -0.5, 0.5
		if p.Act == ActLeakyRelu {
			p.Alpha = 0.1
		}
		p.ActAfterResidual = r.Intn(2) == 0
		if err := p.Validate(); err != nil {
			t.Fatalf("%+v: %v", p, err)
		}
		x := randSlice(r, p.N*p.C*p.H*p.W)
		w := randSlice(r, p.M*p.C/p.Group*p.KH*p.KW)
		var bias, res []float32
		if r.Intn(2) == 0 {
			bias = randSlice(r, p.M)
		}
		if r.Intn(2) == 0 {
			res = randSlice(r, p.N*p.M*p.OH*p.OW)
		}
		want := make([]float32, p.N*p.M*p.OH*p.OW)
		RefConv2D(&p, x, w, bias, res, want)
		pk := PackConvWeights(&p, w)
		kinds[pk.kind]++
		var first []float32
		for _, th := range []int{1, 3} {
			got := make([]float32, len(want))
			Conv2D(&p, pk, x, bias, res, got, nil, th)
			what := fmt.Sprintf("%+v kind=%d threads=%d", p, pk.kind, th)
			closeTo(t, what, got, want, p.C/p.Group*p.KH*p.KW)
			if first == nil {
				first = got
			} else {
				sameBits(t, what, got, first)
			}
		}
		if t.Failed() {
			return
		}
	}
}

// TestFastActAccuracy sweeps the float32 approximations over [-30, 30]
// (and the extremes) against the float64 definitions.
func TestFastActAccuracy(t *testing.T) { forEachPath(t, testFastActAccuracy) }

func testFastActAccuracy(t *testing.T) {
	var xs []float32
	for x := -30.0; x <= 30; x += 0.0009765625 * 3 {
		xs = append(xs, float32(x))
	}
	xs = append(xs, 1e-30, -1e-30, 1e-8, -1e-8, 88, 89, -88, -104, -110, 3e38, -3e38)
	for _, c := range []struct {
		name string
		f    func(float32) float32
		ref  func(float64) float64
	}{
		{"exp", expf, math.Exp},
		{"sigmoid", sigmoidf, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }},
		{"tanh", tanhf, math.Tanh},
		{"gelu", geluf, func(x float64) float64 { return 0.5 * x * math.Erfc(-x/math.Sqrt2) }},
		{"gelu_applyact", nil, func(x float64) float64 { return 0.5 * x * math.Erfc(-x/math.Sqrt2) }},
		{"sigmoid_applyact", nil, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }},
		{"silu_applyact", nil, func(x float64) float64 { return x / (1 + math.Exp(-x)) }},
		{"gelu_tanh", geluTanhf, func(x float64) float64 {
			return x / (1 + math.Exp(-2*math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
		}},
	} {
		worst, at := 0.0, float32(0)
		f := c.f
		if f == nil { // ApplyAct (vectorized) on whole slices
			act := map[string]Act{"gelu_applyact": ActGelu, "sigmoid_applyact": ActSigmoid, "silu_applyact": ActSiLU}[c.name]
			vec := append([]float32(nil), xs...)
			ApplyAct(vec, act, 0, 0)
			res := map[float32]float32{}
			for i, x := range xs {
				res[x] = vec[i]
			}
			f = func(x float32) float32 {
				if x != x {
					v := []float32{x, x, x, x, x, x, x, x}
					ApplyAct(v, act, 0, 0)
					return v[0]
				}
				return res[x]
			}
		}
		for _, x := range xs {
			want := c.ref(float64(x))
			if math.Abs(want) > math.MaxFloat32 {
				want = math.Inf(int(math.Copysign(1, want)))
			}
			got := float64(f(x))
			if math.IsInf(want, 0) && got == want {
				continue
			}
			if math.Abs(want) < 1e-30 { // tiny results: absolute
				if math.Abs(got-want) > 1e-35 {
					t.Errorf("%s(%v) = %v, want %v", c.name, x, got, want)
				}
				continue
			}
			if e := math.Abs(got-want) / math.Abs(want); e > worst {
				worst, at = e, x
			}
		}
		t.Logf("%s: worst relative error %.2g at %v", c.name, worst, at)
		if worst > 2e-6 {
			t.Errorf("%s: relative error %.2g at %v exceeds 2e-6", c.name, worst, at)
		}
		if got := f(float32(math.NaN())); got == got {
			t.Errorf("%s(NaN) = %v", c.name, got)
		}
	}
}

// TestCopyRows: the vectorized row copy writes exactly the rows' n floats.
func TestCopyRows(t *testing.T) { forEachPath(t, testCopyRows) }

func testCopyRows(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	for _, n := range []int{1, 7, 8, 9, 16, 23, 56} {
		for _, rows := range []int{1, 3} {
			src := randSlice(r, rows*(n+5))
			dst := make([]float32, rows*(n+11))
			for i := range dst {
				dst[i] = 42
			}
			copyRows(dst, n+11, src, n+5, rows, n)
			for i := 0; i < rows; i++ {
				sameBits(t, fmt.Sprintf("n=%d row %d", n, i), dst[i*(n+11):i*(n+11)+n], src[i*(n+5):i*(n+5)+n])
				for j := n; j < n+11; j++ {
					if dst[i*(n+11)+j] != 42 {
						t.Fatalf("n=%d: wrote past the row at %d", n, j)
					}
				}
			}
		}
	}
}
