package engine

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/mconv/mconv/ir"
)

// runThreads compiles m and runs it on in with 1, 2 and 3 threads; it
// fails unless every thread count gives the same bits, checks that RunInto
// allocates nothing, and returns output name's values and shape.
func runThreads(t *testing.T, m *ir.Model, in map[string]*ir.Tensor, name string) ([]float32, []int64) {
	t.Helper()
	var first []float32
	var dims []int64
	for _, th := range []int{1, 2, 3} {
		p, err := compileFull(m, Options{Threads: th})
		if err != nil {
			t.Fatal(err)
		}
		out, err := p.Run(in)
		if err != nil {
			p.Close()
			t.Fatal(err)
		}
		if th == 2 {
			if a := testing.AllocsPerRun(3, func() {
				if err := p.RunInto(in, out); err != nil {
					t.Fatal(err)
				}
			}); a != 0 {
				t.Errorf("RunInto allocates %v times per run", a)
			}
		}
		p.Close()
		got, err := out[name].Float32s()
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first, dims = got, out[name].Dims
			continue
		}
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(first[i]) {
				t.Fatalf("threads=%d: element %d is %v, with 1 thread %v", th, i, got[i], first[i])
			}
		}
	}
	return first, dims
}

// runInt64 compiles m, runs it on in and returns output name (int64) as
// float32 values (the tests' integers are small).
func runInt64(t *testing.T, m *ir.Model, in map[string]*ir.Tensor, name string) []float32 {
	t.Helper()
	p := mustCompile(t, m, Options{Threads: 2})
	out, err := p.Run(in)
	if err != nil {
		t.Fatal(err)
	}
	iv, err := out[name].Int64s()
	if err != nil {
		t.Fatal(err)
	}
	got := make([]float32, len(iv))
	for i, v := range iv {
		got[i] = float32(v)
	}
	return got
}

// refPool is MaxPool/AveragePool over x [planes, H, W] as the ONNX
// operator documents define them, per output element in float64: the
// window's taps inside the input are reduced; an average divides by their
// count, or with countPad by the count of taps inside the explicitly
// padded input (the ceil-mode overhang never counts).
func refPool(x []float32, planes, H, W, KH, KW, SH, SW, DH, DW, PT, PL, PB, PR, OH, OW int, isMax, countPad bool) []float32 {
	out := make([]float32, planes*OH*OW)
	for p := 0; p < planes; p++ {
		for oy := 0; oy < OH; oy++ {
			for ox := 0; ox < OW; ox++ {
				s, n, np := 0.0, 0, 0
				if isMax {
					s = math.Inf(-1)
				}
				for ky := 0; ky < KH; ky++ {
					for kx := 0; kx < KW; kx++ {
						iy, ix := oy*SH-PT+ky*DH, ox*SW-PL+kx*DW
						if iy >= -PT && iy < H+PB && ix >= -PL && ix < W+PR {
							np++
						}
						if iy < 0 || iy >= H || ix < 0 || ix >= W {
							continue
						}
						v := float64(x[(p*H+iy)*W+ix])
						if isMax {
							s = math.Max(s, v)
						} else {
							s += v
						}
						n++
					}
				}
				if !isMax {
					if countPad {
						n = np
					}
					if n > 0 {
						s /= float64(n)
					}
				}
				out[(p*OH+oy)*OW+ox] = float32(s)
			}
		}
	}
	return out
}

// poolOut is the output length of a pooling axis (ONNX: floor or ceil of
// (in + pads - dilated kernel) / stride + 1, a last window that would
// start in the end padding dropped in ceil mode).
func poolOut(in, k, s, d, pb, pe int, ceil bool) int {
	num := in + pb + pe - ((k-1)*d + 1)
	o := num/s + 1
	if ceil && num%s != 0 {
		o++
		if (o-1)*s >= in+pb {
			o--
		}
	}
	return o
}

