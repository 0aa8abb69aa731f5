package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"

	"github.com/mconv/mconv/golden"
	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/ir/metrics"
	"github.com/mconv/mconv/onnx"
	"github.com/mconv/mconv/passes"
	"github.com/mconv/mconv/runtime"
	"github.com/spf13/cobra"
)

func init() { register(newFuseCmd) }

// fuseOptions are the inputs of `mconv fuse`.
type fuseOptions struct {
	In, Out  string
	Passes   string // comma-separated pass names, "" = all, "none"
	NoVerify bool
	Verbose  bool    // list every rewrite, not the first few per pass
	RTol     float64 // verification tolerance relative to the largest reference magnitude
	planOpts         // the verification's plans and random inputs

	// afterPasses, if set, edits the fused model before verification
	// (tests use it to plant a wrong rewrite).
	afterPasses func(*ir.Model)
}

func newFuseCmd() *cobra.Command {
	o := fuseOptions{RTol: 1e-4}
	c := &cobra.Command{
		Use:   "fuse IN -o OUT",
		Short: "Fold BatchNorm, collapse reparameterization branches, fuse SE and activations; check and write the deploy form",
		Long: "fuse runs mconv's graph passes (see `--passes`) to a fixed point and prints what each rewrote, the op\n" +
			"histogram, parameter count and MACs before and after. It then runs the original and the fused model\n" +
			"on seeded random inputs with the Go runtime and writes OUT only if they agree within --rtol of the\n" +
			"largest reference output magnitude (--no-verify skips the check). Fused mconv ops are written as\n" +
			"standard ONNX ops. Passes: " + strings.Join(passes.Names(), ", ") + ".",
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.In = args[0]
			return o.run(cmd.OutOrStdout())
		},
	}
	c.Flags().StringVarP(&o.Out, "output", "o", "", "output ONNX file (required, must differ from IN)")
	c.Flags().StringVar(&o.Passes, "passes", "", "comma-separated passes to run (default all; \"none\" loads and saves through the IR)")
	c.Flags().BoolVar(&o.NoVerify, "no-verify", false, "do not compare original and fused outputs in the Go runtime")
	c.Flags().BoolVarP(&o.Verbose, "verbose", "v", false, "list every rewrite (default: the first 8 per pass)")
	addPlanFlags(c, &o.planOpts, "seed of the random verification inputs (symbolic batch = 2, other symbolic dims = 1)", "the shape of its random verification input")
	c.Flags().Float64Var(&o.RTol, "rtol", 1e-4, "verification tolerance, relative to the largest reference output magnitude")
	return c
}

func (o *fuseOptions) run(w io.Writer) error {
	if o.Out == "" {
		return usageError{errors.New("fuse needs an output file: -o OUT")}
	}
	if onnx.SameFile(o.In, o.Out) {
		return usageError{fmt.Errorf("output %s is the input file: refusing to overwrite the input", o.Out)}
	}
	if err := o.check(); err != nil {
		return err
	}
	if o.NoVerify && len(o.InputShapes) > 0 {
		return usageError{errors.New("--input-shape shapes the verification inputs; --no-verify runs none")}
	}
	var names []string
	if o.Passes != "" {
		for _, p := range strings.Split(o.Passes, ",") {
			names = append(names, strings.TrimSpace(p))
		}
	}
	if err := passes.CheckNames(names); err != nil {
		return usageError{err}
	}
	m, err := onnx.Load(o.In)
	if err != nil {
		return err
	}
	if len(names) == 1 && names[0] == "none" {
		if err := onnx.Save(m, o.Out); err != nil {
			return err
		}
		fmt.Fprintf(w, "passes: none; wrote %s\n", o.Out)
		return nil
	}
	orig := ir.CloneModel(m)
	if err := ir.InferShapes(m); err != nil {
		fmt.Fprintf(w, "warning: shape inference: %v (passes that need shapes skip those nodes)\n", err)
	}
	before := graphStats(m)
	rep, err := passes.Run(m, passes.Options{Passes: names, MaxMemory: o.MaxMemory})
	if err != nil {
		return fmt.Errorf("%s: %w", o.In, err)
	}
	if o.afterPasses != nil {
		o.afterPasses(m)
	}
	if err := ir.InferShapes(m); err != nil {
		fmt.Fprintf(w, "warning: shape inference after the passes: %v\n", err)
	}
	after := graphStats(m)
	if o.Verbose {
		fmt.Fprint(w, rep.Long())
	} else {
		fmt.Fprint(w, rep.String())
	}
	printStats(w, before, after)
	if !o.NoVerify {
		if err := o.verify(w, orig, m); err != nil {
			return err
		}
	}
	if err := ir.ExpandFused(m); err != nil {
		return fmt.Errorf("%s: expanding fused ops for ONNX: %w", o.In, err)
	}
	if err := onnx.Save(m, o.Out); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %s\n", o.Out)
	return nil
}

