package kernels

// Winograd F(4x4, 3x3) convolution (Lavin & Gray, arXiv 1509.09308) for
// 3x3 convolutions with stride 1 and dilation 1 (dense or grouped, not
// depthwise; per group), and F(2x2, 3x3) (2x2 tiles from 4x4 input tiles,
// 16 GEMMs) for small images with many channels. F(4x4)
// is described here; F(2x2) is the same with t = 2 (winoVariant).
//
// The output is cut into 4x4 tiles, each computed from a 6x6 input tile d
// as Y = A^T [U ⊙ V] A with V = B^T d B and U = G g G^T (g the 3x3 kernel
// of one output/input channel pair). Summed over input channels, the 36
// elements ξ of the product are 36 independent GEMMs
//
//	M[ξ] (Cout x tiles) = U[ξ] (Cout x Cin) · V[ξ] (Cin x tiles),
//
// 36 multiplies per tile and channel pair instead of 144: a quarter of
// the direct convolution's multiply-adds, plus the transforms.
//
// Layout. Tiles are numbered row by row (slot t = ty*TW + tx) and
// processed in blocks of winoBlockSlots (whole micro-kernel panels), each
// block by one thread start to end:
//
//  1. per input channel, the block's tile rows are copied, zero padded,
//     side by side into two 6 x (4*slots+8) strips: strip A holds columns
//     0-3 of slot s at 4s..4s+3, strip B its columns 4-5 at 4s+4..4s+5
//     (the columns a tile shares with its right neighbour; in A they would
//     collide with the next tile row's first tile);
//  2. the input transform (winoIn8, 8 slots at a time) writes V[ξ] straight
//     into the packed right-operand layout of the GEMM (PackedB);
//  3. 36 GEMMs with the weights U[ξ], transformed and packed once at plan
//     time (PackedA), through the package's GEMM (gemmJob, so whichever
//     micro-kernel the package chose);
//  4. per output channel, the output transform (winoOut8) adds the bias
//     (and applies a clamp activation) into a 4-row strip, from which the
//     tiles' rows are copied into y; other activations and the residual
//     are applied to those rows.
//
// The assembly transforms order the 8 slots of a vector as 0,2,4,6,1,3,5,7
// (what an in-lane 4x4 transpose of 32 consecutive floats gives; for
// F(2x2) 0,1,4,5,2,3,6,7, what an even/odd VSHUFPS split of 16 floats
// gives); the input and output transforms of one build always agree, and
// the GEMM treats columns independently, so the order never shows.
//
// Determinism: the block partition does not depend on the thread count
// (threads take whole blocks, or, with fewer blocks than threads, each
// phase of a block is split over channels, GEMMs and output channels), so
// every output is computed by the same operations for every thread count.
//
// Accuracy: see winogradErrorBound and the package README.

const (
	winoT = 4             // output tile side of F(4x4, 3x3)
	winoA = winoT + 2     // its input tile side
	winoN = winoA * winoA // its transform points ξ
)

// winoVariant is one Winograd algorithm F(t x t, 3x3): F(4x4, 3x3), or
// F(2x2, 3x3) for small images with many channels,
// where F(4x4)'s transformed weights would be streamed for too few tiles.
type winoVariant struct {
	t, a, n int          // output tile side, input tile side t+2, points a*a
	g       [][3]float64 // G, a x 3
	name    string       // PackedConv.Path
}

var (
	winoF4 = &winoVariant{t: 4, a: 6, n: 36, g: winoG[:], name: "winograd"}
	winoF2 = &winoVariant{t: 2, a: 4, n: 16, g: winoG2[:], name: "winograd-f2"}
)

// in8 is the variant's input transform of 8 slots (see winoIn8).
func (vr *winoVariant) in8(src, src2 []float32, ld int, dst []float32, dstride int, tmp []float32) {
	if vr.t == 2 {
		winoIn8F2(src, src2, ld, dst, dstride, tmp)
		return
	}
	winoIn8(src, src2, ld, dst, dstride, tmp)
}

// out8 is the variant's output transform of 8 slots (see winoOut8).
func (vr *winoVariant) out8(src []float32, sstride int, dst []float32, ld int, bias float32, clampOn bool, lo, hi float32, tmp []float32) {
	if vr.t == 2 {
		winoOut8F2(src, sstride, dst, ld, bias, clampOn, lo, hi, tmp)
		return
	}
	winoOut8(src, sstride, dst, ld, bias, clampOn, lo, hi, tmp)
}