// TestPoolRandom checks MaxPool and AveragePool (1-D and 2-D, strides 1 to
// 3, dilations, pads, ceil_mode, count_include_pad) on random geometries
// against refPool.
func TestPoolRandom(t *testing.T) {
	r := rand.New(rand.NewSource(11))
	cases := 120
	if testing.Short() {
		cases = 30
	}
	for tc := 0; tc < cases; tc++ {
		isMax := tc%2 == 0
		oneD := tc%5 == 4
		N, C := 1+r.Intn(2), 1+r.Intn(3)
		H, W := 1+r.Intn(12), 1+r.Intn(40)
		KH, KW := 1+r.Intn(4), 1+r.Intn(4)
		SH, SW := 1+r.Intn(3), 1+r.Intn(3)
		DH, DW := 1, 1
		if r.Intn(4) == 0 {
			DH, DW = 1+r.Intn(2), 1+r.Intn(2)
		}
		if oneD {
			H, KH, SH, DH = 1, 1, 1, 1
		}
		if H < (KH-1)*DH+1 {
			H = (KH-1)*DH + 1
		}
		if W < (KW-1)*DW+1 {
			W = (KW-1)*DW + 1
		}
		PT, PB, PL, PR := r.Intn(KH), r.Intn(KH), r.Intn(KW), r.Intn(KW)
		if oneD {
			PT, PB = 0, 0
		}
		ceil, countPad := r.Intn(2) == 1, r.Intn(2) == 1
		if tc < 20 && !oneD { // 2x2 stride 2 without padding (GhostNet's and VGG's)
			H, W = 2+r.Intn(15), 2+r.Intn(40)
			KH, KW, SH, SW, DH, DW = 2, 2, 2, 2, 1, 1
			PT, PB, PL, PR = 0, 0, 0, 0
		}
		name := fmt.Sprintf("case%d_%s_%dx%dx%dx%d_k%dx%d_s%dx%d_d%dx%d_p%d%d%d%d_ceil%v_cip%v", tc, map[bool]string{true: "max", false: "avg"}[isMax], N, C, H, W, KH, KW, SH, SW, DH, DW, PT, PL, PB, PR, ceil, countPad)
		t.Run(name, func(t *testing.T) {
			OH, OW := poolOut(H, KH, SH, DH, PT, PB, ceil), poolOut(W, KW, SW, DW, PL, PR, ceil)
			m, g := newModel()
			shape := ints64(int64(N), int64(C), int64(H), int64(W))
			ks, ss, ds, ps := ints64(int64(KH), int64(KW)), ints64(int64(SH), int64(SW)), ints64(int64(DH), int64(DW)), ints64(int64(PT), int64(PL), int64(PB), int64(PR))
			if oneD {
				shape = shape[:3]
				shape[2] = int64(W)
				ks, ss, ds, ps = ks[1:], ss[1:], ds[1:], ints64(int64(PL), int64(PR))
			}
			x := g.AddInput("x", ir.TensorOf(ir.Float32, shape...))
			op := "AveragePool"
			if isMax {
				op = "MaxPool"
			}
			n := g.AddNode(op, "pool", []*ir.Value{x}, "y")
			n.SetAttr(&ir.Attr{Name: "kernel_shape", Type: ir.AttrInts, Ints: ks})
			n.SetAttr(&ir.Attr{Name: "strides", Type: ir.AttrInts, Ints: ss})
			n.SetAttr(&ir.Attr{Name: "dilations", Type: ir.AttrInts, Ints: ds})
			n.SetAttr(&ir.Attr{Name: "pads", Type: ir.AttrInts, Ints: ps})
			n.SetAttr(&ir.Attr{Name: "ceil_mode", Type: ir.AttrInt, I: b2i(ceil)})
			if !isMax {
				n.SetAttr(&ir.Attr{Name: "count_include_pad", Type: ir.AttrInt, I: b2i(countPad)})
			}
			g.AddOutput(n.Outputs[0])
			xv := randF32(r, N*C*H*W)
			got, dims := runThreads(t, m, map[string]*ir.Tensor{"x": ir.NewFloat32(shape, xv)}, "y")
			if dims[len(dims)-1] != int64(OW) || (!oneD && dims[2] != int64(OH)) {
				t.Fatalf("output shape %v, want spatial %dx%d", dims, OH, OW)
			}
			want := refPool(xv, N*C, H, W, KH, KW, SH, SW, DH, DW, PT, PL, PB, PR, OH, OW, isMax, countPad)
			if isMax {
				maxDiff(t, got, want, 0, 0)
			} else {
				maxDiff(t, got, want, 1e-6, 1e-5)
			}
		})
	}
}