// verify runs both models on the same seeded random inputs and fails if
// any output differs by more than RTol times that output's largest
// reference magnitude.
func (o *fuseOptions) verify(w io.Writer, orig, fused *ir.Model) error {
	// --input-shape: both models are verified with those input shapes (on
	// copies: the fused model is written with its own).
	given := o.shapes()
	if len(given) > 0 {
		orig, fused = ir.CloneModel(orig), ir.CloneModel(fused)
		for _, m := range []*ir.Model{orig, fused} {
			if err := setInputShapes(m, given); err != nil {
				return fmt.Errorf("cannot verify: %w", err)
			}
		}
	}
	// Symbolic dimensions: batch 2 (catches a batch size baked into the
	// graph), other dimensions 1.
	shapes := map[string][]int64{}
	for _, v := range golden.FeedInputs(orig.Graph) {
		dims, ok := golden.InputShape(v, 2)
		if !ok || v.Type.DType != ir.Float32 {
			return fmt.Errorf("cannot verify: input %q has type %s (want a float32 tensor of known rank); use --no-verify", v.Name, v.Type)
		}
		if n := ir.NumElements(dims); n < 0 || n > 1<<26 {
			return fmt.Errorf("cannot verify: input %q shape %v too large; use --no-verify", v.Name, dims)
		}
		shapes[v.Name] = dims
	}
	inputs, err := golden.RandomInputs(orig, o.Seed, 2)
	if err != nil {
		return fmt.Errorf("cannot verify: %w", err)
	}
	run := func(m *ir.Model, what string) (map[string]*ir.Tensor, error) {
		// Each model as written: without graph passes, which would give
		// both the same graph and hide a wrong rewrite.
		p, err := runtime.Compile(m, runtime.Options{Threads: o.Threads, MaxMemory: o.MaxMemory, InputShapes: shapes, Passes: []string{"none"}})
		if err != nil {
			return nil, fmt.Errorf("cannot verify: compiling the %s model: %w (use --no-verify to skip the check)", what, err)
		}
		out, err := p.Run(inputs)
		if err != nil {
			return nil, fmt.Errorf("cannot verify: running the %s model: %w", what, err)
		}
		return out, nil
	}
	ref, err := run(orig, "original")
	if err != nil {
		return err
	}
	got, err := run(fused, "fused")
	if err != nil {
		return err
	}
	rep, err := golden.CompareModels(orig, ref, fused, got, golden.Tolerance{RTol: o.RTol})
	if err != nil {
		return fmt.Errorf("verification: %w", err)
	}
	// The worst error relative to its output's largest magnitude.
	var worstMsg string
	worst := 0.0
	for _, r := range rep.Results {
		rel := 0.0
		switch {
		case r.Err != "" || r.NaNs > 0 || r.Infs > 0:
			rel = math.Inf(1)
		case r.MaxAbs > 0:
			rel = r.MaxAbs / r.Scale
		}
		if rel > worst || worstMsg == "" && !r.OK() {
			worst, worstMsg = rel, r.String()
			rf, err1 := ref[r.Name].Float64s()
			gf, err2 := got[r.Name].Float64s()
			if at := r.MaxAbsAt; r.Err == "" && err1 == nil && err2 == nil && at < len(rf) && at < len(gf) {
				worstMsg = fmt.Sprintf("output %q element %d: fused %g, original %g, abs err %g, largest reference magnitude %g", r.Name, at, gf[at], rf[at], r.MaxAbs, r.Scale)
			}
		}
	}
	if !rep.OK() {
		return fmt.Errorf("verification failed (relative error %.3g > rtol %g): %s; %s not written", worst, o.RTol, worstMsg, o.Out)
	}
	fmt.Fprintf(w, "verified: original and fused agree on seeded random inputs (max error %.3g of the largest output magnitude, rtol %g)\n", worst, o.RTol)
	return nil
}