// winoBlockSlots is the number of tile slots per block (a multiple of 16,
// the GEMM panel width): chosen by measurement, see the README.
func winoBlockSlots(p *ConvParams, vr *winoVariant) int {
	if winoSlotsOverride > 0 {
		return winoSlotsOverride
	}
	// The transformed input of a block (n*C*slots floats, n = 36 or 16)
	// and the GEMM results (n*M*slots) should stay in L2 (1-2 MiB) while
	// the weights U (n*M*C floats) are streamed once per block.
	n := 64
	for n > 16 && vr.n*(p.C+p.M)*n*4 > 1<<20 {
		n -= 16
	}
	return n
}

// winoGeom is the tiling of a Winograd convolution.
type winoGeom struct {
	th, tw int // tile rows and columns
	slots  int // th*tw
	nt     int // slots per block
	blocks int
	step   int // slots per block but the last: a multiple of nr
	inW    int // input strip row length: 4*nt + 8
	npad   int // GEMM columns per block, rounded up to a panel: roundUp(nt, nr)
}

func (p *ConvParams) winoGeometry(vr *winoVariant) winoGeom {
	var g winoGeom
	g.th, g.tw = (p.OH+vr.t-1)/vr.t, (p.OW+vr.t-1)/vr.t
	g.slots = g.th * g.tw
	g.nt = winoBlockSlots(p, vr)
	// Block b: slots [b*step, min((b+1)*step, slots)), step a multiple of
	// the panel width (whole GEMM panels but in the last block), as even
	// as that allows.
	nb := (g.slots + g.nt - 1) / g.nt
	g.step = min(g.nt, roundUp((g.slots+nb-1)/nb, nr))
	g.blocks = (g.slots + g.step - 1) / g.step
	g.inW = vr.t*g.nt + 8
	g.npad = roundUp(g.nt, nr)
	return g
}

// winoBufSize is the per-thread scratch of a Winograd convolution.
func winoBufSize(p *ConvParams, vr *winoVariant) int {
	g := p.winoGeometry(vr)
	return 2*vr.a*g.inW + vr.n*(p.C*g.npad+p.Group*winoSkew) + vr.n*(p.M*g.npad+winoSkew) + vr.t*vr.t*g.nt + winoN*8
}

// winoSlotsOverride, when positive, replaces winoBlockSlots (benchmarks).
var winoSlotsOverride = 0

// winogradPolicy overrides the measured rule in tests and benchmarks:
// 0 the rule, 1 F(4x4, 3x3) and 2 F(2x2, 3x3) wherever applicable, -1
// never.
var winogradPolicy = 0

// winogradApplies reports whether p can run as Winograd F(4x4, 3x3).
func (p *ConvParams) winogradApplies() bool {
	return !p.isDepthwise() && p.KH == 3 && p.KW == 3 && p.SH == 1 && p.SW == 1 && p.DH == 1 && p.DW == 1
}

// winoVariant is the per-layer choice between Winograd (and which) and
// the direct (shifted / im2col GEMM) convolution, nil for direct; see the
// README for the measurements behind it.
func (p *ConvParams) winoVariant() *winoVariant {
	if !p.winogradApplies() || winogradPolicy < 0 {
		return nil
	}
	switch winogradPolicy {
	case 1:
		return winoF4
	case 2:
		return winoF2
	}
	return winogradRule(p.C/p.Group, p.M/p.Group, p.OH, p.OW)
}

func (p *ConvParams) useWinograd() bool { return p.winoVariant() != nil }

// WinogradChosen reports whether PackConvWeights takes the Winograd path
// for p. The choice does not depend on the batch size and, where it holds
// for p, it holds for p with more output channels.
func WinogradChosen(p *ConvParams) bool { return p.useWinograd() }

