// Package coreml converts mconv IR models to Core ML: ML Programs
// (.mlpackage, MIL ops, weights in weights/weight.bin) and NeuralNetwork
// models (.mlmodel, specification version 4), and reads back what it wrote
// into IR so that the Go runtime can check the conversion numerically.
//
// Core ML needs static shapes. Symbolic batch dimensions (dimension 0 of an
// input) become 1; any other symbolic input dimension must be given in
// Options.InputShapes. Inside the graph the converter computes every shape
// itself from the MIL op definitions.
package coreml

import (
	"fmt"
	"math"
	"strings"
)

// The ML Program deployment targets, as the lowerers table names them.
const (
	iOS15 = "iOS15"
	iOS16 = "iOS16"
	iOS17 = "iOS17"
	iOS18 = "iOS18"
)

// Targets maps a deployment target to its specification version and MIL
// opset. A later target has a higher specification version; iOS15 is the
// first with ML Programs.
var Targets = map[string]struct {
	SpecVersion int32
	Opset       string
}{
	"iOS15": {6, "CoreML5"},
	"iOS16": {7, "CoreML6"},
	"iOS17": {8, "CoreML7"},
	"iOS18": {9, "CoreML8"},
}

// NeuralNetworkSpecVersion is the specification version of .mlmodel files
// written by ConvertNeuralNetwork (iOS 13: N-D layers, exact shape mapping).
const NeuralNetworkSpecVersion = 4

// ImageInput makes the (single) model input an image. The network sees
// pixel*Scale + Bias per channel.
type ImageInput struct {
	ColorSpace string     // "rgb" or "bgr": the channel order the model expects
	Scale      float32    // multiplies every channel; must be non-zero
	Bias       [3]float32 // R, G, B biases, added after scaling
}

// Options controls a conversion.
type Options struct {
	// Target is the ML Program deployment target, "iOS15".."iOS18"; empty
	// means the lowest target that can express the graph (see
	// Package.Target). A target below what the graph needs is an error
	// naming the node and op that need more.
	Target string
	FP16   bool // store weights and compute in float16
	// Ranges holds, by ONNX value name, the largest |value| of the float
	// tensors of a calibration run (Calibrate). With FP16, an ML Program's
	// nodes whose inputs or outputs exceed FP16SafeMax compute in float32
	// (Package.FP32); nil computes every node in float16. NeuralNetwork
	// conversion ignores it.
	Ranges      map[string]float32
	Image       *ImageInput
	InputShapes map[string][]int64 // overrides for symbolic input dimensions, keyed by ONNX input name
	// MaxMemory bounds, in bytes, the constants the converter folds
	// (engine.Budget, as runtime.Options.MaxMemory); 0 means
	// engine.DefaultMaxMemory().
	MaxMemory int64

	// Metadata.
	Name, Author, Description, Version, License string
	Source                                      string // source model file, recorded in metadata
	MconvVersion                                string
}

func (o *Options) check() error {
	if _, ok := Targets[o.Target]; !ok && o.Target != "" {
		return fmt.Errorf("unknown target %q (want one of iOS15, iOS16, iOS17, iOS18)", o.Target)
	}
	if im := o.Image; im != nil {
		cs := strings.ToLower(im.ColorSpace)
		if cs != "rgb" && cs != "bgr" {
			return fmt.Errorf("image input color space %q: want rgb or bgr", im.ColorSpace)
		}
		if im.Scale == 0 || math.IsNaN(float64(im.Scale)) || math.IsInf(float64(im.Scale), 0) {
			return fmt.Errorf("image input scale %v: want a finite non-zero number", im.Scale)
		}
		for _, b := range im.Bias {
			if math.IsNaN(float64(b)) || math.IsInf(float64(b), 0) {
				return fmt.Errorf("image input bias %v: want finite numbers", im.Bias)
			}
		}
	}
	return nil
}

// TargetNeed is one reason an ML Program needs a deployment target above
// iOS15: a node whose lowering emits a MIL op, or uses an input, attribute
// value or dtype of one, that first exists in Target's opset.
type TargetNeed struct {
	Node   string `json:"node"`   // the ONNX node's name
	Op     string `json:"op"`     // its op type ("mconv." prefixed for mconv's fused ops)
	Target string `json:"target"` // the lowest target that expresses it
	// Why names the MIL op or feature; empty when the op's lowering as a
	// whole needs Target (the lowerers table's entry).
	Why string `json:"why"`
}

// String is `node "N" (Op) needs iOS17 (why)`.
func (n TargetNeed) String() string {
	s := fmt.Sprintf("node %q (%s) needs %s", n.Node, n.Op, n.Target)
	if n.Why != "" {
		s += " (" + n.Why + ")"
	}
	return s
}

// laterTarget reports whether target a is later than b ("" counts as
// iOS15, the first ML Program target).
func laterTarget(a, b string) bool {
	if b == "" {
		b = iOS15
	}
	if a == "" {
		a = iOS15
	}
	return Targets[a].SpecVersion > Targets[b].SpecVersion
}

// biasInChannelOrder returns the biases in the order of the image's channels.
func (im *ImageInput) biasInChannelOrder() [3]float32 {
	if strings.ToLower(im.ColorSpace) == "bgr" {
		return [3]float32{im.Bias[2], im.Bias[1], im.Bias[0]}
	}
	return im.Bias
}
