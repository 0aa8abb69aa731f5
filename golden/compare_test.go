package golden

import (
	"math"
	"strings"
	"testing"

	"github.com/mconv/mconv/ir"
)

func f32(dims []int64, v ...float32) *ir.Tensor {
	t := ir.NewFloat32(dims, v)
	t.Name = "y"
	return t
}

func TestCompare(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	def := DefaultTolerance // 1e-6 + 1e-4*scale
	elem := Tolerance{RTol: 1e-3, ATol: 1e-5, Elementwise: true}
	tests := []struct {
		name      string
		got, want *ir.Tensor
		tol       Tolerance
		ok        bool
		bad       int
		errHas    string // substring of Result.Err, "" for none
		strHas    string // substring of String()
		maxAbs    float64
		top1      [2]int // agree, rows
	}{
		{name: "equal", got: f32([]int64{4}, 1, 2, 3, 4), want: f32([]int64{4}, 1, 2, 3, 4), tol: def, ok: true, strHas: "y: ok"},
		// scale = 100, limit = 1e-6 + 1e-2: an error of 0.005 on a small element passes.
		{name: "within scale tolerance", got: f32([]int64{2}, 100, 0.005), want: f32([]int64{2}, 100, 0), tol: def, ok: true, maxAbs: 0.005},
		// one element off by 0.02 > 0.010001
		{name: "one element off", got: f32([]int64{2, 2}, 100, 1, 2, 3.02), want: f32([]int64{2, 2}, 100, 1, 2, 3), tol: def, ok: false, bad: 1,
			strHas: "1 of 4 elements out of tolerance, first at [1 1]", maxAbs: 0.02},
		// the same error fails elementwise (1e-5 + 1e-3*0 < 0.005)
		{name: "elementwise near zero", got: f32([]int64{2}, 100, 0.005), want: f32([]int64{2}, 100, 0), tol: elem, ok: false, bad: 1, strHas: "*|want|"},
		{name: "elementwise relative ok", got: f32([]int64{2}, 1000.5, 1e-6), want: f32([]int64{2}, 1000, 0), tol: elem, ok: true},
		{name: "shape mismatch", got: f32([]int64{1, 3}, 1, 2, 3), want: f32([]int64{3, 1}, 1, 2, 3), tol: def, ok: false, errHas: "shape [1 3], want [3 1]"},
		{name: "rank mismatch", got: f32([]int64{3}, 1, 2, 3), want: f32([]int64{1, 3}, 1, 2, 3), tol: def, ok: false, errHas: "shape"},
		{name: "dtype mismatch", got: ir.NewInt64([]int64{2}, []int64{1, 2}), want: f32([]int64{2}, 1, 2), tol: def, ok: false, errHas: "dtype int64, want float32"},
		{name: "NaN in output", got: f32([]int64{3}, 1, nan, 3), want: f32([]int64{3}, 1, 2, 3), tol: def, ok: false, bad: 1, strHas: "1 unexpected NaN"},
		{name: "NaN matches NaN", got: f32([]int64{2}, nan, 1), want: f32([]int64{2}, nan, 1), tol: def, ok: true},
		{name: "Inf in output", got: f32([]int64{2}, inf, 1), want: f32([]int64{2}, 5, 1), tol: def, ok: false, bad: 1, strHas: "unexpected Inf"},
		{name: "Inf matches Inf", got: f32([]int64{2}, inf, 1), want: f32([]int64{2}, inf, 1), tol: def, ok: true},
		{name: "-Inf vs Inf", got: f32([]int64{2}, -inf, 1), want: f32([]int64{2}, inf, 1), tol: def, ok: false, bad: 1},
		{name: "missing output", got: nil, want: f32([]int64{1}, 1), tol: def, ok: false, errHas: "no output produced"},
		// classifier: within tolerance, top-1 agrees
		{name: "top1 agree", got: f32([]int64{2, 3}, 0.1, 0.9, 0.2, 0.5, 0.1, 0.2), want: f32([]int64{2, 3}, 0.1, 0.9, 0.2, 0.5, 0.1, 0.2),
			tol: Tolerance{RTol: 1e-4, Top1: true}, ok: true, top1: [2]int{2, 2}, strHas: "top-1 2/2"},
		// near-tie flips the arg-max of row 1 within a loose tolerance: fails only when Top1 is required
		{name: "top1 flip required", got: f32([]int64{2, 3}, 0.1, 0.9, 0.2, 0.5, 0.51, 0.2), want: f32([]int64{2, 3}, 0.1, 0.9, 0.2, 0.5, 0.49, 0.2),
			tol: Tolerance{RTol: 0.1, Top1: true}, ok: false, top1: [2]int{1, 2}},
		{name: "top1 flip not required", got: f32([]int64{2, 3}, 0.1, 0.9, 0.2, 0.5, 0.51, 0.2), want: f32([]int64{2, 3}, 0.1, 0.9, 0.2, 0.5, 0.49, 0.2),
			tol: Tolerance{RTol: 0.1}, ok: true, top1: [2]int{1, 2}},
		{name: "int64 exact", got: ir.NewInt64([]int64{2}, []int64{3, 4}), want: ir.NewInt64([]int64{2}, []int64{3, 4}), tol: Tolerance{}, ok: true},
		{name: "int64 off by one", got: ir.NewInt64([]int64{2}, []int64{3, 5}), want: ir.NewInt64([]int64{2}, []int64{3, 4}), tol: Tolerance{}, ok: false, bad: 1},
		{name: "strings", got: &ir.Tensor{DType: ir.String, Dims: []int64{2}, Strings: [][]byte{[]byte("a"), []byte("b")}},
			want: &ir.Tensor{DType: ir.String, Dims: []int64{2}, Strings: [][]byte{[]byte("a"), []byte("c")}}, tol: def, ok: false, bad: 1},
		{name: "empty tensors", got: f32([]int64{0, 3}), want: f32([]int64{0, 3}), tol: def, ok: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Compare(tc.got, tc.want, tc.tol)
			s := r.String()
			if r.OK() != tc.ok {
				t.Errorf("OK() = %v, want %v: %s", r.OK(), tc.ok, s)
			}
			if tc.bad != 0 && r.Bad != tc.bad {
				t.Errorf("Bad = %d, want %d: %s", r.Bad, tc.bad, s)
			}
			if tc.errHas == "" && r.Err != "" {
				t.Errorf("unexpected Err %q", r.Err)
			}
			if tc.errHas != "" && !strings.Contains(r.Err, tc.errHas) {
				t.Errorf("Err = %q, want it to contain %q", r.Err, tc.errHas)
			}
			if tc.strHas != "" && !strings.Contains(s, tc.strHas) {
				t.Errorf("String() = %q, want it to contain %q", s, tc.strHas)
			}
			if !tc.ok && !strings.Contains(s, "FAIL") {
				t.Errorf("failed comparison not reported as FAIL: %q", s)
			}
			// float32 inputs: the expected error is computed in float32 precision
			if tc.maxAbs != 0 && math.Abs(r.MaxAbs-tc.maxAbs) > 1e-6 {
				t.Errorf("MaxAbs = %g, want %g", r.MaxAbs, tc.maxAbs)
			}
			if tc.top1 != [2]int{} && (r.Top1Agree != tc.top1[0] || r.Top1Rows != tc.top1[1]) {
				t.Errorf("top-1 %d/%d, want %d/%d", r.Top1Agree, r.Top1Rows, tc.top1[0], tc.top1[1])
			}
		})
	}
}

