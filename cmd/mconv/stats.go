package main

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/ir/metrics"
	"github.com/mconv/mconv/onnx"
	"github.com/mconv/mconv/passes"
	"github.com/mconv/mconv/runtime"
)

func init() { register(newStatsCmd) }

// statsOptions are the inputs of `mconv stats`.
type statsOptions struct {
	Paths    []string
	JSON     bool
	PerLayer bool
	FP16     bool
	Fuse     bool // also count the fused form of the (single) model
	Batch    int  // batch size for symbolic (or, when BatchSet, all) batch dimensions
	BatchSet bool
	NoPlan   bool // skip the runtime plan (peak activations)
	planOpts      // the peak-activation plan's threads; input shapes
}

func newStatsCmd() *cobra.Command {
	o := &statsOptions{planOpts: planOpts{Threads: 1}}
	cmd := &cobra.Command{
		Use:   "stats MODEL [MODEL2]",
		Short: "Count params, MACs, FLOPs, memory access cost and peak activations (static)",
		Long: `stats counts a model's efficiency figures from its graph and shapes, without
running it: parameters (by dtype; BatchNorm running statistics apart as
buffers), MACs of Conv/ConvTranspose/Gemm/MatMul, FLOPs (2 x MACs + 1 per
output element of elementwise ops, activations, normalizations, pooling and
reductions), memory access cost (activations read +
written + weights read, 4 bytes per float, 2 with --fp16), arithmetic
intensity, and the peak activation memory of the runtime's buffer plan
(built for --threads threads, default 1: per-thread scratch buffers count).
--fp16 only changes the byte counts (2 bytes per float element); the model
is counted as it is. Symbolic input dimensions are fixed to --batch
(default 1); --input-shape fixes a whole input shape (--batch, when given,
still sets its first dimension). --seed is accepted like every planning
command's but unused: stats draws no inputs.

With two models, or one and --fuse, prints them side by side.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return usageError{fmt.Errorf("stats takes one or two models, got %d", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Paths = args
			o.BatchSet = cmd.Flags().Changed("batch")
			return o.run(cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.JSON, "json", false, "print one JSON object (see README: keys params, macs, flops, memory_access_bytes, peak_activation_bytes, layers)")
	f.BoolVar(&o.PerLayer, "per-layer", false, "print a per-layer table")
	f.BoolVar(&o.FP16, "fp16", false, "count 2 bytes per float element in memory access cost (the model itself is not converted)")
	f.BoolVar(&o.Fuse, "fuse", false, "also run mconv's passes and show the fused form beside the original")
	f.IntVar(&o.Batch, "batch", 1, "batch size for the inputs' first dimension")
	f.BoolVar(&o.NoPlan, "no-plan", false, "do not build a runtime plan (peak activation bytes become null)")
	addPlanFlags(cmd, &o.planOpts, "unused: stats draws no inputs (accepted like every planning command's)", "its shape when counting and planning")
	return cmd
}

func (o *statsOptions) run(w io.Writer) error {
	if o.Fuse && len(o.Paths) != 1 {
		return usageError{fmt.Errorf("--fuse takes one model")}
	}
	if o.Batch < 1 {
		return usageError{fmt.Errorf("--batch must be at least 1")}
	}
	if err := o.check(); err != nil {
		return err
	}
	var reports []*metrics.Report
	names := displayNames(o.Paths)
	for i, p := range o.Paths {
		m, err := metricsLoadModel(p, o.Batch, o.BatchSet, o.shapes())
		if err != nil {
			return err
		}
		r, err := o.count(m, names[i])
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		reports = append(reports, r)
		if o.Fuse {
			if _, err := passes.Run(m, passes.Options{}); err != nil {
				return fmt.Errorf("%s: fuse: %w", p, err)
			}
			if err := ir.InferShapes(m); err != nil {
				return fmt.Errorf("%s: fused form: %w", p, err)
			}
			r, err := o.count(m, names[i]+" (fused)")
			if err != nil {
				return fmt.Errorf("%s (fused): %w", p, err)
			}
			reports = append(reports, r)
		}
	}
	if len(reports) == 1 {
		if o.JSON {
			return metrics.WriteJSON(w, reports[0])
		}
		return metrics.WriteText(w, reports[0], o.PerLayer)
	}
	if o.JSON {
		return metrics.WriteJSON(w, struct {
			Models []*metrics.Report `json:"models"`
		}{reports})
	}
	if err := metrics.WriteCompare(w, reports); err != nil {
		return err
	}
	for _, r := range reports {
		for _, warn := range r.Warnings {
			fmt.Fprintf(w, "warning (%s): %s\n", r.Model, warn)
		}
	}
	fmt.Fprintln(w, "conventions:")
	for _, s := range metrics.Rules {
		fmt.Fprintf(w, "  %s\n", s)
	}
	if o.PerLayer {
		for _, r := range reports {
			fmt.Fprintln(w)
			if err := metrics.WriteText(w, r, true); err != nil {
				return err
			}
		}
	}
	return nil
}

// count counts m and, unless NoPlan, adds the runtime plan's peak
// activation bytes (a model the runtime cannot compile gets a warning).
func (o *statsOptions) count(m *ir.Model, name string) (*metrics.Report, error) {
	r, err := metrics.Count(m, metrics.Options{FP16: o.FP16})
	if err != nil {
		return nil, err
	}
	r.Model = name
	if !o.NoPlan {
		plan, err := runtime.Compile(m, runtime.Options{Threads: o.Threads})
		if err != nil {
			r.Warnings = append(r.Warnings, fmt.Sprintf("no runtime plan, so no peak activation bytes: %v", err))
		} else {
			peak := plan.PeakActivationBytes()
			r.PeakActivationBytes = &peak
			plan.Close()
		}
	}
	return r, nil
}

// displayNames names models in reports: the file name, or with several
// models the folder and file name (train.onnx and deploy.onnx of one
// model folder say which model they are).
func displayNames(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = filepath.Base(p)
		if len(paths) > 1 {
			if d := filepath.Base(filepath.Dir(p)); d != "." && d != string(filepath.Separator) {
				out[i] = d + "/" + out[i]
			}
		}
	}
	return out
}

// metricsLoadModel loads a model and gives its inputs static shapes: first
// those of shapes (--input-shape), then a symbolic first (batch) dimension
// becomes batch (every first dimension when force is set); any other
// symbolic dimension is an error.
func metricsLoadModel(path string, batch int, force bool, shapes map[string][]int64) (*ir.Model, error) {
	m, err := onnx.Load(path)
	if err != nil {
		return nil, err
	}
	if err := setInputShapes(m, shapes); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := metricsFixBatch(m, batch, force); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

func metricsFixBatch(m *ir.Model, batch int, force bool) error {
	shapes := map[string][]int64{}
	for _, v := range m.Graph.Inputs {
		if v.Const != nil || !v.Type.HasShape || len(v.Type.Shape) == 0 {
			continue
		}
		s := v.Type.Shape.Sizes()
		changed := false
		if s[0] < 0 || (force && s[0] != int64(batch)) {
			s[0], changed = int64(batch), true
		}
		for i, d := range s[1:] {
			if d < 0 {
				return fmt.Errorf("input %q has symbolic dimension %d (%s); only the batch dimension can be fixed", v.Name, i+1, v.Type.Shape)
			}
		}
		if changed {
			shapes[v.Name] = s
		}
	}
	if len(shapes) > 0 {
		return ir.SetInputShapes(m, shapes)
	}
	return ir.InferShapes(m)
}
