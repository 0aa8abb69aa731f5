package passes_test

import (
	"math"
	"strings"
	"testing"

	"github.com/mconv/mconv/golden"
	"github.com/mconv/mconv/internal/fuzzmodel"
	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/passes"
	"github.com/mconv/mconv/runtime"
)

// FuzzPasses runs the whole pipeline with CheckEachPass on mutated models
// (fuzzmodel) that pass ir.Verify: Verify must hold after every pass (a
// violation, like a pass's internal error, fails), and when the passes
// rewrite, the rewritten model must compute what the original computes on
// a pseudo-random input (rtol 1e-3 of the output's scale, atol 1e-4; both
// run as written, Passes none) or the passes must refuse with an error.
// Models whose reference outputs are not finite are not compared, nor
// models with an op that is discontinuous or has an unbounded derivative
// (illConditioned): there the rounding differences a correct rewrite makes
// (a folded BatchNorm) can change the output by any amount (found by the
// target: a mutated Div by a BatchNorm output near zero).
//
//	(ulimit -v 8000000; go test -run '^$' -fuzz FuzzPasses -fuzztime 5m -parallel 1 ./passes/)
func FuzzPasses(f *testing.F) {
	bases := fuzzmodel.Seeds(f, "..")
	f.Fuzz(func(t *testing.T, data []byte) {
		m, shapes, ok := fuzzmodel.Model(bases, data, 1<<16)
		if !ok || ir.Verify(m) != nil {
			return
		}
		in := fuzzmodel.Inputs(m, shapes, uint64(len(data)))
		if in == nil {
			return
		}
		opt := runtime.Options{Threads: 1, MaxMemory: fuzzmodel.Budget, InputShapes: shapes, Passes: []string{"none"}}
		run := func(m *ir.Model) (map[string]*ir.Tensor, error) {
			p, err := runtime.Compile(m, opt)
			if err != nil {
				return nil, err
			}
			defer p.Close()
			return p.Run(in)
		}
		if illConditioned(m) {
			return
		}
		want, err := run(m)
		if err != nil {
			return // nothing to compare with
		}
		for _, w := range want {
			if f, err := w.Float64s(); err == nil {
				for _, v := range f {
					if math.IsNaN(v) || math.IsInf(v, 0) {
						return
					}
				}
			}
		}
		fused := ir.CloneModel(m)
		rep, err := passes.Run(fused, passes.Options{CheckEachPass: true, MaxMemory: fuzzmodel.Budget})
		if err != nil {
			if strings.Contains(err.Error(), "internal error") || strings.Contains(err.Error(), "verif") {
				t.Fatal(err)
			}
			return // refused
		}
		rewrites := 0
		for _, p := range rep.Passes {
			rewrites += p.Rewrites
		}
		if rewrites == 0 {
			return
		}
		got, err := run(fused)
		if err != nil {
			if strings.Contains(err.Error(), "over the memory budget") {
				return
			}
			t.Fatalf("the original runs, the rewritten model does not: %v", err)
		}
		for name, w := range want {
			if r := golden.Compare(got[name], w, golden.Tolerance{RTol: 1e-3, ATol: 1e-4}); !r.OK() {
				t.Fatalf("output %q changed by the passes: %s", name, r)
			}
		}
	})
}

// illOps are ops whose output can move by any amount under a rounding
// change of an input: discontinuous (comparisons, rounding, casts, arg
// max) or with an unbounded derivative (division, roots, logs,
// exponentials).
var illOps = map[string]bool{
	"Div": true, "Reciprocal": true, "Pow": true, "Log": true, "Sqrt": true, "Exp": true,
	"Tan": true, "Mod": true, "Floor": true, "Ceil": true, "Round": true, "Sign": true,
	"Cast": true, "CastLike": true, "ArgMax": true, "ArgMin": true, "TopK": true, "Greater": true,
	"Less": true, "Equal": true, "GreaterOrEqual": true, "LessOrEqual": true, "Hardmax": true,
	"NonZero": true, "IsNaN": true, "IsInf": true, "Acos": true, "Asin": true, "Acosh": true,
	"Atanh": true, "BitShift": true, "LogSoftmax": true, "ReduceLogSum": true, "ReduceLogSumExp": true,
	"Unique": true, "Shrink": true, "QuantizeLinear": true, "DynamicQuantizeLinear": true,
}

// illConditioned reports whether m's main graph has an op of illOps.
func illConditioned(m *ir.Model) bool {
	for _, n := range m.Graph.Nodes {
		if illOps[n.OpType] {
			return true
		}
	}
	return false
}