func TestCompareStatistics(t *testing.T) {
	// got = want + e with known numbers; cosine by hand.
	want := f32([]int64{4}, 3, 4, 0, -2)
	got := f32([]int64{4}, 3, 4.5, 0.25, -2)
	r := Compare(got, want, DefaultTolerance)
	// errors: 0, 0.5, 0.25, 0; rel: 0.5/4 = 0.125 (the zero element is skipped)
	if r.MaxAbs != 0.5 || r.MaxAbsAt != 1 {
		t.Errorf("MaxAbs %g at %d, want 0.5 at 1", r.MaxAbs, r.MaxAbsAt)
	}
	if math.Abs(r.MaxRel-0.125) > 1e-12 {
		t.Errorf("MaxRel %g, want 0.125", r.MaxRel)
	}
	if r.Scale != 4 {
		t.Errorf("Scale %g, want 4", r.Scale)
	}
	dot := 3*3 + 4*4.5 + 0 + 4.0
	ng := math.Sqrt(9 + 4.5*4.5 + 0.0625 + 4)
	nw := math.Sqrt(9 + 16 + 4.0)
	if c := dot / (ng * nw); math.Abs(r.Cosine-c) > 1e-12 {
		t.Errorf("Cosine %.15f, want %.15f", r.Cosine, c)
	}
	if r.OK() || r.Bad != 2 || r.FirstBad != 1 {
		t.Errorf("want 2 bad elements from index 1 (limit 4e-4+1e-6): %s", r)
	}
	z := Compare(f32([]int64{2}, 0, 0), f32([]int64{2}, 0, 0), DefaultTolerance)
	if z.Cosine != 1 || !z.OK() {
		t.Errorf("all-zero tensors: %s", z)
	}
	o := Compare(f32([]int64{2}, 1, 0), f32([]int64{2}, 0, 0), Tolerance{ATol: 2})
	if o.Cosine != 0 || !o.OK() {
		t.Errorf("zero vs non-zero within atol: cosine %g ok %v", o.Cosine, o.OK())
	}
}

func TestReport(t *testing.T) {
	m := &ir.Model{Graph: ir.NewGraph("g")}
	x := m.Graph.AddInput("x", ir.TensorOf(ir.Float32, 2))
	m.Graph.AddOutput(x)
	_ = x
	want := f32([]int64{2}, 1, 2)
	want.Name = "x"
	set := &Set{Dir: "set0", Outputs: []*ir.Tensor{want}}
	for _, tc := range []struct {
		name string
		got  map[string]*ir.Tensor
		ok   bool
		has  string
	}{
		{"match", map[string]*ir.Tensor{"x": f32([]int64{2}, 1, 2)}, true, "set0: x: ok"},
		{"off", map[string]*ir.Tensor{"x": f32([]int64{2}, 1, 3)}, false, "set0: x: FAIL"},
		{"missing", map[string]*ir.Tensor{}, false, "no output produced"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := CompareOutputs(m, tc.got, set, DefaultTolerance)
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK() != tc.ok || !strings.Contains(rep.String(), tc.has) {
				t.Errorf("OK %v (want %v), report %q (want %q)", rep.OK(), tc.ok, rep.String(), tc.has)
			}
		})
	}
	if (Report{}).OK() {
		t.Error("an empty report must not be OK")
	}
}
