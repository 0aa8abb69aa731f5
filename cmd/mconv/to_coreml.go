package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mconv/mconv/coreml"
	"github.com/mconv/mconv/golden"
	"github.com/mconv/mconv/imageprep"
	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/onnx"
	"github.com/mconv/mconv/passes"
)

func init() { register(newToCoreMLCmd) }

// toCoreMLOptions are the flags of `mconv to-coreml`.
type toCoreMLOptions struct {
	Input, Output   string
	Target          string
	FP16            bool
	Fuse            bool   // run mconv's passes (BN folding, branch collapse, SE/activation fusion) first
	ImageInput      string // "", "rgb" or "bgr"
	Scale           float32
	ScaleSet        bool   // --scale was given
	Bias            string // "R,G,B"
	Preprocess      string // an imageprep preset for the image input ("": --scale/--bias)
	planOpts               // --threads, --seed, --input-shape, --max-memory (the fp16 calibration run)
	CalibrationData string // folder of input_*.pb for the fp16 calibration run ("": random inputs from --seed)
	Name, Author    string
	Description     string
	Version         string
	JSON            bool // print what was written as one JSON object (coremlResult)
}

// coremlResult is what `to-coreml --json` prints; field order is the JSON
// key order (README, "Deploying to iPhone").
type coremlResult struct {
	Output string `json:"output"`
	Format string `json:"format"` // "mlprogram" or "neuralnetwork"
	// Target is the ML Program deployment target written ("" for a
	// NeuralNetwork); MinTarget the lowest that expresses the graph.
	Target               string `json:"target"`
	MinTarget            string `json:"min_target"`
	SpecificationVersion int32  `json:"specification_version"`
	Opset                string `json:"opset"` // MIL opset ("" for a NeuralNetwork)
	// Needs lists the nodes that need a target above iOS15.
	Needs []coreml.TargetNeed `json:"needs"`
	// FP32 lists the nodes of an fp16 ML Program that compute in float32
	// because their values exceed coreml.FP16SafeMax in the calibration run.
	FP32 []coreml.FP32Node `json:"fp32_nodes"`
}