// winogradRule is the measured choice (BenchmarkWinograd, README): per
// group cin input and cout output channels, output oh x ow. Winograd
// needs enough channels for the GEMMs to outweigh the transforms (16, or
// 8 on 56x56 and larger outputs), and either a full panel of tiles or
// weights small enough that streaming the transformed weights (4x the
// direct ones) once per block does not dominate (ResNet-18's 7x7
// 512->512 layers lose). It is monotone in cout, which the engine relies
// on (WinogradChosen).
func winogradRule(cin, cout, oh, ow int) *winoVariant {
	if min(cin, cout) < 8 || (min(cin, cout) < 16 && oh*ow < 56*56) {
		return nil
	}
	if winoF4.tiles(oh, ow) >= 16 || cin <= 256 {
		return winoF4
	}
	if winoF2.tiles(oh, ow) >= 16 {
		return winoF2
	}
	return nil
}

// tiles is the number of output tiles of an oh x ow output.
func (vr *winoVariant) tiles(oh, ow int) int {
	return ((oh + vr.t - 1) / vr.t) * ((ow + vr.t - 1) / vr.t)
}

// winoWeights are the transformed weights: U[ξ] = (G g G^T)[ξ] for every
// (m, c), packed as 36 GEMM left operands of M x C.
type winoWeights struct {
	v  *winoVariant
	u  []*PackedA   // per group g and point ξ: u[g*n+ξ]
	th []winoThread // per-thread call state, grown on demand

	// the current call
	p               *ConvParams
	x, bias, res, y []float32
	nthreads        int
	blk             int       // wide mode: the block being computed
	shared          []float32 // wide mode: the caller's buffer (V, GEMM results)
	run             func(lo, hi int, s *scratch)
	runIn, runGemm  func(lo, hi int, s *scratch)
	runOut          func(lo, hi int, s *scratch)
	kClamp, postAct bool
	lo, hi          float32
}

// winoThread is one thread's GEMM state.
type winoThread struct {
	j  gemmJob
	pb PackedB
}

// winoG is G of F(4x4, 3x3).
var winoG = [winoA][3]float64{
	{1.0 / 4, 0, 0},
	{-1.0 / 6, -1.0 / 6, -1.0 / 6},
	{-1.0 / 6, 1.0 / 6, -1.0 / 6},
	{1.0 / 24, 1.0 / 12, 1.0 / 6},
	{1.0 / 24, -1.0 / 12, 1.0 / 6},
	{0, 0, 1},
}

// winoG2 is G of F(2x2, 3x3).
var winoG2 = [4][3]float64{
	{1, 0, 0},
	{0.5, 0.5, 0.5},
	{0.5, -0.5, 0.5},
	{0, 0, 1},
}

// winoTransformKernel returns U = G g G^T of one 3x3 kernel g (row-major),
// computed in float64, for the variant with G = G (a x 3): u[i*a+j].
func winoTransformKernel(G [][3]float64, g []float32) [winoN]float64 {
	a := len(G)
	var t [winoA][3]float64 // G g
	for i := 0; i < a; i++ {
		for j := 0; j < 3; j++ {
			var s float64
			for k := 0; k < 3; k++ {
				s += G[i][k] * float64(g[k*3+j])
			}
			t[i][j] = s
		}
	}
	var u [winoN]float64
	for i := 0; i < a; i++ {
		for j := 0; j < a; j++ {
			var s float64
			for k := 0; k < 3; k++ {
				s += t[i][k] * G[j][k]
			}
			u[i*a+j] = s
		}
	}
	return u
}

// packWinoWeights transforms and packs w [M, C/Group, 3, 3] for variant
// vr: u[g*n+ξ] is U[ξ] of group g, Mg x Cg.
func packWinoWeights(p *ConvParams, w []float32, vr *winoVariant) *winoWeights {
	M, C := p.M/p.Group, p.C/p.Group
	buf := make([]float32, vr.n*M*C)
	ww := &winoWeights{v: vr, u: make([]*PackedA, 0, p.Group*vr.n)}
	// One allocation for every point's packed U (allocPacked: 2 MiB pages
	// where the OS has them, for the weights the GEMMs stream).
	na := roundUp(M, mr) * C
	packed := allocPacked(p.Group * vr.n * na)
	for g := 0; g < p.Group; g++ {
		wg := w[g*M*C*9 : (g+1)*M*C*9]
		for m := 0; m < M; m++ {
			for c := 0; c < C; c++ {
				u := winoTransformKernel(vr.g, wg[(m*C+c)*9:(m*C+c)*9+9])
				for xi, v := range u[:vr.n] {
					buf[xi*M*C+m*C+c] = float32(v)
				}
			}
		}
		for xi := 0; xi < vr.n; xi++ {
			k := g*vr.n + xi
			ww.u = append(ww.u, packAInto(packed[k*na:(k+1)*na], false, M, C, buf[xi*M*C:(xi+1)*M*C], C))
		}
	}
	return ww
}

