package kernels

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"
	"unsafe"
)

func readF32(t *testing.T, path string) []float32 {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), len(b)/4)
}

func TestZZErrMeasure(t *testing.T) {
	for _, name := range []string{"repvgg_a0", "resnet18", "hgnetv2_b0"} {
		d := "/tmp/k-wino/dump/" + name
		var meta []struct {
			I     int
			X, W  []int
			Pads  []int
			Group int
		}
		b, _ := os.ReadFile(d + "/meta.json")
		json.Unmarshal(b, &meta)
		worstW, worstD := 0.0, 0.0
		for _, m := range meta {
			x := readF32(t, fmt.Sprintf("%s/%d_x.bin", d, m.I))
			w := readF32(t, fmt.Sprintf("%s/%d_w.bin", d, m.I))
			p := ConvParams{N: 1, C: m.X[1], H: m.X[2], W: m.X[3], M: m.W[0], KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1,
				PadT: m.Pads[0], PadL: m.Pads[1], PadB: m.Pads[2], PadR: m.Pads[3], Group: m.Group}
			p.OH, p.OW = OutSize(p.H, 3, 1, 1, p.PadT, p.PadB), OutSize(p.W, 3, 1, 1, p.PadL, p.PadR)
			y64, s := refConv64(&p, x, w)
			var ymax float64
			for _, v := range y64 {
				ymax = math.Max(ymax, math.Abs(v))
			}
			res := map[int]float64{}
			resS := map[int]float64{}
			for _, pol := range []int{-1, 1} {
				var pk *PackedConv
				withWinograd(pol, func() { pk = PackConvWeights(&p, w) })
				y := make([]float32, len(y64))
				Conv2D(&p, pk, x, nil, nil, y, nil, 1)
				var e, es float64
				for i, v := range y64 {
					d := math.Abs(float64(y[i]) - v)
					e = math.Max(e, d)
					if s[i] > 0 {
						es = math.Max(es, d/s[i])
					}
				}
				res[pol] = e / ymax
				resS[pol] = es
			}
			worstW, worstD = math.Max(worstW, res[1]), math.Max(worstD, res[-1])
			t.Logf("%s %d C%d M%d %dx%d g%d: max|err|/max|y| direct %.2e winograd %.2e; max|err|/S direct %.2e winograd %.2e", name, m.I, p.C, p.M, p.H, p.W, p.Group, res[-1], res[1], resS[-1], resS[1])
		}
		t.Logf("%s worst: direct %.2e winograd %.2e", name, worstD, worstW)
	}
}
func TestZZZWinoMaxSeen(t *testing.T) { t.Logf("max |err|/S seen: %.3g", winoMaxSeen) }
