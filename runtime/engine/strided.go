package engine

import (
	"fmt"
	"unsafe"

	"github.com/mconv/mconv/runtime/kernels"
)

// strided describes a copy of an n-D block: dst[doff + sum i_k*ds_k] =
// src[soff + sum i_k*ss_k] for every index i in shape. Adjacent dimensions
// that are contiguous in both are merged at plan time.
type strided struct {
	shape      []int
	ds, ss     []int
	doff, soff int
	idx        []int
	// tr: the last two dimensions are a transpose (the innermost is
	// contiguous in dst, the one before it in src), done in blocks for
	// 4-byte elements (kernels.Transpose32).
	tr bool
}

func contiguousStrides(shape []int64) []int {
	s := make([]int, len(shape))
	st := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = st
		st *= int(shape[i])
	}
	return s
}

func newStrided(shape []int, ds, ss []int, doff, soff int) *strided {
	p := &strided{doff: doff, soff: soff}
	for i := range shape {
		if shape[i] == 1 {
			continue
		}
		if shape[i] == 0 {
			p.shape = []int{0}
			p.ds, p.ss = []int{1}, []int{1}
			p.idx = make([]int, 1)
			return p
		}
		if n := len(p.shape); n > 0 && p.ds[n-1] == ds[i]*shape[i] && p.ss[n-1] == ss[i]*shape[i] {
			p.shape[n-1] *= shape[i]
			p.ds[n-1], p.ss[n-1] = ds[i], ss[i]
			continue
		}
		p.shape = append(p.shape, shape[i])
		p.ds = append(p.ds, ds[i])
		p.ss = append(p.ss, ss[i])
	}
	if len(p.shape) == 0 {
		p.shape, p.ds, p.ss = []int{1}, []int{1}, []int{1}
	}
	p.idx = make([]int, len(p.shape))
	r := len(p.shape)
	p.tr = r >= 2 && p.ds[r-1] == 1 && p.ss[r-2] == 1 && p.ss[r-1] != 1 && p.ds[r-2] != 1
	return p
}

// transposeStrided32 is copyStrided for 4-byte elements when p.tr: one
// kernels.Transpose32 per index of the outer dimensions.
func transposeStrided32(dst, src []float32, p *strided) {
	r := len(p.shape)
	rows, cols := p.shape[r-1], p.shape[r-2]
	lds, ldd := p.ss[r-1], p.ds[r-2]
	idx := p.idx[:r-2]
	for i := range idx {
		idx[i] = 0
	}
	d, s := p.doff, p.soff
	for {
		kernels.Transpose32(dst[d:], ldd, src[s:], lds, rows, cols)
		k := r - 3
		for ; k >= 0; k-- {
			idx[k]++
			d += p.ds[k]
			s += p.ss[k]
			if idx[k] < p.shape[k] {
				break
			}
			d -= p.ds[k] * p.shape[k]
			s -= p.ss[k] * p.shape[k]
			idx[k] = 0
		}
		if k < 0 {
			return
		}
	}
}

func copyStrided[T any](dst, src []T, p *strided) {
	r := len(p.shape)
	inner := p.shape[r-1]
	if inner == 0 {
		return
	}
	dsI, ssI := p.ds[r-1], p.ss[r-1]
	idx := p.idx
	for i := range idx {
		idx[i] = 0
	}
	d, s := p.doff, p.soff
	for {
		if dsI == 1 && ssI == 1 {
			copy(dst[d:d+inner], src[s:s+inner])
		} else {
			di, si := d, s
			for k := 0; k < inner; k++ {
				dst[di] = src[si]
				di += dsI
				si += ssI
			}
		}
		// advance outer index
		k := r - 2
		for ; k >= 0; k-- {
			idx[k]++
			d += p.ds[k]
			s += p.ss[k]
			if idx[k] < p.shape[k] {
				break
			}
			d -= p.ds[k] * p.shape[k]
			s -= p.ss[k] * p.shape[k]
			idx[k] = 0
		}
		if k < 0 {
			return
		}
	}
}

// copyKernel returns a kernel that performs the strided copies ps from src
// to dst (by element size, so any dtype).
func copyKernel(dst *tval, srcs []*tval, ps []*strided) (func(), error) {
	switch dst.dt.Size() {
	case 1:
		return copyKernelT[uint8](dst, srcs, ps), nil
	case 2:
		return copyKernelT[uint16](dst, srcs, ps), nil
	case 4:
		return copyKernelT[uint32](dst, srcs, ps), nil
	case 8:
		return copyKernelT[uint64](dst, srcs, ps), nil
	}
	return nil, fmt.Errorf("unsupported data type %s", dst.dt)
}

func copyKernelT[T any](dst *tval, srcs []*tval, ps []*strided) func() {
	var z T
	four := unsafe.Sizeof(z) == 4
	return func() {
		d := viewOf[T](dst.buf, dst.n)
		for i, p := range ps {
			if four && p.tr {
				transposeStrided32(viewOf[float32](dst.buf, dst.n), viewOf[float32](srcs[i].buf, srcs[i].n), p)
				continue
			}
			copyStrided(d, viewOf[T](srcs[i].buf, srcs[i].n), p)
		}
	}
}

// splitKernel copies slices of one source into several destinations
// (Split, SplitToSequence).
func splitKernel(dsts []*tval, src *tval, ps []*strided) (func(), error) {
	var ks []func()
	for i, d := range dsts {
		k, err := copyKernel(d, []*tval{src}, []*strided{ps[i]})
		if err != nil {
			return nil, err
		}
		ks = append(ks, k)
	}
	return func() {
		for _, k := range ks {
			k()
		}
	}, nil
}

// nextIndex advances the multi-index idx over shape in row-major order
// (last axis fastest), wrapping to all zeros after the last element.
func nextIndex(idx []int, shape []int64) {
	for a := len(idx) - 1; a >= 0; a-- {
		idx[a]++
		if idx[a] < int(shape[a]) {
			return
		}
		idx[a] = 0
	}
}