// BenchmarkMovement times single data-movement and pooling ops of the
// sizes the zoo's backbones run (batch 1, one and two threads), reporting GB/s of
// output.
func BenchmarkMovement(b *testing.B) {
	for _, tc := range movementCases() {
		for _, th := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/threads%d", tc.name, th), func(b *testing.B) {
				r := rand.New(rand.NewSource(6))
				p, err := Compile(tc.build(), Options{Threads: th})
				if err != nil {
					b.Fatal(err)
				}
				defer p.Close()
				in := map[string]*ir.Tensor{"x": ir.NewFloat32(tc.shape, randF32(r, int(ir.NumElements(tc.shape))))}
				benchRunInto(b, p, in)
				b.ReportMetric(float64(4*p.outputs[0].n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
			})
		}
	}
}

// movementCase is one single-node model of a data-movement or pooling op.
type movementCase struct {
	name  string
	op    string
	shape []int64
	attrs []*ir.Attr
	extra func(g *ir.Graph) []*ir.Value
}

// build returns the case's model.
func (tc movementCase) build() *ir.Model {
	m, g := newModel()
	x := g.AddInput("x", ir.TensorOf(ir.Float32, tc.shape...))
	ins := []*ir.Value{x}
	if tc.extra != nil {
		ins = append(ins, tc.extra(g)...)
	}
	n := g.AddNode(tc.op, "op", ins, "y")
	for _, a := range tc.attrs {
		n.SetAttr(a)
	}
	g.AddOutput(n.Outputs[0])
	return m
}

// movementCases are data-movement, pooling and normalization ops of the
// sizes the zoo's backbones run (batch 1): large enough that their steps
// are split across threads.
func movementCases() []movementCase {
	type attr = ir.Attr
	return []movementCase{
		{"MaxPool3x3s2_64x112x112", "MaxPool", ints64(1, 64, 112, 112), []*attr{
			{Name: "kernel_shape", Type: ir.AttrInts, Ints: ints64(3, 3)}, {Name: "strides", Type: ir.AttrInts, Ints: ints64(2, 2)}, {Name: "pads", Type: ir.AttrInts, Ints: ints64(1, 1, 1, 1)}}, nil},
		{"MaxPool2x2s1ceil_16x56x56", "MaxPool", ints64(1, 16, 56, 56), []*attr{
			{Name: "kernel_shape", Type: ir.AttrInts, Ints: ints64(2, 2)}, {Name: "ceil_mode", Type: ir.AttrInt, I: 1}}, nil},
		{"AvgPool2x2s2_64x56x56", "AveragePool", ints64(1, 64, 56, 56), []*attr{
			{Name: "kernel_shape", Type: ir.AttrInts, Ints: ints64(2, 2)}, {Name: "strides", Type: ir.AttrInts, Ints: ints64(2, 2)}}, nil},
		{"AvgPool3x3s1p1_64x28x28", "AveragePool", ints64(1, 64, 28, 28), []*attr{
			{Name: "kernel_shape", Type: ir.AttrInts, Ints: ints64(3, 3)}, {Name: "pads", Type: ir.AttrInts, Ints: ints64(1, 1, 1, 1)}, {Name: "count_include_pad", Type: ir.AttrInt, I: 1}}, nil},
		{"ResizeNearest2x_64x28x28", "Resize", ints64(1, 64, 28, 28), []*attr{
			{Name: "mode", Type: ir.AttrString, S: []byte("nearest")}, {Name: "coordinate_transformation_mode", Type: ir.AttrString, S: []byte("asymmetric")}, {Name: "nearest_mode", Type: ir.AttrString, S: []byte("floor")}},
			func(g *ir.Graph) []*ir.Value {
				return []*ir.Value{nil, g.AddConst("scales", ir.NewFloat32(ints64(4), []float32{1, 1, 2, 2}))}
			}},
		{"ResizeLinear2x_128x14x14", "Resize", ints64(1, 128, 14, 14), []*attr{
			{Name: "mode", Type: ir.AttrString, S: []byte("linear")}, {Name: "coordinate_transformation_mode", Type: ir.AttrString, S: []byte("pytorch_half_pixel")}},
			func(g *ir.Graph) []*ir.Value {
				return []*ir.Value{nil, g.AddConst("scales", ir.NewFloat32(ints64(4), []float32{1, 1, 2, 2}))}
			}},
		{"ResizeLinear2x_1024x7x7", "Resize", ints64(1, 1024, 7, 7), []*attr{
			{Name: "mode", Type: ir.AttrString, S: []byte("linear")}, {Name: "coordinate_transformation_mode", Type: ir.AttrString, S: []byte("half_pixel")}},
			func(g *ir.Graph) []*ir.Value {
				return []*ir.Value{nil, g.AddConst("scales", ir.NewFloat32(ints64(4), []float32{1, 1, 2, 2}))}
			}},
		{"PadConst0101_16x112x112", "Pad", ints64(1, 16, 112, 112), nil,
			func(g *ir.Graph) []*ir.Value {
				return []*ir.Value{g.AddConst("pads", ir.NewInt64(ints64(8), ints64(0, 0, 0, 0, 0, 0, 1, 1)))}
			}},
		{"PadReflect1_32x56x56", "Pad", ints64(1, 32, 56, 56), []*attr{{Name: "mode", Type: ir.AttrString, S: []byte("reflect")}},
			func(g *ir.Graph) []*ir.Value {
				return []*ir.Value{g.AddConst("pads", ir.NewInt64(ints64(8), ints64(0, 0, 1, 1, 0, 0, 1, 1)))}
			}},
		{"TransposeShuffle_2x58x28x28", "Transpose", ints64(1, 2, 58, 28, 28), []*attr{{Name: "perm", Type: ir.AttrInts, Ints: ints64(0, 2, 1, 3, 4)}}, nil},
		{"TransposeLast2_8x196x64", "Transpose", ints64(8, 196, 64), []*attr{{Name: "perm", Type: ir.AttrInts, Ints: ints64(0, 2, 1)}}, nil},
		{"InstanceNorm_32x64x64", "InstanceNormalization", ints64(1, 32, 64, 64), nil,
			func(g *ir.Graph) []*ir.Value {
				return []*ir.Value{g.AddConst("s", ir.NewFloat32(ints64(32), onesF32(32))), g.AddConst("b", ir.NewFloat32(ints64(32), make([]float32, 32)))}
			}},
		{"GroupNorm4_32x56x56", "GroupNormalization", ints64(1, 32, 56, 56), []*attr{{Name: "num_groups", Type: ir.AttrInt, I: 4}},
			func(g *ir.Graph) []*ir.Value {
				return []*ir.Value{g.AddConst("s", ir.NewFloat32(ints64(4), onesF32(4))), g.AddConst("b", ir.NewFloat32(ints64(4), make([]float32, 4)))}
			}},
		{"DepthwiseConv3x3_64x56x56", "Conv", ints64(1, 64, 56, 56), []*attr{{Name: "group", Type: ir.AttrInt, I: 64}, {Name: "pads", Type: ir.AttrInts, Ints: ints64(1, 1, 1, 1)}},
			func(g *ir.Graph) []*ir.Value {
				w := randF32(rand.New(rand.NewSource(3)), 64*9)
				return []*ir.Value{g.AddConst("w", ir.NewFloat32(ints64(64, 1, 3, 3), w))}
			}},
	}
}

