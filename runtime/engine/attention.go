package engine

import (
	"fmt"
	"math"
	"slices"

	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/runtime/kernels"
)

// opAttention implements ONNX Attention (opset 23, float32, plain Go):
// Y = softmax(softcap(Q K^T * scale) + bias) V per head, with 3-D inputs
// split into q_num_heads / kv_num_heads heads, grouped-query attention (a
// kv head serves Hq/Hkv query heads), past_key/past_value concatenated
// before K/V (and returned as present_key/present_value), a causal mask
// (is_causal, aligned bottom-right: key j is visible to query i when
// j <= i + past length), an attention mask (bool: attend where true; float:
// added; a short last dim is padded as masked), fully masked rows giving
// zeros, and the optional qk_matmul_output (modes 0 and 1: scaled and
// softcapped QK^T, 2: with the mask, 3: after softmax), as the ONNX
// reference implementation computes them.
func opAttention(c *ctx) (func(), error) {
	q, k, v := c.input(0), c.input(1), c.input(2)
	mask, pk, pv := c.input(3), c.input(4), c.input(5)
	if k == nil || v == nil {
		return nil, fmt.Errorf("needs Q, K and V")
	}
	for _, t := range []*tval{q, k, v, pk, pv} {
		if t != nil && t.dt != ir.Float32 {
			return nil, fmt.Errorf("unsupported: Attention on %s", t.dt)
		}
	}
	if c.input(6) != nil {
		return nil, fmt.Errorf("unsupported: nonpad_kv_seqlen")
	}
	qkMode := int(c.n.AttrInt("qk_matmul_output_mode", 0))
	if qkMode < 0 || qkMode > 3 {
		return nil, fmt.Errorf("unsupported qk_matmul_output_mode %d", qkMode)
	}
	var B, Hq, Hkv, Sq, Skv, D, Dv int
	three := len(q.shape) == 3
	switch {
	case three && len(k.shape) == 3 && len(v.shape) == 3:
		Hq, Hkv = int(c.n.AttrInt("q_num_heads", 0)), int(c.n.AttrInt("kv_num_heads", 0))
		if Hq < 1 || Hkv < 1 || q.shape[2]%int64(Hq) != 0 || k.shape[2]%int64(Hkv) != 0 || v.shape[2]%int64(Hkv) != 0 {
			return nil, fmt.Errorf("q_num_heads/kv_num_heads do not split the hidden sizes")
		}
		B, Sq, Skv = int(q.shape[0]), int(q.shape[1]), int(k.shape[1])
		D, Dv = int(q.shape[2])/Hq, int(v.shape[2])/Hkv
		if int(k.shape[2])/Hkv != D {
			return nil, fmt.Errorf("Q and K head sizes differ")
		}
	case len(q.shape) == 4 && len(k.shape) == 4 && len(v.shape) == 4:
		B, Hq, Sq, D = int(q.shape[0]), int(q.shape[1]), int(q.shape[2]), int(q.shape[3])
		Hkv, Skv, Dv = int(k.shape[1]), int(k.shape[2]), int(v.shape[3])
		if int(k.shape[3]) != D || int(v.shape[1]) != Hkv || int(v.shape[2]) != Skv {
			return nil, fmt.Errorf("Q %v, K %v, V %v do not fit", q.shape, k.shape, v.shape)
		}
	default:
		return nil, fmt.Errorf("Q, K, V must all be 3-D or all 4-D")
	}
	if Hkv < 1 || Hq%Hkv != 0 || int(k.shape[0]) != B || int(v.shape[0]) != B {
		return nil, fmt.Errorf("heads %d/%d or batch sizes do not fit", Hq, Hkv)
	}
	Sp := 0
	if (pk == nil) != (pv == nil) {
		return nil, fmt.Errorf("past_key and past_value go together")
	}
	if pk != nil {
		if len(pk.shape) != 4 || int(pk.shape[0]) != B || int(pk.shape[1]) != Hkv || int(pk.shape[3]) != D ||
			len(pv.shape) != 4 || int(pv.shape[2]) != int(pk.shape[2]) || int(pv.shape[3]) != Dv {
			return nil, fmt.Errorf("past_key %v / past_value %v do not fit", pk.shape, pv.shape)
		}
		Sp = int(pk.shape[2])
	}
	St := Sp + Skv
	// The mask broadcasts to [B, Hq, Sq, St].
	// The mask broadcasts to [B, Hq, Sq, Lm] with Lm <= St; key positions
	// at or past Lm are masked (ONNX pads a short mask with false / -inf).
	var mbl *bloop
	Lm := St
	if mask != nil {
		if len(mask.shape) < 1 || len(mask.shape) > 4 || mask.dt != ir.Bool && mask.dt != ir.Float32 {
			return nil, fmt.Errorf("unsupported: attn_mask %s%v", mask.dt, mask.shape)
		}
		if l := int(mask.shape[len(mask.shape)-1]); l > 1 && l < St {
			Lm = l
		}
		full := []int64{int64(B), int64(Hq), int64(Sq), int64(Lm)}
		if bs, err := ir.BroadcastShape(full, mask.shape); err != nil || !slices.Equal(bs, full) {
			return nil, fmt.Errorf("unsupported: attn_mask %v does not broadcast to %v", mask.shape, full)
		}
		bl := newBloop(full, mask.shape, mask.shape)
		mbl = &bl
	}
	scale := float64(c.n.AttrFloat("scale", float32(1/math.Sqrt(float64(D)))))
	softcap := float64(c.n.AttrFloat("softcap", 0))
	causal := c.n.AttrInt("is_causal", 0) == 1
	var yshape []int64
	if three {
		yshape = []int64{int64(B), int64(Sq), int64(Hq * Dv)}
	} else {
		yshape = []int64{int64(B), int64(Hq), int64(Sq), int64(Dv)}
	}
	y, err := c.setOut(0, ir.Float32, yshape)
	if err != nil {
		return nil, err
	}
	// present K/V [B, Hkv, St, D]: outputs (also when omitted), else
	// scratch.
	kt := func(i int, d int) (*tval, error) {
		shape := []int64{int64(B), int64(Hkv), int64(St), int64(d)}
		if i < len(c.out) {
			return c.setOut(i, ir.Float32, shape)
		}
		return c.newScratch(ir.Float32, B*Hkv*St*d), nil
	}
	pK, err := kt(1, D)
	if err != nil {
		return nil, err
	}
	pV, err := kt(2, Dv)
	if err != nil {
		return nil, err
	}
	var qkOut *tval
	if len(c.out) > 3 {
		if qkOut, err = c.setOut(3, ir.Float32, []int64{int64(B), int64(Hq), int64(Sq), int64(St)}); err != nil {
			return nil, err
		}
	}
	// Gather K and V (after the past) per kv head.
	fill := func(dst, past *tval, src *tval, d int) {
		ds := dst.f32()
		for b := 0; b < B; b++ {
			for h := 0; h < Hkv; h++ {
				base := ((b*Hkv + h) * St) * d
				if past != nil {
					copy(ds[base:base+Sp*d], past.f32()[((b*Hkv+h)*Sp)*d:((b*Hkv+h)*Sp+Sp)*d])
				}
				for s := 0; s < Skv; s++ {
					o := ds[base+(Sp+s)*d : base+(Sp+s+1)*d]
					if three {
						copy(o, src.f32()[(b*Skv+s)*Hkv*d+h*d:])
					} else {
						copy(o, src.f32()[((b*Hkv+h)*Skv+s)*d:])
					}
				}
			}
		}
	}
	if useKernels && softcap == 0 && qkOut == nil && min(Sq, St, D, Dv) > 0 {
		// The common case on package kernels; softcap and the QK output
		// stay on the float64 path below.
		attn := c.attentionKernels(q, pK, pV, y, mask, mbl, B, Hq, Hkv, Sq, St, Sp, Lm, D, Dv, three, causal, float32(scale))
		c.kernels = true
		return func() {
			fill(pK, pk, k, D)
			fill(pV, pv, v, Dv)
			attn()
		}, nil
	}
	row := make([]float64, St)
	return func() {
		fill(pK, pk, k, D)
		fill(pV, pv, v, Dv)
		qs, ks, vs, ys := q.f32(), pK.f32(), pV.f32(), y.f32()
		group := Hq / Hkv
		for b := 0; b < B; b++ {
			for h := 0; h < Hq; h++ {
				kh := h / group
				for i := 0; i < Sq; i++ {
					var qrow []float32
					if three {
						qrow = qs[(b*Sq+i)*Hq*D+h*D : (b*Sq+i)*Hq*D+h*D+D]
					} else {
						qrow = qs[((b*Hq+h)*Sq+i)*D : ((b*Hq+h)*Sq+i+1)*D]
					}
					m := math.Inf(-1)
					for j := 0; j < St; j++ {
						krow := ks[((b*Hkv+kh)*St+j)*D : ((b*Hkv+kh)*St+j+1)*D]
						var s float64
						for t, qv := range qrow {
							s += float64(qv) * float64(krow[t])
						}
						s *= scale
						qi := ((b*Hq+h)*Sq+i)*St + j
						if softcap > 0 {
							s = softcap * math.Tanh(s/softcap)
						}
						if qkOut != nil && qkMode <= 1 {
							qkOut.f32()[qi] = float32(s)
						}
						// Causal: bottom-right aligned, key j visible to
						// query i when j <= i + past length.
						var bias float64
						if causal && j > i+Sp {
							bias = math.Inf(-1)
						}
						if mbl != nil {
							if j >= Lm {
								bias = math.Inf(-1)
							} else {
								mo := offsetIn(mbl, 0, ((b*Hq+h)*Sq+i)*Lm+j)
								if mask.dt == ir.Bool {
									if mask.u8()[mo] == 0 {
										bias = math.Inf(-1)
									}
								} else {
									bias += float64(mask.f32()[mo])
								}
							}
						}
						s += bias
						if qkOut != nil && qkMode == 2 {
							qkOut.f32()[qi] = float32(s)
						}
						row[j] = s
						m = math.Max(m, s)
					}
					var sum float64
					for j := range row {
						if math.IsInf(m, -1) {
							row[j] = 0 // fully masked row: zeros
							continue
						}
						row[j] = math.Exp(row[j] - m)
						sum += row[j]
					}
					if sum == 0 {
						sum = 1
					}
					if qkOut != nil && qkMode == 3 {
						for j, e := range row {
							qkOut.f32()[((b*Hq+h)*Sq+i)*St+j] = float32(e / sum)
						}
					}
					var orow []float32
					if three {
						orow = ys[(b*Sq+i)*Hq*Dv+h*Dv : (b*Sq+i)*Hq*Dv+h*Dv+Dv]
					} else {
						orow = ys[((b*Hq+h)*Sq+i)*Dv : ((b*Hq+h)*Sq+i+1)*Dv]
					}
					for t := range orow {
						var acc float64
						for j := 0; j < St; j++ {
							acc += row[j] * float64(vs[((b*Hkv+kh)*St+j)*Dv+t])
						}
						orow[t] = float32(acc / sum)
					}
				}
			}
		}
	}, nil
}

