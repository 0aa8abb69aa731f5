// Package imageprep turns photos into a vision model's input tensor the way
// timm's evaluation transform does, and a classifier's logits into labelled
// top-k classes: import it to feed JPEG/PNG files to a model compiled with
// package runtime.
//
// The transform is timm.data.create_transform(is_training=False) with
// crop_mode "center" (transforms_imagenet_eval), byte for byte where PIL
// is deterministic:
//
//  1. decode (image/jpeg, image/png) to 8-bit RGB, alpha dropped as PIL's
//     convert("RGB") drops it (no EXIF rotation: neither PIL nor timm
//     applies it);
//  2. resize the short side to floor(Size / CropPct) and the long side in
//     proportion, truncated (torchvision's Resize(int)), with PIL's
//     antialiased bilinear or bicubic resampling on uint8 (resample.go
//     replicates Pillow's Resample.c: fixed-point coefficients, a
//     horizontal and a vertical pass, each rounded to bytes, vertical first
//     when the height shrinks by more than twice what the width does, as
//     Pillow 13 orders them);
//  3. center-crop Size x Size, top = round((h - Size) / 2) with Python's
//     round half to even (torchvision's CenterCrop; zero padding when the
//     image is smaller);
//  4. ToTensor (x / 255 in float32) and Normalize ((x - mean) / std in
//     float32), channels first.
//
// Against timm 1.0 / Pillow 13 on PNG input the tensors agree to float32
// rounding (the test allows 1e-5 per element). A JPEG's chroma is
// upsampled and converted to RGB as libjpeg does (jpeg.go), but the
// inverse DCT is Go's image/jpeg's, not libjpeg's, so a JPEG's pixels
// differ from PIL's by up to ~3/255 (mean ~0.04/255 on the fixtures).
package imageprep

import (
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // JPEG decoding for Decode
	_ "image/png"  // PNG decoding for Decode
	"io"
	"math"
	"os"
	"sort"
	"strings"

	"github.com/mconv/mconv/ir"
)

// RGB is an 8-bit RGB image, pixels row-major, 3 bytes each.
type RGB struct {
	W, H int
	Pix  []uint8
}

func (m *RGB) clone() *RGB {
	return &RGB{W: m.W, H: m.H, Pix: append([]uint8(nil), m.Pix...)}
}

// Interpolation is the resampling filter of the resize step.
type Interpolation int

const (
	// Bilinear is PIL's Image.BILINEAR (antialiased triangle filter).
	Bilinear Interpolation = iota
	// Bicubic is PIL's Image.BICUBIC (antialiased cubic, a = -0.5).
	Bicubic
)

// String is the name timm and the --interpolation flag use.
func (i Interpolation) String() string {
	if i == Bicubic {
		return "bicubic"
	}
	return "bilinear"
}

// ParseInterpolation parses "bilinear" or "bicubic".
func ParseInterpolation(s string) (Interpolation, error) {
	switch strings.ToLower(s) {
	case "bilinear":
		return Bilinear, nil
	case "bicubic":
		return Bicubic, nil
	}
	return 0, fmt.Errorf("interpolation %q: want bilinear or bicubic", s)
}

// Config is one evaluation transform.
type Config struct {
	// Size is the side of the square crop; 0 keeps the image as it is
	// (no resize, no crop).
	Size int
	// CropPct is the fraction of the resized short side the crop keeps:
	// the short side is resized to floor(Size / CropPct).
	CropPct float64
	// Interpolation is the resize filter.
	Interpolation Interpolation
	// Mean and Std normalise each channel (R, G, B) after scaling to [0, 1].
	Mean, Std [3]float32
}

