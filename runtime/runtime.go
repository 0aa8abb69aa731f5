// Package runtime compiles mconv IR models into plans and runs them natively
// in Go. It is the package to import to run a model: Compile takes a model as
// it was loaded (training form, deploy form or a file mconv fuse wrote) and
// returns a Plan; Plan.Run and Plan.RunInto execute it.
//
// The work is done in phases, each a separate package: the graph passes
// (package passes), and planning and execution (package runtime/engine,
// which holds every op's kernel and the arena planner).
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

// Compile builds a plan for m. It does not modify m.
func Compile(m *ir.Model, opt Options) (*Plan, error) { return engine.Compile(m, opt) }
