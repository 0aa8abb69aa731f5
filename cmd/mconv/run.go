package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mconv/mconv/golden"
	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/onnx"
	"github.com/mconv/mconv/runtime"
	"github.com/spf13/cobra"
)

func init() { register(newRunCmd) }

// runOptions are the inputs of `mconv run`.
type runOptions struct {
	Model  string
	Data   string // folder with input_K.pb; empty: seeded random inputs
	Out    string // folder for output_K.pb (-o); empty: do not write
	Repeat int    // extra timed runs after the first (0: none)
	planOpts
	imageOpts // --image: photos in, top-k labels out (run_image.go)
}

func newRunCmd() *cobra.Command {
	var o runOptions
	c := &cobra.Command{
		Use:   "run MODEL",
		Short: "Run a model with the native Go runtime and print (and optionally write) its outputs",
		Long: `Run MODEL with mconv's native runtime.

Inputs come from --data DIR (input_K.pb TensorProto files in the ONNX
test-data layout, read with package golden: matched to the graph inputs by
name when every file names one, else by position, and checked against the
inputs' declared dtypes and shapes), or are
seeded random numbers (standard normal floats, --seed) when --data is
absent; symbolic dimensions are then 1 unless --input-shape fixes the
input's shape. Outputs are printed (name, shape, range and, for a [N, K]
classifier output, the top-5 classes) and written as output_K.pb to the
folder -o/--output names (--out is the old spelling), in the ONNX test-data
layout.

--image FILE (repeatable) classifies JPEG/PNG photos instead: each is
preprocessed like timm's eval transform (--preprocess preset, overridden by
--size, --crop-pct, --mean, --std, --interpolation; package imageprep), the
images are batched, and the top --topk classes of the first output are
printed with softmax probabilities, logits and the names of --labels FILE
(--json: one JSON object).`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Model = args[0]
			return o.run(cmd.OutOrStdout())
		},
	}
	c.Flags().StringVar(&o.Data, "data", "", "folder holding input_*.pb")
	c.Flags().StringVarP(&o.Out, "output", "o", "", "folder to write output_*.pb to (--out: the same)")
	addOutputAlias(c, &o.Out)
	addPlanFlags(c, &o.planOpts, "seed of the random inputs (without --data)", "the shape of its random input (without --data)")
	c.Flags().IntVar(&o.Repeat, "repeat", 0, "after the first run, time this many more runs and print their median and minimum latency")
	addImageFlags(c, &o.imageOpts)
	return c
}