func newToCoreMLCmd() *cobra.Command {
	o := &toCoreMLOptions{}
	cmd := &cobra.Command{
		Use:   "to-coreml MODEL.onnx -o OUT.mlpackage|OUT.mlmodel",
		Short: "Convert a model to Core ML (ML Program .mlpackage, or NeuralNetwork .mlmodel)",
		Long: `Convert an ONNX model to Core ML.

OUT.mlpackage writes an ML Program for the lowest deployment target whose
MIL opset expresses the graph (iOS15 unless an op needs a later one; the
command prints the target and the nodes that needed it); --target picks a
later one, and a target below what the graph needs is an error naming the
node and op.
OUT.mlmodel writes a NeuralNetwork model (specification version 4, iOS 13+;
version 5, iOS 14+, when a bilinear upsample needs its align-corners modes).
Core ML needs static shapes: a symbolic batch dimension becomes 1, other
symbolic input dimensions need --input-shape. With --fuse, mconv's passes
run first (BatchNorm folding, reparameterization-branch collapse, SE and
activation fusion), so a training-form export becomes its deploy form.
--fp16 makes a float16 model: weights stored in float16 and, in an ML
Program, computed in float16 (inputs and outputs stay float32); a
NeuralNetwork has no compute precision of its own, so there it stores the
weights in float16 and Core ML picks the precision at run time.
An fp16 ML Program is calibrated first: mconv's runtime runs the model once
(on --calibration-data's input_*.pb, else on random normal inputs from
--seed) and records each value's largest |value|; nodes whose inputs or
outputs exceed 65504/8 (float16's largest value with 8x headroom) compute
in float32, with casts at the edges of those regions; the command lists
them. Other conversions run nothing.

--image-input rgb|bgr makes the input an image: Core ML computes
pixel * --scale + --bias per channel before the network. --preprocess
imagenet|inception|none sets them (adding a per-channel Mul when the
preset's std differs per channel) so that the Core ML model computes on
the crop's pixels what mconv run --image --preprocess feeds the ONNX model;
resizing and cropping the photo stay with the app (mconv run's are timm's).`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Input = args[0]
			o.ScaleSet = cmd.Flags().Changed("scale")
			return o.run(cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Output, "output", "o", "", "output path ending in .mlpackage (ML Program) or .mlmodel (NeuralNetwork)")
	f.StringVar(&o.Target, "target", "", "ML Program deployment target: iOS15, iOS16, iOS17 or iOS18 (default: the lowest that expresses the graph)")
	f.BoolVar(&o.FP16, "fp16", false, "float16 model: weights in float16, and compute in float16 in an ML Program (a NeuralNetwork leaves compute precision to Core ML)")
	f.BoolVar(&o.Fuse, "fuse", false, "run mconv's passes first (as 'mconv fuse'): convert a training-form model to its deploy form")
	f.StringVar(&o.ImageInput, "image-input", "", "make the input an image: rgb or bgr")
	f.Float32Var(&o.Scale, "scale", 1, "image input: multiply pixels by this")
	f.StringVar(&o.Bias, "bias", "", "image input: R,G,B biases added after scaling")
	f.StringVar(&o.Preprocess, "preprocess", "", "image input: normalise as mconv run --preprocess does (imagenet, inception or none) instead of --scale/--bias")
	f.StringVar(&o.CalibrationData, "calibration-data", "", "--fp16 ML Program: folder of input_*.pb for the calibration run (default: random inputs from --seed)")
	f.StringVar(&o.Name, "name", "", "model name (metadata)")
	f.StringVar(&o.Author, "author", "", "author (metadata)")
	f.StringVar(&o.Description, "description", "", "short description (metadata)")
	f.StringVar(&o.Version, "version", "", "model version string (metadata)")
	f.BoolVar(&o.JSON, "json", false, "print what was written (format, target, the nodes that needed it) as one JSON object")
	addPlanFlags(cmd, &o.planOpts, "--fp16 ML Program: seed of the random calibration input (without --calibration-data)", "the static shape Core ML is given")
	return cmd
}

// coremlOptions validates the flags and builds the library options.
func (o *toCoreMLOptions) coremlOptions() (coreml.Options, error) {
	opt := coreml.Options{Target: o.Target, FP16: o.FP16, MaxMemory: o.MaxMemory, Name: o.Name, Author: o.Author, Description: o.Description,
		Version: o.Version, Source: filepath.Base(o.Input), MconvVersion: Version}
	if o.Output == "" {
		return opt, usageError{errors.New("to-coreml needs -o OUT.mlpackage or -o OUT.mlmodel")}
	}
	ext := strings.ToLower(filepath.Ext(strings.TrimRight(o.Output, "/")))
	if ext != ".mlpackage" && ext != ".mlmodel" {
		return opt, usageError{fmt.Errorf("output %q: the name must end in .mlpackage (ML Program) or .mlmodel (NeuralNetwork)", o.Output)}
	}
	if ext == ".mlmodel" && o.Target != "" {
		return opt, usageError{fmt.Errorf("--target applies to ML Programs (.mlpackage); .mlmodel files are NeuralNetwork specification version %d", coreml.NeuralNetworkSpecVersion)}
	}
	if o.Target != "" {
		if _, ok := coreml.Targets[o.Target]; !ok {
			return opt, usageError{fmt.Errorf("--target %q: want iOS15, iOS16, iOS17 or iOS18", o.Target)}
		}
	}
	if o.ImageInput == "" {
		if o.ScaleSet || o.Bias != "" {
			return opt, usageError{errors.New("--scale and --bias need --image-input rgb|bgr")}
		}
		if o.Preprocess != "" {
			return opt, usageError{errors.New("--preprocess needs --image-input rgb|bgr")}
		}
	} else {
		if o.Preprocess != "" && (o.ScaleSet || o.Bias != "") {
			return opt, usageError{errors.New("--preprocess sets the image input's scale and bias: it excludes --scale and --bias")}
		}
		if _, err := imageprep.Preset(o.Preprocess); o.Preprocess != "" && err != nil {
			return opt, usageError{fmt.Errorf("--preprocess: %w", err)}
		}
		cs := strings.ToLower(o.ImageInput)
		if cs != "rgb" && cs != "bgr" {
			return opt, usageError{fmt.Errorf("--image-input %q: want rgb or bgr", o.ImageInput)}
		}
		im := &coreml.ImageInput{ColorSpace: cs, Scale: o.Scale}
		if o.Bias != "" {
			parts := strings.Split(o.Bias, ",")
			if len(parts) != 3 {
				return opt, usageError{fmt.Errorf("--bias %q: want three numbers R,G,B", o.Bias)}
			}
			for i, p := range parts {
				v, err := strconv.ParseFloat(strings.TrimSpace(p), 32)
				if err != nil {
					return opt, usageError{fmt.Errorf("--bias %q: %q is not a number", o.Bias, p)}
				}
				im.Bias[i] = float32(v)
			}
		}
		opt.Image = im
	}
	shapes, err := parseInputShapes(o.InputShapes)
	if err != nil {
		return opt, err
	}
	opt.InputShapes = shapes
	return opt, nil
}

// run converts and writes the model, then prints what it wrote: for an ML
// Program the target and which nodes needed it.
func (o *toCoreMLOptions) run(w io.Writer) error {
	opt, err := o.coremlOptions()
	if err != nil {
		return err
	}
	if same(o.Input, o.Output) {
		return usageError{fmt.Errorf("output %q is the input; refusing to overwrite it", o.Output)}
	}
	m, err := onnx.Load(o.Input)
	if err != nil {
		return err
	}
	if o.Fuse {
		if err := fixCoreMLShapes(m, opt.InputShapes); err != nil {
			return fmt.Errorf("%s: %w", o.Input, err)
		}
		if _, err := passes.Run(m, passes.Options{MaxMemory: o.MaxMemory}); err != nil {
			return fmt.Errorf("%s: %w", o.Input, err)
		}
	}
	if o.Preprocess != "" {
		if err := coremlPreprocess(m, o.Preprocess, opt.Image); err != nil {
			return fmt.Errorf("%s: %w", o.Input, err)
		}
	}
	if strings.EqualFold(filepath.Ext(strings.TrimRight(o.Output, "/")), ".mlmodel") {
		spec, err := coreml.ConvertNeuralNetwork(m, opt)
		if err != nil {
			return fmt.Errorf("%s: %w", o.Input, err)
		}
		if err := coreml.WriteModelFile(spec, o.Output); err != nil {
			return err
		}
		if o.JSON {
			return writeJSON(w, coremlResult{Output: o.Output, Format: "neuralnetwork", SpecificationVersion: coreml.NeuralNetworkSpecVersion,
				Needs: []coreml.TargetNeed{}, FP32: []coreml.FP32Node{}})
		}
		_, err = fmt.Fprintf(w, "wrote %s: NeuralNetwork, specification version %d (iOS 13+)\n", o.Output, coreml.NeuralNetworkSpecVersion)
		return err
	}
	if o.FP16 {
		if opt.Ranges, err = o.calibrate(m, opt.InputShapes); err != nil {
			return fmt.Errorf("%s: %w", o.Input, err)
		}
	}
	p, err := coreml.ConvertProgram(m, opt)
	if err != nil {
		return fmt.Errorf("%s: %w", o.Input, err)
	}
	if err := coreml.WritePackage(p, strings.TrimRight(o.Output, "/")); err != nil {
		return err
	}
	if o.JSON {
		tv := coreml.Targets[p.Target]
		res := coremlResult{Output: o.Output, Format: "mlprogram", Target: p.Target, MinTarget: p.MinTarget,
			SpecificationVersion: tv.SpecVersion, Opset: tv.Opset, Needs: p.Needs, FP32: p.FP32}
		if res.Needs == nil {
			res.Needs = []coreml.TargetNeed{}
		}
		if res.FP32 == nil {
			res.FP32 = []coreml.FP32Node{}
		}
		return writeJSON(w, res)
	}
	_, err = fmt.Fprint(w, targetReport(o.Output, p)+fp32Report(p))
	return err
}

// calibrate runs m once in the runtime (coreml.Calibrate) on
// --calibration-data's inputs or random ones from --seed, with the static
// input shapes conversion uses, and returns the ranges of its values.
func (o *toCoreMLOptions) calibrate(m *ir.Model, given map[string][]int64) (map[string]float32, error) {
	c := ir.CloneModel(m)
	if err := fixCoreMLShapes(c, given); err != nil {
		return nil, err
	}
	var inputs map[string]*ir.Tensor
	if o.CalibrationData != "" {
		set, err := golden.LoadSet(o.CalibrationData)
		if err != nil {
			return nil, err
		}
		if len(set.Inputs) == 0 {
			return nil, fmt.Errorf("%s: no input_*.pb files", o.CalibrationData)
		}
		if inputs, err = golden.BindInputs(c, set); err != nil {
			return nil, err
		}
	} else {
		if err := checkInputsFit(c, o.MaxMemory); err != nil {
			return nil, err
		}
		var err error
		if inputs, err = golden.RandomInputs(c, o.Seed, 1); err != nil {
			return nil, fmt.Errorf("%w; give inputs with --calibration-data", err)
		}
	}
	return coreml.Calibrate(c, inputs, o.options())
}

// fp32Report lists the nodes of an fp16 program that compute in float32.
func fp32Report(p *coreml.Package) string {
	if len(p.FP32) == 0 {
		return ""
	}
	s := fmt.Sprintf("float32 compute in %d nodes whose values exceed float16's safe range (|x| > %g in the calibration run):\n", len(p.FP32), coreml.FP16SafeMax)
	const show = 10
	for i, n := range p.FP32 {
		if i == show {
			s += fmt.Sprintf("  ... and %d more nodes\n", len(p.FP32)-show)
			break
		}
		s += "  " + n.String() + "\n"
	}
	return s
}

// targetReport says which target p was written for and why: the lowest
// that expresses the graph, naming the nodes that needed it, or --target's.
func targetReport(out string, p *coreml.Package) string {
	tv := coreml.Targets[p.Target]
	s := fmt.Sprintf("wrote %s: ML Program, target %s (specification version %d, MIL opset %s)", out, p.Target, tv.SpecVersion, tv.Opset)
	if p.Target != p.MinTarget {
		return s + fmt.Sprintf(", as --target asked; the graph needs %s\n", p.MinTarget)
	}
	var forced []string
	for _, n := range p.Needs {
		if n.Target == p.MinTarget {
			forced = append(forced, n.String())
		}
	}
	if len(forced) == 0 {
		return s + ", the lowest ML Program target: every op of the graph exists there\n"
	}
	s += ", the lowest that expresses the graph:\n"
	const show = 5
	for i, f := range forced {
		if i == show {
			s += fmt.Sprintf("  ... and %d more nodes\n", len(forced)-show)
			break
		}
		s += "  " + f + "\n"
	}
	return s
}

// fixCoreMLShapes gives m's inputs the static shapes conversion uses
// (coreml.StaticInputShapes: a symbolic batch becomes 1, --input-shape
// sets the others), so that the passes that run before conversion fold
// the Shape arithmetic of those dimensions too, as the converter would.
func fixCoreMLShapes(m *ir.Model, given map[string][]int64) error {
	shapes, err := coreml.StaticInputShapes(m, given)
	if err != nil {
		return err
	}
	return ir.SetInputShapes(m, shapes)
}

// same reports whether two paths name the same file.
func same(a, b string) bool {
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	if err1 == nil && err2 == nil {
		return os.SameFile(sa, sb)
	}
	pa, _ := filepath.Abs(a)
	pb, _ := filepath.Abs(b)
	return pa == pb
}

// writeJSON prints v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(v)
}
