package engine

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/mconv/mconv/ir"
)

// refResizeCoord is the ONNX Resize coordinate transformation: the input
// coordinate of output index o along an axis of input length in, output
// length on and scale s (from the operator document).
func refResizeCoord(ctm string, o, in, on int, s float64) float64 {
	switch ctm {
	case "half_pixel":
		return (float64(o)+0.5)/s - 0.5
	case "pytorch_half_pixel":
		if on > 1 {
			return (float64(o)+0.5)/s - 0.5
		}
		return 0
	case "align_corners":
		// The resized length is in*s, unrounded (ONNX Runtime's choice).
		if float64(in)*s <= 1 {
			return 0
		}
		return float64(o) * float64(in-1) / (float64(in)*s - 1)
	case "asymmetric":
		return float64(o) / s
	case "half_pixel_symmetric":
		adj := float64(on) / (s * float64(in))
		return float64(in)/2*(1-adj) + (float64(o)+0.5)/s - 0.5
	}
	panic(ctm)
}

// refResize2D resizes x [planes, H, W] to [planes, OH, OW] by the ONNX
// definitions of nearest (with its rounding mode) and linear sampling,
// per output element in float64.
func refResize2D(x []float32, planes, H, W, OH, OW int, sh, sw float64, mode, ctm, nm string) []float32 {
	near := func(c float64, in int) int {
		var k float64
		switch nm {
		case "round_prefer_floor":
			k = math.Ceil(c - 0.5)
		case "round_prefer_ceil":
			k = math.Floor(c + 0.5)
		case "floor":
			k = math.Floor(c)
		case "ceil":
			k = math.Ceil(c)
		}
		return min(max(int(k), 0), in-1)
	}
	out := make([]float32, planes*OH*OW)
	for p := 0; p < planes; p++ {
		for oy := 0; oy < OH; oy++ {
			cy := refResizeCoord(ctm, oy, H, OH, sh)
			for ox := 0; ox < OW; ox++ {
				cx := refResizeCoord(ctm, ox, W, OW, sw)
				var v float64
				if mode == "nearest" {
					v = float64(x[(p*H+near(cy, H))*W+near(cx, W)])
				} else {
					cy, cx := min(max(cy, 0), float64(H-1)), min(max(cx, 0), float64(W-1))
					y0, x0 := int(math.Floor(cy)), int(math.Floor(cx))
					y1, x1 := min(y0+1, H-1), min(x0+1, W-1)
					fy, fx := cy-float64(y0), cx-float64(x0)
					g := func(y, xx int) float64 { return float64(x[(p*H+y)*W+xx]) }
					v = (1-fy)*((1-fx)*g(y0, x0)+fx*g(y0, x1)) + fy*((1-fx)*g(y1, x0)+fx*g(y1, x1))
				}
				out[(p*OH+oy)*OW+ox] = float32(v)
			}
		}
	}
	return out
}

