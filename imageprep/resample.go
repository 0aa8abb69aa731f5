package imageprep

import "math"

// This file is Pillow's resampler (src/libImaging/Resample.c, the 8 bits
// per channel path that Image.resize takes for RGB images) written again in
// Go so that mconv's preprocessing gives the bytes PIL gives: an
// antialiased separable convolution whose filter support grows with the
// downscale factor, coefficients normalised to sum 1 and turned into fixed
// point with precisionBits fraction bits, a horizontal and a vertical pass
// (in the order Pillow 13 picks, see resize), each rounding to uint8
// (clip8).

// precisionBits is Resample.c's PRECISION_BITS (32 - 8 - 2): the fraction
// bits of the fixed-point coefficients.
const precisionBits = 32 - 8 - 2

// filter is a resampling kernel and its support at scale 1.
type filter struct {
	f       func(x float64) float64
	support float64
}

// bilinearFilter is Resample.c's bilinear_filter (a triangle).
func bilinearFilter(x float64) float64 {
	if x < 0 {
		x = -x
	}
	if x < 1 {
		return 1 - x
	}
	return 0
}

// bicubicFilter is Resample.c's bicubic_filter: Keys' cubic convolution
// with a = -0.5.
func bicubicFilter(x float64) float64 {
	const a = -0.5
	if x < 0 {
		x = -x
	}
	if x < 1 {
		return ((a+2)*x-(a+3))*x*x + 1
	}
	if x < 2 {
		return (((x-5)*x+8)*x - 4) * a
	}
	return 0
}

func (i Interpolation) filter() filter {
	if i == Bicubic {
		return filter{bicubicFilter, 2}
	}
	return filter{bilinearFilter, 1}
}

// coeffs are one pass's taps: output pixel xx reads input pixels
// bounds[2xx] .. bounds[2xx]+bounds[2xx+1]-1 with weights
// k[xx*ksize : xx*ksize+bounds[2xx+1]] (fixed point).
type coeffs struct {
	ksize  int
	bounds []int
	k      []int32
}

// precomputeCoeffs is Resample.c's precompute_coeffs followed by
// normalize_coeffs_8bpc, for the box [in0, in1) of an input of inSize
// pixels resampled to outSize pixels.
func precomputeCoeffs(inSize int, in0, in1 float32, outSize int, fp filter) coeffs {
	scale := float64(in1-in0) / float64(outSize)
	filterscale := scale
	if filterscale < 1 {
		filterscale = 1
	}
	support := fp.support * filterscale
	ksize := int(math.Ceil(support))*2 + 1
	c := coeffs{ksize: ksize, bounds: make([]int, outSize*2), k: make([]int32, outSize*ksize)}
	pre := make([]float64, ksize)
	for xx := 0; xx < outSize; xx++ {
		center := float64(in0) + (float64(xx)+0.5)*scale
		ww := 0.0
		ss := 1 / filterscale
		xmin := int(center - support + 0.5) // C's (int) truncates toward zero
		if xmin < 0 {
			xmin = 0
		}
		xmax := int(center + support + 0.5)
		if xmax > inSize {
			xmax = inSize
		}
		xmax -= xmin
		for x := 0; x < xmax; x++ {
			w := fp.f((float64(x+xmin) - center + 0.5) * ss)
			pre[x] = w
			ww += w
		}
		k := c.k[xx*ksize : (xx+1)*ksize]
		for x := 0; x < xmax; x++ {
			v := pre[x]
			if ww != 0 {
				v /= ww
			}
			// normalize_coeffs_8bpc: round half away from zero, truncating
			if v < 0 {
				k[x] = int32(-0.5 + v*(1<<precisionBits))
			} else {
				k[x] = int32(0.5 + v*(1<<precisionBits))
			}
		}
		c.bounds[xx*2], c.bounds[xx*2+1] = xmin, xmax
	}
	return c
}

// clip8 is Resample.c's clip8: the fixed-point sum back to a byte,
// saturating.
func clip8(in int32) uint8 {
	if in >= 1<<precisionBits<<8 {
		return 255
	}
	if in <= 0 {
		return 0
	}
	return uint8(in >> precisionBits)
}

// resize is PIL's Image.resize((w, h), interp) of an RGB image (box: the
// whole image, no reducing_gap): ImagingResampleInner's horizontal pass,
// when the width changes, and its vertical pass, when the height changes,
// each rounding to bytes. Pillow 13 runs the vertical pass first when the
// height shrinks by more than twice what the width shrinks,
// 2*(src.W-w) < src.H-h with h < src.H (so the horizontal pass has fewer
// rows to do); otherwise horizontal first. The order changes the rounding
// of the intermediate image, so it is part of the result. (Pillow's
// horizontal pass skips source rows the vertical pass does not read; that
// changes no value.)
func resize(src *RGB, w, h int, interp Interpolation) *RGB {
	if w == src.W && h == src.H {
		return src.clone()
	}
	fp := interp.filter()
	if h < src.H && 2*(src.W-w) < src.H-h {
		return resizeH(resizeV(src, h, fp), w, fp)
	}
	return resizeV(resizeH(src, w, fp), h, fp)
}

// resizeH is the horizontal pass to width w (img itself when the width
// stays).
func resizeH(img *RGB, w int, fp filter) *RGB {
	if w == img.W {
		return img
	}
	c := precomputeCoeffs(img.W, 0, float32(img.W), w, fp)
	out := &RGB{W: w, H: img.H, Pix: make([]uint8, w*img.H*3)}
	for y := 0; y < img.H; y++ {
		row := img.Pix[y*img.W*3 : (y+1)*img.W*3]
		for xx := 0; xx < w; xx++ {
			xmin, xmax := c.bounds[xx*2], c.bounds[xx*2+1]
			k := c.k[xx*c.ksize:]
			var s0, s1, s2 int32 = 1 << (precisionBits - 1), 1 << (precisionBits - 1), 1 << (precisionBits - 1)
			for x := 0; x < xmax; x++ {
				p := row[(x+xmin)*3:]
				s0 += int32(p[0]) * k[x]
				s1 += int32(p[1]) * k[x]
				s2 += int32(p[2]) * k[x]
			}
			o := out.Pix[(y*w+xx)*3:]
			o[0], o[1], o[2] = clip8(s0), clip8(s1), clip8(s2)
		}
	}
	return out
}

// resizeV is the vertical pass to height h (img itself when the height
// stays).
func resizeV(img *RGB, h int, fp filter) *RGB {
	if h == img.H {
		return img
	}
	c := precomputeCoeffs(img.H, 0, float32(img.H), h, fp)
	out := &RGB{W: img.W, H: h, Pix: make([]uint8, img.W*h*3)}
	for yy := 0; yy < h; yy++ {
		ymin, ymax := c.bounds[yy*2], c.bounds[yy*2+1]
		k := c.k[yy*c.ksize:]
		for xx := 0; xx < img.W; xx++ {
			var s0, s1, s2 int32 = 1 << (precisionBits - 1), 1 << (precisionBits - 1), 1 << (precisionBits - 1)
			for y := 0; y < ymax; y++ {
				p := img.Pix[((y+ymin)*img.W+xx)*3:]
				s0 += int32(p[0]) * k[y]
				s1 += int32(p[1]) * k[y]
				s2 += int32(p[2]) * k[y]
			}
			o := out.Pix[(yy*img.W+xx)*3:]
			o[0], o[1], o[2] = clip8(s0), clip8(s1), clip8(s2)
		}
	}
	return out
}
