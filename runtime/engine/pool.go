package engine

import "github.com/mconv/mconv/runtime/kernels"

// pool runs the chunks of a parallel loop on the kernels' worker pool
// (kernels.ParallelFor), which the convolution and GEMM kernels share, so
// that a plan has one set of workers. A parallel loop splits an index
// range into contiguous chunks; each index computes its own outputs with a
// fixed reduction order, so results do not depend on the number of
// threads. parallelFor is not re-entrant: kernels never nest it.
type pool struct {
	threads int
	closed  bool
	group   kernels.Group
}

func newPool(threads int) *pool {
	return &pool{threads: threads}
}

// close marks the pool closed (a closed plan must not run); the shared
// workers live on.
func (p *pool) close() { p.closed = true }

// parallelFor calls f over [0, n) split into at most p.threads contiguous
// chunks of at least grain indices each. f must be built once (at plan
// time), so that a call allocates nothing.
func (p *pool) parallelFor(n, grain int, f func(lo, hi int)) {
	if n <= 0 {
		return
	}
	if grain < 1 {
		grain = 1
	}
	chunks := (n + grain - 1) / grain
	if chunks > p.threads {
		chunks = p.threads
	}
	if chunks <= 1 {
		f(0, n)
		return
	}
	kernels.ParallelFor(chunks, n, &p.group, f)
}
