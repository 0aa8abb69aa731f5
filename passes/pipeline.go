// Package passes rewrites mconv IR graphs into their deploy form: it folds
// constants and BatchNorm, collapses structural-reparameterization branches
// (RepVGG, MobileOne, RepViT, FastViT, ACNet, large-kernel reparam) into one
// Conv, merges averaged classifier heads, and fuses Squeeze-and-Excite blocks
// and activation chains.
//
// All passes are listed once, in order, in the pipeline variable below. Run
// applies them repeatedly until a whole round rewrites nothing (a fixed
// point), so the result does not depend on which pass happens to see a
// pattern first, and running Run on its own output changes nothing.
//
// Every pass only rewrites when the result computes the same function (up
// to float rounding). Patterns that almost match are left alone and the
// Report says why.
package passes

import (
	"fmt"
	"sort"
	"strings"

	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/runtime/engine"
)

// Options selects passes and checking.
type Options struct {
	// Passes lists the pass names to run, in pipeline order whatever the
	// order given. nil or empty runs all; a single "none" runs nothing.
	Passes []string
	// CheckEachPass runs ir.Verify after every pass application and fails
	// on the first violation (tests set it).
	CheckEachPass bool
	// MaxRounds bounds the fixed-point iteration (default 32).
	MaxRounds int
	// MaxMemory bounds, in bytes, the constants folding computes over the
	// whole run (engine.Budget; runtime.Options.MaxMemory): each
	// evaluation is checked before it allocates and a fold that would
	// pass the budget is left alone. 0 means engine.DefaultMaxMemory().
	MaxMemory int64
}

// PassReport records what one pass did over all rounds.
type PassReport struct {
	Name     string
	Rewrites int
	// Changes describes each rewrite ("collapsed 5 nodes into Conv y").
	Changes []string
	// LeftAlone lists near-misses and why they were not rewritten
	// (deduplicated over rounds).
	LeftAlone []string
}

// Report is the result of Run.
type Report struct {
	Rounds int
	Passes []*PassReport
	// Notes are remarks on the whole run (e.g. shape inference failed, so
	// passes that need shapes skipped some nodes).
	Notes []string
}

// Total is the number of rewrites over all passes.
func (r *Report) Total() int {
	n := 0
	for _, p := range r.Passes {
		n += p.Rewrites
	}
	return n
}

// Pass returns the report of the named pass, or nil.
func (r *Report) Pass(name string) *PassReport {
	for _, p := range r.Passes {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// maxListed bounds the rewrites String lists per pass.
const maxListed = 8

// String formats the report, one pass per block, listing at most 8
// rewrites per pass (Long lists all).
func (r *Report) String() string { return r.format(maxListed) }

// Long formats the report listing every rewrite.
func (r *Report) Long() string { return r.format(-1) }

func (r *Report) format(limit int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "passes: %d rewrites in %d rounds\n", r.Total(), r.Rounds)
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "  note: %s\n", n)
	}
	for _, p := range r.Passes {
		if p.Rewrites == 0 && len(p.LeftAlone) == 0 {
			continue
		}
		fmt.Fprintf(&b, "  %s: %d rewrites\n", p.Name, p.Rewrites)
		for i, c := range p.Changes {
			if limit >= 0 && i == limit {
				fmt.Fprintf(&b, "    ... and %d more\n", len(p.Changes)-limit)
				break
			}
			fmt.Fprintf(&b, "    %s\n", c)
		}
		for _, c := range p.LeftAlone {
			fmt.Fprintf(&b, "    left alone: %s\n", c)
		}
	}
	return b.String()
}

// pass is one named graph rewrite. run applies it everywhere it matches
// once and records its rewrites in c.
type pass struct {
	name string
	run  func(c *ctx) error
	// late passes are last resorts: they run only in a round where no
	// other pass changed anything (so BN is lowered to Mul+Add only when
	// no fold could absorb it).
	late bool
}

// pipeline is THE ordered list of passes. Run iterates to a fixed point;
// within a round the order matters only for speed, except that late passes
// (last resorts) run only after a round in which nothing else changed.
var pipeline = []pass{
	{"constant-fold", foldConstants, false},
	{"identity-elim", eliminateIdentity, false},
	{"dce", eliminateDeadCode, false},
	{"reshape-canon", canonicalizeReshape, false},
	{"pad-fold", foldPad, false},
	{"conv-bn-fold", foldConvBN, false},
	{"branch-collapse", collapseBranches, false},
	{"gemm-bn-fold", foldBNIntoGemm, false},
	{"gemm-collapse", collapseGemms, false},
	{"bn-to-affine", lowerBatchNorm, true},
	{"se-fuse", fuseSqueezeExcite, false},
	{"act-fuse", fuseActivations, false},
}

