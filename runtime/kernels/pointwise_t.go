package kernels

// The transposed pointwise convolution: a 1x1 convolution (stride 1, no
// padding) on a small plane computed as Y^T = X^T W^T, spatial positions
// as the GEMM's rows (12 per micro-tile) and output channels as its
// columns (32 per tile, in vector lanes), then transposed into NCHW.
//
// The plain orientation Y = W X has the plane as GEMM columns: 7x7 = 49
// is 32 + 16 + 1 columns, the last one computed as a full scratch tile,
// so a third of the tiles run narrow kernels, and every weight panel is
// reused for only 2-3 tiles. Transposed, 49 rows are four 12-row tiles
// and a one-row tail (wideRowKernel), the output channels (a multiple of
// 32 or 16 in these networks) fill whole tiles, and the weights W^T are
// packed once at PackConvWeights time as the right operand. The price is
// packing X^T per call (the left operand) and one transpose of the result
// (Transpose32, 8x8 blocks through the vector unit).
//
// The epilogue runs on the transposed result, elementwise: + bias (one
// add per element after the whole sum, as the plain orientation's
// micro-kernel adds it), the activation, the residual (or the residual,
// then the activation). So both orientations give the same bits, but for
// a residual with no activation (or one applied after it), which the
// plain orientation adds first.

// usePointwiseT reports whether a pointwise convolution runs transposed.
// Rule, from BenchmarkPointwiseOrientation (AMD EPYC Zen 4, 1 thread,
// AVX-512, cpuGFLOP/s plain vs transposed): on 7x7 planes the transposed
// GEMM wins from 128 output channels per group (M=1152 K=192 81 vs 90,
// M=320 K=1152 71 vs 87, M=960 K=128 84 vs 96, M=128 K=512 75 vs 81,
// M=192 K=1152 a tie) and loses below (M=96 K=576 80 vs 74, M=32 K=128
// 63 vs 49); on 14x14 planes (196 = 6x32 + 4 columns, already fine
// plainly) and larger it loses (M=672 K=112 99 vs 78, M=256 K=256 103 vs
// 94).
func (p *ConvParams) usePointwiseT() bool {
	return p.isPointwise() && p.H*p.W > 1 && p.H*p.W <= pointwiseTMaxPlane && p.M/p.Group >= pointwiseTMinChannels
}

const (
	pointwiseTMaxPlane    = 49
	pointwiseTMinChannels = 128
)

// packPointwiseT makes pk a transposed pointwise convolution of the
// weights w [M, C/G].
func packPointwiseT(pk *PackedConv, w []float32) {
	p := &pk.p
	cg, mg := p.C/p.Group, p.M/p.Group
	pk.kind = convPointwiseT
	pk.a = nil
	pk.bt = pk.bt[:0]
	for g := 0; g < p.Group; g++ {
		pk.bt = append(pk.bt, PackB(true, cg, mg, w[g*mg*cg:(g+1)*mg*cg], cg))
	}
}

// pointwiseTSizes returns the sizes of the packed X^T and of the result
// (Y^T) of one group of a transposed pointwise convolution.
func pointwiseTSizes(p *ConvParams) (na, nct int) {
	hw := p.H * p.W
	return roundUp(hw, mr) * (p.C / p.Group), hw * (p.M / p.Group)
}

// packXT packs X^T (X is K x hw, row-major: one group's input channels)
// as the left GEMM operand into pa, over buf: the layout of PackA(true,
// hw, K, X, hw), built once per call (not per thread), six floats of an
// input row at a time.
func packXT(pa *PackedA, buf, x []float32, hw, K int) {
	mpad := roundUp(hw, mr)
	*pa = PackedA{M: hw, K: K, mpad: mpad, data: buf[:mpad*K]}
	full := hw / mr * mr
	for pc := 0; pc < K; pc += kc {
		kcb := min(kc, K-pc)
		blk := pa.data[pc*mpad : pc*mpad+mpad*kcb]
		for i0 := 0; i0 < full; i0 += mr {
			d := blk[i0*kcb : (i0+mr)*kcb]
			for k := 0; k < kcb; k++ {
				o := (pc+k)*hw + i0
				*(*[mr]float32)(d[k*mr:]) = *(*[mr]float32)(x[o : o+mr])
			}
		}
		if full < hw {
			d := blk[full*kcb : (full+mr)*kcb]
			clear(d)
			for k := 0; k < kcb; k++ {
				o := (pc+k)*hw + full
				copy(d[k*mr:k*mr+hw-full], x[o:o+hw-full])
			}
		}
	}
}

