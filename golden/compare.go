package golden

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/mconv/mconv/ir"
)

// Tolerance says when two tensors count as equal.
//
// By default an element passes when |got - want| <= ATol + RTol * scale,
// where scale is the largest magnitude in want (the rule mconv verify uses:
// a model's error is judged against the size of its output, so outputs near
// zero do not need absurd relative precision). With Elementwise set the rule
// is ONNX's test runner's (numpy.allclose): |got - want| <= ATol + RTol *
// |want| per element.
//
// NaN matches NaN and an infinity matches the same infinity; any other
// non-finite value is a failure. With Top1 set, a rank-2 [N, K] output
// (K > 1) must also have the same arg-max in every row.
type Tolerance struct {
	RTol, ATol  float64
	Elementwise bool
	Top1        bool
}

// DefaultTolerance is mconv's float32 equivalence tolerance: 1e-4 of the
// output's scale, plus 1e-6.
var DefaultTolerance = Tolerance{RTol: 1e-4, ATol: 1e-6}

// Result is the comparison of one tensor.
type Result struct {
	Name      string
	GotShape  []int64
	WantShape []int64
	GotDType  ir.DType
	WantDType ir.DType
	Tol       Tolerance

	N         int     // elements compared
	Scale     float64 // largest finite |want|
	MaxAbs    float64 // largest |got - want| over finite pairs
	MaxAbsAt  int     // flat index of MaxAbs
	MaxRel    float64 // largest |got - want| / |want| over elements with want != 0
	Cosine    float64 // cosine similarity of got and want (1 when both are all zero)
	Bad       int     // elements outside the tolerance (non-finite mismatches included)
	FirstBad  int     // flat index of the first bad element, -1 if none
	NaNs      int     // NaN in got where want is not NaN
	Infs      int     // infinities in got where want has not the same infinity
	Top1Rows  int     // rows compared for top-1 ([N, K] outputs), 0 if not applicable
	Top1Agree int     // rows whose arg-max agree

	Err string // a failure that is not about values (shape, dtype, unreadable data)
}

// OK reports whether got matched want under the tolerance.
func (r Result) OK() bool {
	if r.Err != "" || r.Bad > 0 {
		return false
	}
	if r.Tol.Top1 && r.Top1Agree != r.Top1Rows {
		return false
	}
	return true
}

// String is a one-line report.
func (r Result) String() string {
	var b strings.Builder
	name := r.Name
	if name == "" {
		name = "tensor"
	}
	status := "ok"
	if !r.OK() {
		status = "FAIL"
	}
	fmt.Fprintf(&b, "%s: %s", name, status)
	if r.Err != "" {
		fmt.Fprintf(&b, ": %s", r.Err)
		return b.String()
	}
	fmt.Fprintf(&b, " %s%v, max abs err %.3g", r.WantDType, r.WantShape, r.MaxAbs)
	if r.N > 0 {
		fmt.Fprintf(&b, " at %v", unflatten(r.MaxAbsAt, r.WantShape))
	}
	fmt.Fprintf(&b, ", max rel err %.3g, cosine %.7f, scale %.3g", r.MaxRel, r.Cosine, r.Scale)
	if r.Top1Rows > 0 {
		fmt.Fprintf(&b, ", top-1 %d/%d", r.Top1Agree, r.Top1Rows)
	}
	if r.Tol.Elementwise {
		fmt.Fprintf(&b, " (tolerance %g + %g*|want|)", r.Tol.ATol, r.Tol.RTol)
	} else {
		fmt.Fprintf(&b, " (tolerance %g + %g*scale = %.3g)", r.Tol.ATol, r.Tol.RTol, r.Tol.ATol+r.Tol.RTol*r.Scale)
	}
	if r.Bad > 0 {
		fmt.Fprintf(&b, "; %d of %d elements out of tolerance, first at %v", r.Bad, r.N, unflatten(r.FirstBad, r.WantShape))
	}
	if r.NaNs > 0 {
		fmt.Fprintf(&b, "; %d unexpected NaN", r.NaNs)
	}
	if r.Infs > 0 {
		fmt.Fprintf(&b, "; %d unexpected Inf", r.Infs)
	}
	return b.String()
}

