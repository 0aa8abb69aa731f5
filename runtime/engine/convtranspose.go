package engine

import (
	"fmt"

	"github.com/mconv/mconv/ir"
)

// opConvTranspose implements ConvTranspose (any number of spatial dims,
// float32, plain Go): every input element scatters x * w into the outputs
// o = i*stride - pad_begin + k*dilation it reaches. Output size:
// stride*(in-1) + output_padding + (k-1)*dilation + 1 - pads, or
// output_shape with the padding derived from it (SAME_UPPER puts the odd
// pad at the start, as the ONNX definition says for ConvTranspose).
func opConvTranspose(c *ctx) (func(), error) {
	x, w, bias := c.input(0), c.input(1), c.input(2)
	if x == nil || w == nil {
		return nil, fmt.Errorf("needs X and W")
	}
	if x.dt != ir.Float32 || w.dt != ir.Float32 || (bias != nil && bias.dt != ir.Float32) {
		return nil, fmt.Errorf("unsupported: ConvTranspose on %s (only float32)", x.dt)
	}
	r := len(x.shape)
	if r < 3 || len(w.shape) != r {
		return nil, fmt.Errorf("X %v and W %v ranks", x.shape, w.shape)
	}
	nsp := r - 2
	G := int(c.n.AttrInt("group", 1))
	N, C := int(x.shape[0]), int(x.shape[1])
	if G < 1 || C%G != 0 || int(w.shape[0]) != C {
		return nil, fmt.Errorf("W %v does not fit X %v with group %d", w.shape, x.shape, G)
	}
	Mg := int(w.shape[1])
	M := Mg * G
	if bias != nil && bias.n != M {
		return nil, fmt.Errorf("B has %d elements for %d output channels", bias.n, M)
	}
	win, err := ir.ResolveTransposeWindow(c.n, x.shape[2:], w.shape[2:])
	if err != nil {
		return nil, err
	}
	ks, st, dl, pb, outs := ints(w.shape[2:]), ints(win.Strides), ints(win.Dilations), ints(win.PadBegin), ints(win.Out)
	for i, o := range outs {
		if o <= 0 {
			return nil, fmt.Errorf("output size %d <= 0 on spatial axis %d", o, i)
		}
	}
	out, err := c.setOut(0, ir.Float32, append([]int64{int64(N), int64(M)}, int64s(outs)...))
	if err != nil {
		return nil, err
	}
	inSp := ints(x.shape[2:])
	isz, osz := int(ir.NumElements(x.shape[2:])), int(ir.NumElements(int64s(outs)))
	ksz := int(ir.NumElements(w.shape[2:]))
	oStr := contiguousStrides(int64s(outs))
	Cg := C / G
	ip, kp := make([]int, nsp), make([]int, nsp)
	return func() {
		xs, ws, ys := x.f32(), w.f32(), out.f32()
		for n := 0; n < N; n++ {
			for m := 0; m < M; m++ {
				var bv float32
				if bias != nil {
					bv = bias.f32()[m]
				}
				row := ys[(n*M+m)*osz : (n*M+m+1)*osz]
				for i := range row {
					row[i] = bv
				}
			}
			for ch := 0; ch < C; ch++ {
				g := ch / Cg
				xb := xs[(n*C+ch)*isz : (n*C+ch+1)*isz]
				for i := range ip {
					ip[i] = 0
				}
				for ii := 0; ii < isz; ii++ {
					xv := xb[ii]
					for i := range kp {
						kp[i] = 0
					}
					for ki := 0; ki < ksz; ki++ {
						off, ok := 0, true
						for a := 0; a < nsp; a++ {
							o := ip[a]*st[a] - pb[a] + kp[a]*dl[a]
							if o < 0 || o >= outs[a] {
								ok = false
								break
							}
							off += o * oStr[a]
						}
						if ok {
							for m := 0; m < Mg; m++ {
								ys[(n*M+g*Mg+m)*osz+off] += xv * ws[(ch*Mg+m)*ksz+ki]
							}
						}
						for a := nsp - 1; a >= 0; a-- {
							kp[a]++
							if kp[a] < ks[a] {
								break
							}
							kp[a] = 0
						}
					}
					for a := nsp - 1; a >= 0; a-- {
						ip[a]++
						if ip[a] < inSp[a] {
							break
						}
						ip[a] = 0
					}
				}
			}
		}
	}, nil
}

func init() { register("", "ConvTranspose", opConvTranspose) }