// TestResizeRandom checks Resize nearest (every rounding mode) and linear
// over every coordinate transformation mode, on random sizes and scales of
// the last two axes, against refResize2D, with 1 to 3 threads giving the
// same bits.
func TestResizeRandom(t *testing.T) {
	r := rand.New(rand.NewSource(17))
	ctms := []string{"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "half_pixel_symmetric"}
	nms := []string{"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"}
	factors := []float64{0.25, 0.5, 0.6, 1, 1.5, 2, 2, 3, 4}
	cases := 150
	if testing.Short() {
		cases = 40
	}
	for tc := 0; tc < cases; tc++ {
		mode := []string{"nearest", "linear"}[tc%2]
		ctm, nm := ctms[r.Intn(len(ctms))], nms[r.Intn(len(nms))]
		rank := []int{2, 3, 4, 4}[r.Intn(4)]
		lead := []int64{2, 3}[:rank-2]
		H, W := 1+r.Intn(9), 1+r.Intn(12)
		sh, sw := factors[r.Intn(len(factors))], factors[r.Intn(len(factors))]
		OH, OW := int(math.Floor(float64(H)*sh)), int(math.Floor(float64(W)*sw))
		if OH == 0 || OW == 0 {
			continue
		}
		t.Run(fmt.Sprintf("case%d_%s_%s_%s_%v_%dx%d_x%vx%v", tc, mode, ctm, nm, lead, H, W, sh, sw), func(t *testing.T) {
			m, g := newModel()
			shape := append(append([]int64{}, lead...), int64(H), int64(W))
			sc := make([]float32, rank)
			for i := range sc {
				sc[i] = 1
			}
			sc[rank-2], sc[rank-1] = float32(sh), float32(sw)
			x := g.AddInput("x", ir.TensorOf(ir.Float32, shape...))
			n := g.AddNode("Resize", "rs", []*ir.Value{x, nil, g.AddConst("scales", ir.NewFloat32(ints64(int64(rank)), sc))}, "y")
			n.SetAttr(&ir.Attr{Name: "mode", Type: ir.AttrString, S: []byte(mode)})
			n.SetAttr(&ir.Attr{Name: "coordinate_transformation_mode", Type: ir.AttrString, S: []byte(ctm)})
			n.SetAttr(&ir.Attr{Name: "nearest_mode", Type: ir.AttrString, S: []byte(nm)})
			g.AddOutput(n.Outputs[0])
			planes := int(ir.NumElements(lead))
			xv := randF32(r, planes*H*W)
			got, dims := runThreads(t, m, map[string]*ir.Tensor{"x": ir.NewFloat32(shape, xv)}, "y")
			if dims[rank-2] != int64(OH) || dims[rank-1] != int64(OW) {
				t.Fatalf("output shape %v, want ...x%dx%d", dims, OH, OW)
			}
			// The scales the model holds are float32.
			want := refResize2D(xv, planes, H, W, OH, OW, float64(float32(sh)), float64(float32(sw)), mode, ctm, nm)
			if mode == "nearest" {
				maxDiff(t, got, want, 0, 0)
			} else {
				maxDiff(t, got, want, 1e-6, 1e-5)
			}
		})
	}
}

// TestResizeNearest2x checks the nearest x2 path (kernels.Upsample2 over
// all planes' rows) against refResize2D on widths around the vector width
// (1, 7, 8, 13, 28), for the transformation modes that map output index o
// to input o/2, with 1-3 threads (runThreads).
func TestResizeNearest2x(t *testing.T) {
	r := rand.New(rand.NewSource(23))
	for _, mode := range [][2]string{{"asymmetric", "floor"}, {"half_pixel", "round_prefer_floor"}} {
		ctm, nm := mode[0], mode[1]
		for _, sz := range []struct{ planes, H, W int }{{3, 2, 1}, {5, 7, 7}, {2, 3, 8}, {7, 4, 13}, {6, 28, 28}} {
			t.Run(fmt.Sprintf("%s_%dx%dx%d", ctm, sz.planes, sz.H, sz.W), func(t *testing.T) {
				m, g := newModel()
				shape := ints64(1, int64(sz.planes), int64(sz.H), int64(sz.W))
				x := g.AddInput("x", ir.TensorOf(ir.Float32, shape...))
				n := g.AddNode("Resize", "rs", []*ir.Value{x, nil, g.AddConst("scales", ir.NewFloat32(ints64(4), []float32{1, 1, 2, 2}))}, "y")
				n.SetAttr(&ir.Attr{Name: "mode", Type: ir.AttrString, S: []byte("nearest")})
				n.SetAttr(&ir.Attr{Name: "coordinate_transformation_mode", Type: ir.AttrString, S: []byte(ctm)})
				n.SetAttr(&ir.Attr{Name: "nearest_mode", Type: ir.AttrString, S: []byte(nm)})
				g.AddOutput(n.Outputs[0])
				xv := randF32(r, sz.planes*sz.H*sz.W)
				got, _ := runThreads(t, m, map[string]*ir.Tensor{"x": ir.NewFloat32(shape, xv)}, "y")
				want := refResize2D(xv, sz.planes, sz.H, sz.W, 2*sz.H, 2*sz.W, 2, 2, "nearest", ctm, nm)
				maxDiff(t, got, want, 0, 0)
			})
		}
	}
}

// TestResizeBlocked checks the channels-last path (resizeBlocked: 70
// planes, a full block of 64 and a partial one), linear and nearest,
// against refResize2D, with 1-3 threads (runThreads), and bit for bit
// against the per-plane path (forced by raising resizeMinBlockPlanes), on
// small planes up, down and by non-integer factors.
func TestResizeBlocked(t *testing.T) {
	r := rand.New(rand.NewSource(31))
	cases := []struct {
		mode   string
		H, W   int
		sh, sw float64
		ctm    string
	}{
		{"linear", 7, 7, 2, 2, "half_pixel"},
		{"linear", 7, 7, 2, 2, "align_corners"},
		{"linear", 5, 3, 1.5, 2, "pytorch_half_pixel"},
		{"linear", 9, 12, 0.5, 0.6, "asymmetric"},
		{"linear", 1, 4, 3, 1, "half_pixel"},
		{"nearest", 3, 3, 2.34, 2.34, "asymmetric"}, // GhostNetV3's 3x3 -> 7x7
		{"nearest", 5, 7, 1.5, 3, "half_pixel"},
		{"nearest", 8, 6, 0.5, 0.7, "align_corners"},
	}
	for _, tc := range cases {
		const planes = 70
		OH, OW := int(math.Floor(float64(tc.H)*tc.sh)), int(math.Floor(float64(tc.W)*tc.sw))
		t.Run(fmt.Sprintf("%s_%s_%dx%d_x%vx%v", tc.mode, tc.ctm, tc.H, tc.W, tc.sh, tc.sw), func(t *testing.T) {
			m, g := newModel()
			shape := ints64(1, planes, int64(tc.H), int64(tc.W))
			x := g.AddInput("x", ir.TensorOf(ir.Float32, shape...))
			sc := []float32{1, 1, float32(tc.sh), float32(tc.sw)}
			n := g.AddNode("Resize", "rs", []*ir.Value{x, nil, g.AddConst("scales", ir.NewFloat32(ints64(4), sc))}, "y")
			n.SetAttr(&ir.Attr{Name: "mode", Type: ir.AttrString, S: []byte(tc.mode)})
			n.SetAttr(&ir.Attr{Name: "coordinate_transformation_mode", Type: ir.AttrString, S: []byte(tc.ctm)})
			g.AddOutput(n.Outputs[0])
			xv := randF32(r, planes*tc.H*tc.W)
			in := map[string]*ir.Tensor{"x": ir.NewFloat32(shape, xv)}
			got, _ := runThreads(t, m, in, "y")
			want := refResize2D(xv, planes, tc.H, tc.W, OH, OW, float64(float32(tc.sh)), float64(float32(tc.sw)), tc.mode, tc.ctm, "round_prefer_floor")
			maxDiff(t, got, want, 1e-6, 1e-5)
			defer func(v int) { resizeMinBlockPlanes = v }(resizeMinBlockPlanes)
			resizeMinBlockPlanes = 1 << 30
			plane, _ := runThreads(t, m, in, "y")
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(plane[i]) {
					t.Fatalf("element %d: %v channels-last, %v per plane", i, got[i], plane[i])
				}
			}
		})
	}
}