// Names lists the pass names in pipeline order.
func Names() []string {
	out := make([]string, len(pipeline))
	for i, p := range pipeline {
		out[i] = p.name
	}
	return out
}

// Run rewrites m in place and reports what changed. It first runs
// ir.InferShapes (best effort: passes that need a shape skip nodes whose
// shape is unknown). A panic inside a pass (a bug in mconv) is returned as
// an error naming the pass, so a bad model cannot crash the caller.
func Run(m *ir.Model, opt Options) (rep *Report, err error) {
	if m == nil || m.Graph == nil {
		return nil, fmt.Errorf("passes: model has no graph")
	}
	sel, err := selectPasses(opt.Passes)
	if err != nil {
		return nil, err
	}
	rep = &Report{}
	budget := engine.NewBudget(opt.MaxMemory)
	reps := map[string]*PassReport{}
	seen := map[string]map[string]bool{}
	for _, p := range sel {
		pr := &PassReport{Name: p.name}
		reps[p.name] = pr
		rep.Passes = append(rep.Passes, pr)
		seen[p.name] = map[string]bool{}
	}
	if len(sel) == 0 {
		return rep, nil
	}
	if opt.CheckEachPass {
		if err := ir.Verify(m); err != nil {
			return rep, fmt.Errorf("passes: input model fails verification: %w", err)
		}
	}
	if err := ir.InferShapes(m); err != nil {
		rep.Notes = append(rep.Notes, fmt.Sprintf("shape inference: %v", err))
	}
	current := ""
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("pass %s: internal error: %v", current, r)
		}
	}()
	maxRounds := opt.MaxRounds
	if maxRounds <= 0 {
		maxRounds = 32
	}
	apply := func(p pass) (int, error) {
		current = p.name
		c := &ctx{m: m, g: m.Graph, rep: reps[p.name], seen: seen[p.name], budget: budget}
		if err := p.run(c); err != nil {
			return 0, fmt.Errorf("pass %s: %w", p.name, err)
		}
		if c.n > 0 {
			if err := m.Graph.Sort(); err != nil {
				return 0, fmt.Errorf("pass %s: %w", p.name, err)
			}
		}
		if opt.CheckEachPass {
			if err := ir.Verify(m); err != nil {
				return 0, fmt.Errorf("pass %s broke an IR invariant: %w", p.name, err)
			}
		}
		return c.n, nil
	}
	for round := 0; round < maxRounds; round++ {
		rep.Rounds = round + 1
		changed := 0
		for _, p := range sel {
			if p.late {
				continue
			}
			n, err := apply(p)
			if err != nil {
				return rep, err
			}
			changed += n
		}
		if changed > 0 {
			continue
		}
		for _, p := range sel {
			if !p.late {
				continue
			}
			n, err := apply(p)
			if err != nil {
				return rep, err
			}
			changed += n
		}
		if changed == 0 {
			return rep, nil
		}
	}
	return rep, fmt.Errorf("passes: no fixed point after %d rounds", maxRounds)
}

// CheckNames validates a pass selection as Options.Passes takes it.
func CheckNames(names []string) error {
	_, err := selectPasses(names)
	return err
}

func selectPasses(names []string) ([]pass, error) {
	if len(names) == 0 {
		return pipeline, nil
	}
	if len(names) == 1 && (names[0] == "none" || names[0] == "") {
		return nil, nil
	}
	want := map[string]bool{}
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "all" {
			return pipeline, nil
		}
		found := false
		for _, p := range pipeline {
			if p.name == n {
				found = true
			}
		}
		if !found {
			known := Names()
			sort.Strings(known)
			return nil, fmt.Errorf("unknown pass %q (known: none, all, %s)", n, strings.Join(known, ", "))
		}
		want[n] = true
	}
	var out []pass
	for _, p := range pipeline {
		if want[p.name] {
			out = append(out, p)
		}
	}
	return out, nil
}

// ctx is what a pass sees: the model, the main graph and its report.
type ctx struct {
	m    *ir.Model
	g    *ir.Graph
	rep  *PassReport
	seen map[string]bool
	n    int // rewrites in this application
	// budget bounds the constants folding makes over the run.
	budget *engine.Budget
}

// rewrote counts one rewrite with a description.
func (c *ctx) rewrote(format string, args ...any) {
	c.n++
	c.rep.Rewrites++
	c.rep.Changes = append(c.rep.Changes, fmt.Sprintf(format, args...))
}

// leftAlone records a near-miss (once per distinct message).
func (c *ctx) leftAlone(n *ir.Node, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if n != nil {
		msg = fmt.Sprintf("node %q (%s): %s", n.Name, n.OpType, msg)
	}
	if !c.seen[msg] {
		c.seen[msg] = true
		c.rep.LeftAlone = append(c.rep.LeftAlone, msg)
	}
}

// opset is the default-domain opset of the model.
func (c *ctx) opset() int64 { return c.m.Opset("") }
