package engine

import (
	"fmt"
	"math"
	"math/rand"
	"slices"
	"testing"

	"github.com/mconv/mconv/ir"
)

// convSpec is one 2-D convolution with every ONNX Conv attribute spelled
// out per axis; pads are [top, left, bottom, right].
type convSpec struct {
	N, C, H, W, M, KH, KW int
	SH, SW, DH, DW, G     int
	pads                  [4]int
}

// autoPads computes the pads of ONNX auto_pad (SAME_UPPER puts the odd
// extra pad at the end, SAME_LOWER at the beginning, VALID pads nothing)
// from the ONNX Conv definition: output = ceil(in / stride) for SAME,
// total = max((out-1)*stride + (k-1)*dilation + 1 - in, 0).
func autoPads(mode string, in, k, s, d int) (begin, end int) {
	if mode == "VALID" {
		return 0, 0
	}
	out := (in + s - 1) / s
	total := max((out-1)*s+(k-1)*d+1-in, 0)
	if mode == "SAME_UPPER" {
		return total / 2, total - total/2
	}
	return total - total/2, total / 2
}

// refConvGeneral is a direct float64 convolution written from the ONNX
// Conv definition (independent of the runtime's kernels): any kernel,
// stride, dilation, asymmetric padding and group count.
func refConvGeneral(s convSpec, x, w, b []float32) ([]float32, int, int) {
	OH := (s.H+s.pads[0]+s.pads[2]-((s.KH-1)*s.DH+1))/s.SH + 1
	OW := (s.W+s.pads[1]+s.pads[3]-((s.KW-1)*s.DW+1))/s.SW + 1
	cg, mg := s.C/s.G, s.M/s.G
	out := make([]float32, s.N*s.M*OH*OW)
	for n := 0; n < s.N; n++ {
		for m := 0; m < s.M; m++ {
			gi := m / mg
			for oy := 0; oy < OH; oy++ {
				for ox := 0; ox < OW; ox++ {
					acc := 0.0
					if b != nil {
						acc = float64(b[m])
					}
					for ci := 0; ci < cg; ci++ {
						c := gi*cg + ci
						for ky := 0; ky < s.KH; ky++ {
							iy := oy*s.SH - s.pads[0] + ky*s.DH
							if iy < 0 || iy >= s.H {
								continue
							}
							for kx := 0; kx < s.KW; kx++ {
								ix := ox*s.SW - s.pads[1] + kx*s.DW
								if ix < 0 || ix >= s.W {
									continue
								}
								acc += float64(x[((n*s.C+c)*s.H+iy)*s.W+ix]) * float64(w[((m*cg+ci)*s.KH+ky)*s.KW+kx])
							}
						}
					}
					out[((n*s.M+m)*OH+oy)*OW+ox] = float32(acc)
				}
			}
		}
	}
	return out, OH, OW
}