// winoIn8 is the input transform of 8 slots: src and src2 are the input
// strips A and B at the first slot's column (6 rows of stride ld), and V[ξ] of slot l goes to
// dst[ξ*dstride + l'] (l' = l in Go, the permuted order in assembly). tmp
// holds 36*8 floats.
var winoIn8 = winoIn8Go

// winoOut8 is the output transform of 8 slots: src holds M[ξ] of the 8
// slots at src[ξ*sstride : +8] (in winoIn8's order); the 4x4 outputs, plus
// bias and clamped to [lo, hi] if clamp, go to dst[r*ld + 4*l + k] (rows r,
// slot l, column k). tmp holds 24*8 floats.
var winoOut8 = winoOut8Go

// winoIn1 is the 1-D input transform B^T d of one 6-vector.
func winoIn1(d0, d1, d2, d3, d4, d5 float32) (t0, t1, t2, t3, t4, t5 float32) {
	a, b := d4-4*d2, d3-4*d1
	c, e := d4-d2, 2*(d3-d1)
	return 4*d0 - 5*d2 + d4, a + b, a - b, c + e, c - e, 4*d1 - 5*d3 + d5
}

// winoOut1 is the 1-D output transform A^T m of one 6-vector.
func winoOut1(m0, m1, m2, m3, m4, m5 float32) (o0, o1, o2, o3 float32) {
	s12, d12, s34, d34 := m1+m2, m1-m2, m3+m4, m3-m4
	return m0 + s12 + s34, d12 + 2*d34, s12 + 4*s34, d12 + 8*d34 + m5
}

func winoIn8Go(src, src2 []float32, ld int, dst []float32, dstride int, tmp []float32) {
	_ = src[(winoA-1)*ld+4*7+3]
	_ = src2[(winoA-1)*ld+4*7+5]
	_ = dst[(winoN-1)*dstride+7]
	for l := 0; l < 8; l++ {
		var w [winoA][winoA]float32
		for k := 0; k < winoA; k++ {
			r := src[k*ld+4*l : k*ld+4*l+4]
			r2 := src2[k*ld+4*l+4 : k*ld+4*l+6]
			w[k][0], w[k][1], w[k][2], w[k][3], w[k][4], w[k][5] = winoIn1(r[0], r[1], r[2], r[3], r2[0], r2[1])
		}
		for j := 0; j < winoA; j++ {
			t0, t1, t2, t3, t4, t5 := winoIn1(w[0][j], w[1][j], w[2][j], w[3][j], w[4][j], w[5][j])
			dst[(0*winoA+j)*dstride+l] = t0
			dst[(1*winoA+j)*dstride+l] = t1
			dst[(2*winoA+j)*dstride+l] = t2
			dst[(3*winoA+j)*dstride+l] = t3
			dst[(4*winoA+j)*dstride+l] = t4
			dst[(5*winoA+j)*dstride+l] = t5
		}
	}
}

func winoOut8Go(src []float32, sstride int, dst []float32, ld int, bias float32, clampOn bool, lo, hi float32, tmp []float32) {
	_ = src[(winoN-1)*sstride+7]
	_ = dst[(winoT-1)*ld+4*7+winoT-1]
	for l := 0; l < 8; l++ {
		var w [winoT][winoA]float32 // A^T applied to the columns
		for j := 0; j < winoA; j++ {
			w[0][j], w[1][j], w[2][j], w[3][j] = winoOut1(src[(0*winoA+j)*sstride+l], src[(1*winoA+j)*sstride+l],
				src[(2*winoA+j)*sstride+l], src[(3*winoA+j)*sstride+l], src[(4*winoA+j)*sstride+l], src[(5*winoA+j)*sstride+l])
		}
		for r := 0; r < winoT; r++ {
			o := dst[r*ld+4*l : r*ld+4*l+winoT]
			o[0], o[1], o[2], o[3] = winoOut1(w[r][0], w[r][1], w[r][2], w[r][3], w[r][4], w[r][5])
			for k := range o {
				v := o[k] + bias
				if clampOn {
					v = clamp(v, lo, hi)
				}
				o[k] = v
			}
		}
	}
}