// BenchmarkResizeNearest2x times Resize nearest x2 (asymmetric, floor) on
// GhostNetV3's DFC-attention gate shapes [1, C, H, W] -> [1, C, 2H, 2W].
func BenchmarkResizeNearest2x(b *testing.B) {
	for _, sh := range []struct{ C, H int }{{72, 28}, {240, 14}, {672, 7}} {
		for _, th := range []int{1, 2} {
			b.Run(fmt.Sprintf("%dx%dx%d/threads=%d", sh.C, sh.H, sh.H, th), func(b *testing.B) {
				m, g := newModel()
				shape := ints64(1, int64(sh.C), int64(sh.H), int64(sh.H))
				x := g.AddInput("x", ir.TensorOf(ir.Float32, shape...))
				n := g.AddNode("Resize", "rs", []*ir.Value{x, nil, g.AddConst("scales", ir.NewFloat32(ints64(4), []float32{1, 1, 2, 2}))}, "y")
				n.SetAttr(&ir.Attr{Name: "mode", Type: ir.AttrString, S: []byte("nearest")})
				n.SetAttr(&ir.Attr{Name: "coordinate_transformation_mode", Type: ir.AttrString, S: []byte("asymmetric")})
				n.SetAttr(&ir.Attr{Name: "nearest_mode", Type: ir.AttrString, S: []byte("floor")})
				g.AddOutput(n.Outputs[0])
				p, err := compileFull(m, Options{Threads: th})
				if err != nil {
					b.Fatal(err)
				}
				defer p.Close()
				in := map[string]*ir.Tensor{"x": ir.NewFloat32(shape, randF32(rand.New(rand.NewSource(1)), sh.C*sh.H*sh.H))}
				if _, err := p.Run(in); err != nil {
					b.Fatal(err)
				}
				if len(p.steps) != 1 {
					b.Fatalf("%d steps, want 1", len(p.steps))
				}
				run := p.steps[0].run // the Resize alone, not RunInto's copies
				b.SetBytes(int64(4 * 5 * sh.C * sh.H * sh.H))
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					run()
				}
			})
		}
	}
}