func onesF32(n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = 1
	}
	return v
}

// TestMovementCasesThreads runs movementCases with 1 to 4 threads: every
// thread count gives the bits of one thread (the split of a step across
// threads only changes which thread writes an output), and RunInto
// allocates nothing. The ops' values are checked against their
// definitions by the tests of each op.
func TestMovementCasesThreads(t *testing.T) {
	r := rand.New(rand.NewSource(17))
	for _, tc := range movementCases() {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.build()
			in := map[string]*ir.Tensor{"x": ir.NewFloat32(tc.shape, randF32(r, int(ir.NumElements(tc.shape))))}
			var first []float32
			for th := 1; th <= 4; th++ {
				p := mustCompile(t, m, Options{Threads: th})
				out, err := p.Run(in)
				if err != nil {
					t.Fatal(err)
				}
				got, err := out["y"].Float32s()
				if err != nil {
					t.Fatal(err)
				}
				if th == 1 {
					first = got
				} else {
					for i := range got {
						if math.Float32bits(got[i]) != math.Float32bits(first[i]) {
							t.Fatalf("%d threads: element %d = %v, 1 thread %v", th, i, got[i], first[i])
						}
					}
				}
				if a := testing.AllocsPerRun(3, func() {
					if err := p.RunInto(in, out); err != nil {
						t.Fatal(err)
					}
				}); a != 0 {
					t.Errorf("%d threads: RunInto allocates %v times", th, a)
				}
			}
		})
	}
}
