package kernels

import (
	"sync"
	"sync/atomic"
	"time"
)

// Worker pool shared by every parallel loop of the kernels and of the
// runtime (through ParallelFor).
//
// Workers are started on demand (as many as the largest thread count asked
// for, less one) and live for the life of the process. Chunks never submit
// chunks, so there is no deadlock.
//
// Waking a parked goroutine costs tens of microseconds on a virtual machine
// (the idle vCPU has to be woken by an interrupt), which is as long as many
// of a small network's layers. So an idle worker first spins for spinFor,
// polling for the next chunk, before it blocks; and the caller of a loop
// spins for up to spinFor on the chunks still running before it blocks.
// A model's layers run back to back, so during inference the workers
// never park; between inferences they park after spinFor.

// spinFor is how long a worker or a waiting caller polls before it blocks.
const spinFor = 100 * time.Microsecond

// A task is one chunk of a parallel loop for a worker: f (with pooled
// scratch) or g.
type task struct {
	f      func(lo, hi int, s *scratch)
	g      func(lo, hi int)
	lo, hi int
	wg     *Group
}

// Group counts a loop's chunks that workers still run. The zero value is
// ready; a Group must not be used by two loops at once.
type Group struct {
	pending atomic.Int32
	wg      sync.WaitGroup
	// own is the calling goroutine's scratch when the caller passes none:
	// kept with the Group (a plan keeps its Groups), so that a call does
	// not allocate; a sync.Pool would hand out fresh scratch after a GC.
	own scratch
}

func (g *Group) add(n int) {
	g.pending.Add(int32(n))
	g.wg.Add(n)
}

// done is called by a worker when its chunk is finished: wg first, so that
// once pending is 0, wg.Wait returns at once.
func (g *Group) done() {
	g.wg.Done()
	g.pending.Add(-1)
}

// wait spins until the chunks are done or spinFor passes, then blocks.
func (g *Group) wait() {
	var sp spinner
	for g.pending.Load() > 0 && sp.more() {
	}
	g.wg.Wait()
}

// spinner bounds a polling loop to spinFor, reading the clock every 64
// polls.
type spinner struct {
	i     int
	start time.Time
}

// more reports whether the loop may poll again.
func (sp *spinner) more() bool {
	sp.i++
	if sp.i&63 != 0 {
		return true
	}
	if sp.start.IsZero() {
		sp.start = time.Now()
		return true
	}
	return time.Since(sp.start) <= spinFor
}

var (
	workerMu sync.Mutex
	nWorkers int
	tasks    = make(chan task, 256)
)

func ensureWorkers(n int) {
	workerMu.Lock()
	for nWorkers < n {
		nWorkers++
		go worker()
	}
	workerMu.Unlock()
}

// worker runs tasks for the life of the process. Each worker owns its
// scratch, grown to the largest size a chunk asks for and then reused: a
// sync.Pool would hand out fresh scratch (and so allocate) after a GC or
// when the worker moves to another P.
func worker() {
	s := new(scratch)
	for {
		t := nextTask()
		if t.g != nil {
			t.g(t.lo, t.hi)
		} else {
			t.f(t.lo, t.hi, s)
		}
		t.wg.done()
	}
}

// nextTask polls for a task for up to spinFor, then blocks for one.
func nextTask() task {
	var sp spinner
	for {
		select {
		case t := <-tasks:
			return t
		default:
		}
		if !sp.more() {
			return <-tasks
		}
	}
}

// parallel runs f over [0, n) split into up to threads contiguous parts
// and returns when all are done. The caller's goroutine takes the first
// part with scratch s0 (nil: wg's own); workers take the others with their
// own scratch. wg must not be in use by another call. With f built once
// and wg kept by the caller, parallel does not allocate.
func parallel(threads, n int, s0 *scratch, wg *Group, f func(lo, hi int, s *scratch)) {
	threads = max(1, min(threads, n))
	if threads > 1 {
		ensureWorkers(threads - 1)
		wg.add(threads - 1)
		for t := 1; t < threads; t++ {
			tasks <- task{f: f, lo: t * n / threads, hi: (t + 1) * n / threads, wg: wg}
		}
	}
	s := s0
	if s == nil {
		s = &wg.own
	}
	f(0, n/threads, s)
	if threads > 1 {
		wg.wait()
	}
}

// ParallelFor calls f over [0, n) split into up to threads contiguous
// parts, on the kernels' worker pool, and returns when all are done. The
// caller's goroutine takes the first part. g must not be in use by another
// call; with f built once and g kept by the caller, it does not allocate.
func ParallelFor(threads, n int, g *Group, f func(lo, hi int)) {
	threads = max(1, min(threads, n))
	if threads == 1 {
		f(0, n)
		return
	}
	ensureWorkers(threads - 1)
	g.add(threads - 1)
	for t := 1; t < threads; t++ {
		tasks <- task{g: f, lo: t * n / threads, hi: (t + 1) * n / threads, wg: g}
	}
	f(0, n/threads)
	g.wait()
}