func unflatten(i int, shape []int64) []int64 {
	idx := make([]int64, len(shape))
	for d := len(shape) - 1; d >= 0; d-- {
		if shape[d] > 0 {
			idx[d] = int64(i) % shape[d]
			i /= int(shape[d])
		}
	}
	return idx
}

// Compare compares got against want (the expected tensor) under tol.
// Shapes and dtypes must be equal; a mismatch is a failure reported in
// Result.Err. Numeric dtypes compare by value as float64, strings by bytes.
func Compare(got, want *ir.Tensor, tol Tolerance) Result {
	r := Result{Tol: tol, FirstBad: -1, Cosine: math.NaN()}
	if want != nil {
		r.Name = want.Name
		r.WantShape = append([]int64{}, want.Dims...)
		r.WantDType = want.DType
	}
	if got != nil {
		r.GotShape = append([]int64{}, got.Dims...)
		r.GotDType = got.DType
	}
	switch {
	case got == nil:
		r.Err = "no output produced"
		return r
	case want == nil:
		r.Err = "no expected tensor"
		return r
	}
	if !slices.Equal(got.Dims, want.Dims) {
		r.Err = fmt.Sprintf("shape %v, want %v", got.Dims, want.Dims)
		return r
	}
	if got.DType != want.DType {
		r.Err = fmt.Sprintf("dtype %s, want %s", got.DType, want.DType)
		return r
	}
	if want.DType == ir.String {
		return compareStrings(r, got, want)
	}
	g, err := got.Float64s()
	if err != nil {
		r.Err = "got: " + err.Error()
		return r
	}
	w, err := want.Float64s()
	if err != nil {
		r.Err = "want: " + err.Error()
		return r
	}
	r.N = len(w)
	for _, x := range w {
		if a := math.Abs(x); !math.IsInf(a, 0) && !math.IsNaN(a) && a > r.Scale {
			r.Scale = a
		}
	}
	var dot, ng, nw float64
	for i := range w {
		gi, wi := g[i], w[i]
		bad := false
		switch {
		case math.IsNaN(wi) || math.IsInf(wi, 0):
			if !(math.IsNaN(wi) && math.IsNaN(gi)) && gi != wi {
				bad = true
				if math.IsNaN(gi) {
					r.NaNs++
				} else if math.IsInf(gi, 0) {
					r.Infs++
				}
			}
		case math.IsNaN(gi):
			bad = true
			r.NaNs++
		case math.IsInf(gi, 0):
			bad = true
			r.Infs++
		default:
			d := math.Abs(gi - wi)
			if d > r.MaxAbs {
				r.MaxAbs, r.MaxAbsAt = d, i
			}
			if wi != 0 {
				if rel := d / math.Abs(wi); rel > r.MaxRel {
					r.MaxRel = rel
				}
			}
			lim := tol.ATol + tol.RTol*r.Scale
			if tol.Elementwise {
				lim = tol.ATol + tol.RTol*math.Abs(wi)
			}
			if d > lim {
				bad = true
			}
			dot += gi * wi
			ng += gi * gi
			nw += wi * wi
		}
		if bad {
			if r.Bad == 0 {
				r.FirstBad = i
			}
			r.Bad++
		}
	}
	switch {
	case ng == 0 && nw == 0:
		r.Cosine = 1
	case ng == 0 || nw == 0:
		r.Cosine = 0
	default:
		r.Cosine = dot / (math.Sqrt(ng) * math.Sqrt(nw))
	}
	if len(want.Dims) == 2 && want.Dims[1] > 1 {
		rows, k := int(want.Dims[0]), int(want.Dims[1])
		r.Top1Rows = rows
		for i := 0; i < rows; i++ {
			if argmax(g[i*k:(i+1)*k]) == argmax(w[i*k:(i+1)*k]) {
				r.Top1Agree++
			}
		}
	}
	return r
}

func compareStrings(r Result, got, want *ir.Tensor) Result {
	r.N = len(want.Strings)
	if len(got.Strings) != r.N {
		r.Err = fmt.Sprintf("%d strings, want %d", len(got.Strings), r.N)
		return r
	}
	for i := range want.Strings {
		if !bytes.Equal(got.Strings[i], want.Strings[i]) {
			if r.Bad == 0 {
				r.FirstBad = i
			}
			r.Bad++
		}
	}
	r.Cosine = 1
	if r.Bad > 0 {
		r.Cosine = 0
	}
	return r
}

