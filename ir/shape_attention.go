package ir

import "fmt"

func init() { RegisterShapeFunc("", "Attention", shapeAttention) }

// shapeAttention: ONNX Attention (opset 23). With 3-D Q [B, Sq, Hq*D],
// K [B, Skv, Hkv*D], V [B, Skv, Hkv*Dv] (heads from q_num_heads and
// kv_num_heads) Y is [B, Sq, Hq*Dv]; with 4-D Q [B, Hq, Sq, D],
// K [B, Hkv, Skv, D], V [B, Hkv, Skv, Dv] Y is [B, Hq, Sq, Dv].
// present_key and present_value are [B, Hkv, St, D] and [B, Hkv, St, Dv]
// with St = past length + Skv, qk_matmul_output [B, Hq, Sq, St]. Y and
// qk_matmul_output have Q's dtype, the presents K's and V's.
func shapeAttention(n *Node, _ int64) error {
	q, qok := inShape(n, 0)
	k, kok := inShape(n, 1)
	v, vok := inShape(n, 2)
	qt, kt, vt := inDType(n, 0), inDType(n, 1), inDType(n, 2)
	if !qok || !kok || !vok || len(q) != len(k) || len(q) != len(v) || (len(q) != 3 && len(q) != 4) {
		if qok && kok && vok {
			return fmt.Errorf("Q %s, K %s, V %s must all be 3-D or all 4-D", q, k, v)
		}
		for i, dt := range []DType{qt, kt, vt, qt} {
			setOutNoShape(n, i, dt)
		}
		return nil
	}
	unknown := Dim{Size: -1}
	div := func(d Dim, h int64) Dim {
		if !d.Known() || h < 1 {
			return unknown
		}
		return Dim{Size: d.Size / h}
	}
	var b, hq, hkv, sq, skv, d, dv Dim
	if len(q) == 3 {
		nq, nkv := n.AttrInt("q_num_heads", 0), n.AttrInt("kv_num_heads", 0)
		if nq < 1 || nkv < 1 {
			return fmt.Errorf("3-D inputs need positive q_num_heads and kv_num_heads, have %d and %d", nq, nkv)
		}
		for _, c := range []struct {
			d Dim
			h int64
		}{{q[2], nq}, {k[2], nkv}, {v[2], nkv}} {
			if c.d.Known() && c.d.Size%c.h != 0 {
				return fmt.Errorf("hidden size %d is not divisible by %d heads", c.d.Size, c.h)
			}
		}
		b, hq, hkv, sq, skv = q[0], Dim{Size: nq}, Dim{Size: nkv}, q[1], k[1]
		d, dv = div(q[2], nq), div(v[2], nkv)
	} else {
		b, hq, sq, d = q[0], q[1], q[2], q[3]
		hkv, skv, dv = k[1], k[2], v[3]
	}
	st := unknown
	if p, ok := inShape(n, 4); ok && n.Input(4) != nil {
		if len(p) != 4 {
			return fmt.Errorf("past_key %s must be 4-D", p)
		}
		if p[2].Known() && skv.Known() {
			st = Dim{Size: p[2].Size + skv.Size}
		}
	} else if n.Input(4) == nil {
		st = skv
	}
	if len(q) == 3 {
		yd := unknown
		if dv.Known() {
			yd = Dim{Size: hq.Size * dv.Size}
		}
		setOut(n, 0, qt, Shape{b, sq, yd})
	} else {
		setOut(n, 0, qt, Shape{b, hq, sq, dv})
	}
	setOut(n, 1, kt, Shape{b, hkv, st, d})
	setOut(n, 2, vt, Shape{b, hkv, st, dv})
	setOut(n, 3, qt, Shape{b, hq, sq, st})
	return nil
}