// winoIn1F2 is the 1-D input transform of F(2x2, 3x3).
func winoIn1F2(d0, d1, d2, d3 float32) (t0, t1, t2, t3 float32) {
	return d0 - d2, d1 + d2, d2 - d1, d1 - d3
}

// winoOut1F2 is the 1-D output transform of F(2x2, 3x3).
func winoOut1F2(m0, m1, m2, m3 float32) (o0, o1 float32) {
	return m0 + m1 + m2, m1 - m2 - m3
}

// winoIn8F2 is winoIn8 for F(2x2, 3x3): slot l reads columns 2l, 2l+1 of
// src and 2l+2, 2l+3 of src2 (tmp: 16x8 floats of scratch for the
// assembly version).
var winoIn8F2 = winoIn8F2Go

// winoOut8F2 is winoOut8 for F(2x2, 3x3): 2 rows of 2 outputs per slot.
var winoOut8F2 = winoOut8F2Go

// winoIn8F2Go is the pure-Go winoIn8F2.
func winoIn8F2Go(src, src2 []float32, ld int, dst []float32, dstride int, _ []float32) {
	_ = src[3*ld+2*7+1]
	_ = src2[3*ld+2*7+3]
	_ = dst[15*dstride+7]
	for l := 0; l < 8; l++ {
		var w [4][4]float32
		for k := 0; k < 4; k++ {
			r, r2 := src[k*ld+2*l:k*ld+2*l+2], src2[k*ld+2*l+2:k*ld+2*l+4]
			w[k][0], w[k][1], w[k][2], w[k][3] = winoIn1F2(r[0], r[1], r2[0], r2[1])
		}
		for j := 0; j < 4; j++ {
			t0, t1, t2, t3 := winoIn1F2(w[0][j], w[1][j], w[2][j], w[3][j])
			dst[(0*4+j)*dstride+l] = t0
			dst[(1*4+j)*dstride+l] = t1
			dst[(2*4+j)*dstride+l] = t2
			dst[(3*4+j)*dstride+l] = t3
		}
	}
}

// winoOut8F2Go is the pure-Go winoOut8F2.
func winoOut8F2Go(src []float32, sstride int, dst []float32, ld int, bias float32, clampOn bool, lo, hi float32, _ []float32) {
	_ = src[15*sstride+7]
	_ = dst[ld+2*7+1]
	for l := 0; l < 8; l++ {
		var w [2][4]float32
		for j := 0; j < 4; j++ {
			w[0][j], w[1][j] = winoOut1F2(src[(0*4+j)*sstride+l], src[(1*4+j)*sstride+l], src[(2*4+j)*sstride+l], src[(3*4+j)*sstride+l])
		}
		for r := 0; r < 2; r++ {
			o0, o1 := winoOut1F2(w[r][0], w[r][1], w[r][2], w[r][3])
			for k, v := range [2]float32{o0, o1} {
				v += bias
				if clampOn {
					v = clamp(v, lo, hi)
				}
				dst[r*ld+2*l+k] = v
			}
		}
	}
}

// winoSkew (floats) is added to the distance between consecutive ξ
// matrices of V and of the GEMM results: the transforms touch all 36 at
// once, and at a distance that is a multiple of 4 KiB they would contend
// for the same L1 sets.
const winoSkew = 16

// packedBOffset is where element (k, j) of a K x N matrix goes in the
// packed right-operand layout of PackB with npad columns (j%8 == 0 keeps
// 8 consecutive columns contiguous).
func packedBOffset(K, npad, k, j int) int {
	pc := k / kc * kc
	kcb := min(kc, K-pc)
	return pc*npad + (j/nr)*nr*kcb + (k-pc)*nr + j%nr
}