func (o *runOptions) run(w io.Writer) error {
	if err := o.check(); err != nil {
		return err
	}
	if o.Repeat < 0 {
		return usageError{fmt.Errorf("--repeat must be >= 0")}
	}
	if o.Data != "" && len(o.InputShapes) > 0 {
		return usageError{fmt.Errorf("--input-shape shapes the random inputs; with --data the inputs' shapes are those of the files")}
	}
	// -o must not name an input: not the model file, and not the --data
	// folder (a test_data_set folder keeps the expected output_K.pb there).
	if o.Out != "" && (onnx.SameFile(o.Model, o.Out) || (o.Data != "" && onnx.SameFile(o.Data, o.Out))) {
		return usageError{fmt.Errorf("-o %s is an input (the model or the --data folder): refusing to overwrite it", o.Out)}
	}
	if len(o.Images) > 0 && (o.Data != "" || o.Out != "" || o.Repeat > 0) {
		return usageError{fmt.Errorf("--image makes the inputs and prints top-k: it excludes --data, -o and --repeat")}
	}
	if len(o.Images) == 0 && (o.JSON || o.Labels != "") {
		return usageError{fmt.Errorf("--json and --labels go with --image")}
	}
	m, err := onnx.Load(o.Model)
	if err != nil {
		return err
	}
	if len(o.Images) > 0 {
		if err := o.applyShapes(m); err != nil {
			return err
		}
		return o.runImages(w, m)
	}
	var inputs map[string]*ir.Tensor
	if o.Data != "" {
		// the ONNX test-data layout, read and bound by package golden
		set, err := golden.LoadSet(o.Data)
		if err != nil {
			return err
		}
		if len(set.Inputs) == 0 {
			return fmt.Errorf("%s: no input_*.pb files", o.Data)
		}
		if inputs, err = golden.BindInputs(m, set); err != nil {
			return err
		}
	} else {
		if err := o.applyShapes(m); err != nil {
			return err
		}
		if err := checkInputsFit(m, o.MaxMemory); err != nil {
			return err
		}
		if inputs, err = golden.RandomInputs(m, o.Seed, 1); err != nil {
			return fmt.Errorf("%w; give inputs with --data", err)
		}
	}
	shapes := golden.InputShapes(inputs)
	plan, err := runtime.Compile(m, runtime.Options{Threads: o.Threads, MaxMemory: o.MaxMemory, InputShapes: shapes})
	if err != nil {
		return fmt.Errorf("%s: %w", o.Model, err)
	}
	defer plan.Close()
	outs, err := plan.Run(inputs)
	if err != nil {
		return fmt.Errorf("%s: %w", o.Model, err)
	}
	fmt.Fprintf(w, "model: %s (%d threads, peak activation memory %.2f MiB)\n", o.Model, plan.Threads(), float64(plan.PeakActivationBytes())/(1<<20))
	if o.Repeat > 0 {
		lat := make([]float64, o.Repeat)
		for i := range lat {
			t0 := time.Now()
			if err := plan.RunInto(inputs, outs); err != nil {
				return err
			}
			lat[i] = float64(time.Since(t0).Nanoseconds()) / 1e6
		}
		parts := make([]string, len(lat))
		for i, v := range lat {
			parts[i] = strconv.FormatFloat(v, 'f', 3, 64)
		}
		fmt.Fprintf(w, "latencies_ms: %s\n", strings.Join(parts, " "))
		sort.Float64s(lat)
		med := lat[len(lat)/2]
		if len(lat)%2 == 0 {
			med = (lat[len(lat)/2-1] + lat[len(lat)/2]) / 2
		}
		fmt.Fprintf(w, "latency: median %.3f ms, min %.3f ms over %d runs\n", med, lat[0], len(lat))
	}
	for i, v := range m.Graph.Outputs {
		t := outs[v.Name]
		summarize(w, v.Name, t)
		if o.Out != "" {
			if err := os.MkdirAll(o.Out, 0o755); err != nil {
				return err
			}
			t.Name = v.Name
			p := filepath.Join(o.Out, fmt.Sprintf("output_%d.pb", i))
			if err := onnx.WriteTensorFile(p, t); err != nil {
				return err
			}
		}
	}
	if o.Out != "" {
		fmt.Fprintf(w, "wrote %d output(s) to %s\n", len(m.Graph.Outputs), o.Out)
	}
	return nil
}

// runOnce compiles m for the inputs' shapes and runs it once.
func runOnce(m *ir.Model, inputs map[string]*ir.Tensor, threads int) (map[string]*ir.Tensor, *runtime.Plan, error) {
	return runOnceWith(m, inputs, runtime.Options{Threads: threads})
}

// runOnceWith is runOnce with the options opt (the input shapes are the
// inputs').
func runOnceWith(m *ir.Model, inputs map[string]*ir.Tensor, opt runtime.Options) (map[string]*ir.Tensor, *runtime.Plan, error) {
	opt.InputShapes = golden.InputShapes(inputs)
	plan, err := runtime.Compile(m, opt)
	if err != nil {
		return nil, nil, err
	}
	defer plan.Close()
	outs, err := plan.Run(inputs)
	return outs, plan, err
}

// summarize prints an output's shape, range and, for a [N, K] float output,
// the top-5 classes of (up to 4) rows.
func summarize(w io.Writer, name string, t *ir.Tensor) {
	fmt.Fprintf(w, "output %q: %s%v", name, t.DType, t.Dims)
	f, err := t.Float64s()
	if err != nil || len(f) == 0 {
		fmt.Fprintln(w)
		return
	}
	lo, hi, sum := math.Inf(1), math.Inf(-1), 0.0
	for _, v := range f {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
		sum += v
	}
	fmt.Fprintf(w, " min %.6g max %.6g mean %.6g\n", lo, hi, sum/float64(len(f)))
	if len(t.Dims) != 2 || t.Dims[1] < 2 || !t.DType.IsFloat() {
		return
	}
	K := int(t.Dims[1])
	for row := 0; row < int(t.Dims[0]) && row < 4; row++ {
		vals := f[row*K : (row+1)*K]
		idx := make([]int, K)
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return vals[idx[a]] > vals[idx[b]] })
		var parts []string
		for _, i := range idx[:min(5, K)] {
			parts = append(parts, fmt.Sprintf("%d (%.4g)", i, vals[i]))
		}
		fmt.Fprintf(w, "  row %d top-5: %s\n", row, strings.Join(parts, ", "))
	}
}