// Presets are the transforms --preprocess names:
//
//   - imagenet: timm's defaults for ImageNet models (resolve_data_config
//     without a pretrained config): size 224, crop_pct 0.875
//     (DEFAULT_CROP_PCT), bicubic, mean (0.485, 0.456, 0.406), std (0.229,
//     0.224, 0.225). Most of timm's pretrained mobile models (MobileOne,
//     RepViT, FastViT, EfficientNet, MobileNetV3) declare bicubic and
//     0.875 or 0.95; check the model card and pass --crop-pct.
//   - inception: the same with mean = std = (0.5, 0.5, 0.5) (timm's
//     IMAGENET_INCEPTION_MEAN/STD: Inception, many ViT and some mobile
//     checkpoints).
//   - none: x / 255 only (mean 0, std 1), no resize or crop unless a size
//     is set.
var Presets = map[string]Config{
	"imagenet":  {Size: 224, CropPct: 0.875, Interpolation: Bicubic, Mean: [3]float32{0.485, 0.456, 0.406}, Std: [3]float32{0.229, 0.224, 0.225}},
	"inception": {Size: 224, CropPct: 0.875, Interpolation: Bicubic, Mean: [3]float32{0.5, 0.5, 0.5}, Std: [3]float32{0.5, 0.5, 0.5}},
	"none":      {Size: 0, CropPct: 1, Interpolation: Bilinear, Mean: [3]float32{0, 0, 0}, Std: [3]float32{1, 1, 1}},
}

// Preset returns the named preset (see Presets).
func Preset(name string) (Config, error) {
	c, ok := Presets[name]
	if !ok {
		return Config{}, fmt.Errorf("preprocess preset %q: want imagenet, inception or none", name)
	}
	return c, nil
}

// Check reports a Config that cannot transform anything.
func (c Config) Check() error {
	if c.Size < 0 {
		return fmt.Errorf("size %d must be >= 0", c.Size)
	}
	if c.Size > 0 && !(c.CropPct > 0 && c.CropPct <= 4) {
		return fmt.Errorf("crop_pct %g must be in (0, 4]", c.CropPct)
	}
	for i, s := range c.Std {
		if s == 0 {
			return fmt.Errorf("std[%d] is 0", i)
		}
	}
	return nil
}

// Decode decodes a JPEG or PNG stream to RGB.
func Decode(r io.Reader) (*RGB, error) {
	img, _, err := image.Decode(r)
	if err != nil {
		return nil, err
	}
	return FromImage(img), nil
}

// Load decodes the JPEG or PNG file at path.
func Load(path string) (*RGB, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// FromImage converts a decoded image to RGB the way PIL's open and
// convert("RGB") do: a JPEG's chroma is upsampled and converted as libjpeg
// does (jpeg.go), gray is replicated, alpha is dropped (colour channels
// taken unpremultiplied), 16-bit channels keep their high byte.
func FromImage(img image.Image) *RGB {
	if m, ok := img.(*image.YCbCr); ok {
		if out, ok := libjpegRGB(m); ok {
			return out
		}
	}
	b := img.Bounds()
	out := &RGB{W: b.Dx(), H: b.Dy(), Pix: make([]uint8, b.Dx()*b.Dy()*3)}
	i := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			var r, g, bl uint8
			switch m := img.(type) {
			case *image.YCbCr:
				c := m.YCbCrAt(x, y)
				r, g, bl = color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
			case *image.Gray:
				v := m.GrayAt(x, y).Y
				r, g, bl = v, v, v
			case *image.NRGBA:
				c := m.NRGBAAt(x, y)
				r, g, bl = c.R, c.G, c.B
			default:
				c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
				r, g, bl = c.R, c.G, c.B
			}
			out.Pix[i], out.Pix[i+1], out.Pix[i+2] = r, g, bl
			i += 3
		}
	}
	return out
}

// ResizeShortSide resizes img so that its short side is short, the long
// side long*short/short_side truncated (torchvision's Resize(int) on a PIL
// image), with PIL's resampling.
func ResizeShortSide(img *RGB, short int, interp Interpolation) *RGB {
	w, h := img.W, img.H
	if w <= h {
		h = int(float64(short) * float64(h) / float64(w))
		w = short
	} else {
		w = int(float64(short) * float64(w) / float64(h))
		h = short
	}
	return Resize(img, w, h, interp)
}

// Resize is PIL's Image.resize((w, h), interp) of an RGB image.
func Resize(img *RGB, w, h int, interp Interpolation) *RGB {
	return resize(img, w, h, interp)
}