// convWinograd2D runs a Winograd convolution (pk.kind == convWinograd).
func convWinograd2D(p *ConvParams, pk *PackedConv, x, bias, residual, y []float32, s0 *scratch, threads int) {
	ww := pk.wino
	vr := ww.v
	g := p.winoGeometry(vr)
	threads = max(1, threads)
	// Enough blocks: each thread takes whole blocks. Fewer blocks than
	// threads (small images): the blocks one after the other, each phase
	// (input transform, GEMMs, output transform) split between threads.
	wide := g.blocks < threads
	T := min(threads, g.blocks)
	if wide {
		T = threads
	}
	for len(ww.th) < T {
		ww.th = append(ww.th, winoThread{})
	}
	lo, hi, isClamp, doClamp := clampBounds(p.Act, p.Alpha, p.Beta)
	ww.kClamp = isClamp && doClamp && !(residual != nil && p.ActAfterResidual)
	ww.postAct = p.Act != ActNone && !ww.kClamp
	ww.lo, ww.hi = lo, hi
	ww.p, ww.bias, ww.nthreads = p, bias, T
	if ww.run == nil {
		ww.run = func(lo, hi int, s *scratch) {
			for t := lo; t < hi; t++ {
				ww.runThread(t, s)
			}
		}
		ww.runIn = func(lo, hi int, s *scratch) {
			for t := lo; t < hi; t++ {
				ww.phase(0, t, s)
			}
		}
		ww.runGemm = func(lo, hi int, s *scratch) {
			for t := lo; t < hi; t++ {
				ww.phase(1, t, s)
			}
		}
		ww.runOut = func(lo, hi int, s *scratch) {
			for t := lo; t < hi; t++ {
				ww.phase(2, t, s)
			}
		}
	}
	in, out := p.C*p.H*p.W, p.M*p.OH*p.OW
	for n := 0; n < p.N; n++ {
		ww.x, ww.y = x[n*in:(n+1)*in], y[n*out:(n+1)*out]
		ww.res = nil
		if residual != nil {
			ww.res = residual[n*out : (n+1)*out]
		}
		if !wide {
			parallel(T, T, s0, &pk.wg, ww.run)
			continue
		}
		sh := s0
		if sh == nil {
			sh = &pk.wg.own
		}
		ww.shared = sh.ensureBuf(winoBufSize(p, vr))
		for b := 0; b < g.blocks; b++ {
			ww.blk = b
			parallel(T, T, s0, &pk.wg, ww.runIn)
			parallel(T, T, s0, &pk.wg, ww.runGemm)
			parallel(T, T, s0, &pk.wg, ww.runOut)
		}
		ww.shared = nil
	}
}

// release drops the call's references to the caller's data.
func (ww *winoWeights) release() {
	ww.p, ww.x, ww.bias, ww.res, ww.y, ww.shared = nil, nil, nil, nil, nil, nil
	for i := range ww.th {
		ww.th[i].j.reset()
		ww.th[i].pb.data = nil
	}
}

// runThread computes thread t's share of the blocks.
func (ww *winoWeights) runThread(t int, s *scratch) {
	p := ww.p
	vr := ww.v
	g := p.winoGeometry(vr)
	buf := s.ensureBuf(winoBufSize(p, vr))
	b0, b1 := t*g.blocks/ww.nthreads, (t+1)*g.blocks/ww.nthreads
	for b := b0; b < b1; b++ {
		wb := ww.blockBufs(p, &g, b, buf, buf)
		ww.inputs(p, &g, &wb, 0, p.C)
		ww.gemms(p, &wb, &ww.th[t], 0, p.Group*vr.n, s)
		ww.outputs(p, &g, &wb, 0, p.M)
	}
}

// phase runs thread t's share of one phase (0 input transform, 1 GEMMs,
// 2 output transform) of block ww.blk in the wide mode: channels, (group,
// ξ) GEMMs and output channels split into ww.nthreads contiguous parts.
func (ww *winoWeights) phase(ph, t int, s *scratch) {
	p := ww.p
	vr := ww.v
	g := p.winoGeometry(vr)
	wb := ww.blockBufs(p, &g, ww.blk, s.ensureBuf(winoBufSize(p, vr)), ww.shared)
	T := ww.nthreads
	switch ph {
	case 0:
		ww.inputs(p, &g, &wb, t*p.C/T, (t+1)*p.C/T)
	case 1:
		n := p.Group * vr.n
		ww.gemms(p, &wb, &ww.th[t], t*n/T, (t+1)*n/T, s)
	case 2:
		ww.outputs(p, &g, &wb, t*p.M/T, (t+1)*p.M/T)
	}
}

// winoBlock is one block's slots and buffers.
type winoBlock struct {
	s0, s1         int // slots
	nv, ncol, npad int // 8-slot vectors, GEMM columns, padded
	vs, ms         int // distance of the ξ matrices in V and Mb
	strip, strip2  []float32
	V, Mb          []float32
	ostrip, tmp    []float32
}

