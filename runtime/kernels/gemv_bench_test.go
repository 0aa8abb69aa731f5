package kernels

import (
	"math/rand"
	"runtime"
	"sort"
	"testing"
	"time"
)

var (
	flushBuf  []float32
	flushSink float32
)

// flushCaches reads 64 MiB (written once, so real pages, not the shared
// zero page) so that the next call reads its operands from memory, as a
// layer's weights are once the rest of a network has run.
func flushCaches() {
	if flushBuf == nil {
		flushBuf = make([]float32, 16<<20)
		for i := range flushBuf {
			flushBuf[i] = 1
		}
	}
	var s float32
	for i := 0; i < len(flushBuf); i += 16 {
		s += flushBuf[i]
	}
	flushSink = s
}

// coldReport reports the median and minimum time of the timed calls and
// the rate the median streams bytes at.
func coldReport(b *testing.B, ts []time.Duration, bytes int) {
	sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
	med := ts[len(ts)/2]
	b.ReportMetric(float64(med.Nanoseconds())/1e3, "us/call")
	b.ReportMetric(float64(ts[0].Nanoseconds())/1e3, "min-us/call")
	b.ReportMetric(float64(bytes)/float64(med.Nanoseconds()), "GB/s")
}

// BenchmarkGemvCold: the classifier (1 x 1280 -> 1000) with its 5 MB of
// weights out of cache, as in a network, through Gemv (PackGemv) and
// through GemmPackedB (PackB): median time and weight GB/s; SumCold is a
// plain vector sum of as many bytes, the rate memory gives one core.
func BenchmarkGemvCold(b *testing.B) {
	const K, N = 1280, 1000
	r := rand.New(rand.NewSource(1))
	x, W, y := randSlice(r, K), randSlice(r, N*K), make([]float32, N)
	pb := PackB(true, K, N, W, K)
	pg := PackGemv(true, K, N, W, K)
	cold := func(b *testing.B, bytes int, f func()) {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		var ts []time.Duration
		for b.Loop() {
			flushCaches()
			t0 := time.Now()
			f()
			ts = append(ts, time.Since(t0))
		}
		coldReport(b, ts, bytes)
	}
	benchPaths(b, func(b *testing.B) {
		b.Run("Gemv", func(b *testing.B) {
			cold(b, len(pg.data)*4, func() { Gemv(pg, x, y, nil, 1) })
		})
		b.Run("GemmPackedB", func(b *testing.B) {
			cold(b, len(pb.data)*4, func() { GemmPackedB(false, 1, 1, x, K, pb, 0, y, N, nil, 1) })
		})
	})
	b.Run("SumCold", func(b *testing.B) {
		cold(b, len(pg.data)*4, func() { flushSink += SumF32(pg.data) })
	})
}
