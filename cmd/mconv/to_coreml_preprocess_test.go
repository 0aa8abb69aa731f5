package main

import (
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/mconv/mconv/coreml"
	"github.com/mconv/mconv/golden"
	"github.com/mconv/mconv/imageprep"
	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/onnx"
)

// TestToCoreMLPreprocess: `to-coreml --image-input rgb --preprocess P`
// makes a Core ML model (ML Program and NeuralNetwork) that, read back and
// run in the Go runtime on the crop's raw pixels, gives the logits the ONNX
// model gives on `mconv run --image --preprocess P`'s tensor of the same
// photo (1e-5), so the two agree on the photo; with imagenet the top-3 is
// PyTorch's.
func TestToCoreMLPreprocess(t *testing.T) {
	logitsPT, labels := expectedJPEGTop(t)
	img, err := imageprep.Load(filepath.Join(imageFixtures, "photo.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := onnx.Load(imageModel)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, preset := range []string{"imagenet", "inception", "none"} {
		cfg, _ := imageprep.Preset(preset)
		cfg.Size = 64
		if preset == "none" {
			cfg.CropPct = 0.875
		}
		// the ONNX model on mconv run's tensor
		outs, _, err := runOnce(m, map[string]*ir.Tensor{"input": cfg.Tensor(img)}, 1)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := outs["output"].Float32s()
		// the crop's pixels, as the app hands them to Core ML
		crop := cfg.Apply(img)
		pix := make([]float32, 3*64*64)
		for c := 0; c < 3; c++ {
			for i := 0; i < 64*64; i++ {
				pix[c*64*64+i] = float32(crop.Pix[i*3+c])
			}
		}
		for _, ext := range []string{".mlpackage", ".mlmodel"} {
			out := filepath.Join(dir, preset+ext)
			var code int
			msg := captureStdout(t, func() {
				code = run([]string{"to-coreml", imageModel, "-o", out, "--image-input", "rgb", "--preprocess", preset})
			})
			if code != 0 {
				t.Fatalf("to-coreml %s %s: exit %d: %s", preset, ext, code, msg)
			}
			back, err := coreml.Load(out, coreml.ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			fed := golden.FeedInputs(back.Graph)
			if len(fed) != 1 {
				t.Fatalf("%s: %d inputs", out, len(fed))
			}
			x := ir.NewFloat32([]int64{1, 3, 64, 64}, pix)
			bouts, _, err := runOnce(back, map[string]*ir.Tensor{fed[0].Name: x}, 1)
			if err != nil {
				t.Fatalf("%s: %v", out, err)
			}
			got, _ := bouts[back.Graph.Outputs[0].Name].Float32s()
			d := 0.0
			for i := range want {
				d = math.Max(d, math.Abs(float64(got[i]-want[i])))
			}
			t.Logf("%s %s: max |Core ML on pixels - ONNX on mconv run's tensor| = %.3g", preset, ext, d)
			if d > 1e-5 {
				t.Errorf("%s %s: logits differ by %g", preset, ext, d)
			}
			if preset == "imagenet" {
				a, b := imageprep.TopK(got, 3, labels), imageprep.TopK(logitsPT, 3, labels)
				if fmt.Sprint(a[0].Index, a[1].Index, a[2].Index) != fmt.Sprint(b[0].Index, b[1].Index, b[2].Index) {
					t.Errorf("%s: top-3 %v, PyTorch %v", out, a, b)
				}
			}
		}
	}
	for _, args := range [][]string{
		{"--preprocess", "imagenet"},
		{"--image-input", "rgb", "--preprocess", "imagenet", "--scale", "2"},
		{"--image-input", "rgb", "--preprocess", "vgg"},
	} {
		var code int
		captureStdout(t, func() {
			code = run(append([]string{"to-coreml", imageModel, "-o", filepath.Join(dir, "x.mlpackage")}, args...))
		})
		if code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}