// blockBufs lays out block b's buffers: the strips, output strip and tmp
// in own (this thread's), V and the GEMM results in shared.
func (ww *winoWeights) blockBufs(p *ConvParams, g *winoGeom, b int, own, shared []float32) winoBlock {
	vr := ww.v
	var wb winoBlock
	wb.s0 = b * g.step
	wb.s1 = min(g.slots, wb.s0+g.step)
	wb.nv = (wb.s1 - wb.s0 + 7) / 8
	wb.ncol = wb.nv * 8
	wb.npad = roundUp(wb.ncol, nr)
	wb.vs = p.C/p.Group*wb.npad + winoSkew
	wb.ms = p.M*wb.npad + winoSkew
	wb.strip = own[:vr.a*g.inW]
	wb.strip2 = own[vr.a*g.inW : 2*vr.a*g.inW]
	o := 2 * vr.a * g.inW
	wb.V = shared[o : o+p.Group*vr.n*wb.vs]
	o += vr.n * (p.C*g.npad + p.Group*winoSkew)
	wb.Mb = shared[o : o+vr.n*wb.ms]
	o += vr.n * (p.M*g.npad + winoSkew)
	wb.ostrip = own[o : o+vr.t*vr.t*g.nt]
	o += vr.t * vr.t * g.nt
	wb.tmp = own[o : o+winoN*8]
	return wb
}

// inputs writes V for input channels [c0, c1) of block wb.
func (ww *winoWeights) inputs(p *ConvParams, g *winoGeom, wb *winoBlock, c0, c1 int) {
	vr := ww.v
	cg := p.C / p.Group
	s0, s1, npad := wb.s0, wb.s1, wb.npad
	strip, strip2 := wb.strip, wb.strip2
	clear(strip)
	clear(strip2)
	ty0, ty1 := s0/g.tw, (s1-1)/g.tw
	for c := c0; c < c1; c++ {
		plane := ww.x[c*p.H*p.W : (c+1)*p.H*p.W]
		for ty := ty0; ty <= ty1; ty++ {
			txa := max(s0, ty*g.tw) - ty*g.tw
			txe := min(s1-ty*g.tw, g.tw) // tiles [txa, txe) of this row
			col := vr.t * (ty*g.tw + txa - s0)
			// A: padded columns [4txa, 4txe) at col; B: [4txa+4, 4txe+4)
			// at col+4; input column = padded column - PadL.
			for sh, st := range [2][]float32{strip, strip2} {
				x0 := vr.t*(txa+sh) - p.PadL
				i0, i1 := max(0, x0), min(p.W, x0+vr.t*(txe-txa))
				if i0 >= i1 {
					continue
				}
				d := col + vr.t*sh + i0 - x0
				// strip rows r whose input row ih = 4ty+r-PadT exists
				r0 := max(0, p.PadT-vr.t*ty)
				r1 := min(vr.a, p.H+p.PadT-vr.t*ty)
				if r0 < r1 {
					ih := vr.t*ty + r0 - p.PadT
					copyRows(st[r0*g.inW+d:], g.inW, plane[ih*p.W+i0:], p.W, r1-r0, i1-i0)
				}
			}
		}
		// V of group gi is [36][Cg x npad packed]
		gi, cl := c/cg, c%cg
		vg := wb.V[gi*vr.n*wb.vs:]
		for v := 0; v < wb.nv; v++ {
			vr.in8(strip[vr.t*8*v:], strip2[vr.t*8*v:], g.inW, vg[packedBOffset(cg, npad, cl, 8*v):], wb.vs, wb.tmp)
		}
	}
}

// gemms runs GEMMs [u0, u1) of block wb, u = group*36 + ξ: M[ξ] is
// [M x npad], group gi's rows gi*Mg...
func (ww *winoWeights) gemms(p *ConvParams, wb *winoBlock, ts *winoThread, u0, u1 int, s *scratch) {
	vr := ww.v
	cg, mg := p.C/p.Group, p.M/p.Group
	npad := wb.npad
	for u := u0; u < u1; u++ {
		gi, xi := u/vr.n, u%vr.n
		pb := &ts.pb
		vo := u * wb.vs
		pb.K, pb.N, pb.npad, pb.data = cg, wb.ncol, npad, wb.V[vo:vo+cg*npad]
		mo := xi*wb.ms + gi*mg*npad
		j := &ts.j
		j.reset()
		j.M, j.N, j.K, j.pa, j.pb, j.C, j.ldc = mg, wb.ncol, cg, ww.u[u], pb, wb.Mb[mo:mo+mg*npad], npad
		j.prepare()
		j.run(0, mg, 0, wb.ncol, s)
	}
}

