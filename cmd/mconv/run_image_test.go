package main

import (
	"encoding/json"
	"math"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mconv/mconv/golden"
	"github.com/mconv/mconv/imageprep"
	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/onnx"
)

// The label check's fixture (tools/reference/image_fixtures.py): the
// mobileone_net golden model (10 classes), a JPEG photo, labels for the 10
// classes, and PyTorch's logits for that model on timm's transform of the
// photo (size 64, crop_pct 0.875, bicubic, ImageNet mean/std) as PIL and
// libjpeg decode it.
var (
	imageFixtures = filepath.Join("..", "..", "testdata", "imageprep")
	imageModel    = filepath.Join("..", "..", "testdata", "golden", "mobileone_net", "torchscript", "deploy.onnx")
)

// jpegLogitTol bounds |mconv - PyTorch| per logit on the JPEG: Go's
// inverse DCT is not libjpeg's, so pixels differ by up to ~3/255
// (imageprep's TestTimmTransformJPEG and TestJPEGLikeLibjpeg measure it),
// which moves these logits (magnitude ~0.1) by about 2e-4; the top-4
// margins are >= 0.02.
const jpegLogitTol = 5e-3

func expectedJPEGTop(t *testing.T) ([]float32, []string) {
	t.Helper()
	want, err := onnx.ReadTensorFile(filepath.Join(imageFixtures, "jpeg_logits.pb"))
	if err != nil {
		t.Fatal(err)
	}
	logits, err := want.Float32s()
	if err != nil {
		t.Fatal(err)
	}
	labels, err := imageprep.ReadLabels(filepath.Join(imageFixtures, "labels.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(logits) != 10 || len(labels) != 10 {
		t.Fatalf("%d logits, %d labels", len(logits), len(labels))
	}
	return logits, labels
}

// TestRunImageTopK: `mconv run MODEL --image photo.jpg --labels labels.txt
// --topk 3` prints PyTorch's top-3 names in order, and --json carries
// logits within jpegLogitTol of PyTorch's.
func TestRunImageTopK(t *testing.T) {
	logits, labels := expectedJPEGTop(t)
	want := imageprep.TopK(logits, 3, labels)
	jpg := filepath.Join(imageFixtures, "photo.jpg")
	lab := filepath.Join(imageFixtures, "labels.txt")
	var code int
	out := captureStdout(t, func() {
		code = run([]string{"run", imageModel, "--image", jpg, "--labels", lab, "--topk", "3", "--threads", "1"})
	})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	re := regexp.MustCompile(`(?m)^\s+(\d)\. (.+?)\s+p=`)
	var got []string
	for _, m := range re.FindAllStringSubmatch(out, -1) {
		got = append(got, m[2])
	}
	var wantNames []string
	for _, c := range want {
		wantNames = append(wantNames, c.Label)
	}
	if strings.Join(got, "|") != strings.Join(wantNames, "|") {
		t.Fatalf("top-3 %q, PyTorch's %q\n%s", got, wantNames, out)
	}

	out = captureStdout(t, func() {
		code = run([]string{"run", imageModel, "--image", jpg, "--labels", lab, "--topk", "10", "--json", "--threads", "1"})
	})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	var rep imageReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Images) != 1 || len(rep.Images[0].Top) != 10 {
		t.Fatalf("json: %s", out)
	}
	worst, psum := 0.0, 0.0
	for _, c := range rep.Images[0].Top {
		d := math.Abs(c.Logit - float64(logits[c.Index]))
		worst = math.Max(worst, d)
		psum += c.Prob
		if c.Label != labels[c.Index] {
			t.Errorf("class %d labelled %q, want %q", c.Index, c.Label, labels[c.Index])
		}
	}
	t.Logf("max |mconv - PyTorch| logit on the JPEG: %.3g (tolerance %g)", worst, jpegLogitTol)
	if worst > jpegLogitTol {
		t.Errorf("max |mconv - PyTorch| logit %g > %g", worst, jpegLogitTol)
	}
	if math.Abs(psum-1) > 1e-9 {
		t.Errorf("probabilities of all 10 classes sum to %g", psum)
	}
}

