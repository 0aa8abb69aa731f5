package kernels

import (
	"fmt"
	"math"
	"math/rand"
	"os"
	"runtime"
	"strconv"
	"testing"
)

// withWinograd runs f with the Winograd policy forced to v.
func withWinograd(v int, f func()) {
	old := winogradPolicy
	winogradPolicy = v
	defer func() { winogradPolicy = old }()
	f()
}

// refConv64 is the convolution without epilogue in float64, plus, per
// output, the magnitude sum S = Σ|x·w| over its receptive field (the scale
// of any summation's rounding error).
func refConv64(p *ConvParams, x, w []float32) (y, s []float64) {
	y = make([]float64, p.N*p.M*p.OH*p.OW)
	s = make([]float64, len(y))
	cg, mg := p.C/p.Group, p.M/p.Group
	for n := 0; n < p.N; n++ {
		for m := 0; m < p.M; m++ {
			g := m / mg
			for oh := 0; oh < p.OH; oh++ {
				for ow := 0; ow < p.OW; ow++ {
					var a, b float64
					for c := 0; c < cg; c++ {
						for kh := 0; kh < p.KH; kh++ {
							ih := oh*p.SH - p.PadT + kh*p.DH
							if ih < 0 || ih >= p.H {
								continue
							}
							for kw := 0; kw < p.KW; kw++ {
								iw := ow*p.SW - p.PadL + kw*p.DW
								if iw < 0 || iw >= p.W {
									continue
								}
								v := float64(x[((n*p.C+g*cg+c)*p.H+ih)*p.W+iw]) * float64(w[((m*cg+c)*p.KH+kh)*p.KW+kw])
								a += v
								b += math.Abs(v)
							}
						}
					}
					o := ((n*p.M+m)*p.OH+oh)*p.OW + ow
					y[o], s[o] = a, b
				}
			}
		}
	}
	return y, s
}

var winoMaxSeen float64

