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

// minChunkWork is the least work (elements read or written, or
// multiply-adds) a chunk of a parallel loop gets: handing a chunk to a
// worker costs a few microseconds when it is not already polling
// (BenchmarkParallelForHandoff), about as long as ~16K element operations,
// so a smaller step runs on the calling thread alone. The elementwise
// kernels' chunks are this size.
const minChunkWork = 1 << 14

// grainFor returns the grain of a loop whose indices do work each, so
// that a chunk does at least minChunkWork.
func grainFor(work int) int { return max(1, minChunkWork/max(work, 1)) }

// chunksFor returns how many chunks a loop of n indices doing work each
// is split into: at most the thread count, each doing at least
// minChunkWork (at least one chunk).
func (p *pool) chunksFor(n, work int) int {
	return max(1, min(p.threads, n, n*work/minChunkWork))
}

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