// attentionKernels is Attention without softcap and qk_matmul_output on
// package kernels: per (batch, query head), S = scale * Q K^T by one GEMM
// (K read transposed), the causal and attention masks added, each row
// softmaxed by the kernels' row softmax (a fully masked row gives zeros),
// then Y = S V by a second GEMM written straight into Y's layout. Heads run
// in parallel, each part with its own GEMM workspace and S buffer; a head's
// result does not depend on the split.
func (c *ctx) attentionKernels(q, pK, pV, y, mask *tval, mbl *bloop, B, Hq, Hkv, Sq, St, Sp, Lm, D, Dv int, three, causal bool, scale float32) func() {
	heads := B * Hq
	parts := max(1, min(heads, c.b.pool.threads))
	ws := make([]kernels.GemmWorkspace, parts)
	sbuf := c.newScratch(ir.Float32, parts*Sq*St)
	group := Hq / Hkv
	ninf := float32(math.Inf(-1))
	f := func(lo, hi int) {
		qs, ks, vs, ys := q.f32(), pK.f32(), pV.f32(), y.f32()
		for p := lo; p < hi; p++ {
			S := sbuf.f32()[p*Sq*St : (p+1)*Sq*St]
			for t := p * heads / parts; t < (p+1)*heads/parts; t++ {
				b, h := t/Hq, t%Hq
				kh := h / group
				qoff, lda := ((b*Hq+h)*Sq)*D, D
				yoff, ldc := ((b*Hq+h)*Sq)*Dv, Dv
				if three {
					qoff, lda = b*Sq*Hq*D+h*D, Hq*D
					yoff, ldc = b*Sq*Hq*Dv+h*Dv, Hq*Dv
				}
				koff, voff := (b*Hkv+kh)*St*D, (b*Hkv+kh)*St*Dv
				ws[p].Gemm(false, true, Sq, St, D, scale, qs[qoff:], lda, ks[koff:koff+St*D], D, 0, S, St, nil)
				for i := 0; i < Sq; i++ {
					row := S[i*St : (i+1)*St]
					if causal {
						for j := i + Sp + 1; j < St; j++ {
							row[j] = ninf
						}
					}
					if mbl != nil {
						for j := range row {
							if j >= Lm {
								row[j] = ninf
								continue
							}
							mo := offsetIn(mbl, 0, ((b*Hq+h)*Sq+i)*Lm+j)
							if mask.dt == ir.Bool {
								if mask.u8()[mo] == 0 {
									row[j] = ninf
								}
							} else {
								row[j] += mask.f32()[mo]
							}
						}
					}
					masked := true
					for _, v := range row {
						if v != ninf {
							masked = false
							break
						}
					}
					if masked {
						clear(row) // fully masked row: zeros
						continue
					}
					kernels.SoftmaxF32(row, row)
				}
				ws[p].Gemm(false, false, Sq, Dv, St, 1, S, St, vs[voff:voff+St*Dv], Dv, 0, ys[yoff:], ldc, nil)
			}
		}
	}
	pool := c.b.pool
	return func() { pool.parallelFor(parts, 1, f) }
}

func init() { register("", "Attention", opAttention) }
