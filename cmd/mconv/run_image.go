package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mconv/mconv/golden"
	"github.com/mconv/mconv/imageprep"
	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/ir/metrics"
	"github.com/mconv/mconv/runtime"
)

// imageOpts are `mconv run`'s photo flags: the images, their
// preprocessing (a preset, then per-field overrides) and the top-k report.
type imageOpts struct {
	Images        []string
	Preprocess    string
	Size          int     // -1: the model's input size, else the preset's
	CropPct       float64 // 0: the preset's
	Mean, Std     string  // "": the preset's
	Interpolation string  // "": the preset's
	Labels        string
	TopK          int
	JSON          bool
}

func addImageFlags(c *cobra.Command, o *imageOpts) {
	f := c.Flags()
	f.StringArrayVar(&o.Images, "image", nil, "a JPEG or PNG file to classify (repeatable; several are batched); replaces --data and random inputs")
	f.StringVar(&o.Preprocess, "preprocess", "imagenet", "preprocessing preset of --image: imagenet, inception or none (see README)")
	f.IntVar(&o.Size, "size", -1, "crop size of --image; -1: the model's input height and width, else the preset's; 0: no resize or crop")
	f.Float64Var(&o.CropPct, "crop-pct", 0, "crop fraction of --image: the short side is resized to floor(size / crop-pct) (default: the preset's, 0.875)")
	f.StringVar(&o.Mean, "mean", "", "per-channel mean R,G,B of --image (default: the preset's)")
	f.StringVar(&o.Std, "std", "", "per-channel std R,G,B of --image (default: the preset's)")
	f.StringVar(&o.Interpolation, "interpolation", "", "resize filter of --image: bilinear or bicubic (default: the preset's)")
	f.StringVar(&o.Labels, "labels", "", "class names, one a line, for the --image top-k")
	f.IntVar(&o.TopK, "topk", 5, "classes listed per --image")
	f.BoolVar(&o.JSON, "json", false, "with --image: print one JSON object")
}

// config resolves the preset and the overrides; modelSize is the model's
// square input side (0 when unknown).
func (o *imageOpts) config(modelSize int) (imageprep.Config, error) {
	c, err := imageprep.Preset(o.Preprocess)
	if err != nil {
		return c, usageError{fmt.Errorf("--preprocess: %w", err)}
	}
	switch {
	case o.Size >= 0:
		c.Size = o.Size
	case modelSize > 0 && o.Preprocess != "none":
		c.Size = modelSize
	}
	if o.CropPct != 0 {
		c.CropPct = o.CropPct
	}
	if o.Interpolation != "" {
		if c.Interpolation, err = imageprep.ParseInterpolation(o.Interpolation); err != nil {
			return c, usageError{fmt.Errorf("--interpolation: %w", err)}
		}
	}
	for _, f := range []struct {
		flag, val string
		dst       *[3]float32
	}{{"mean", o.Mean, &c.Mean}, {"std", o.Std, &c.Std}} {
		if f.val == "" {
			continue
		}
		parts := strings.Split(f.val, ",")
		if len(parts) != 3 {
			return c, usageError{fmt.Errorf("--%s %q: want three numbers R,G,B", f.flag, f.val)}
		}
		for i, p := range parts {
			v, err := strconv.ParseFloat(strings.TrimSpace(p), 32)
			if err != nil {
				return c, usageError{fmt.Errorf("--%s %q: %q is not a number", f.flag, f.val, p)}
			}
			f.dst[i] = float32(v)
		}
	}
	if err := c.Check(); err != nil {
		return c, usageError{err}
	}
	return c, nil
}

// imageResult is one image's top-k.
type imageResult struct {
	Image string            `json:"image"`
	Top   []imageprep.Class `json:"top"`
}

// imageReport is `mconv run --image --json`'s object.
type imageReport struct {
	Model         string        `json:"model"`
	Output        string        `json:"output"`
	Size          int           `json:"size"`
	CropPct       float64       `json:"crop_pct"`
	Interpolation string        `json:"interpolation"`
	Mean          [3]float32    `json:"mean"`
	Std           [3]float32    `json:"std"`
	Images        []imageResult `json:"images"`
}

