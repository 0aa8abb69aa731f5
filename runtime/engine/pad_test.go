package engine

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/mconv/mconv/ir"
)

// refPadIndex is the input index of output index o along an axis of
// length d padded by begin in the given mode (ONNX Pad): -1 for the
// constant.
func refPadIndex(mode string, o, begin, d int) int {
	i := o - begin
	if i >= 0 && i < d {
		return i
	}
	switch mode {
	case "edge":
		return min(max(i, 0), d-1)
	case "wrap":
		return ((i % d) + d) % d
	case "reflect":
		if d == 1 {
			return 0
		}
		p := 2 * (d - 1)
		i = ((i % p) + p) % p
		if i >= d {
			i = p - i
		}
		return i
	}
	return -1
}

// TestPadRandom checks Pad (constant with a value, edge, reflect, wrap;
// negative pads crop) on random shapes of rank 1 to 4 for float32 and
// int64, every fifth padding the last axis only, against refPadIndex per
// element, with 1 to 3 threads.
func TestPadRandom(t *testing.T) {
	r := rand.New(rand.NewSource(23))
	modes := []string{"constant", "edge", "reflect", "wrap"}
	for tc := 0; tc < 80; tc++ {
		mode := modes[tc%4]
		rank := 1 + r.Intn(4)
		shape := make([]int64, rank)
		pads := make([]int64, 2*rank)
		for a := range shape {
			shape[a] = int64(1 + r.Intn(6))
			for _, j := range []int{a, a + rank} {
				switch {
				case mode == "constant":
					pads[j] = int64(r.Intn(5) - 1) // crops too
				case mode == "reflect":
					pads[j] = int64(r.Intn(int(shape[a])))
				default:
					pads[j] = int64(r.Intn(4))
				}
			}
			if shape[a]+pads[a]+pads[a+rank] < 0 {
				pads[a] = 0
			}
			if tc%5 == 4 && a < rank-1 {
				// Only the last axis padded (padRows' row-for-row path).
				pads[a], pads[a+rank] = 0, 0
			}
		}
		isInt := tc%3 == 2
		t.Run(fmt.Sprintf("case%d_%s_%v_pads%v_int%v", tc, mode, shape, pads, isInt), func(t *testing.T) {
			m, g := newModel()
			dt := ir.Float32
			n := int(ir.NumElements(shape))
			xv := randF32(r, n)
			xt := ir.NewFloat32(shape, xv)
			cv := ir.NewFloat32(nil, []float32{2.5})
			if isInt {
				dt = ir.Int64
				iv := make([]int64, n)
				for i := range iv {
					iv[i] = int64(r.Intn(1000)) - 500
					xv[i] = float32(iv[i])
				}
				xt = ir.NewInt64(shape, iv)
				cv = ir.NewInt64(nil, []int64{7})
			}
			x := g.AddInput("x", ir.TensorOf(dt, shape...))
			nd := g.AddNode("Pad", "pad", []*ir.Value{x, g.AddConst("pads", ir.NewInt64(ints64(int64(2*rank)), pads)), g.AddConst("value", cv)}, "y")
			nd.SetAttr(&ir.Attr{Name: "mode", Type: ir.AttrString, S: []byte(mode)})
			g.AddOutput(nd.Outputs[0])
			oshape := make([]int64, rank)
			for a := range shape {
				oshape[a] = shape[a] + pads[a] + pads[a+rank]
			}
			on := int(ir.NumElements(oshape))
			want := make([]float32, on)
			idx := make([]int, rank)
			for k := range want {
				off := 0
				for a := 0; a < rank; a++ {
					i := refPadIndex(mode, idx[a], int(pads[a]), int(shape[a]))
					if i < 0 {
						off = -1
						break
					}
					off = off*int(shape[a]) + i
				}
				switch {
				case off >= 0:
					want[k] = xv[off]
				case isInt:
					want[k] = 7
				default:
					want[k] = 2.5
				}
				nextIndex(idx, oshape)
			}
			var got []float32
			if isInt {
				got = runInt64(t, m, map[string]*ir.Tensor{"x": xt}, "y")
			} else {
				got, _ = runThreads(t, m, map[string]*ir.Tensor{"x": xt}, "y")
			}
			maxDiff(t, got, want, 0, 0)
		})
	}
}
