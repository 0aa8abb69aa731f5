package kernels

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestParallelForCoversRange checks that ParallelFor calls f on disjoint
// chunks that cover [0, n) exactly once, for thread counts above and below
// n, reusing one Group across calls (as the runtime does).
func TestParallelForCoversRange(t *testing.T) {
	var g Group
	for _, tc := range []struct{ threads, n int }{
		{1, 10}, {2, 1}, {2, 2}, {2, 7}, {3, 100}, {4, 3}, {8, 1000},
	} {
		for rep := 0; rep < 50; rep++ {
			hits := make([]atomic.Int32, tc.n)
			var calls atomic.Int32
			ParallelFor(tc.threads, tc.n, &g, func(lo, hi int) {
				calls.Add(1)
				for i := lo; i < hi; i++ {
					hits[i].Add(1)
				}
			})
			for i := range hits {
				if h := hits[i].Load(); h != 1 {
					t.Fatalf("threads %d n %d: index %d run %d times", tc.threads, tc.n, i, h)
				}
			}
			if want := int32(min(tc.threads, tc.n)); calls.Load() != want {
				t.Fatalf("threads %d n %d: %d chunks, want %d", tc.threads, tc.n, calls.Load(), want)
			}
		}
	}
}

// TestParallelForChunksFixed checks that the chunks are [c*n/T, (c+1)*n/T)
// whoever runs them, and that the caller runs every chunk itself when the
// workers are all busy: a loop must not wait for a worker to start.
func TestParallelForChunksFixed(t *testing.T) {
	const threads, n = 4, 103
	// Occupy every worker: one single-chunk ticket each (sent blocking, so
	// none is dropped behind stale tickets) whose chunk waits for release.
	ensureWorkers(threads - 1)
	workerMu.Lock()
	nw := nWorkers
	workerMu.Unlock()
	release := make(chan struct{})
	var started atomic.Int32
	busy := make([]Group, nw)
	for i := range busy {
		t := task{g: func(lo, hi int) { started.Add(1); <-release }, n: 1, chunks: 1, wg: &busy[i]}
		t.gen = busy[i].begin(1)
		tasks <- t
	}
	for deadline := time.Now().Add(10 * time.Second); int(started.Load()) < nw; {
		if time.Now().After(deadline) {
			close(release)
			t.Fatalf("only %d of %d workers took a blocking chunk", started.Load(), nw)
		}
		time.Sleep(time.Millisecond)
	}
	var g Group
	var seen [threads][2]int
	calls := 0
	done := make(chan struct{})
	go func() {
		ParallelFor(threads, n, &g, func(lo, hi int) {
			c := (lo*threads + n - 1) / n // the chunk c with c*n/threads == lo
			seen[c] = [2]int{lo, hi}
			calls++ // only the caller runs: the workers are blocked
		})
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		close(release)
		t.Fatal("ParallelFor waited for busy workers")
	}
	close(release)
	if calls != threads {
		t.Fatalf("%d chunks, want %d", calls, threads)
	}
	for c := range seen {
		if want := [2]int{c * n / threads, (c + 1) * n / threads}; seen[c] != want {
			t.Errorf("chunk %d = %v, want %v", c, seen[c], want)
		}
	}
}

// TestParallelChunksCoversRange checks that parallelChunks runs
// min(n, max(threads, chunks)) chunks [c*n/chunks, (c+1)*n/chunks) that
// cover [0, n) exactly once, with more chunks than threads.
func TestParallelChunksCoversRange(t *testing.T) {
	var g Group
	for _, tc := range []struct{ threads, chunks, n int }{
		{1, 4, 10}, {2, 8, 3}, {2, 8, 8}, {2, 8, 101}, {3, 12, 1000}, {4, 2, 50},
	} {
		for rep := 0; rep < 20; rep++ {
			hits := make([]atomic.Int32, tc.n)
			var mu sync.Mutex
			var got [][2]int
			parallelChunks(tc.threads, tc.chunks, tc.n, nil, &g, func(lo, hi int, s *scratch) {
				if s == nil {
					t.Error("chunk without scratch")
				}
				mu.Lock()
				got = append(got, [2]int{lo, hi})
				mu.Unlock()
				for i := lo; i < hi; i++ {
					hits[i].Add(1)
				}
			})
			for i := range hits {
				if h := hits[i].Load(); h != 1 {
					t.Fatalf("%+v: index %d run %d times", tc, i, h)
				}
			}
			threads := min(tc.threads, tc.n)
			chunks := max(threads, min(tc.chunks, tc.n))
			if threads == 1 {
				chunks = 1
			}
			if len(got) != chunks {
				t.Fatalf("%+v: %d chunks, want %d", tc, len(got), chunks)
			}
			for _, c := range got {
				k := (c[0]*chunks + tc.n - 1) / tc.n
				if want := [2]int{k * tc.n / chunks, (k + 1) * tc.n / chunks}; c != want {
					t.Fatalf("%+v: chunk %v, want %v", tc, c, want)
				}
			}
		}
	}
}

// BenchmarkParallelForHandoff measures the fixed cost of one two-chunk
// parallel loop with trivial chunks: handing a chunk to a worker and
// waiting for it, the overhead every parallel layer pays. In gap-20us the
// caller first works alone for 20µs (a single-threaded step between two
// parallel layers), so ns/op less 20000 is the hand-off cost when the
// worker has been idle that long.
func BenchmarkParallelForHandoff(b *testing.B) {
	var g Group
	var sink [2]int64
	f := func(lo, hi int) { sink[lo] += int64(hi) }
	for _, gap := range []time.Duration{0, 20 * time.Microsecond} {
		b.Run("gap-"+gap.String(), func(b *testing.B) {
			for b.Loop() {
				for t0 := time.Now(); time.Since(t0) < gap; {
				}
				ParallelFor(2, 2, &g, f)
			}
		})
	}
}
