package kernels

import (
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