// stats summarizes a graph for the fuse report.
type stats struct {
	ops     map[string]int
	nodes   int
	params  int64 // trainable parameters (ir/metrics convention)
	buffers int64 // BatchNorm running statistics
	macs    int64 // multiply-accumulates of Conv/Gemm/MatMul/SqueezeExcite
	known   bool  // ir/metrics could count the model
	warn    string
}

// graphStats counts ops, and parameters and MACs with ir/metrics (the
// numbers `mconv stats` prints), on a copy whose symbolic input dimensions
// (the batch) are fixed to 1.
func graphStats(m *ir.Model) stats {
	s := stats{ops: map[string]int{}}
	for _, n := range m.Graph.Nodes {
		op := n.OpType
		if n.Domain != "" && n.Domain != "ai.onnx" {
			op = n.Domain + "." + op
		}
		s.ops[op]++
		s.nodes++
	}
	fixed := map[string][]int64{}
	for _, v := range m.Graph.Inputs {
		if v.Const == nil && v.Type.IsTensor() && v.Type.HasShape && !v.Type.Shape.Static() {
			dims := v.Type.Shape.Sizes()
			for i, d := range dims {
				if d < 0 {
					dims[i] = 1
				}
			}
			fixed[v.Name] = dims
		}
	}
	if len(fixed) > 0 {
		m = ir.CloneModel(m)
		if err := ir.SetInputShapes(m, fixed); err != nil {
			s.warn = err.Error()
			return s
		}
	}
	r, err := metrics.Count(m, metrics.Options{})
	if err != nil {
		s.warn = err.Error()
		return s
	}
	s.known = true
	s.params, s.buffers, s.macs = r.Params, r.Buffers, r.MACs
	return s
}

func printStats(w io.Writer, b, a stats) {
	fmt.Fprintf(w, "%-28s %12s %12s\n", "", "before", "after")
	fmt.Fprintf(w, "%-28s %12d %12d\n", "nodes", b.nodes, a.nodes)
	num := func(s stats, v int64) string {
		if !s.known {
			return "?"
		}
		return fmt.Sprint(v)
	}
	fmt.Fprintf(w, "%-28s %12s %12s\n", "parameters", num(b, b.params), num(a, a.params))
	fmt.Fprintf(w, "%-28s %12s %12s\n", "buffers (BN statistics)", num(b, b.buffers), num(a, a.buffers))
	fmt.Fprintf(w, "%-28s %12s %12s\n", "MACs (symbolic dims = 1)", num(b, b.macs), num(a, a.macs))
	for _, s := range []stats{b, a} {
		if s.warn != "" {
			fmt.Fprintf(w, "warning: counting parameters and MACs: %s\n", s.warn)
		}
	}
	var ops []string
	seen := map[string]bool{}
	for op := range b.ops {
		ops, seen[op] = append(ops, op), true
	}
	for op := range a.ops {
		if !seen[op] {
			ops = append(ops, op)
		}
	}
	sort.Slice(ops, func(i, j int) bool {
		if b.ops[ops[i]] != b.ops[ops[j]] {
			return b.ops[ops[i]] > b.ops[ops[j]]
		}
		return ops[i] < ops[j]
	})
	for _, op := range ops {
		fmt.Fprintf(w, "  %-26s %12d %12d\n", op, b.ops[op], a.ops[op])
	}
}