// TestRunImageExactInput separates the runtime from the decoder: the model
// on timm's own tensor of the JPEG (jpeg_input.pb) gives PyTorch's logits
// to 1e-5.
func TestRunImageExactInput(t *testing.T) {
	logits, _ := expectedJPEGTop(t)
	m, err := onnx.Load(imageModel)
	if err != nil {
		t.Fatal(err)
	}
	x, err := onnx.ReadTensorFile(filepath.Join(imageFixtures, "jpeg_input.pb"))
	if err != nil {
		t.Fatal(err)
	}
	outs, _, err := runOnce(m, map[string]*ir.Tensor{"input": x}, 1)
	if err != nil {
		t.Fatal(err)
	}
	r := golden.Compare(outs["output"], ir.NewFloat32([]int64{1, 10}, logits), golden.Tolerance{ATol: 1e-5, Elementwise: true})
	if !r.OK() {
		t.Errorf("model on timm's tensor: %+v", r)
	}
}

// TestRunImageBatch: two images batched through a batch-1 model give each
// image the top-k it gets alone; bad flags are usage errors.
func TestRunImageBatch(t *testing.T) {
	jpg := filepath.Join(imageFixtures, "photo.jpg")
	png := filepath.Join(imageFixtures, "photo.png")
	one := func(args ...string) imageReport {
		t.Helper()
		var code int
		out := captureStdout(t, func() { code = run(append([]string{"run", imageModel, "--json", "--threads", "1"}, args...)) })
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, out)
		}
		var rep imageReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		return rep
	}
	both := one("--image", jpg, "--image", png, "--interpolation", "bilinear", "--crop-pct", "0.95")
	if len(both.Images) != 2 || both.CropPct != 0.95 || both.Interpolation != "bilinear" {
		t.Fatalf("%+v", both)
	}
	for i, p := range []string{jpg, png} {
		alone := one("--image", p, "--interpolation", "bilinear", "--crop-pct", "0.95")
		if a, b := alone.Images[0].Top, both.Images[i].Top; a[0] != b[0] || a[1] != b[1] {
			t.Errorf("%s: alone %+v, batched %+v", p, a, b)
		}
	}
	// A model with a symbolic batch runs the images as one batch.
	dyn := filepath.Join("..", "..", "testdata", "golden", "mnv3_net_dynbatch", "torchscript", "deploy.onnx")
	runDyn := func(args ...string) imageReport {
		t.Helper()
		var code int
		out := captureStdout(t, func() { code = run(append([]string{"run", dyn, "--json", "--threads", "1", "--topk", "10"}, args...)) })
		var rep imageReport
		if err := json.Unmarshal([]byte(out), &rep); code != 0 || err != nil {
			t.Fatalf("%v: exit %d, %v: %s", args, code, err, out)
		}
		return rep
	}
	batched := runDyn("--image", png, "--image", jpg, "--image", png)
	for i, p := range []string{png, jpg, png} {
		alone := runDyn("--image", p)
		for j, c := range alone.Images[0].Top {
			if d := batched.Images[i].Top[j]; d.Index != c.Index || math.Abs(d.Logit-c.Logit) > 1e-5 {
				t.Errorf("dynamic batch, image %d rank %d: batched %+v, alone %+v", i, j, d, c)
			}
		}
	}
	for _, args := range [][]string{
		{"--image", jpg, "--preprocess", "vgg"},
		{"--image", jpg, "--mean", "1,2"},
		{"--image", jpg, "--interpolation", "lanczos"},
		{"--image", jpg, "--topk", "0"},
		{"--image", jpg, "--data", imageFixtures},
		{"--labels", filepath.Join(imageFixtures, "labels.txt")},
	} {
		var code int
		captureStdout(t, func() { code = run(append([]string{"run", imageModel}, args...)) })
		if code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	// A size the model does not take is an error, not a silent resize.
	var code int
	captureStdout(t, func() { code = run([]string{"run", imageModel, "--image", jpg, "--size", "32"}) })
	if code != 1 {
		t.Errorf("--size 32 on a 64x64 model: exit %d, want 1", code)
	}
}
