package main

import (
	"fmt"

	"github.com/mconv/mconv/coreml"
	"github.com/mconv/mconv/golden"
	"github.com/mconv/mconv/imageprep"
	"github.com/mconv/mconv/ir"
)

// coremlPreprocess makes a Core ML image input compute what `mconv run
// --image --preprocess preset` feeds the model, (pixel/255 - mean) / std per
// channel, from the pixels of the already resized and cropped image.
//
// Core ML's image scaler has one scale for all channels and a bias per
// channel. When the preset's std is the same for every channel the scaler
// does it all: scale 1/(255 std), bias -mean/std. Otherwise the scaler
// computes pixel/255 - mean and a Mul by 1/std (a [1, 3, 1, 1] constant, in
// the channel order of im.ColorSpace) is put in front of every consumer of
// m's single input. Rounding differs from PyTorch's (x - mean) / std by a few
// float32 ulps.
func coremlPreprocess(m *ir.Model, preset string, im *coreml.ImageInput) error {
	cfg, err := imageprep.Preset(preset)
	if err != nil {
		return usageError{fmt.Errorf("--preprocess: %w", err)}
	}
	if cfg.Std[0] == cfg.Std[1] && cfg.Std[1] == cfg.Std[2] {
		s := cfg.Std[0]
		im.Scale = 1 / (255 * s)
		for c := range im.Bias {
			im.Bias[c] = -cfg.Mean[c] / s
		}
		return nil
	}
	im.Scale = 1.0 / 255
	for c := range im.Bias {
		im.Bias[c] = -cfg.Mean[c]
	}
	fed := golden.FeedInputs(m.Graph)
	if len(fed) != 1 {
		return fmt.Errorf("--image-input needs a model with one input, not %d", len(fed))
	}
	in := fed[0]
	if sh := in.Type.Shape; !in.Type.HasShape || len(sh) != 4 || !sh[1].Known() || sh[1].Size != 3 {
		return fmt.Errorf("--image-input needs input %q of shape [1,3,H,W], got %s", in.Name, in.Type.Shape)
	}
	inv := make([]float32, 3)
	for c := range inv {
		src := c
		if im.ColorSpace == "bgr" {
			src = 2 - c
		}
		inv[c] = 1 / cfg.Std[src]
	}
	g := m.Graph
	k := g.AddConst(g.UniqueName(in.Name+"_inv_std"), ir.NewFloat32([]int64{1, 3, 1, 1}, inv))
	uses := append([]ir.Use(nil), in.Uses...)
	var first *ir.Node
	if len(g.Nodes) > 0 {
		first = g.Nodes[0]
	}
	mul := g.InsertNodeBefore(first, "Mul", g.UniqueName(in.Name+"_std"), []*ir.Value{in, k}, g.UniqueName(in.Name+"_normalized"))
	mul.Outputs[0].Type = in.Type
	for _, u := range uses {
		u.Node.SetInput(u.Index, mul.Outputs[0])
	}
	return ir.InferShapes(m)
}