// TestConvAttributes checks Conv with dilations, asymmetric explicit pads,
// auto_pad (SAME_UPPER, SAME_LOWER, VALID), rectangular kernels with
// different strides per axis, grouped and depthwise dilated convolutions,
// without bias, and 1-D Conv, on the plain path and on package kernels,
// against refConvGeneral, with 1 and 2 threads giving identical bits.
func TestConvAttributes(t *testing.T) {
	cases := []struct {
		name    string
		s       convSpec
		autoPad string
		bias    bool
		oneD    bool
	}{
		{"dilation2", convSpec{N: 1, C: 4, H: 11, W: 10, M: 6, KH: 3, KW: 3, SH: 1, SW: 1, DH: 2, DW: 2, G: 1, pads: [4]int{2, 2, 2, 2}}, "", true, false},
		{"dilation_2x3_stride2", convSpec{N: 2, C: 3, H: 13, W: 12, M: 5, KH: 3, KW: 3, SH: 2, SW: 2, DH: 2, DW: 3, G: 1, pads: [4]int{1, 2, 1, 2}}, "", true, false},
		{"asymmetric_pads", convSpec{N: 1, C: 3, H: 8, W: 9, M: 4, KH: 3, KW: 3, SH: 2, SW: 2, DH: 1, DW: 1, G: 1, pads: [4]int{0, 1, 1, 0}}, "", true, false},
		{"same_upper_s2", convSpec{N: 1, C: 5, H: 8, W: 8, M: 7, KH: 3, KW: 3, SH: 2, SW: 2, DH: 1, DW: 1, G: 1}, "SAME_UPPER", true, false},
		{"same_lower_s2", convSpec{N: 1, C: 5, H: 8, W: 8, M: 7, KH: 3, KW: 3, SH: 2, SW: 2, DH: 1, DW: 1, G: 1}, "SAME_LOWER", true, false},
		{"same_upper_k4", convSpec{N: 1, C: 2, H: 7, W: 6, M: 3, KH: 4, KW: 4, SH: 1, SW: 1, DH: 1, DW: 1, G: 1}, "SAME_UPPER", false, false},
		{"valid", convSpec{N: 1, C: 3, H: 9, W: 7, M: 4, KH: 3, KW: 3, SH: 2, SW: 1, DH: 1, DW: 1, G: 1}, "VALID", true, false},
		{"rect_1x5_strides_2x1", convSpec{N: 1, C: 4, H: 6, W: 12, M: 8, KH: 1, KW: 5, SH: 2, SW: 1, DH: 1, DW: 1, G: 1, pads: [4]int{0, 2, 0, 2}}, "", false, false},
		{"rect_3x1", convSpec{N: 1, C: 4, H: 10, W: 6, M: 4, KH: 3, KW: 1, SH: 1, SW: 1, DH: 1, DW: 1, G: 1, pads: [4]int{1, 0, 1, 0}}, "", true, false},
		{"depthwise_dilated", convSpec{N: 1, C: 6, H: 12, W: 12, M: 6, KH: 3, KW: 3, SH: 1, SW: 1, DH: 2, DW: 2, G: 6, pads: [4]int{2, 2, 2, 2}}, "", true, false},
		{"depthwise_same_upper_s2", convSpec{N: 2, C: 8, H: 10, W: 9, M: 8, KH: 5, KW: 5, SH: 2, SW: 2, DH: 1, DW: 1, G: 8}, "SAME_UPPER", false, false},
		{"grouped_dilated_nobias", convSpec{N: 1, C: 8, H: 9, W: 9, M: 4, KH: 3, KW: 3, SH: 1, SW: 1, DH: 3, DW: 1, G: 2, pads: [4]int{3, 1, 3, 1}}, "", false, false},
		{"conv1d_dilated_stride2", convSpec{N: 2, C: 3, H: 1, W: 20, M: 4, KH: 1, KW: 3, SH: 1, SW: 2, DH: 1, DW: 2, G: 1, pads: [4]int{0, 1, 0, 2}}, "", true, true},
	}
	r := rand.New(rand.NewSource(31))
	for _, tc := range cases {
		s := tc.s
		if tc.autoPad != "" {
			s.pads[0], s.pads[2] = autoPads(tc.autoPad, s.H, s.KH, s.SH, s.DH)
			s.pads[1], s.pads[3] = autoPads(tc.autoPad, s.W, s.KW, s.SW, s.DW)
		}
		xv := randF32(r, s.N*s.C*s.H*s.W)
		wv := randF32(r, s.M*s.C/s.G*s.KH*s.KW)
		var bv []float32
		if tc.bias {
			bv = randF32(r, s.M)
		}
		want, OH, OW := refConvGeneral(s, xv, wv, bv)
		for _, fast := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/kernels=%v", tc.name, fast), func(t *testing.T) {
				useKernels = fast
				defer func() { useKernels = true }()
				m, g := newModel()
				xs, ws := ints64(int64(s.N), int64(s.C), int64(s.H), int64(s.W)), ints64(int64(s.M), int64(s.C/s.G), int64(s.KH), int64(s.KW))
				if tc.oneD {
					xs, ws = ints64(int64(s.N), int64(s.C), int64(s.W)), ints64(int64(s.M), int64(s.C/s.G), int64(s.KW))
				}
				x := g.AddInput("x", ir.TensorOf(ir.Float32, xs...))
				ins := []*ir.Value{x, g.AddConst("w", ir.NewFloat32(ws, wv))}
				if bv != nil {
					ins = append(ins, g.AddConst("b", ir.NewFloat32(ints64(int64(s.M)), bv)))
				}
				n := g.AddNode("Conv", "conv", ins, "y")
				ints := func(name string, v ...int) {
					a := &ir.Attr{Name: name, Type: ir.AttrInts}
					for _, e := range v {
						a.Ints = append(a.Ints, int64(e))
					}
					n.SetAttr(a)
				}
				if tc.oneD {
					ints("strides", s.SW)
					ints("dilations", s.DW)
					if tc.autoPad == "" {
						ints("pads", s.pads[1], s.pads[3])
					}
				} else {
					ints("strides", s.SH, s.SW)
					ints("dilations", s.DH, s.DW)
					if tc.autoPad == "" {
						ints("pads", s.pads[0], s.pads[1], s.pads[2], s.pads[3])
					}
				}
				if tc.autoPad != "" {
					n.SetAttr(&ir.Attr{Name: "auto_pad", Type: ir.AttrString, S: []byte(tc.autoPad)})
				}
				n.SetAttr(&ir.Attr{Name: "group", Type: ir.AttrInt, I: int64(s.G)})
				g.AddOutput(n.Outputs[0])
				var first []float32
				for _, th := range []int{1, 2} {
					p, err := compileFull(m, Options{Threads: th})
					if err != nil {
						t.Fatal(err)
					}
					out, err := p.Run(map[string]*ir.Tensor{"x": ir.NewFloat32(xs, xv)})
					p.Close()
					if err != nil {
						t.Fatal(err)
					}
					y := out["y"]
					wantDims := ints64(int64(s.N), int64(s.M), int64(OH), int64(OW))
					if tc.oneD {
						wantDims = ints64(int64(s.N), int64(s.M), int64(OW))
					}
					if !slices.Equal(y.Dims, wantDims) {
						t.Fatalf("output shape %v, want %v", y.Dims, wantDims)
					}
					got, _ := y.Float32s()
					maxDiff(t, got, want, 1e-4, 1e-4)
					if first == nil {
						first = got
						continue
					}
					for i := range got {
						if math.Float32bits(got[i]) != math.Float32bits(first[i]) {
							t.Fatalf("threads=%d differs from threads=1 at %d", th, i)
						}
					}
				}
			})
		}
	}
}
