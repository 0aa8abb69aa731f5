package kernels

// Row kernels of Softmax and LogSoftmax: the maximum, e^(x - max) with its
// sum, and the final scaling are each one pass over the row.

// SoftmaxF32 sets dst = e^(src - m) / sum(e^(src - m)), m = max(src)
// (len(dst) == len(src); dst may be src). The sum's order depends on
// len(src) only.
func SoftmaxF32(dst, src []float32) {
	src = src[:len(dst)]
	if len(dst) == 0 {
		return
	}
	if softmaxRowImpl != nil {
		softmaxRowImpl(dst, src)
		return
	}
	m := maxImpl(src)
	s := expSubSumImpl(dst, src, m)
	ScaleF32(dst, dst, 1/s)
}

// LogSoftmaxF32 sets dst = src - (m + log(sum(e^(src - m)))), m =
// max(src) (len(dst) == len(src); dst may not be src).
func LogSoftmaxF32(dst, src []float32) {
	src = src[:len(dst)]
	if len(dst) == 0 {
		return
	}
	m := maxImpl(src)
	s := expSubSumImpl(dst, src, m)
	AffineF32(dst, src, 1, -(m + log32(s)))
}

// The implementations in use. maxImpl returns the largest element (-Inf
// for none; NaN elements are skipped unless all are NaN, and a row holding
// NaN gives NaN through the exponentials anyway). softmaxRowImpl, where
// the kernel path has one, is SoftmaxF32's three passes in one call with
// the same operations (the same bits as maxImpl, expSubSumImpl and
// ScaleF32 of that path): the calls cost as much as the arithmetic on
// the short rows of attention (LeViT's 16 to 196 tokens).
var (
	maxImpl        = maxRef
	expSubSumImpl  = expSubSumRef
	softmaxRowImpl func(dst, src []float32)
)

func maxRef(v []float32) float32 {
	m := float32(inf) * -1
	for _, x := range v {
		if x > m || m != m {
			m = x
		}
	}
	return m
}

// expSubSumRef sets dst[i] = e^(src[i] - m) and returns their sum, in
// index order.
func expSubSumRef(dst, src []float32, m float32) float32 {
	var s float32
	for i, x := range src {
		e := expf(x - m)
		dst[i] = e
		s += e
	}
	return s
}