// runImages classifies the --image files with m (its --input-shape already
// applied): one float32 NCHW input, batched by the model's batch dimension
// (all images at once when it is symbolic, else in batches of its size,
// the last padded with zeros), and the top-k of the first output's rows.
func (o *runOptions) runImages(w io.Writer, m *ir.Model) error {
	if o.TopK < 1 {
		return usageError{fmt.Errorf("--topk must be at least 1")}
	}
	fed := golden.FeedInputs(m.Graph)
	if len(fed) != 1 || !fed[0].Type.HasShape || len(fed[0].Type.Shape) != 4 || fed[0].Type.DType != ir.Float32 {
		return fmt.Errorf("%s: --image needs a model with one float32 NCHW input", o.Model)
	}
	in := fed[0]
	sh := in.Type.Shape
	if sh[1].Known() && sh[1].Size != 3 {
		return fmt.Errorf("%s: input %q has %d channels; --image makes 3 (RGB)", o.Model, in.Name, sh[1].Size)
	}
	modelSize := 0
	if sh[2].Known() && sh[3].Known() {
		if sh[2].Size != sh[3].Size {
			return fmt.Errorf("%s: input %q is %dx%d; --image makes square crops", o.Model, in.Name, sh[2].Size, sh[3].Size)
		}
		modelSize = int(sh[2].Size)
	}
	cfg, err := o.config(modelSize)
	if err != nil {
		return err
	}
	var labels []string
	if o.Labels != "" {
		if labels, err = imageprep.ReadLabels(o.Labels); err != nil {
			return err
		}
	}
	imgs := make([]*imageprep.RGB, len(o.Images))
	for i, p := range o.Images {
		if imgs[i], err = imageprep.Load(p); err != nil {
			return err
		}
	}
	x, err := cfg.Batch(imgs)
	if err != nil {
		return err
	}
	if modelSize > 0 && (x.Dims[2] != int64(modelSize) || x.Dims[3] != int64(modelSize)) {
		return fmt.Errorf("%s: input %q is %dx%d, the preprocessed images are %dx%d (set --size)", o.Model, in.Name, modelSize, modelSize, x.Dims[2], x.Dims[3])
	}
	n := len(imgs)
	batch := n
	if sh[0].Known() {
		batch = int(sh[0].Size)
	}
	per := int(x.Dims[1] * x.Dims[2] * x.Dims[3])
	shape := []int64{int64(batch), 3, x.Dims[2], x.Dims[3]}
	plan, err := runtime.Compile(m, runtime.Options{Threads: o.Threads, MaxMemory: o.MaxMemory, InputShapes: map[string][]int64{in.Name: shape}})
	if err != nil {
		return fmt.Errorf("%s: %w", o.Model, err)
	}
	defer plan.Close()
	xs, _ := x.Float32s()
	out := m.Graph.Outputs[0].Name
	rep := imageReport{Model: o.Model, Output: out, Size: int(x.Dims[2]), CropPct: cfg.CropPct, Interpolation: cfg.Interpolation.String(), Mean: cfg.Mean, Std: cfg.Std}
	for start := 0; start < n; start += batch {
		chunk := make([]float32, batch*per)
		copy(chunk, xs[start*per:min(n, start+batch)*per])
		t := ir.NewFloat32(shape, chunk)
		t.Name = in.Name
		outs, err := plan.Run(map[string]*ir.Tensor{in.Name: t})
		if err != nil {
			return fmt.Errorf("%s: %w", o.Model, err)
		}
		y := outs[out]
		ys, err := y.Float32s()
		if err != nil || len(y.Dims) == 0 || y.Dims[0] != int64(batch) {
			return fmt.Errorf("%s: output %q is %s%v; --image wants float class scores [N, K]", o.Model, out, y.DType, y.Dims)
		}
		k := len(ys) / batch
		if labels != nil && len(labels) != k {
			return fmt.Errorf("%s: %d labels for %d classes", o.Labels, len(labels), k)
		}
		for i := start; i < min(n, start+batch); i++ {
			row := ys[(i-start)*k : (i-start+1)*k]
			rep.Images = append(rep.Images, imageResult{Image: o.Images[i], Top: imageprep.TopK(row, o.TopK, labels)})
		}
	}
	if o.JSON {
		return metrics.WriteJSON(w, rep)
	}
	fmt.Fprintf(w, "model: %s (%d threads), output %q\n", o.Model, plan.Threads(), out)
	fmt.Fprintf(w, "preprocess: %s, size %d, crop_pct %g, %s, mean %v, std %v\n", o.Preprocess, rep.Size, cfg.CropPct, rep.Interpolation, cfg.Mean, cfg.Std)
	for _, r := range rep.Images {
		fmt.Fprintf(w, "%s:\n", r.Image)
		for j, c := range r.Top {
			name := c.Label
			if name == "" {
				name = fmt.Sprintf("class %d", c.Index)
			}
			fmt.Fprintf(w, "  %d. %-24s p=%.4f  logit=%.5g  (index %d)\n", j+1, name, c.Prob, c.Logit, c.Index)
		}
	}
	return nil
}
