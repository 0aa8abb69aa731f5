package coreml

import (
	"math"

	"github.com/x448/float16"
	"sort"
	"strings"
	"testing"

	"github.com/mconv/mconv/coreml/pb"
	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/runtime"
)

// overflowModel is a linear-attention-like chain whose middle values pass
// float16's 65504: q = Relu(x), s = 64 q, vk = s @ W (W all 256), d = vk + 1,
// r = vk / d, t = vk / 1024, y = Relu(r + t). With x in -2..4 a row of s
// sums to 704 at most (relu(x) sums to 11), so vk reaches 256*704 = 180224.
func overflowModel() (*ir.Model, *ir.Tensor) {
	b := newBuilder(3)
	x := b.g.AddInput("x", ir.TensorOf(ir.Float32, 1, 4, 8))
	c := func(name string, dims []int64, f float32) *ir.Value {
		d := make([]float32, ir.NumElements(dims))
		for i := range d {
			d[i] = f
		}
		return b.g.AddConst(name, ir.NewFloat32(dims, d))
	}
	node := func(op, name string, in ...*ir.Value) *ir.Value {
		return b.g.AddNode(op, name, in, name+"_out").Outputs[0]
	}
	q := node("Relu", "q", x)
	s := node("Mul", "s", q, c("k64", nil, 64))
	vk := node("MatMul", "vk", s, c("W", []int64{8, 8}, 256))
	d := node("Add", "d", vk, c("one", nil, 1))
	r := node("Div", "r", vk, d)
	t := node("Div", "t", vk, c("k1024", nil, 1024))
	y := node("Relu", "y", node("Add", "sum", r, t))
	in := make([]float32, 32)
	for i := range in {
		in[i] = float32(i%7 - 2)
	}
	return b.model(y), ir.NewFloat32([]int64{1, 4, 8}, in)
}

// overflowWant computes overflowModel in float64 (the independent
// reference) and returns y and max |vk|.
func overflowWant(x []float32) (y []float64, maxVK float64) {
	y = make([]float64, 32)
	for row := 0; row < 4; row++ {
		sum := 0.0
		for k := 0; k < 8; k++ {
			sum += 64 * math.Max(float64(x[row*8+k]), 0)
		}
		vk := 256 * sum // every column of W is 256
		maxVK = math.Max(maxVK, vk)
		for j := 0; j < 8; j++ {
			y[row*8+j] = math.Max(vk/(vk+1)+vk/1024, 0)
		}
	}
	return y, maxVK
}

