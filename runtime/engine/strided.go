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
		if !p.advance(r-3, &d, &s) {
			return
		}
	}
}

// shortRows reports whether p's last two dimensions are rows of fewer
// than 256 elements contiguous in both (a Slice or Split of the last axis,
// a Concat along it), which rowsStrided32 copies a block of rows at a time.
func (p *strided) shortRows() bool {
	r := len(p.shape)
	return r >= 2 && p.ds[r-1] == 1 && p.ss[r-1] == 1 && p.shape[r-1] < 256
}

// rowsStrided32 is copyStrided for 4-byte elements when p.shortRows():
// one kernels.CopyRows32 per index of the outer dimensions.
func rowsStrided32(dst, src []float32, p *strided) {
	r := len(p.shape)
	rows, n := p.shape[r-2], p.shape[r-1]
	ldd, lds := p.ds[r-2], p.ss[r-2]
	idx := p.idx[:r-2]
	for i := range idx {
		idx[i] = 0
	}
	d, s := p.doff, p.soff
	for {
		kernels.CopyRows32(dst[d:], ldd, src[s:], lds, rows, n)
		if !p.advance(r-3, &d, &s) {
			return
		}
	}
}

// advance moves the offsets d and s to the next index of dimensions
// [0, last] of p (last fastest, p.idx their index); it reports false after
// the last one, with p.idx back at zeros.
func (p *strided) advance(last int, d, s *int) bool {
	for k := last; k >= 0; k-- {
		p.idx[k]++
		*d += p.ds[k]
		*s += p.ss[k]
		if p.idx[k] < p.shape[k] {
			return true
		}
		*d -= p.ds[k] * p.shape[k]
		*s -= p.ss[k] * p.shape[k]
		p.idx[k] = 0
	}
	return false
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
		if !p.advance(r-2, &d, &s) {
			return
		}
	}
}

// minCopyBytesPerThread is the least a thread moves when a copy is split
// across threads: handing a part to a worker costs a few microseconds, as
// long as copying some 32 KiB, so a smaller copy runs on the calling
// thread alone.
const minCopyBytesPerThread = 64 << 10

// copyPiece is one strided copy from srcs[src] to dsts[dst].
type copyPiece struct {
	dst, src int
	p        *strided
}

// elems is the number of elements p copies.
func (p *strided) elems() int {
	n := 1
	for _, d := range p.shape {
		n *= d
	}
	return n
}

// rows returns the copy of the indices [a, b) of p's outermost dimension,
// with its own index state (so that parts run at once).
func (p *strided) rows(a, b int) *strided {
	return &strided{
		shape: append([]int{b - a}, p.shape[1:]...),
		ds:    p.ds, ss: p.ss,
		doff: p.doff + a*p.ds[0], soff: p.soff + a*p.ss[0],
		idx: make([]int, len(p.shape)),
		tr:  p.tr,
	}
}

// partitionCopies splits the copies into at most threads groups of about
// equal size (cutting a copy along its outermost dimension), each of at
// least minElems elements; one group when the copies are smaller. Every
// element is copied once whatever the split, so the result does not depend
// on the number of threads.
func partitionCopies(pieces []copyPiece, threads, minElems int) [][]copyPiece {
	total := 0
	for _, c := range pieces {
		total += c.p.elems()
	}
	parts := min(threads, total/max(1, minElems))
	if parts <= 1 {
		return [][]copyPiece{pieces}
	}
	target := (total + parts - 1) / parts
	groups := make([][]copyPiece, 1, parts)
	fill := 0
	for _, c := range pieces {
		n := c.p.elems()
		if n == 0 {
			continue
		}
		rows := c.p.shape[0]
		rowE := n / rows
		for a := 0; a < rows; {
			if fill >= target && len(groups) < parts {
				groups = append(groups, nil)
				fill = 0
			}
			k := min(rows-a, max(1, (target-fill+rowE-1)/rowE))
			q := c.p
			if k < rows {
				q = c.p.rows(a, a+k)
			}
			g := len(groups) - 1
			groups[g] = append(groups[g], copyPiece{c.dst, c.src, q})
			fill += k * rowE
			a += k
		}
	}
	return groups
}

// copyKernel returns a kernel that performs the strided copies ps from
// srcs[i] to dst (by element size, so any dtype), split across the pool's
// threads when large enough.
func copyKernel(pl *pool, dst *tval, srcs []*tval, ps []*strided) (func(), error) {
	pieces := make([]copyPiece, len(ps))
	for i, p := range ps {
		pieces[i] = copyPiece{0, i, p}
	}
	return copyPieces(pl, []*tval{dst}, srcs, pieces)
}

// splitKernel copies slices of one source into several destinations
// (Split, SplitToSequence).
func splitKernel(pl *pool, dsts []*tval, src *tval, ps []*strided) (func(), error) {
	pieces := make([]copyPiece, len(ps))
	for i, p := range ps {
		pieces[i] = copyPiece{i, 0, p}
	}
	return copyPieces(pl, dsts, []*tval{src}, pieces)
}

// copyPieces returns the kernel of the copies pieces between dsts and
// srcs (all of one element size).
func copyPieces(pl *pool, dsts, srcs []*tval, pieces []copyPiece) (func(), error) {
	if len(dsts) == 0 {
		return func() {}, nil
	}
	sz := dsts[0].dt.Size()
	if sz == 0 {
		return nil, fmt.Errorf("unsupported data type %s", dsts[0].dt)
	}
	groups := partitionCopies(pieces, pl.threads, minCopyBytesPerThread/sz)
	switch sz {
	case 1:
		return copyKernelT[uint8](pl, dsts, srcs, groups), nil
	case 2:
		return copyKernelT[uint16](pl, dsts, srcs, groups), nil
	case 4:
		return copyKernelT[uint32](pl, dsts, srcs, groups), nil
	case 8:
		return copyKernelT[uint64](pl, dsts, srcs, groups), nil
	}
	return nil, fmt.Errorf("unsupported data type %s", dsts[0].dt)
}

func copyKernelT[T any](pl *pool, dsts, srcs []*tval, groups [][]copyPiece) func() {
	var z T
	four := unsafe.Sizeof(z) == 4
	run := func(g []copyPiece) {
		for _, c := range g {
			d, s := dsts[c.dst], srcs[c.src]
			if four && c.p.tr {
				transposeStrided32(viewOf[float32](d.buf, d.n), viewOf[float32](s.buf, s.n), c.p)
				continue
			}
			if four && c.p.shortRows() {
				rowsStrided32(viewOf[float32](d.buf, d.n), viewOf[float32](s.buf, s.n), c.p)
				continue
			}
			copyStrided(viewOf[T](d.buf, d.n), viewOf[T](s.buf, s.n), c.p)
		}
	}
	if len(groups) == 1 {
		g := groups[0]
		return func() { run(g) }
	}
	f := func(lo, hi int) {
		for _, g := range groups[lo:hi] {
			run(g)
		}
	}
	return func() { pl.parallelFor(len(groups), 1, f) }
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