// pointwiseTJob is the state of one group's transposed pointwise
// product, kept in the PackedConv with its chunk function (bound once), so
// that a call allocates nothing.
type pointwiseTJob struct {
	p              *ConvParams
	j              *gemmJob
	hw, mg         int
	ct, y          []float32 // Y^T (hw x mg) and the group's Y (mg x hw)
	bias, residual []float32 // the group's, or nil
	chunk          func(lo, hi int, s *scratch)
}

// pointwiseTBlock is how many nr-column tiles (output channels) a chunk
// computes, transposes and finishes at a time, while they are in cache.
const pointwiseTBlock = 4

// columns computes output channels [lo*nr, hi*nr) (clipped to mg): their
// columns of Y^T, then their rows of Y, then the epilogue on those rows.
func (t *pointwiseTJob) columns(lo, hi int, s *scratch) {
	p, hw := t.p, t.hw
	for b := lo; b < hi; b += pointwiseTBlock {
		c0, c1 := b*nr, min(min(b+pointwiseTBlock, hi)*nr, t.mg)
		t.j.run(0, hw, c0, c1, s)
		yb := t.y[c0*hw : c1*hw]
		Transpose32(yb, hw, t.ct[c0:], t.mg, hw, c1-c0)
		if t.bias != nil {
			for m, v := range t.bias[c0:c1] {
				row := yb[m*hw : (m+1)*hw]
				BinaryScalarF32(BinAdd, row, row, v, false)
			}
		}
		after := t.residual != nil && p.ActAfterResidual
		if !after {
			ApplyAct(yb, p.Act, p.Alpha, p.Beta)
		}
		if t.residual != nil {
			BinaryF32(BinAdd, yb, yb, t.residual[c0*hw:c1*hw])
		}
		if after {
			ApplyAct(yb, p.Act, p.Alpha, p.Beta)
		}
	}
}

func convPointwiseT2D(p *ConvParams, pk *PackedConv, x, bias, residual, y, ws []float32, threads int) {
	na, nct := pointwiseTSizes(p)
	var s0 *scratch
	shared := &pk.wg.own // the caller's chunk scratch when s0 is nil
	if len(ws) >= na+nct {
		s0 = &pk.s0
		*s0 = scratch{buf: ws, offs: s0.offs}
		shared = s0
	}
	buf := shared.ensureBuf(na + nct)
	xa, ct := buf[:na], buf[na:]
	cg, mg := p.C/p.Group, p.M/p.Group
	hw := p.H * p.W
	in, out := p.C*hw, p.M*hw
	t := &pk.ptj
	if t.chunk == nil {
		t.chunk = t.columns
	}
	for n := 0; n < p.N; n++ {
		for g := 0; g < p.Group; g++ {
			xg := x[n*in+g*cg*hw : n*in+(g+1)*cg*hw]
			yo := n*out + g*mg*hw
			packXT(&pk.xt, xa, xg, hw, cg)
			j := &pk.job
			j.reset()
			j.M, j.N, j.K, j.pa = hw, mg, cg, &pk.xt
			j.pb, j.C, j.ldc = pk.bt[g], ct, mg
			j.prepare()
			t.p, t.j, t.hw, t.mg, t.ct, t.y = p, j, hw, mg, ct, y[yo:yo+mg*hw]
			t.bias, t.residual = nil, nil
			if bias != nil {
				t.bias = bias[g*mg : (g+1)*mg]
			}
			if residual != nil {
				t.residual = residual[yo : yo+mg*hw]
			}
			parallel(threads, (mg+nr-1)/nr, s0, &pk.wg, t.chunk)
		}
	}
	t.p, t.j, t.ct, t.y, t.bias, t.residual = nil, nil, nil, nil, nil, nil
}