// winoClose checks got against the float32 reference want with the
// Winograd error bound, scaled per element by S (refConv64) and the
// epilogue's own magnitude.
func winoClose(t *testing.T, what string, got, want []float32, s []float64, k int) {
	t.Helper()
	tol := winogradErrorBound(k)
	bad := 0
	for i := range want {
		g, w := float64(got[i]), float64(want[i])
		if s[i] > 0 && math.Abs(g-w)/s[i] > winoMaxSeen {
			winoMaxSeen = math.Abs(g-w) / s[i]
		}
		lim := tol*s[i] + 1e-6*math.Abs(w) + 1e-30
		if math.IsNaN(g) || math.Abs(g-w) > lim {
			if bad < 5 {
				t.Errorf("%s: element %d = %v, reference %v (limit %g)", what, i, got[i], want[i], lim)
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d elements beyond the Winograd bound", what, bad, len(want))
	}
}

// TestWinogradTransformsMatchDefinition checks winoIn1/winoOut1 and the
// weight transform against the matrices B^T, A^T, G of Lavin & Gray
// (arXiv 1509.09308, section 4.2), written out here independently, by
// checking that F(4,3) computes a 1-D correlation exactly (in float64).
func TestWinogradTransformsMatchDefinition(t *testing.T) {
	BT := [6][6]float64{
		{4, 0, -5, 0, 1, 0},
		{0, -4, -4, 1, 1, 0},
		{0, 4, -4, -1, 1, 0},
		{0, -2, -1, 2, 1, 0},
		{0, 2, -1, -2, 1, 0},
		{0, 4, 0, -5, 0, 1},
	}
	AT := [4][6]float64{
		{1, 1, 1, 1, 1, 0},
		{0, 1, -1, 2, -2, 0},
		{0, 1, 1, 4, 4, 0},
		{0, 1, -1, 8, -8, 1},
	}
	d := []float32{0.5, -1, 2, 0.25, 3, -0.75}
	t0, t1, t2, t3, t4, t5 := winoIn1(d[0], d[1], d[2], d[3], d[4], d[5])
	got := []float32{t0, t1, t2, t3, t4, t5}
	for i := range BT {
		var want float64
		for k := range BT[i] {
			want += BT[i][k] * float64(d[k])
		}
		if float64(got[i]) != want {
			t.Errorf("B^T d [%d] = %v, want %v", i, got[i], want)
		}
	}
	o0, o1, o2, o3 := winoOut1(d[0], d[1], d[2], d[3], d[4], d[5])
	gotO := []float32{o0, o1, o2, o3}
	for i := range AT {
		var want float64
		for k := range AT[i] {
			want += AT[i][k] * float64(d[k])
		}
		if float64(gotO[i]) != want {
			t.Errorf("A^T m [%d] = %v, want %v", i, gotO[i], want)
		}
	}
	// 2-D: Y = A^T [(G g G^T) ⊙ (B^T d B)] A equals the 4x4 correlation.
	r := rand.New(rand.NewSource(1))
	g := randSlice(r, 9)
	x := randSlice(r, 36)
	u := winoTransformKernel(winoG[:], g)
	var v, mm [6][6]float64
	for i := 0; i < 6; i++ {
		for j := 0; j < 6; j++ {
			for k := 0; k < 6; k++ {
				for l := 0; l < 6; l++ {
					v[i][j] += BT[i][k] * float64(x[k*6+l]) * BT[j][l]
				}
			}
			mm[i][j] = u[i*6+j] * v[i][j]
		}
	}
	for a := 0; a < 4; a++ {
		for b := 0; b < 4; b++ {
			var y, want float64
			for i := 0; i < 6; i++ {
				for j := 0; j < 6; j++ {
					y += AT[a][i] * mm[i][j] * AT[b][j]
				}
			}
			for kh := 0; kh < 3; kh++ {
				for kw := 0; kw < 3; kw++ {
					want += float64(x[(a+kh)*6+b+kw]) * float64(g[kh*3+kw])
				}
			}
			if math.Abs(y-want) > 1e-12 {
				t.Errorf("output (%d,%d) = %v, correlation %v", a, b, y, want)
			}
		}
	}
}

// TestWinogradF2MatchesDefinition: F(2x2, 3x3) with B^T, G, A^T of Lavin
// & Gray (section 4.1) written out here computes the 2x2 correlation, and
// the package's 1-D transforms and G agree with them.
func TestWinogradF2MatchesDefinition(t *testing.T) {
	BT := [4][4]float64{{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}}
	G := [4][3]float64{{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}}
	AT := [2][4]float64{{1, 1, 1, 0}, {0, 1, -1, -1}}
	d := []float32{0.5, -1, 2, 0.25}
	t0, t1, t2, t3 := winoIn1F2(d[0], d[1], d[2], d[3])
	for i, got := range []float32{t0, t1, t2, t3} {
		var want float64
		for k := range BT[i] {
			want += BT[i][k] * float64(d[k])
		}
		if float64(got) != want {
			t.Errorf("B^T d [%d] = %v, want %v", i, got, want)
		}
	}
	o0, o1 := winoOut1F2(d[0], d[1], d[2], d[3])
	for i, got := range []float32{o0, o1} {
		var want float64
		for k := range AT[i] {
			want += AT[i][k] * float64(d[k])
		}
		if float64(got) != want {
			t.Errorf("A^T m [%d] = %v, want %v", i, got, want)
		}
	}
	r := rand.New(rand.NewSource(1))
	g, x := randSlice(r, 9), randSlice(r, 16)
	u := winoTransformKernel(winoG2[:], g)
	for i := 0; i < 4; i++ { // G as used by the package
		for j := 0; j < 3; j++ {
			if winoG2[i][j] != G[i][j] {
				t.Fatalf("G[%d][%d] = %v, want %v", i, j, winoG2[i][j], G[i][j])
			}
		}
	}
	var m [4][4]float64
	for i := 0; i < 4; i++ {
		for j := 0; j < 4; j++ {
			var v float64
			for k := 0; k < 4; k++ {
				for l := 0; l < 4; l++ {
					v += BT[i][k] * float64(x[k*4+l]) * BT[j][l]
				}
			}
			m[i][j] = u[i*4+j] * v
		}
	}
	for a := 0; a < 2; a++ {
		for b := 0; b < 2; b++ {
			var y, want float64
			for i := 0; i < 4; i++ {
				for j := 0; j < 4; j++ {
					y += AT[a][i] * m[i][j] * AT[b][j]
				}
			}
			for kh := 0; kh < 3; kh++ {
				for kw := 0; kw < 3; kw++ {
					want += float64(x[(a+kh)*4+b+kw]) * float64(g[kh*3+kw])
				}
			}
			if math.Abs(y-want) > 1e-12 {
				t.Errorf("output (%d,%d) = %v, correlation %v", a, b, y, want)
			}
		}
	}
}

// winoSlotOrder returns the position of slot l in the vector order of the
// transforms in use (the assembly permutes 8 slots).
func winoSlotOrder() [8]int {
	src := make([]float32, 6*64)
	for l := 0; l < 8; l++ {
		src[4*l+2] = float32(l + 1) // d[0][2] of slot l (no other slot reads it); all else 0
	}
	dst := make([]float32, 36*8)
	winoIn8(src, src, 64, dst, 8, make([]float32, 36*8))
	var ord [8]int
	for pos := 0; pos < 8; pos++ {
		// V[0][0] = B^T[0][0] B^T[0][2] d[0][2] = -20 d[0][2]
		ord[int(math.Round(float64(dst[pos]/-20)))-1] = pos
	}
	return ord
}

// TestWinogradKernelsMatchGo compares the transforms in use (assembly
// where the CPU allows) with the Go ones, slot order accounted for.
func TestWinogradKernelsMatchGo(t *testing.T) {
	t.Logf("kernel path: %s", KernelPath())
	ord := winoSlotOrder()
	seen := map[int]bool{}
	for _, p := range ord {
		seen[p] = true
	}
	if len(seen) != 8 {
		t.Fatalf("slot order %v is not a permutation", ord)
	}
	r := rand.New(rand.NewSource(2))
	const ld, dstride = 45, 11
	src, src2 := randSlice(r, 6*ld), randSlice(r, 6*ld)
	a, b := make([]float32, 36*dstride), make([]float32, 36*dstride)
	tmp := make([]float32, 36*8)
	winoIn8(src, src2, ld, a, dstride, tmp)
	winoIn8Go(src, src2, ld, b, dstride, tmp)
	for xi := 0; xi < 36; xi++ {
		for l := 0; l < 8; l++ {
			g, w := a[xi*dstride+ord[l]], b[xi*dstride+l]
			if math.Abs(float64(g-w)) > 1e-5*(1+math.Abs(float64(w))) {
				t.Errorf("input transform ξ=%d slot %d: %v, Go %v", xi, l, g, w)
			}
		}
	}
	// Output: Go reads slots in natural order, the kernel in ord.
	m := randSlice(r, 36*dstride)
	mp := permuteSlots(m, 36, dstride, ord[:])
	const od = 37
	for _, cl := range []bool{false, true} {
		oa, ob := make([]float32, 4*od), make([]float32, 4*od)
		winoOut8(mp, dstride, oa, od, 0.25, cl, -0.5, 0.75, tmp)
		winoOut8Go(m, dstride, ob, od, 0.25, cl, -0.5, 0.75, tmp)
		for i := range oa {
			if math.Abs(float64(oa[i]-ob[i])) > 1e-5*(1+math.Abs(float64(ob[i]))) {
				t.Errorf("output transform clamp=%v element %d: %v, Go %v", cl, i, oa[i], ob[i])
			}
		}
	}
}

// TestWinogradF2KernelsMatchGo checks the F(2x2, 3x3) transforms of the
// current kernel path against the Go ones bit for bit (the assembly does
// the same operations in the same order), with its slot order
// 0,1,4,5,2,3,6,7 on amd64 (the identity in Go).
func TestWinogradF2KernelsMatchGo(t *testing.T) { forEachPath(t, testWinogradF2KernelsMatchGo) }

func testWinogradF2KernelsMatchGo(t *testing.T) {
	ord := [8]int{0, 1, 2, 3, 4, 5, 6, 7}
	if KernelPath() != PathPurego {
		ord = [8]int{0, 1, 4, 5, 2, 3, 6, 7}
	}
	r := rand.New(rand.NewSource(3))
	const ld, dstride = 23, 13
	src, src2 := randSlice(r, 4*ld), randSlice(r, 4*ld)
	a, b := make([]float32, 16*dstride), make([]float32, 16*dstride)
	tmp := make([]float32, winoN*8)
	winoIn8F2(src, src2, ld, a, dstride, tmp)
	winoIn8F2Go(src, src2, ld, b, dstride, tmp)
	for xi := 0; xi < 16; xi++ {
		for l := 0; l < 8; l++ {
			if g, w := a[xi*dstride+ord[l]], b[xi*dstride+l]; math.Float32bits(g) != math.Float32bits(w) {
				t.Errorf("input transform ξ=%d slot %d: %v, Go %v", xi, l, g, w)
			}
		}
	}
	m := randSlice(r, 16*dstride)
	mp := permuteSlots(m, 16, dstride, ord[:])
	const od = 19
	for _, cl := range []bool{false, true} {
		oa, ob := make([]float32, 2*od), make([]float32, 2*od)
		winoOut8F2(mp, dstride, oa, od, 0.25, cl, -0.5, 0.75, tmp)
		winoOut8F2Go(m, dstride, ob, od, 0.25, cl, -0.5, 0.75, tmp)
		for i := range oa {
			if math.Float32bits(oa[i]) != math.Float32bits(ob[i]) {
				t.Errorf("output transform clamp=%v element %d: %v, Go %v", cl, i, oa[i], ob[i])
			}
		}
	}
}

// TestWinogradConv checks the Winograd path against RefConv2D on fixed
// geometries (odd sizes, padding 0-2, channel counts off the panel sizes,
// C above kc, several blocks) with every epilogue, and every thread count
// giving the same bits.
func TestWinogradConv(t *testing.T) {
	for _, pol := range []int{1, 2} {
		t.Run(map[int]string{1: "F4", 2: "F2"}[pol], func(t *testing.T) { testWinogradConv(t, pol) })
	}
}

func testWinogradConv(t *testing.T, pol int) {
	withWinograd(pol, func() {
		cases := []ConvParams{
			convCase(1, 3, 11, 13, 5, 3, 3, 1, 1, 1, 1),
			convCase(2, 4, 9, 7, 6, 3, 3, 1, 1, 1, 1),
			convCase(1, 17, 23, 19, 13, 3, 3, 1, 1, 1, 1),
			convCase(1, 8, 10, 10, 8, 3, 3, 1, 1, 0, 1),
			convCase(1, 5, 12, 9, 7, 3, 3, 1, 1, 2, 1),
			convCase(1, 300, 9, 9, 20, 3, 3, 1, 1, 1, 1), // C > kc
			convCase(1, 24, 1, 1, 10, 3, 3, 1, 1, 1, 1),
			convCase(1, 16, 3, 40, 9, 3, 3, 1, 1, 1, 1),
			convCase(1, 9, 60, 37, 11, 3, 3, 1, 1, 1, 1), // many blocks
			convCase(2, 12, 13, 11, 8, 3, 3, 1, 1, 1, 2), // groups
			convCase(1, 36, 9, 10, 24, 3, 3, 1, 1, 1, 3),
		}
		asym := ConvParams{N: 1, C: 6, H: 13, W: 15, M: 7, KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1, PadT: 0, PadL: 2, PadB: 1, PadR: 0, Group: 1}
		asym.OH, asym.OW = OutSize(13, 3, 1, 1, 0, 1), OutSize(15, 3, 1, 1, 2, 0)
		cases = append(cases, asym)
		r := rand.New(rand.NewSource(3))
		for i, p0 := range cases {
			for ai, a := range []struct {
				act    Act
				res    bool
				after  bool
				noBias bool
			}{{ActNone, false, false, false}, {ActRelu, true, true, false}, {ActHardSwish, true, false, true}, {ActRelu6, false, false, false}, {ActSiLU, true, true, false}, {ActRelu, true, false, false}} {
				p := p0
				p.Act, p.ActAfterResidual = a.act, a.after
				t.Run(fmt.Sprintf("%d_%dx%dx%dx%d_m%d_pad%d_%d_%v", i, p.N, p.C, p.H, p.W, p.M, p.PadT, p.PadL, ai), func(t *testing.T) {
					checkWinograd(t, r, p, a.noBias, a.res, []int{1, 2, 3, 4})
				})
			}
		}
	})
}

func checkWinograd(t *testing.T, r *rand.Rand, p ConvParams, noBias, withRes bool, threads []int) {
	t.Helper()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	x := randSlice(r, p.N*p.C*p.H*p.W)
	w := randSlice(r, p.M*p.C/p.Group*9)
	bias := randSlice(r, p.M)
	if noBias {
		bias = nil
	}
	var res []float32
	if withRes {
		res = randSlice(r, p.N*p.M*p.OH*p.OW)
	}
	want := make([]float32, p.N*p.M*p.OH*p.OW)
	RefConv2D(&p, x, w, bias, res, want)
	_, s := refConv64(&p, x, w)
	pk := PackConvWeights(&p, w)
	if want := map[int]string{1: "winograd", 2: "winograd-f2"}[winogradPolicy]; pk.Path() != want {
		t.Fatalf("path %s, want %s", pk.Path(), want)
	}
	var first []float32
	for _, th := range threads {
		got := make([]float32, len(want))
		for i := range got {
			got[i] = float32(math.NaN())
		}
		var ws []float32
		if th == 2 {
			ws = make([]float32, WorkspaceSize(&p))
		}
		Conv2D(&p, pk, x, bias, res, got, ws, th)
		winoClose(t, fmt.Sprintf("threads=%d", th), got, want, s, p.C/p.Group*9)
		if first == nil {
			first = got
		} else {
			sameBits(t, fmt.Sprintf("threads=%d vs %d", th, threads[0]), got, first)
		}
	}
}

// TestWinogradRandomShapes: random geometries (groups, asymmetric
// padding, channel counts off the panel sizes) and epilogues.
func TestWinogradRandomShapes(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	acts := []Act{ActNone, ActRelu, ActClip, ActHardSwish, ActLeakyRelu}
	for i := 0; i < 80; i++ {
		g := 1 + r.Intn(3)
		p := ConvParams{N: 1 + r.Intn(2), C: g * (1 + r.Intn(20)), H: 1 + r.Intn(30), W: 1 + r.Intn(30), M: g * (1 + r.Intn(20)),
			KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1,
			PadT: r.Intn(3), PadL: r.Intn(3), PadB: r.Intn(3), PadR: r.Intn(3), Group: g}
		p.OH = OutSize(p.H, 3, 1, 1, p.PadT, p.PadB)
		p.OW = OutSize(p.W, 3, 1, 1, p.PadL, p.PadR)
		if p.isDepthwise() || p.OH <= 0 || p.OW <= 0 {
			continue
		}
		p.Act, p.Alpha, p.Beta = acts[r.Intn(len(acts))], -0.5, 0.5
		if p.Act == ActLeakyRelu {
			p.Alpha = 0.1
		}
		p.ActAfterResidual = r.Intn(2) == 0
		withWinograd(1+i%2, func() { // F(4x4) and F(2x2) in turn
			checkWinograd(t, r, p, r.Intn(2) == 0, r.Intn(2) == 0, []int{1, 3})
		})
		if t.Failed() {
			t.Fatalf("case %+v (policy %d)", p, 1+i%2)
		}
	}
}

// TestWinogradNoAlloc: steady-state calls allocate nothing.
func TestWinogradNoAlloc(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on goroutine hand-offs; allocation counts are checked without -race")
	}
	r := rand.New(rand.NewSource(6))
	withWinograd(1, func() {
		p := convCase(1, 16, 30, 30, 20, 3, 3, 1, 1, 1, 1)
		p.Act = ActSiLU
		x := randSlice(r, p.N*p.C*p.H*p.W)
		w := randSlice(r, p.M*p.C*9)
		bias, y := randSlice(r, p.M), make([]float32, p.N*p.M*p.OH*p.OW)
		res := randSlice(r, len(y))
		pk := PackConvWeights(&p, w)
		ws := make([]float32, WorkspaceSize(&p))
		for _, th := range []int{1, 3} {
			for _, w := range [][]float32{nil, ws} {
				Conv2D(&p, pk, x, bias, res, y, w, th)
				if n := testing.AllocsPerRun(20, func() { Conv2D(&p, pk, x, bias, res, y, w, th) }); n != 0 {
					t.Errorf("threads=%d ws=%v: %v allocations per call", th, w != nil, n)
				}
			}
		}
	})
}

// winoBenchConvs are the 3x3 stride-1 dense layers of the target networks
// (batch 1, 224x224 input).
var winoBenchConvs = []struct {
	name string
	p    ConvParams
}{
	{"RepVGGA0_56x56_48to48", convCase(1, 48, 56, 56, 48, 3, 3, 1, 1, 1, 1)},
	{"RepVGGA0_28x28_96to96", convCase(1, 96, 28, 28, 96, 3, 3, 1, 1, 1, 1)},
	{"RepVGGA0_14x14_192to192", convCase(1, 192, 14, 14, 192, 3, 3, 1, 1, 1, 1)},
	{"ResNet18_56x56_64to64", convCase(1, 64, 56, 56, 64, 3, 3, 1, 1, 1, 1)},
	{"ResNet18_28x28_128to128", convCase(1, 128, 28, 28, 128, 3, 3, 1, 1, 1, 1)},
	{"ResNet18_14x14_256to256", convCase(1, 256, 14, 14, 256, 3, 3, 1, 1, 1, 1)},
	{"ResNet18_7x7_512to512", convCase(1, 512, 7, 7, 512, 3, 3, 1, 1, 1, 1)},
	{"HGNetV2B0_56x56_16to16", convCase(1, 16, 56, 56, 16, 3, 3, 1, 1, 1, 1)},
	{"HGNetV2B0_28x28_64to32", convCase(1, 64, 28, 28, 32, 3, 3, 1, 1, 1, 1)},
	{"HGNetV2B0_28x28_32to32", convCase(1, 32, 28, 28, 32, 3, 3, 1, 1, 1, 1)},
	{"HGNetV2B0_112x112_16to16", convCase(1, 16, 112, 112, 16, 3, 3, 1, 1, 1, 1)},
	// near the rule's edges
	{"edge_56x56_8to8", convCase(1, 8, 56, 56, 8, 3, 3, 1, 1, 1, 1)},
	{"edge_56x56_8to32", convCase(1, 8, 56, 56, 32, 3, 3, 1, 1, 1, 1)},
	{"edge_28x28_16to16", convCase(1, 16, 28, 28, 16, 3, 3, 1, 1, 1, 1)},
	{"edge_14x14_32to32", convCase(1, 32, 14, 14, 32, 3, 3, 1, 1, 1, 1)},
	{"edge_12x12_128to128", convCase(1, 128, 12, 12, 128, 3, 3, 1, 1, 1, 1)},
	{"edge_10x10_64to64", convCase(1, 64, 10, 10, 64, 3, 3, 1, 1, 1, 1)},
	{"edge_7x7_64to64", convCase(1, 64, 7, 7, 64, 3, 3, 1, 1, 1, 1)},
	{"edge_7x7_160to160", convCase(1, 160, 7, 7, 160, 3, 3, 1, 1, 1, 1)},
}

// BenchmarkWinograd compares the direct paths with Winograd on the 3x3
// stride-1 layers (GFLOP/s counted as the direct convolution's, so the
// figures compare times).
func BenchmarkWinograd(b *testing.B) {
	if v := os.Getenv("WINO_SLOTS"); v != "" {
		winoSlotsOverride, _ = strconv.Atoi(v)
		defer func() { winoSlotsOverride = 0 }()
	}
	for _, c := range winoBenchConvs {
		for _, pol := range []int{-1, 1, 2} {
			name := map[int]string{-1: "direct", 1: "winograd", 2: "winograd-f2"}[pol]
			b.Run(c.name+"/"+name, func(b *testing.B) {
				p := c.p
				p.Act = ActRelu
				r := rand.New(rand.NewSource(1))
				x := randSlice(r, p.N*p.C*p.H*p.W)
				w := randSlice(r, p.M*p.C*9)
				bias := randSlice(r, p.M)
				y := make([]float32, p.N*p.M*p.OH*p.OW)
				var pk *PackedConv
				var ws []float32
				withWinograd(pol, func() {
					pk = PackConvWeights(&p, w)
					ws = make([]float32, WorkspaceSize(&p))
				})
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				Conv2D(&p, pk, x, bias, nil, y, ws, 1)
				b.ResetTimer()
				start := threadCPU()
				for b.Loop() {
					Conv2D(&p, pk, x, bias, nil, y, ws, 1)
				}
				report(b, p.FLOPs(), 1, start)
			})
		}
	}
}

// TestWinogradRule: the rule picks Winograd on the layers where it was
// measured faster (README) and is monotone in the output channels, which
// the engine's per-thread output-channel chunks rely on.
func TestWinogradRule(t *testing.T) {
	for _, c := range []struct {
		cin, cout, h int
		want         bool
	}{
		{48, 48, 56, true}, {96, 96, 28, true}, {192, 192, 14, true},
		{64, 64, 56, true}, {128, 128, 28, true}, {256, 256, 14, true},
		{512, 512, 7, false}, // F(4x4): weights streamed per block dominate: F(2x2)
		{16, 16, 112, true}, {16, 16, 56, true}, {16, 16, 28, true}, {8, 8, 56, true}, {8, 8, 28, false}, {4, 64, 56, false},
		{64, 32, 28, true}, {32, 32, 28, true},
	} {
		if got := winogradRule(c.cin, c.cout, c.h, c.h) == winoF4; got != c.want {
			t.Errorf("rule(%d->%d, %dx%d) = %v, want %v", c.cin, c.cout, c.h, c.h, got, c.want)
		}
	}
	if v := winogradRule(512, 512, 7, 7); v != winoF2 {
		t.Errorf("rule(512->512, 7x7) = %v, want F(2x2)", v)
	}
	for cin := 1; cin < 600; cin += 7 {
		for h := 1; h < 70; h += 3 {
			var prev *winoVariant
			for cout := 1; cout < 600; cout += 5 {
				got := winogradRule(cin, cout, h, h+1)
				if prev != nil && got != prev {
					t.Fatalf("rule not monotone in cout (or the variant changes) at cin=%d h=%d cout=%d", cin, h, cout)
				}
				prev = got
			}
		}
	}
}

// BenchmarkWinogradTransforms times the input and output transforms of 8
// tiles on L1-resident data (thread CPU ns per call).
func BenchmarkWinogradTransforms(b *testing.B) {
	r := rand.New(rand.NewSource(1))
	const ld, stride = 72, 64
	src, src2 := randSlice(r, 6*ld), randSlice(r, 6*ld)
	v, out, tmp := make([]float32, 36*stride), make([]float32, 4*ld), make([]float32, 36*8)
	b.Run("in8", func(b *testing.B) {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		start := threadCPU()
		for b.Loop() {
			winoIn8(src, src2, ld, v, stride, tmp)
		}
		b.ReportMetric(float64(threadCPU()-start)/float64(b.N), "cpu-ns/op")
	})
	b.Run("out8", func(b *testing.B) {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		start := threadCPU()
		for b.Loop() {
			winoOut8(v, stride, out, ld, 0.5, true, 0, 6, tmp)
		}
		b.ReportMetric(float64(threadCPU()-start)/float64(b.N), "cpu-ns/op")
	})
}

// permuteSlots returns m (points matrices of 8 slots, dstride apart) with
// slot l of each moved to lane ord[l]: the layout an assembly output
// transform with that slot order reads.
func permuteSlots(m []float32, points, dstride int, ord []int) []float32 {
	mp := make([]float32, len(m))
	for xi := 0; xi < points; xi++ {
		for l := 0; l < 8; l++ {
			mp[xi*dstride+ord[l]] = m[xi*dstride+l]
		}
	}
	return mp
}
