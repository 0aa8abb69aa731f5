package imageprep

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/mconv/mconv/onnx"
)

// fixtures is testdata/imageprep, made by tools/reference/image_fixtures.py
// with timm's create_transform on PIL.
var fixtures = filepath.Join("..", "testdata", "imageprep")

type fixtureCase struct {
	Image         string    `json:"image"`
	InputSize     int       `json:"input_size"`
	CropPct       float64   `json:"crop_pct"`
	Interpolation string    `json:"interpolation"`
	Mean          []float32 `json:"mean"`
	Std           []float32 `json:"std"`
}

func (fc fixtureCase) config(t *testing.T) Config {
	in, err := ParseInterpolation(fc.Interpolation)
	if err != nil {
		t.Fatal(err)
	}
	c := Config{Size: fc.InputSize, CropPct: fc.CropPct, Interpolation: in}
	copy(c.Mean[:], fc.Mean)
	copy(c.Std[:], fc.Std)
	return c
}

func maxDiff(t *testing.T, got []float32, wantPath string, wantDims []int64) float64 {
	t.Helper()
	want, err := onnx.ReadTensorFile(wantPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Dims) == 3 {
		want.Dims = append([]int64{1}, want.Dims...)
	}
	if len(want.Dims) != len(wantDims) {
		t.Fatalf("%s: dims %v, got %v", wantPath, want.Dims, wantDims)
	}
	for i := range wantDims {
		if want.Dims[i] != wantDims[i] {
			t.Fatalf("%s: dims %v, got %v", wantPath, want.Dims, wantDims)
		}
	}
	w, err := want.Float32s()
	if err != nil {
		t.Fatal(err)
	}
	d := 0.0
	for i := range w {
		d = math.Max(d, math.Abs(float64(got[i]-w[i])))
	}
	return d
}

// TestTimmTransformPNG checks the whole transform (PIL resize, crop,
// ToTensor, Normalize) against timm's output on the same PNG: every case of
// cases.json (bilinear and bicubic, downscaling and upscaling, two
// mean/std pairs, a crop offset rounding half to even, a tall image that
// Pillow resamples vertical pass first) within 1e-5 per element.
func TestTimmTransformPNG(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(fixtures, "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []fixtureCase
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 4 {
		t.Fatalf("%d cases", len(cases))
	}
	for k, fc := range cases {
		img, err := Load(filepath.Join(fixtures, fc.Image))
		if err != nil {
			t.Fatal(err)
		}
		c := fc.config(t)
		x := c.Tensor(img)
		got, _ := x.Float32s()
		d := maxDiff(t, got, filepath.Join(fixtures, fmt.Sprintf("case_%d.pb", k)), x.Dims)
		t.Logf("case %d (%+v): max |go - timm| = %.3g", k, fc, d)
		if d > 1e-5 {
			t.Errorf("case %d (%+v): max |go - timm| = %g > 1e-5", k, fc, d)
		}
	}
}

// TestTimmTransformJPEG bounds the decoder difference on the JPEG fixture
// (4:4:4, quality 95): Go's image/jpeg against libjpeg under PIL, through
// the same bicubic transform. A few 1/255 steps per pixel, normalised by
// std ~0.225: the bound 0.1 is about 5 steps.
func TestTimmTransformJPEG(t *testing.T) {
	img, err := Load(filepath.Join(fixtures, "photo.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	c, _ := Preset("imagenet")
	c.Size = 64
	x := c.Tensor(img)
	got, _ := x.Float32s()
	d := maxDiff(t, got, filepath.Join(fixtures, "jpeg_input.pb"), x.Dims)
	t.Logf("JPEG: max |go - timm| = %.3g (normalised units)", d)
	if d > 0.1 {
		t.Errorf("JPEG: max |go - timm| = %g > 0.1", d)
	}
}

// TestFromImageModes: gray, gray+alpha, palette and RGBA PNGs decode to the
// RGB bytes PIL's convert("RGB") gives (alpha dropped, not composited).
func TestFromImageModes(t *testing.T) {
	for _, mode := range []string{"L", "LA", "P", "RGBA"} {
		img, err := Load(filepath.Join(fixtures, "mode_"+mode+".png"))
		if err != nil {
			t.Fatal(err)
		}
		want, err := onnx.ReadTensorFile(filepath.Join(fixtures, "mode_"+mode+"_rgb.pb"))
		if err != nil {
			t.Fatal(err)
		}
		w, err := want.Float64s()
		if err != nil {
			t.Fatal(err)
		}
		if len(want.Dims) != 3 || want.Dims[0] != int64(img.H) || want.Dims[1] != int64(img.W) || len(w) != len(img.Pix) {
			t.Fatalf("mode %s: PIL %v, Go %dx%d", mode, want.Dims, img.W, img.H)
		}
		bad := 0
		for i := range w {
			if float64(img.Pix[i]) != w[i] {
				bad++
			}
		}
		if bad > 0 {
			t.Errorf("mode %s: %d of %d bytes differ from PIL's convert(\"RGB\")", mode, bad, len(w))
		}
	}
}

// TestJPEGLikeLibjpeg: 4:2:0 and 4:2:2 JPEGs with odd sizes decode to
// within a few 1/255 of what PIL (libjpeg-turbo) gives: chroma upsampled
// and converted as libjpeg does; what remains is Go's IDCT, which is not
// libjpeg's. Go's own YCbCr.At (nearest chroma) is logged for comparison.
func TestJPEGLikeLibjpeg(t *testing.T) {
	for _, c := range []struct {
		name  string
		ratio image.YCbCrSubsampleRatio
	}{{"photo420", image.YCbCrSubsampleRatio420}, {"photo422", image.YCbCrSubsampleRatio422}} {
		want, err := onnx.ReadTensorFile(filepath.Join(fixtures, c.name+"_rgb.pb"))
		if err != nil {
			t.Fatal(err)
		}
		w, err := want.Float64s()
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(fixtures, c.name+".jpg"))
		if err != nil {
			t.Fatal(err)
		}
		m, _, err := image.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		y, ok := m.(*image.YCbCr)
		if !ok || y.SubsampleRatio != c.ratio {
			t.Fatalf("%s.jpg decodes to %T, not %v", c.name, m, c.ratio)
		}
		stats := func(pix []uint8) (int, float64) {
			mx, sum := 0, 0.0
			for i := range w {
				d := math.Abs(float64(pix[i]) - w[i])
				mx = max(mx, int(d))
				sum += d
			}
			return mx, sum / float64(len(w))
		}
		img := FromImage(m)
		if len(img.Pix) != len(w) {
			t.Fatalf("%s: %d bytes, PIL %d", c.name, len(img.Pix), len(w))
		}
		mx, mean := stats(img.Pix)
		nearest := make([]uint8, 0, len(w))
		for yy := 0; yy < y.Rect.Dy(); yy++ {
			for xx := 0; xx < y.Rect.Dx(); xx++ {
				p := y.YCbCrAt(xx, yy)
				r, g, b := color.YCbCrToRGB(p.Y, p.Cb, p.Cr)
				nearest = append(nearest, r, g, b)
			}
		}
		gmx, gmean := stats(nearest)
		t.Logf("%s vs PIL: max %d/255, mean %.3f (Go's YCbCr.At: max %d, mean %.3f)", c.name, mx, mean, gmx, gmean)
		if mx > 4 || mean > 0.25 {
			t.Errorf("%s vs PIL: max %d/255, mean %.3f; want <= 4 and <= 0.25", c.name, mx, mean)
		}
	}
}
