package kernels

// Winograd F(4x4, 3x3) convolution (Lavin & Gray, arXiv 1509.09308) for
// dense (group 1) 3x3 convolutions with stride 1 and dilation 1.
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
// (what an in-lane 4x4 transpose of 32 consecutive floats gives); the
// input and output transforms of one build always agree, and the GEMM
// treats columns independently, so the order never shows.
//
// Determinism: the block partition does not depend on the thread count
// (threads take whole blocks), so every output is computed by the same
// operations for every thread count.
//
// Accuracy: see winogradErrorBound and the package README.

const (
	winoT = 4             // output tile side
	winoA = winoT + 2     // input tile side
	winoN = winoA * winoA // transform points ξ
)

// winoBlockSlots is the number of tile slots per block (a multiple of 16,
// the GEMM panel width): chosen by measurement, see the README.
func winoBlockSlots(p *ConvParams) int {
	if winoSlotsOverride > 0 {
		return winoSlotsOverride
	}
	// The transformed input of a block (36*C*slots floats) and the
	// GEMM results (36*M*slots) should stay in L2 (1-2 MiB) while the
	// weights U (36*M*C floats) are streamed once per block.
	n := 64
	for n > 16 && winoN*(p.C+p.M)*n*4 > 1<<20 {
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
	inW    int // input strip row length: 4*nt + 8
	npad   int // GEMM columns per block, rounded up to a panel: roundUp(nt, nr)
}

func (p *ConvParams) winoGeometry() winoGeom {
	var g winoGeom
	g.th, g.tw = (p.OH+winoT-1)/winoT, (p.OW+winoT-1)/winoT
	g.slots = g.th * g.tw
	g.nt = winoBlockSlots(p)
	g.blocks = (g.slots + g.nt - 1) / g.nt
	g.inW = winoT*g.nt + 8
	g.npad = roundUp(g.nt, nr)
	return g
}

// winoBufSize is the per-thread scratch of a Winograd convolution.
func winoBufSize(p *ConvParams) int {
	g := p.winoGeometry()
	return 2*winoA*g.inW + winoN*(p.C+p.M)*g.npad + winoT*winoT*g.nt + winoN*8
}

// winoSlotsOverride, when positive, replaces winoBlockSlots (benchmarks).
var winoSlotsOverride = 0

// winogradPolicy overrides the measured rule in tests and benchmarks:
// 0 the rule, 1 always (where applicable), -1 never.
var winogradPolicy = 0

// winogradApplies reports whether p can run as Winograd F(4x4, 3x3).
func (p *ConvParams) winogradApplies() bool {
	return !p.isDepthwise() && p.KH == 3 && p.KW == 3 && p.SH == 1 && p.SW == 1 && p.DH == 1 && p.DW == 1
}

// useWinograd is the per-layer choice between Winograd and the direct
// (shifted / im2col GEMM) convolution; see the README for the
// measurements behind it.
func (p *ConvParams) useWinograd() bool {
	if !p.winogradApplies() || winogradPolicy < 0 {
		return false
	}
	if winogradPolicy > 0 {
		return true
	}
	return winogradRule(p.C/p.Group, p.M/p.Group, p.OH, p.OW)
}

// WinogradChosen reports whether PackConvWeights takes the Winograd path
// for p. The choice does not depend on the batch size and, where it holds
// for p, it holds for p with more output channels.
func WinogradChosen(p *ConvParams) bool { return p.useWinograd() }

// winogradRule is the measured choice (BenchmarkWinograd, README): per
// group cin input and cout output channels, output oh x ow. Winograd
// needs enough channels for the GEMMs to outweigh the transforms (16 only
// on big images), and either a full panel of tiles or weights small enough
// that streaming the transformed weights (4x the direct ones) once per
// block does not dominate (ResNet-18's 7x7 512->512 layers lose). It is
// monotone in cout, which the engine relies on (WinogradChosen).
func winogradRule(cin, cout, oh, ow int) bool {
	tiles := ((oh + winoT - 1) / winoT) * ((ow + winoT - 1) / winoT)
	return cin >= 16 && cout >= 16 && (min(cin, cout) >= 32 || oh*ow >= 56*56) &&
		(tiles >= 16 || cin <= 256)
}

// winoWeights are the transformed weights: U[ξ] = (G g G^T)[ξ] for every
// (m, c), packed as 36 GEMM left operands of M x C.
type winoWeights struct {
	u  []*PackedA   // per group g and point ξ: u[g*36+ξ]
	th []winoThread // per-thread call state, grown on demand

	// the current call
	p               *ConvParams
	x, bias, res, y []float32
	nthreads        int
	run             func(lo, hi int, s *scratch)
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

// winoTransformKernel returns U = G g G^T of one 3x3 kernel g (row-major),
// computed in float64.
func winoTransformKernel(g []float32) [winoN]float64 {
	var t [winoA][3]float64 // G g
	for i := 0; i < winoA; i++ {
		for j := 0; j < 3; j++ {
			var s float64
			for k := 0; k < 3; k++ {
				s += winoG[i][k] * float64(g[k*3+j])
			}
			t[i][j] = s
		}
	}
	var u [winoN]float64
	for i := 0; i < winoA; i++ {
		for j := 0; j < winoA; j++ {
			var s float64
			for k := 0; k < 3; k++ {
				s += t[i][k] * winoG[j][k]
			}
			u[i*winoA+j] = s
		}
	}
	return u
}

// packWinoWeights transforms and packs w [M, C/Group, 3, 3]: u[g*36+ξ]
// is U[ξ] of group g, Mg x Cg.
func packWinoWeights(p *ConvParams, w []float32) *winoWeights {
	M, C := p.M/p.Group, p.C/p.Group
	buf := make([]float32, winoN*M*C)
	ww := &winoWeights{u: make([]*PackedA, 0, p.Group*winoN)}
	for g := 0; g < p.Group; g++ {
		wg := w[g*M*C*9 : (g+1)*M*C*9]
		for m := 0; m < M; m++ {
			for c := 0; c < C; c++ {
				u := winoTransformKernel(wg[(m*C+c)*9 : (m*C+c)*9+9])
				for xi, v := range u {
					buf[xi*M*C+m*C+c] = float32(v)
				}
			}
		}
		for xi := 0; xi < winoN; xi++ {
			ww.u = append(ww.u, PackA(false, M, C, buf[xi*M*C:(xi+1)*M*C], C))
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
	g := p.winoGeometry()
	T := max(1, min(threads, g.blocks))
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
	}
	in, out := p.C*p.H*p.W, p.M*p.OH*p.OW
	for n := 0; n < p.N; n++ {
		ww.x, ww.y = x[n*in:(n+1)*in], y[n*out:(n+1)*out]
		ww.res = nil
		if residual != nil {
			ww.res = residual[n*out : (n+1)*out]
		}
		parallel(T, T, s0, &pk.wg, ww.run)
	}
}

// release drops the call's references to the caller's data.
func (ww *winoWeights) release() {
	ww.p, ww.x, ww.bias, ww.res, ww.y = nil, nil, nil, nil, nil
	for i := range ww.th {
		ww.th[i].j.reset()
		ww.th[i].pb.data = nil
	}
}

// runThread computes thread t's share of the blocks.
func (ww *winoWeights) runThread(t int, s *scratch) {
	p := ww.p
	g := p.winoGeometry()
	buf := s.ensureBuf(winoBufSize(p))
	b0, b1 := t*g.blocks/ww.nthreads, (t+1)*g.blocks/ww.nthreads
	for b := b0; b < b1; b++ {
		ww.block(p, &g, &ww.th[t], b, buf, s)
	}
}

// block computes the outputs of slots [b*nt, min((b+1)*nt, slots)).
func (ww *winoWeights) block(p *ConvParams, g *winoGeom, ts *winoThread, b int, buf []float32, s *scratch) {
	C, M := p.C, p.M
	cg, mg := C/p.Group, M/p.Group
	s0 := b * g.nt
	s1 := min(g.slots, s0+g.nt)
	nv := (s1 - s0 + 7) / 8
	ncol := nv * 8
	npad := roundUp(ncol, nr)
	strip := buf[:winoA*g.inW]
	strip2 := buf[winoA*g.inW : 2*winoA*g.inW]
	o := 2 * winoA * g.inW
	V := buf[o : o+winoN*C*npad]
	o += winoN * C * g.npad
	Mb := buf[o : o+winoN*M*npad]
	o += winoN * M * g.npad
	ostrip := buf[o : o+winoT*winoT*g.nt]
	o += winoT * winoT * g.nt
	tmp := buf[o : o+winoN*8]
	oW := winoT * g.nt // output strip row length

	// 1-2: input strips and transform, channel by channel.
	clear(strip)
	clear(strip2)
	ty0, ty1 := s0/g.tw, (s1-1)/g.tw
	for c := 0; c < C; c++ {
		plane := ww.x[c*p.H*p.W : (c+1)*p.H*p.W]
		for ty := ty0; ty <= ty1; ty++ {
			txa := max(s0, ty*g.tw) - ty*g.tw
			txe := min(s1-ty*g.tw, g.tw) // tiles [txa, txe) of this row
			col := winoT * (ty*g.tw + txa - s0)
			// A: padded columns [4txa, 4txe) at col; B: [4txa+4, 4txe+4)
			// at col+4; input column = padded column - PadL.
			for sh, st := range [2][]float32{strip, strip2} {
				c0 := winoT*(txa+sh) - p.PadL
				i0, i1 := max(0, c0), min(p.W, c0+winoT*(txe-txa))
				if i0 >= i1 {
					continue
				}
				d := col + winoT*sh + i0 - c0
				for r := 0; r < winoA; r++ {
					ih := winoT*ty + r - p.PadT
					if ih < 0 || ih >= p.H {
						continue
					}
					copy(st[r*g.inW+d:r*g.inW+d+i1-i0], plane[ih*p.W+i0:ih*p.W+i1])
				}
			}
		}
		// V of group gi is [36][Cg x npad packed]
		gi, cl := c/cg, c%cg
		vg := V[gi*winoN*cg*npad:]
		for v := 0; v < nv; v++ {
			winoIn8(strip[winoT*8*v:], strip2[winoT*8*v:], g.inW, vg[packedBOffset(cg, npad, cl, 8*v):], cg*npad, tmp)
		}
	}

	// 3: the 36 GEMMs per group; M[ξ] is [M x npad], group gi's rows
	// gi*Mg...
	for gi := 0; gi < p.Group; gi++ {
		for xi := 0; xi < winoN; xi++ {
			pb := &ts.pb
			vo := (gi*winoN + xi) * cg * npad
			pb.K, pb.N, pb.npad, pb.data = cg, ncol, npad, V[vo:vo+cg*npad]
			mo := xi*M*npad + gi*mg*npad
			j := &ts.j
			j.reset()
			j.M, j.N, j.K, j.pa, j.pb, j.C, j.ldc = mg, ncol, cg, ww.u[gi*winoN+xi], pb, Mb[mo:mo+mg*npad], npad
			j.prepare()
			j.run(0, mg, 0, ncol, s)
		}
	}

	// 4: output transform and epilogue, channel by channel.
	OH, OW := p.OH, p.OW
	for m := 0; m < M; m++ {
		var bv float32
		if ww.bias != nil {
			bv = ww.bias[m]
		}
		for v := 0; v < nv; v++ {
			winoOut8(Mb[m*npad+8*v:], M*npad, ostrip[winoT*8*v:], oW, bv, ww.kClamp, ww.lo, ww.hi, tmp)
		}
		yo := m * OH * OW
		for ty := ty0; ty <= ty1; ty++ {
			txa := max(s0, ty*g.tw) - ty*g.tw
			txe := min(s1-ty*g.tw, g.tw)
			ow0, ow1 := winoT*txa, min(winoT*txe, OW)
			col := winoT * (ty*g.tw + txa - s0)
			for r := 0; r < winoT; r++ {
				oh := winoT*ty + r
				if oh >= OH {
					break
				}
				src := ostrip[r*oW+col : r*oW+col+ow1-ow0]
				dst := ww.y[yo+oh*OW+ow0 : yo+oh*OW+ow1]
				ww.epilogue(p, src, dst, yo+oh*OW+ow0)
			}
		}
	}
}

// epilogue writes one output row segment: src holds conv + bias (clamped
// if kClamp); the residual (at offset o) and other activations are
// applied here.
func (ww *winoWeights) epilogue(p *ConvParams, src, dst []float32, o int) {
	if ww.res == nil {
		copy(dst, src)
		if ww.postAct {
			ApplyAct(dst, p.Act, p.Alpha, p.Beta)
		}
		return
	}
	res := ww.res[o : o+len(dst)]
	if p.ActAfterResidual {
		for i, v := range src {
			dst[i] = v + res[i]
		}
		if ww.postAct {
			ApplyAct(dst, p.Act, p.Alpha, p.Beta)
		}
		return
	}
	copy(dst, src)
	if ww.postAct {
		ApplyAct(dst, p.Act, p.Alpha, p.Beta)
	}
	for i, v := range res {
		dst[i] += v
	}
}

// winogradErrorBound is the tolerance of the Winograd path, relative to
// Σ|x·w| over an output's receptive field (the scale of any summation's
// rounding error): the transforms' constants (up to 8 and 5, 1/6 and
// 1/24) make F(4x4, 3x3) about 10 times less accurate than a direct
// float32 sum. Measured maxima (README): 3.8e-6 on the 3x3 layers of
// RepVGG-A0, ResNet-18 and HGNetV2-B0 with their trained weights and real
// activations, 6.9e-6 on the random tests; the direct paths 4e-7.
func winogradErrorBound(k int) float64 { return 2e-5 + 2e-9*float64(k) }
