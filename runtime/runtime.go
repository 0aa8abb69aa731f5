// Package runtime compiles mconv IR models into plans and runs them natively
// in Go. It is the package to import to run a model: Compile takes a model as
// it was loaded (training form, deploy form or a file mconv fuse wrote) and
// returns a Plan; Plan.Run and Plan.RunInto execute it.
//
// Compile works in phases, like tract's declutter -> codegen -> plan and the
// Go compiler's pass list:
//
//  1. the graph passes (package passes: constant folding, BatchNorm folds,
//     branch collapse, SE and activation fusion) on a clone of the model, so
//     that a training-form file, a fused file written to disk and an
//     in-memory fused model reach the same graph;
//  2. the runtime lowering (lowerings in lower.go), which rewrites Conv,
//     Gemm and MatMul with the elementwise ops that follow them into
//     explicit fused nodes (mconv.FusedConv, FusedGemm, FusedMatMul);
//  3. planning (package runtime/engine): one node, one step;
//  4. arena allocation by liveness (runtime/engine).
package runtime

import (
	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/runtime/engine"
)

// Options controls compilation (see engine.Options).
type Options = engine.Options

// Plan is a compiled model (see engine.Plan).
type Plan = engine.Plan

// NodeTime is the time one plan step took (see engine.NodeTime).
type NodeTime = engine.NodeTime

// IOInfo describes a graph input or output of a plan.
type IOInfo = engine.IOInfo

// Compile builds a plan for m through the phases listed in the package
// comment. It does not modify m.
func Compile(m *ir.Model, opt Options) (*Plan, error) {
	lm, err := Lower(m, opt)
	if err != nil {
		return nil, err
	}
	eopt := opt
	if len(opt.ConstInputs) > 0 {
		// Bound as initializers of lm: no longer graph inputs.
		eopt.ConstInputs, eopt.InputShapes = nil, map[string][]int64{}
		for name, s := range opt.InputShapes {
			if opt.ConstInputs[name] == nil {
				eopt.InputShapes[name] = s
			}
		}
	}
	return engine.Compile(lm, eopt)
}
