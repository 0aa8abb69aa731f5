package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mconv/mconv/internal/atomicfile"
	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/ir/metrics"
	"github.com/mconv/mconv/onnx"
	"github.com/mconv/mconv/passes"
	"github.com/mconv/mconv/report"
)

func init() { register(newCompareCmd) }

// compareOptions are the inputs of `mconv compare`.
type compareOptions struct {
	Paths    []string
	Batch    int // throughput batch size
	Runs     int
	Warmup   int
	JSON     bool
	SVG      string
	HTML     string
	Fuse     bool      // run mconv's passes on every model first
	Progress io.Writer // stage lines; nil: none
	Live     bool      // also bench's live progress line on Progress (a terminal)
	planOpts
}

func newCompareCmd() *cobra.Command {
	o := &compareOptions{}
	cmd := &cobra.Command{
		Use:   "compare MODEL MODEL...",
		Short: "Compare models side by side: static cost, latency, throughput, charts (SVG) and an HTML report",
		Long: `compare puts several models side by side the way mobile backbone papers do:
one row per model with what mconv stats counts (params, MACs, FLOPs, memory
access, arithmetic intensity, peak activation memory of the runtime plan
for --threads threads) and what mconv bench measures (latency at batch 1,
median and p90; throughput in images/s at --batch; achieved GFLOP/s), the
models timed alternately (A B C A B C ...) so machine drift hits them alike,
then every model profiled node by node.

--svg FILE writes the charts: latency vs MACs and latency vs parameters
(linear axes with units, each point labelled, whisker to p90) and one
stacked bar per model of its time by op type. --html FILE writes one
self-contained page (inline SVG and style, no scripts) with the table, the
charts and every model's per-layer table. --json prints one object: per
model the table's row, the full mconv stats report ("stats") and the full
mconv bench --profile result ("bench") the row was taken from.
--fuse runs mconv's passes on every model first (training-form exports
are compared in their deploy form). Progress goes to stderr. Inputs are uniform in [-1, 1) from --seed;
--input-shape fixes an input's shape (all models must have that input).`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return usageError{fmt.Errorf("compare takes two or more models, got %d", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Paths = args
			o.Progress = cmd.ErrOrStderr()
			o.Live = benchWantsProgress(benchIsTerminal(os.Stderr), benchIsTerminal(os.Stdout), o.JSON)
			return o.run(cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	addTimingFlags(cmd, &o.planOpts, &o.Batch, &o.Runs, &o.Warmup, &o.JSON)
	f.StringVar(&o.SVG, "svg", "", "write the charts (latency vs MACs, latency vs params, time by op) to this SVG file")
	f.BoolVar(&o.Fuse, "fuse", false, "run mconv's passes on every model first: compare deploy forms of training-form exports")
	f.StringVar(&o.HTML, "html", "", "write a self-contained HTML report (table, charts, per-layer tables) to this file")
	return cmd
}

// compareModel is one model of `mconv compare --json`: the table's row and
// the stats and bench results it was read from.
type compareModel struct {
	report.Model
	Stats *metrics.Report `json:"stats"`
	Bench *benchResult    `json:"bench"`
}

// compareResult is `mconv compare --json`'s object.
type compareResult struct {
	Threads int             `json:"threads"`
	Runs    int             `json:"runs"`
	Batch   int             `json:"batch"`
	Models  []*compareModel `json:"models"`
}

func (o *compareOptions) progress(format string, a ...any) {
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "compare: "+format+"\n", a...)
	}
}

func (o *compareOptions) run(w io.Writer) error {
	bo := &benchOptions{Batch: o.Batch, Runs: o.Runs, Warmup: o.Warmup, planOpts: o.planOpts}
	if o.Live {
		bo.Progress = o.Progress
	}
	if err := bo.check(); err != nil {
		return err
	}
	for _, out := range []string{o.SVG, o.HTML} {
		for _, in := range o.Paths {
			if out != "" && onnx.SameFile(in, out) {
				return usageError{fmt.Errorf("%s would overwrite the input model %s", out, in)}
			}
		}
	}
	so := &statsOptions{planOpts: o.planOpts}
	names := uniqueNames(o.Paths)
	var bms []*benchModel
	defer func() {
		for _, bm := range bms {
			bm.plan1.Close()
			if bm.planB != nil {
				bm.planB.Close()
			}
		}
	}()
	res := &compareResult{Runs: o.Runs, Batch: o.Batch}
	for i, p := range o.Paths {
		o.progress("[%d/%d] counting and planning %s", i+1, len(o.Paths), p)
		m, err := metricsLoadModel(p, 1, true, o.shapes())
		if err != nil {
			return err
		}
		if o.Fuse {
			if _, err := passes.Run(m, passes.Options{MaxMemory: o.MaxMemory}); err != nil {
				return fmt.Errorf("%s: fuse: %w", p, err)
			}
			if err := ir.InferShapes(m); err != nil {
				return fmt.Errorf("%s: fused form: %w", p, err)
			}
		}
		st, err := so.count(m, names[i])
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		bm, err := bo.prepare(m, p, nil)
		if err != nil {
			return err
		}
		bm.name, bm.res.Model = names[i], names[i]
		bms = append(bms, bm)
		res.Models = append(res.Models, &compareModel{Stats: st, Bench: bm.res})
	}
	o.progress("timing %d models alternately: latency at batch 1, throughput at batch %d, %d runs each; then profiling", len(bms), o.Batch, o.Runs)
	if err := bo.measure(bms, true); err != nil {
		return err
	}
	rep := &report.Report{Title: "mconv compare: " + strings.Join(names, ", "), Runs: o.Runs}
	for i, cm := range res.Models {
		st, b := cm.Stats, cm.Bench
		cm.Model = report.Model{Name: names[i], Params: st.Params, MACs: st.MACs, FLOPs: st.FLOPs,
			MemoryAccessBytes: st.MemoryAccessBytes, Intensity: st.Intensity, PeakActivationBytes: b.PlannedActivationBytes,
			LatencyMedianMS: b.Latency.MedianMS, LatencyP90MS: b.Latency.P90MS, ThroughputBatch: o.Batch, GFLOPS: b.GFLOPS,
			TimeByOp: report.SumByOp(b.Profile), Layers: b.Profile}
		if b.Throughput != nil {
			v := b.Throughput.ImagesPerS
			cm.ImagesPerS = &v
		}
		res.Threads, rep.Threads = b.Threads, b.Threads
		rep.Models = append(rep.Models, cm.Model)
	}
	if o.SVG != "" {
		if err := atomicfile.Write(o.SVG, func(w io.Writer) error { return report.WriteSVG(w, rep) }); err != nil {
			return err
		}
		o.progress("wrote %s", o.SVG)
	}
	if o.HTML != "" {
		if err := atomicfile.Write(o.HTML, func(w io.Writer) error { return report.WriteHTML(w, rep) }); err != nil {
			return err
		}
		o.progress("wrote %s", o.HTML)
	}
	if o.JSON {
		return metrics.WriteJSON(w, res)
	}
	fmt.Fprintf(w, "%d threads, %d timed runs per measurement, models run alternately\n", rep.Threads, o.Runs)
	if err := report.WriteTable(w, rep); err != nil {
		return err
	}
	for _, cm := range res.Models {
		if cm.Bench.ThroughputError != "" {
			fmt.Fprintf(w, "%s: no batch-%d plan: %s\n", cm.Name, o.Batch, cm.Bench.ThroughputError)
		}
		for _, warn := range cm.Stats.Warnings {
			fmt.Fprintf(w, "warning (%s): %s\n", cm.Name, warn)
		}
	}
	return nil
}

// uniqueNames names models by the fewest trailing path components that
// tell them apart, less the trailing components they all share
// (a/x/deploy.onnx and b/x/deploy.onnx: "a" and "b").
func uniqueNames(paths []string) []string {
	parts := make([][]string, len(paths))
	most := 0
	for i, p := range paths {
		parts[i] = strings.Split(filepath.ToSlash(filepath.Clean(p)), "/")
		most = max(most, len(parts[i]))
	}
	tail := func(i, k int) []string { return parts[i][max(0, len(parts[i])-k):] }
	k := 1
	for ; k < most; k++ {
		seen := map[string]bool{}
		dup := false
		for i := range paths {
			s := strings.Join(tail(i, k), "/")
			dup = dup || seen[s]
			seen[s] = true
		}
		if !dup {
			break
		}
	}
	// drop trailing components common to all, keeping one at least
	common := 0
	for c := 1; c < k; c++ {
		same := true
		for i := range paths {
			t, t0 := tail(i, c), tail(0, c)
			same = same && len(t) == c && t[0] == t0[0]
		}
		if !same {
			break
		}
		common = c
	}
	out := make([]string, len(paths))
	for i := range paths {
		t := tail(i, k)
		out[i] = strings.Join(t[:len(t)-common], "/")
	}
	return out
}