// argmax returns the index of the largest value (first on ties; NaN is
// never largest).
func argmax(x []float64) int {
	best := -1
	for i, v := range x {
		if math.IsNaN(v) {
			continue
		}
		if best < 0 || v > x[best] {
			best = i
		}
	}
	return best
}

// Report is the comparison of a whole data set, one Result per output.
type Report struct {
	Set     string
	Results []Result
}

// OK reports whether every output matched.
func (r Report) OK() bool {
	if len(r.Results) == 0 {
		return false
	}
	for _, x := range r.Results {
		if !x.OK() {
			return false
		}
	}
	return true
}

// String is one line per output, prefixed with the set's folder.
func (r Report) String() string {
	var b strings.Builder
	for _, x := range r.Results {
		if r.Set != "" {
			b.WriteString(r.Set)
			b.WriteString(": ")
		}
		b.WriteString(x.String())
		b.WriteByte('\n')
	}
	if len(r.Results) == 0 {
		fmt.Fprintf(&b, "%s: no outputs compared\n", r.Set)
	}
	return b.String()
}

// CompareOutputs compares got (keyed by graph output name, as
// runtime.Plan.Run returns them) with the set's expected outputs, bound to
// m's graph outputs by BindOutputs. Results follow the graph output order
// and are named after the graph outputs.
func CompareOutputs(m *ir.Model, got map[string]*ir.Tensor, s *Set, tol Tolerance) (Report, error) {
	want, err := BindOutputs(m, s)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Set: s.Dir}
	seen := map[string]bool{}
	names := make([]string, 0, len(want))
	for _, v := range m.Graph.Outputs {
		if !seen[v.Name] && want[v.Name] != nil {
			seen[v.Name] = true
			names = append(names, v.Name)
		}
	}
	if len(names) != len(want) { // cannot happen with BindOutputs; keep the report complete anyway
		for n := range want {
			if !seen[n] {
				names = append(names, n)
			}
		}
		sort.Strings(names[len(seen):])
	}
	for _, n := range names {
		res := Compare(got[n], want[n], tol)
		res.Name = n
		rep.Results = append(rep.Results, res)
	}
	return rep, nil
}

// RunFunc runs a model on inputs keyed by graph input name and returns its
// outputs keyed by graph output name (runtime.Plan.Run has this shape).
type RunFunc func(inputs map[string]*ir.Tensor) (map[string]*ir.Tensor, error)

// CheckSets loads each data set folder, binds its inputs to m, runs them
// through run and compares the outputs under tol: one Report per set. An
// unreadable set, a binding error or a run error stops with an error naming
// the set; value mismatches are reported, not returned as errors.
func CheckSets(m *ir.Model, sets []string, run RunFunc, tol Tolerance) ([]Report, error) {
	var reps []Report
	for _, dir := range sets {
		s, err := LoadSet(dir)
		if err != nil {
			return reps, err
		}
		in, err := BindInputs(m, s)
		if err != nil {
			return reps, err
		}
		got, err := run(in)
		if err != nil {
			return reps, fmt.Errorf("%s: %w", dir, err)
		}
		rep, err := CompareOutputs(m, got, s, tol)
		if err != nil {
			return reps, err
		}
		reps = append(reps, rep)
	}
	return reps, nil
}

// CompareModels compares the outputs of two models run on the same inputs:
// got's graph output i (in gotOut, keyed by graph output name) against
// want's graph output i (in wantOut), under tol, each result named after
// want's output. The models must have as many outputs.
func CompareModels(want *ir.Model, wantOut map[string]*ir.Tensor, got *ir.Model, gotOut map[string]*ir.Tensor, tol Tolerance) (Report, error) {
	wo, gob := want.Graph.Outputs, got.Graph.Outputs
	if len(wo) != len(gob) {
		return Report{}, fmt.Errorf("the models have %d and %d outputs", len(wo), len(gob))
	}
	var rep Report
	for i, v := range wo {
		r := Compare(gotOut[gob[i].Name], wantOut[v.Name], tol)
		r.Name = v.Name
		rep.Results = append(rep.Results, r)
	}
	return rep, nil
}