// TestFP16OverflowRegion: in an fp16 ML Program the nodes whose values
// pass float16's range in the calibration run compute in float32 (casts in
// and out), the others in float16; read back with its fp16 types and run,
// the program gives the float64 reference within the fp16 tolerance, where
// the same program all in fp16 is not finite.
func TestFP16OverflowRegion(t *testing.T) {
	m, x := overflowModel()
	xf, _ := x.Float32s()
	want, maxVK := overflowWant(xf)
	if maxVK <= 65504 {
		t.Fatalf("test model's max |vk| %g fits fp16: not an overflow test", maxVK)
	}
	in := map[string]*ir.Tensor{"x": x}
	ranges, err := Calibrate(m, in, runtime.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got := ranges["vk_out"]; math.Abs(float64(got)-maxVK) > 1e-6*maxVK {
		t.Errorf("calibrated max |vk| = %g, want %g", got, maxVK)
	}
	run := func(opt Options) ([]float64, *Package) {
		t.Helper()
		p, err := ConvertProgram(m, opt)
		if err != nil {
			t.Fatal(err)
		}
		// The written program maps the ops right: read back (fp16 read as
		// float32) it computes the reference to the fp16 tolerance.
		back, err := ProgramToIR(reparse(t, p.Spec), p.Weights, ReadOptions{Float32: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range runModel(t, back, in) {
			f, _ := o.Float32s()
			for i, w := range want {
				if math.Abs(float64(f[i])-w) > 2e-2*math.Max(1, w) {
					t.Fatalf("read-back y[%d] = %v, want %v", i, f[i], w)
				}
			}
		}
		// Its precision: the lowered ops run with every value rounded to
		// its MIL dtype.
		lw, err := lower(m, &opt)
		if err != nil {
			t.Fatal(err)
		}
		return evalTyped(t, lw, map[string][]float32{"x": xf})[lw.outputs[0].name], p
	}

	// Control: all fp16, the program overflows.
	got, p := run(Options{FP16: true})
	if len(p.FP32) != 0 {
		t.Errorf("without ranges FP32 = %v, want none", p.FP32)
	}
	finite := true
	for _, v := range got {
		finite = finite && !math.IsNaN(v) && !math.IsInf(v, 0)
	}
	if finite {
		t.Errorf("all-fp16 program ran finite (%v): the model does not exercise fp16 overflow", got)
	}

	got, p = run(Options{FP16: true, Ranges: ranges})
	var names []string
	for _, n := range p.FP32 {
		names = append(names, n.Node)
		if !(n.MaxAbs > FP16SafeMax) {
			t.Errorf("%v: max |value| within %g", n, FP16SafeMax)
		}
	}
	sort.Strings(names)
	if strings.Join(names, " ") != "d r t vk" {
		t.Errorf("fp32 nodes %v, want d r t vk (the nodes reading or making vk)", names)
	}
	scale := 0.0
	for _, w := range want {
		scale = math.Max(scale, math.Abs(w))
	}
	for i, w := range want {
		if g := got[i]; math.IsNaN(g) || math.Abs(g-w) > 2e-2*math.Max(1, scale) {
			t.Fatalf("y[%d] = %v, want %v (fp16 tolerance 2e-2 x max(1, %.3g))", i, g, w, scale)
		}
	}

	// The program's types: vk's MatMul reads s cast to fp32 and makes fp32;
	// the final Add reads r and t cast back to fp16.
	lw, err := lower(m, &Options{FP16: true, Ranges: ranges})
	if err != nil {
		t.Fatal(err)
	}
	def := map[string]*mop{}
	for _, o := range lw.ops {
		for _, v := range o.out {
			def[v.name] = o
		}
	}
	check := func(typ string, dt pb.DataType, inDT pb.DataType) {
		t.Helper()
		for _, o := range lw.ops {
			if o.typ != typ || o.src == nil {
				continue
			}
			if o.out[0].dt != dt {
				t.Errorf("%s (node %s) computes %s, want %s", typ, o.src.Name, dtName(o.out[0].dt), dtName(dt))
			}
			for _, a := range o.in {
				for _, v := range a.vars {
					if v.konst != nil || !isFloat(v.dt) {
						continue
					}
					if v.dt != dt {
						t.Errorf("%s (node %s) input %s is %s", typ, o.src.Name, v.name, dtName(v.dt))
					}
					if v.dt != inDT && def[v.name].typ != "cast" {
						t.Errorf("%s (node %s) input %s is made by %s, want a cast", typ, o.src.Name, v.name, def[v.name].typ)
					}
				}
			}
			return
		}
		t.Errorf("no %s op", typ)
	}
	check("matmul", pb.DataType_FLOAT32, pb.DataType_FLOAT16) // reads s (fp16) through a cast
	check("add", pb.DataType_FLOAT32, pb.DataType_FLOAT32)    // d = vk + 1: vk already fp32, no cast
	for _, o := range lw.ops {
		if o.src != nil && o.src.Name == "sum" && o.typ == "add" {
			for _, a := range o.in {
				for _, v := range a.vars {
					if v.dt != pb.DataType_FLOAT16 || def[v.name].typ != "cast" {
						t.Errorf("sum reads %s (%s, made by %s), want an fp16 cast", v.name, dtName(v.dt), def[v.name].typ)
					}
				}
			}
		}
	}
}

// evalTyped runs lowered MIL ops (the few overflowModel lowers to) in
// float64, rounding every value to its MIL dtype, float16 or float32, as
// a device and coremltools' interpreter in its device mode do: a float16
// value past 65504 becomes infinite. It returns every variable by name.
func evalTyped(t *testing.T, lw *lowered, in map[string][]float32) map[string][]float64 {
	t.Helper()
	vals := map[string][]float64{}
	round := func(dt pb.DataType, f []float64) []float64 {
		for i, x := range f {
			if dt == pb.DataType_FLOAT16 {
				f[i] = float64(float16.Fromfloat32(float32(x)).Float32())
			} else {
				f[i] = float64(float32(x))
			}
		}
		return f
	}
	for _, x := range lw.inputs {
		f := make([]float64, len(in[x.name]))
		for i, v := range in[x.name] {
			f[i] = float64(v)
		}
		vals[x.name] = f
	}
	arg := func(o *mop, p string) []float64 {
		for _, a := range o.in {
			if a.param == p {
				return vals[a.vars[0].name]
			}
		}
		t.Fatalf("%s %s: no input %s", o.typ, o.name, p)
		return nil
	}
	binary := func(o *mop, f func(a, b float64) float64) []float64 {
		x, y := arg(o, "x"), arg(o, "y")
		out := make([]float64, max(len(x), len(y)))
		for i := range out {
			out[i] = f(x[i%len(x)], y[i%len(y)]) // same shape or a scalar
		}
		return out
	}
	for _, o := range lw.ops {
		y := o.out[0]
		var f []float64
		switch o.typ {
		case "const":
			if !isFloat(y.dt) {
				continue
			}
			for _, v := range y.konst.f {
				f = append(f, float64(v))
			}
		case "cast", "identity":
			f = append(f, arg(o, "x")...)
		case "relu":
			for _, v := range arg(o, "x") {
				f = append(f, math.Max(v, 0))
			}
		case "add":
			f = binary(o, func(a, b float64) float64 { return a + b })
		case "mul":
			f = binary(o, func(a, b float64) float64 { return a * b })
		case "real_div":
			f = binary(o, func(a, b float64) float64 { return a / b })
		case "matmul": // x [..., M, K] @ y [K, N], no transposes
			x, w := arg(o, "x"), arg(o, "y")
			K, N := y.shape[len(y.shape)-1], int64(0)
			for _, a := range o.in {
				if a.param == "y" {
					K, N = a.vars[0].shape[0], a.vars[0].shape[1]
				}
				if (a.param == "transpose_x" || a.param == "transpose_y") && a.vars[0].konst.b[0] {
					t.Fatalf("matmul %s: transposes are not evaluated here", o.name)
				}
			}
			f = make([]float64, int64(len(x))/K*N)
			for r := int64(0); r < int64(len(x))/K; r++ {
				for j := int64(0); j < N; j++ {
					for k := int64(0); k < K; k++ {
						f[r*N+j] += x[r*K+k] * w[k*N+j]
					}
				}
			}
		default:
			t.Fatalf("evalTyped: op %s not evaluated here", o.typ)
		}
		vals[y.name] = round(y.dt, f)
	}
	return vals
}