// CenterCrop is torchvision's CenterCrop(size) of a PIL image: an image
// smaller than the crop is first zero-padded ((size-w)/2 on the left,
// rounded down), then the window starts at round((h-size)/2),
// round((w-size)/2), rounding half to even as Python's round does.
func CenterCrop(img *RGB, size int) *RGB {
	if size > img.W || size > img.H {
		pw, ph := max(size, img.W), max(size, img.H)
		left, top := 0, 0
		if size > img.W {
			left = (size - img.W) / 2
		}
		if size > img.H {
			top = (size - img.H) / 2
		}
		p := &RGB{W: pw, H: ph, Pix: make([]uint8, pw*ph*3)}
		for y := 0; y < img.H; y++ {
			copy(p.Pix[((y+top)*pw+left)*3:], img.Pix[y*img.W*3:(y+1)*img.W*3])
		}
		img = p
	}
	top := int(math.RoundToEven(float64(img.H-size) / 2))
	left := int(math.RoundToEven(float64(img.W-size) / 2))
	out := &RGB{W: size, H: size, Pix: make([]uint8, size*size*3)}
	for y := 0; y < size; y++ {
		copy(out.Pix[y*size*3:(y+1)*size*3], img.Pix[((y+top)*img.W+left)*3:])
	}
	return out
}

// Apply resizes and crops img as c says (nothing when c.Size is 0).
func (c Config) Apply(img *RGB) *RGB {
	if c.Size == 0 {
		return img
	}
	scale := int(math.Floor(float64(c.Size) / c.CropPct))
	return CenterCrop(ResizeShortSide(img, scale, c.Interpolation), c.Size)
}

// Normalize writes img (already resized) channels first into dst, which
// must hold 3*W*H floats: (x/255 - mean) / std in float32.
func (c Config) Normalize(img *RGB, dst []float32) {
	n := img.W * img.H
	for ch := 0; ch < 3; ch++ {
		m, s := c.Mean[ch], c.Std[ch]
		out := dst[ch*n : (ch+1)*n]
		for i := range out {
			x := float32(img.Pix[i*3+ch]) / 255
			out[i] = (x - m) / s
		}
	}
}

// Tensor transforms img into a float32 [1, 3, H, W] tensor.
func (c Config) Tensor(img *RGB) *ir.Tensor {
	img = c.Apply(img)
	data := make([]float32, 3*img.W*img.H)
	c.Normalize(img, data)
	return ir.NewFloat32([]int64{1, 3, int64(img.H), int64(img.W)}, data)
}

// Batch transforms every image and stacks them into one float32
// [N, 3, H, W] tensor; after the transform all must have the same size
// (with Size 0 the images must already share one).
func (c Config) Batch(imgs []*RGB) (*ir.Tensor, error) {
	if len(imgs) == 0 {
		return nil, fmt.Errorf("no images")
	}
	var w, h int
	var data []float32
	for i, img := range imgs {
		img = c.Apply(img)
		if i == 0 {
			w, h = img.W, img.H
			data = make([]float32, len(imgs)*3*w*h)
		} else if img.W != w || img.H != h {
			return nil, fmt.Errorf("image %d is %dx%d after preprocessing, image 0 is %dx%d (set a size to resize them alike)", i, img.W, img.H, w, h)
		}
		c.Normalize(img, data[i*3*w*h:(i+1)*3*w*h])
	}
	return ir.NewFloat32([]int64{int64(len(imgs)), 3, int64(h), int64(w)}, data), nil
}

// Class is one entry of a top-k list.
type Class struct {
	Index int     `json:"index"`
	Label string  `json:"label,omitempty"`
	Logit float64 `json:"logit"`
	Prob  float64 `json:"prob"` // softmax over the whole row
}

// TopK returns the k largest of logits (fewer when the row is shorter),
// largest first (ties: lower index first), each with its softmax
// probability over the row and its label when labels has one for it.
func TopK(logits []float32, k int, labels []string) []Class {
	mx := math.Inf(-1)
	for _, v := range logits {
		mx = math.Max(mx, float64(v))
	}
	sum := 0.0
	for _, v := range logits {
		sum += math.Exp(float64(v) - mx)
	}
	idx := make([]int, len(logits))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return logits[idx[a]] > logits[idx[b]] })
	k = min(k, len(idx))
	out := make([]Class, k)
	for j, i := range idx[:k] {
		out[j] = Class{Index: i, Logit: float64(logits[i]), Prob: math.Exp(float64(logits[i])-mx) / sum}
		if i < len(labels) {
			out[j].Label = labels[i]
		}
	}
	return out
}

// ReadLabels reads a labels file: one class name a line, in class order
// (trailing spaces and a final empty line ignored).
func ReadLabels(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return lines, nil
}