// outputs transforms output channels [m0, m1) of block wb into y, with
// the epilogue.
func (ww *winoWeights) outputs(p *ConvParams, g *winoGeom, wb *winoBlock, m0, m1 int) {
	vr := ww.v
	OH, OW := p.OH, p.OW
	s0, s1, npad := wb.s0, wb.s1, wb.npad
	oW := vr.t * g.nt // output strip row length
	ty0, ty1 := s0/g.tw, (s1-1)/g.tw
	for m := m0; m < m1; m++ {
		var bv float32
		if ww.bias != nil {
			bv = ww.bias[m]
		}
		for v := 0; v < wb.nv; v++ {
			vr.out8(wb.Mb[m*npad+8*v:], wb.ms, wb.ostrip[vr.t*8*v:], oW, bv, ww.kClamp, ww.lo, ww.hi, wb.tmp)
		}
		yo := m * OH * OW
		for ty := ty0; ty <= ty1; ty++ {
			txa := max(s0, ty*g.tw) - ty*g.tw
			txe := min(s1-ty*g.tw, g.tw)
			ow0, ow1 := vr.t*txa, min(vr.t*txe, OW)
			col := vr.t * (ty*g.tw + txa - s0)
			if ww.res == nil {
				rows := min(vr.t, OH-vr.t*ty)
				y := ww.y[yo+vr.t*ty*OW+ow0:]
				copyRows(y, OW, wb.ostrip[col:], oW, rows, ow1-ow0)
				if ww.postAct {
					ActTile(y, rows, ow1-ow0, OW, p.Act, p.Alpha, p.Beta)
				}
				continue
			}
			ww.epilogue(p, wb.ostrip[col:], oW, yo+vr.t*ty*OW+ow0, min(vr.t, OH-vr.t*ty), ow1-ow0)
		}
	}
}

// epilogue writes rows x cols outputs at y[o:] (row stride OW) from src
// (row stride ld), which holds conv + bias (clamped if kClamp), with the
// residual at the same offsets and the other activations: src + res then
// the activation, or the activation then + res. The adds are vector
// IEEE adds and the activation one ActTile over the rows (the bits of
// elementwise scalar code: 1 ns per element, 15% of ResNet-18's
// residual layers, before).
func (ww *winoWeights) epilogue(p *ConvParams, src []float32, ld, o, rows, cols int) {
	OW := p.OW
	for r := 0; r < rows; r++ {
		s := src[r*ld : r*ld+cols]
		d := ww.y[o+r*OW : o+r*OW+cols]
		if p.ActAfterResidual {
			BinaryF32(BinAdd, d, s, ww.res[o+r*OW:o+r*OW+cols])
		} else {
			copy(d, s)
		}
	}
	if ww.postAct {
		ActTile(ww.y[o:], rows, cols, OW, p.Act, p.Alpha, p.Beta)
	}
	if !p.ActAfterResidual {
		for r := 0; r < rows; r++ {
			d := ww.y[o+r*OW : o+r*OW+cols]
			BinaryF32(BinAdd, d, d, ww.res[o+r*OW:o+r*OW+cols])
		}
	}
}

// winogradErrorBound is the tolerance of the Winograd path, relative to
// Σ|x·w| over an output's receptive field (the scale of any summation's
// rounding error): the transforms' constants (up to 8 and 5, 1/6 and
// 1/24) make F(4x4, 3x3) about 10 times less accurate than a direct
// float32 sum. Measured maxima (README): 3.8e-6 on the 3x3 layers of
// RepVGG-A0, ResNet-18 and HGNetV2-B0 with their trained weights and real
// activations, 6.9e-6 on the random tests; the direct paths 4e-7.
// F(2x2, 3x3) measured as accurate as the direct path (3.6e-7) and is
// held to the same bound.
func winogradErrorBound(k int) float64 { return 2e-5 + 2e-9*float64(k) }
