package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/mconv/mconv/golden"
	"github.com/mconv/mconv/internal/atomicfile"
	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/ir/metrics"
	"github.com/mconv/mconv/onnx"
	"github.com/mconv/mconv/passes"
	"github.com/mconv/mconv/runtime"
	"github.com/mconv/mconv/runtime/bench"
	"github.com/mconv/mconv/runtime/kernels"
)

func init() { register(newBenchCmd) }

// benchOptions are the inputs of `mconv bench`.
type benchOptions struct {
	Path     string
	Compare  string // second model, run alternately with the first
	Fuse     bool   // compare the model with its fused form (mconv's passes)
	Batch    int    // throughput batch size
	Runs     int
	Warmup   int
	JSON     bool
	Profile  bool
	SVG      string
	Progress io.Writer // nil: no progress line
	planOpts
}

func newBenchCmd() *cobra.Command {
	o := &benchOptions{}
	cmd := &cobra.Command{
		Use:   "bench MODEL",
		Short: "Measure latency (batch 1), throughput (batch 8), memory and GFLOP/s on mconv's runtime",
		Long: `bench runs the model on mconv's Go runtime with deterministic random inputs:
latency at batch 1 (median, p90, min, max in ms over --runs runs after
--warmup untimed ones), throughput at --batch (batches/s and images/s from
the median), the process's peak resident memory, the runtime plan's
activation bytes, and the achieved GFLOP/s (mconv stats FLOPs / median).
--compare OTHER runs the two models alternately (A B A B ...) and reports
the ratio of medians; --fuse does the same with the model's fused form. --profile times every node next to its MACs, FLOPs
and bytes; --svg FILE draws per-layer time against per-layer FLOPs.
Inputs are uniform in [-1, 1) drawn from --seed; --input-shape fixes an
input's shape (symbolic dimensions past the batch need it), whose first
dimension is the batch: 1 for latency, --batch for throughput.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Path = args[0]
			if benchWantsProgress(benchIsTerminal(os.Stderr), benchIsTerminal(os.Stdout), o.JSON) {
				o.Progress = cmd.ErrOrStderr()
			}
			return o.run(cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	addTimingFlags(cmd, &o.planOpts, &o.Batch, &o.Runs, &o.Warmup, &o.JSON)
	f.StringVar(&o.Compare, "compare", "", "second model to run alternately with the first (ratio of medians)")
	f.BoolVar(&o.Fuse, "fuse", false, "compare the model with its fused form (mconv's passes), run alternately")
	f.BoolVar(&o.Profile, "profile", false, "time every node and print per-layer time next to MACs and bytes")
	f.StringVar(&o.SVG, "svg", "", "write a per-layer time vs FLOPs chart to this SVG file (implies profiling)")
	return cmd
}

// addTimingFlags registers the flags of the commands that time models
// (bench, compare): the plan flags, --batch, --runs, --warmup and --json.
func addTimingFlags(cmd *cobra.Command, p *planOpts, batch, runs, warmup *int, json *bool) {
	f := cmd.Flags()
	addPlanFlags(cmd, p, "seed of the random inputs", "its shape for the latency and (with the batch dimension set to --batch) throughput runs")
	f.IntVar(batch, "batch", 8, "batch size for the throughput measurement")
	f.IntVar(runs, "runs", 50, "timed runs per measurement")
	f.IntVar(warmup, "warmup", 5, "untimed runs before timing")
	f.BoolVar(json, "json", false, "print one JSON object")
}

// benchWantsProgress says whether bench writes its progress line to
// stderr: only when stderr is a terminal, and not when JSON goes to a pipe
// or file (stdout not a terminal).
func benchWantsProgress(stderrTTY, stdoutTTY, jsonOut bool) bool {
	return stderrTTY && (!jsonOut || stdoutTTY)
}

func benchIsTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// benchThroughput is the batch-B measurement.
type benchThroughput struct {
	Batch       int         `json:"batch"`
	Stats       bench.Stats `json:"stats"`
	BatchesPerS float64     `json:"batches_per_s"`
	ImagesPerS  float64     `json:"images_per_s"`
	GFLOPS      float64     `json:"gflops_per_s"`
}

// benchResult is one model's result; field order is the JSON key order.
type benchResult struct {
	Model                  string            `json:"model"`
	Threads                int               `json:"threads"`
	Kernels                string            `json:"kernels"` // kernel path (kernels.KernelPath)
	Latency                bench.Stats       `json:"latency_batch1"`
	Throughput             *benchThroughput  `json:"throughput"` // nil when the batch-B plan failed
	ThroughputError        string            `json:"throughput_error,omitempty"`
	PeakRSSBytes           int64             `json:"peak_rss_bytes"`
	PlannedActivationBytes int64             `json:"planned_activation_bytes"`
	MACs                   int64             `json:"macs"`
	FLOPs                  int64             `json:"flops"`
	GFLOPS                 float64           `json:"gflops_per_s"`
	Profile                []bench.LayerTime `json:"profile,omitempty"`
}

// benchModel is one model prepared for timing.
type benchModel struct {
	name     string
	report   *metrics.Report
	plan1    *runtime.Plan
	in1      map[string]*ir.Tensor
	planB    *runtime.Plan
	inB      map[string]*ir.Tensor
	errB     error
	res      *benchResult
	m1       *ir.Model
	profiled [][]bench.NodeTime
}

// prepare counts m (inputs fixed to batch 1) and compiles it for batch 1
// and batch B, with the graph passes passes selects (runtime.Options.Passes).
func (o *benchOptions) prepare(m *ir.Model, path string, passes []string) (*benchModel, error) {
	var err error
	bm := &benchModel{name: filepath.Base(path), m1: m}
	if bm.report, err = metrics.Count(m, metrics.Options{}); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if bm.plan1, bm.in1, err = o.compile(m, passes); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	// Throughput: a copy with the batch dimension set to B. Models exported
	// with a fixed batch of 1 and a constant Reshape cannot take that; then
	// benchThroughput is reported as unavailable with the reason.
	mB := ir.CloneModel(m)
	if err := metricsFixBatch(mB, o.Batch, true); err != nil {
		bm.errB = err
	} else if bm.planB, bm.inB, err = o.compile(mB, passes); err != nil {
		bm.errB = err
	}
	bm.res = &benchResult{Model: bm.name, Threads: bm.plan1.Threads(), Kernels: kernels.KernelPath(), MACs: bm.report.MACs, FLOPs: bm.report.FLOPs,
		PlannedActivationBytes: bm.plan1.PeakActivationBytes()}
	if bm.errB != nil {
		bm.res.ThroughputError = bm.errB.Error()
	}
	return bm, nil
}

// check validates the flags; a usage error when they conflict.
func (o *benchOptions) check() error {
	if o.Fuse && o.Compare != "" {
		return usageError{fmt.Errorf("--fuse and --compare are exclusive")}
	}
	if o.Batch < 1 || o.Runs < 1 || o.Warmup < 0 {
		return usageError{fmt.Errorf("--batch and --runs must be at least 1, --warmup at least 0")}
	}
	if o.SVG != "" {
		// The second model's chart goes to NAME.compare.EXT (see run).
		ext := filepath.Ext(o.SVG)
		second := o.SVG[:len(o.SVG)-len(ext)] + ".compare" + ext
		for _, in := range []string{o.Path, o.Compare} {
			if in != "" && (onnx.SameFile(in, o.SVG) || onnx.SameFile(in, second)) {
				return usageError{fmt.Errorf("--svg %s would overwrite the input model %s", o.SVG, in)}
			}
		}
	}
	return o.planOpts.check()
}

func (o *benchOptions) compile(m *ir.Model, passes []string) (*runtime.Plan, map[string]*ir.Tensor, error) {
	plan, err := runtime.Compile(m, runtime.Options{Threads: o.Threads, Passes: passes})
	if err != nil {
		return nil, nil, err
	}
	for _, v := range golden.FeedInputs(m.Graph) {
		if v.Type.DType != ir.Float32 {
			plan.Close()
			return nil, nil, fmt.Errorf("input %q is %s; bench feeds float32 inputs only", v.Name, v.Type.DType)
		}
	}
	in, err := golden.RandomInputs(m, o.Seed, 1)
	if err != nil {
		plan.Close()
		return nil, nil, err
	}
	return plan, in, nil
}

func (o *benchOptions) run(w io.Writer) error {
	if err := o.check(); err != nil {
		return err
	}
	paths := []string{o.Path}
	if o.Compare != "" {
		paths = append(paths, o.Compare)
	}
	var bms []*benchModel
	defer func() {
		for _, bm := range bms {
			bm.plan1.Close()
			if bm.planB != nil {
				bm.planB.Close()
			}
		}
	}()
	names := displayNames(paths)
	for i, p := range paths {
		m, err := metricsLoadModel(p, 1, true, o.shapes())
		if err != nil {
			return err
		}
		var fused *ir.Model
		if o.Fuse {
			fused = ir.CloneModel(m)
			if _, err := passes.Run(fused, passes.Options{}); err != nil {
				return fmt.Errorf("%s: fuse: %w", p, err)
			}
			if err := ir.InferShapes(fused); err != nil {
				return fmt.Errorf("%s: fused form: %w", p, err)
			}
		}
		// With --fuse the model runs as written (runtime.Compile would
		// otherwise run the same passes on it and both forms would plan
		// alike).
		var asWritten []string
		if o.Fuse {
			asWritten = []string{"none"}
		}
		bm, err := o.prepare(m, p, asWritten)
		if err != nil {
			return err
		}
		bm.name, bm.res.Model = names[i], names[i]
		bms = append(bms, bm)
		if fused != nil {
			bm, err := o.prepare(fused, p+" (fused)", nil)
			if err != nil {
				return err
			}
			bm.name, bm.res.Model = names[i]+" (fused)", names[i]+" (fused)"
			bms = append(bms, bm)
		}
	}
	if err := o.measure(bms, o.Profile || o.SVG != ""); err != nil {
		return err
	}
	rss, rssErr := bench.PeakRSS()
	for _, bm := range bms {
		bm.res.PeakRSSBytes = rss
	}
	if o.SVG != "" {
		for i, bm := range bms {
			path := o.SVG
			if i > 0 {
				ext := filepath.Ext(path)
				path = path[:len(path)-len(ext)] + ".compare" + ext
			}
			if err := atomicfile.Write(path, func(w io.Writer) error {
				return bench.WriteSVG(w, fmt.Sprintf("%s: time per layer vs FLOPs (%d threads, batch 1)", bm.name, bm.res.Threads), bm.res.Profile)
			}); err != nil {
				return err
			}
		}
	}
	return o.write(w, bms, rssErr)
}

// measure times the prepared models: latency at batch 1, then throughput at
// --batch for those with a batch-B plan, each alternating over the models
// (A B A B ...), and with profile every node of the batch-1 plans.
func (o *benchOptions) measure(bms []*benchModel, profile bool) error {
	opt := bench.Options{Runs: o.Runs, Warmup: o.Warmup, Progress: o.Progress}
	// Latency at batch 1, alternating when comparing.
	var rs []bench.Runner
	var ins []map[string]*ir.Tensor
	for _, bm := range bms {
		rs, ins = append(rs, bm.plan1), append(ins, bm.in1)
	}
	opt.Label = "latency (batch 1)"
	lat, err := bench.Alternate(rs, ins, opt)
	if err != nil {
		return err
	}
	for i, bm := range bms {
		bm.res.Latency = lat[i]
		if lat[i].MedianMS > 0 {
			bm.res.GFLOPS = float64(bm.report.FLOPs) / (lat[i].MedianMS * 1e6)
		}
	}
	// Throughput at batch B for the models that have a batch-B plan.
	rs, ins = nil, nil
	var withB []*benchModel
	for _, bm := range bms {
		if bm.planB != nil {
			rs, ins, withB = append(rs, bm.planB), append(ins, bm.inB), append(withB, bm)
		}
	}
	if len(rs) > 0 {
		opt.Label = fmt.Sprintf("throughput (batch %d)", o.Batch)
		tp, err := bench.Alternate(rs, ins, opt)
		if err != nil {
			return err
		}
		for i, bm := range withB {
			t := &benchThroughput{Batch: o.Batch, Stats: tp[i]}
			if tp[i].MedianMS > 0 {
				t.BatchesPerS = 1000 / tp[i].MedianMS
				t.ImagesPerS = t.BatchesPerS * float64(o.Batch)
				t.GFLOPS = float64(bm.report.FLOPs) * float64(o.Batch) / (tp[i].MedianMS * 1e6)
			}
			bm.res.Throughput = t
		}
	}
	if profile {
		for _, bm := range bms {
			if err := o.profile(bm); err != nil {
				return err
			}
		}
	}
	return nil
}

// profile times every plan step over several runs and joins the times
// with the static per-layer figures.
func (o *benchOptions) profile(bm *benchModel) error {
	n := o.Runs
	if n > 20 {
		n = 20
	}
	for i := 0; i < n+1; i++ {
		nts, err := bm.plan1.Profile(bm.in1)
		if err != nil {
			return fmt.Errorf("%s: profile: %w", bm.name, err)
		}
		if i == 0 {
			continue // warm-up
		}
		run := make([]bench.NodeTime, 0, len(nts))
		for _, nt := range nts {
			op := nt.Node.OpType
			if nt.Node.Domain != "" && nt.Node.Domain != "ai.onnx" {
				op = nt.Node.Domain + "." + op
			}
			run = append(run, bench.NodeTime{Name: nt.Node.Name, Op: op, Dur: nt.Dur})
		}
		bm.profiled = append(bm.profiled, run)
	}
	bm.res.Profile = bench.JoinProfile(bm.profiled, bm.report.Layers)
	return nil
}

func (o *benchOptions) write(w io.Writer, bms []*benchModel, rssErr error) error {
	if o.JSON {
		if len(bms) == 1 {
			return metrics.WriteJSON(w, bms[0].res)
		}
		a, b := bms[0].res, bms[1].res
		out := struct {
			Models          []*benchResult `json:"models"`
			LatencyRatio    float64        `json:"latency_ratio"`    // median A / median B: B's speed-up
			ThroughputRatio *float64       `json:"throughput_ratio"` // images/s B / images/s A
		}{Models: []*benchResult{a, b}, LatencyRatio: benchSafeDiv(a.Latency.MedianMS, b.Latency.MedianMS)}
		if a.Throughput != nil && b.Throughput != nil {
			r := benchSafeDiv(b.Throughput.ImagesPerS, a.Throughput.ImagesPerS)
			out.ThroughputRatio = &r
		}
		return metrics.WriteJSON(w, out)
	}
	for _, bm := range bms {
		r := bm.res
		fmt.Fprintf(w, "%s (%d threads) on %s kernels\n", r.Model, r.Threads, r.Kernels)
		fmt.Fprintf(w, "  latency, batch 1:   median %.3f ms, p90 %.3f, min %.3f, max %.3f (%d runs)\n",
			r.Latency.MedianMS, r.Latency.P90MS, r.Latency.MinMS, r.Latency.MaxMS, r.Latency.Runs)
		if t := r.Throughput; t != nil {
			fmt.Fprintf(w, "  throughput, batch %d: %.2f batches/s, %.1f images/s (median %.3f ms per batch)\n", t.Batch, t.BatchesPerS, t.ImagesPerS, t.Stats.MedianMS)
		} else {
			fmt.Fprintf(w, "  throughput, batch %d: n/a (%s)\n", o.Batch, r.ThroughputError)
		}
		fmt.Fprintf(w, "  compute:            %s, %s per image, %.2f GFLOP/s at batch 1\n", metrics.SI(r.MACs, "MACs"), metrics.SI(r.FLOPs, "FLOPs"), r.GFLOPS)
		fmt.Fprintf(w, "  memory:             planned activations %.2f MiB (batch 1)", float64(r.PlannedActivationBytes)/(1<<20))
		if rssErr == nil {
			fmt.Fprintf(w, ", peak RSS %.1f MiB (whole process)\n", float64(r.PeakRSSBytes)/(1<<20))
		} else {
			fmt.Fprintf(w, ", peak RSS n/a (%v)\n", rssErr)
		}
		if r.Profile != nil {
			fmt.Fprintln(w)
			if err := bench.WriteProfile(w, r.Profile); err != nil {
				return err
			}
			for _, l := range r.Profile {
				if !l.Timed {
					fmt.Fprintln(w, "  (-: no step of its own: fused into the preceding Conv/Gemm, or evaluated at plan time)")
					break
				}
			}
		}
	}
	if len(bms) == 2 {
		a, b := bms[0].res, bms[1].res
		fmt.Fprintf(w, "\n%s vs %s (run alternately): latency ratio of medians %.3f (%s is %.2fx as fast)", a.Model, b.Model,
			benchSafeDiv(a.Latency.MedianMS, b.Latency.MedianMS), b.Model, benchSafeDiv(a.Latency.MedianMS, b.Latency.MedianMS))
		if a.Throughput != nil && b.Throughput != nil {
			fmt.Fprintf(w, "; throughput ratio %.3f", benchSafeDiv(b.Throughput.ImagesPerS, a.Throughput.ImagesPerS))
		}
		fmt.Fprintln(w)
	}
	return nil
}

// benchSafeDiv returns a/b, or 0 when b is 0.
func benchSafeDiv(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}
