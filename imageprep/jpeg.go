package imageprep

import (
	"image"
)

// This file turns the Y, Cb and Cr planes Go's image/jpeg decodes into RGB
// the way libjpeg(-turbo), and so PIL, does by default: "fancy" (triangle
// filter) upsampling of subsampled chroma (jdsample.c: h2v1 and
// h2v2_fancy_upsample; edge samples replicated) and the fixed-point YCbCr
// to RGB tables of jdcolor.c. Go's own YCbCr.At repeats the nearest chroma
// sample and rounds the colour conversion differently, which moves 4:2:0
// photos by up to ~50/255 at colour edges. The DCT itself stays Go's (its
// IDCT is not libjpeg's islow; that leaves differences of a few 1/255).

// yccTables are jdcolor.c's build_ycc_rgb_table (SCALEBITS 16).
var yccTables = func() (t struct{ crR, cbB, crG, cbG [256]int32 }) {
	const scaleBits = 16
	const half = 1 << (scaleBits - 1)
	fix := func(x float64) int32 { return int32(x*(1<<scaleBits) + 0.5) }
	for i := 0; i < 256; i++ {
		x := int32(i - 128)
		t.crR[i] = (fix(1.40200)*x + half) >> scaleBits
		t.cbB[i] = (fix(1.77200)*x + half) >> scaleBits
		t.crG[i] = -fix(0.71414) * x
		t.cbG[i] = -fix(0.34414)*x + half
	}
	return t
}()

func rangeLimit(v int32) uint8 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// libjpegRGB converts a decoded JPEG image to RGB as libjpeg does; ok is
// false for layouts it does not handle (then the caller uses Go's
// conversion): a non-zero origin, or 4:4:0, 4:1:1 and 4:1:0 chroma
// (PIL cannot write those to test against).
func libjpegRGB(m *image.YCbCr) (*RGB, bool) {
	r := m.Rect
	if r.Min != (image.Point{}) {
		return nil, false
	}
	w, h := r.Dx(), r.Dy()
	var hs, vs int // chroma subsampling factors
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio444:
		hs, vs = 1, 1
	case image.YCbCrSubsampleRatio422:
		hs, vs = 2, 1
	case image.YCbCrSubsampleRatio420:
		hs, vs = 2, 2
	default:
		return nil, false
	}
	cw, ch := (w+hs-1)/hs, (h+vs-1)/vs
	cb := upsample(m.Cb, m.CStride, cw, ch, w, h, hs, vs)
	cr := upsample(m.Cr, m.CStride, cw, ch, w, h, hs, vs)
	t := &yccTables
	out := &RGB{W: w, H: h, Pix: make([]uint8, w*h*3)}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			yy := int32(m.Y[y*m.YStride+x])
			b, c := cb[y*w+x], cr[y*w+x]
			o := out.Pix[(y*w+x)*3:]
			o[0] = rangeLimit(yy + t.crR[c])
			o[1] = rangeLimit(yy + (t.cbG[b]+t.crG[c])>>16)
			o[2] = rangeLimit(yy + t.cbB[b])
		}
	}
	return out, true
}

// upsample expands a cw x ch chroma plane (row stride stride) to w x h with
// libjpeg's fancy upsampling for subsampling factors (hs, vs) of (1, 1),
// (2, 1) or (2, 2).
func upsample(p []uint8, stride, cw, ch, w, h, hs, vs int) []uint8 {
	at := func(x, y int) int32 { // edge samples replicated
		x, y = min(max(x, 0), cw-1), min(max(y, 0), ch-1)
		return int32(p[y*stride+x])
	}
	out := make([]uint8, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c, cy := x/hs, y/vs
			var v int32
			switch {
			case hs == 1 && vs == 1:
				v = at(c, cy)
			case hs == 2 && vs == 1: // h2v1_fancy_upsample
				switch {
				case x%2 == 0 && c == 0:
					v = at(c, cy)
				case x%2 == 0:
					v = (3*at(c, cy) + at(c-1, cy) + 1) >> 2
				case c == cw-1:
					v = at(c, cy)
				default:
					v = (3*at(c, cy) + at(c+1, cy) + 2) >> 2
				}
			default: // h2v2_fancy_upsample
				far := cy - 1 // the nearer of the other chroma rows
				if y%2 == 1 {
					far = cy + 1
				}
				col := func(c int) int32 { return 3*at(c, cy) + at(c, far) }
				switch {
				case x%2 == 0 && c == 0:
					v = (4*col(c) + 8) >> 4
				case x%2 == 0:
					v = (3*col(c) + col(c-1) + 8) >> 4
				case c == cw-1:
					v = (4*col(c) + 7) >> 4
				default:
					v = (3*col(c) + col(c+1) + 7) >> 4
				}
			}
			out[y*w+x] = uint8(v)
		}
	}
	return out
}
