package runtime

import "sync"

// pool is a fixed set of worker goroutines that run the chunks of a parallel
// loop. The caller runs the last chunk itself. A parallel loop splits an
// index range into contiguous chunks; each index computes its own outputs
// with a fixed reduction order, so results do not depend on the number of
// threads. parallelFor is not re-entrant: kernels never nest it.
type pool struct {
	threads int
	work    chan poolTask
	wg      sync.WaitGroup
}

type poolTask struct {
	f      func(lo, hi int)
	lo, hi int
	wg     *sync.WaitGroup
}

func newPool(threads int) *pool {
	p := &pool{threads: threads}
	if threads > 1 {
		p.work = make(chan poolTask, threads)
		for i := 0; i < threads-1; i++ {
			go worker(p.work)
		}
	}
	return p
}

func worker(work chan poolTask) {
	for t := range work {
		t.f(t.lo, t.hi)
		t.wg.Done()
	}
}

// close stops the workers.
func (p *pool) close() {
	if p.work != nil {
		close(p.work)
		p.work = nil
	}
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
	if chunks <= 1 || p.work == nil {
		f(0, n)
		return
	}
	p.wg.Add(chunks - 1)
	for c := 0; c < chunks-1; c++ {
		lo, hi := c*n/chunks, (c+1)*n/chunks
		p.work <- poolTask{f: f, lo: lo, hi: hi, wg: &p.wg}
	}
	f((chunks-1)*n/chunks, n)
	p.wg.Wait()
}
