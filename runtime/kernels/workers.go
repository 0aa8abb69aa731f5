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
// Measured on 2 shared vCPUs (zoo models at 2 threads): a shorter spin
// (0 or 20µs) gives better medians when other processes load the machine,
// a longer one (400µs) better minimums; 100µs sits between.
const spinFor = 100 * time.Microsecond

// A loop is split into chunks (contiguous index ranges, fixed by the
// loop's size and chunk count alone; the chunk count depends on the
// thread count, never on timing), often more chunks than threads. The
// caller posts one ticket per extra thread and then runs chunks itself; whoever runs (the caller or a
// worker holding a ticket) claims the next unclaimed chunk until none is
// left. So a worker that is slow to start (parked, or its vCPU taken by
// another process) delays nothing: the caller runs its chunks, and the
// ticket, run later, finds the loop over and does nothing. Which
// goroutine runs a chunk never changes what the chunk computes, so results
// do not depend on it.

// A task is a ticket of a parallel loop for a worker: f (with pooled
// scratch) or g, over n indices split into chunks parts, valid while wg
// runs loop number gen.
type task struct {
	f         func(lo, hi int, s *scratch)
	g         func(lo, hi int)
	n, chunks int
	gen       uint32
	wg        *Group
}

// Group runs one parallel loop at a time: which chunks are claimed and
// which are still running. The zero value is ready; a Group must not be
// used by two loops at once.
type Group struct {
	// state is the loop's number (high 32 bits) and the next chunk to
	// claim (low 32 bits).
	state   atomic.Uint64
	gen     uint32
	pending atomic.Int32
	wg      sync.WaitGroup
	// own is the calling goroutine's scratch when the caller passes none:
	// kept with the Group (a plan keeps its Groups), so that a call does
	// not allocate; a sync.Pool would hand out fresh scratch after a GC.
	own scratch
}

// begin starts a loop of chunks chunks and returns its number.
func (g *Group) begin(chunks int) uint32 {
	g.gen++
	g.pending.Store(int32(chunks))
	g.wg.Add(chunks)
	g.state.Store(uint64(g.gen) << 32)
	return g.gen
}

// claim returns the next unclaimed chunk of loop gen, or -1 when there is
// none (or the loop is over).
func (g *Group) claim(gen uint32, chunks int) int {
	for {
		st := g.state.Load()
		c := uint32(st)
		if uint32(st>>32) != gen || int(c) >= chunks {
			return -1
		}
		if g.state.CompareAndSwap(st, st+1) {
			return int(c)
		}
	}
}

// done is called when a chunk is finished: wg first, so that once pending
// is 0, wg.Wait returns at once.
func (g *Group) done() {
	g.wg.Done()
	g.pending.Add(-1)
}

// run claims and runs chunks of t's loop until none is left, with scratch
// s for f.
func (t *task) run(s *scratch) {
	g := t.wg
	for {
		c := g.claim(t.gen, t.chunks)
		if c < 0 {
			return
		}
		lo, hi := c*t.n/t.chunks, (c+1)*t.n/t.chunks
		if t.g != nil {
			t.g(lo, hi)
		} else {
			t.f(lo, hi, s)
		}
		g.done()
	}
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

// worker runs tickets for the life of the process. Each worker owns its
// scratch, grown to the largest size a chunk asks for and then reused: a
// sync.Pool would hand out fresh scratch (and so allocate) after a GC or
// when the worker moves to another P.
func worker() {
	s := new(scratch)
	for {
		t := nextTask()
		t.run(s)
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

// start begins t's loop (t.n indices in t.chunks chunks, at least 2) on
// t.wg and posts a ticket for each of threads-1 workers (threads <=
// t.chunks); a ticket that does not fit in the queue is dropped (the
// caller runs its chunks).
func start(t *task, threads int) {
	ensureWorkers(threads - 1)
	t.gen = t.wg.begin(t.chunks)
	for i := 1; i < threads; i++ {
		select {
		case tasks <- *t:
		default:
		}
	}
}

// parallel runs f over [0, n) split into up to threads contiguous parts
// and returns when all are done. The caller's goroutine runs parts with
// scratch s0 (nil: wg's own); workers run the others with their own
// scratch. wg must not be in use by another call. With f built once and
// wg kept by the caller, parallel does not allocate.
func parallel(threads, n int, s0 *scratch, wg *Group, f func(lo, hi int, s *scratch)) {
	parallelChunks(threads, threads, n, s0, wg, f)
}

// parallelChunks is parallel with [0, n) split into up to chunks parts
// (at least threads, at most n), claimed by up to threads goroutines. More
// chunks than threads cost a claim each but bound what a late or
// descheduled worker holds up: the others take the chunks it has not
// claimed. The parts depend only on n and chunks.
func parallelChunks(threads, chunks, n int, s0 *scratch, wg *Group, f func(lo, hi int, s *scratch)) {
	threads = max(1, min(threads, n))
	chunks = max(threads, min(chunks, n))
	s := s0
	if s == nil {
		s = &wg.own
	}
	if threads == 1 {
		f(0, n, s)
		return
	}
	t := task{f: f, n: n, chunks: chunks, wg: wg}
	start(&t, threads)
	t.run(s)
	wg.wait()
}

// ParallelFor calls f over [0, n) split into up to threads contiguous
// parts, on the kernels' worker pool, and returns when all are done. The
// caller's goroutine runs parts too. g must not be in use by another
// call; with f built once and g kept by the caller, it does not allocate.
func ParallelFor(threads, n int, g *Group, f func(lo, hi int)) {
	threads = max(1, min(threads, n))
	if threads == 1 {
		f(0, n)
		return
	}
	t := task{g: f, n: n, chunks: threads, wg: g}
	start(&t, threads)
	t.run(nil)
	g.wait()
}
