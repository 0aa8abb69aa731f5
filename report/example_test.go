package report_test

import (
	"log"
	"os"

	"github.com/mconv/mconv/report"
)

// ExampleWriteTable renders figures measured elsewhere; WriteSVG and
// WriteHTML take the same Report.
func ExampleWriteTable() {
	ips := 410.0
	r := &report.Report{Threads: 2, Runs: 50, Models: []report.Model{
		{Name: "mobileone_s0", Params: 2_078_504, MACs: 274_000_000, FLOPs: 550_000_000, MemoryAccessBytes: 60 << 20, Intensity: 8.7,
			PeakActivationBytes: 3 << 20, LatencyMedianMS: 4.6, LatencyP90MS: 4.9, ThroughputBatch: 8, ImagesPerS: &ips, GFLOPS: 119.6},
		{Name: "repvgg_a0", Params: 8_309_384, MACs: 1_360_000_000, FLOPs: 2_730_000_000, MemoryAccessBytes: 140 << 20, Intensity: 18.6,
			PeakActivationBytes: 6 << 20, LatencyMedianMS: 18.2, LatencyP90MS: 18.9, ThroughputBatch: 8, GFLOPS: 150},
	}}
	if err := report.WriteTable(os.Stdout, r); err != nil {
		log.Fatal(err)
	}
	// Output:
	// model         params      MACs     FLOPs  mem. access (MiB)  FLOP/byte  peak act. (MiB)  latency ms (median)  latency ms (p90)  images/s (batch 8)  GFLOP/s
	// mobileone_s0  2.08 M  274.00 M  550.00 M              60.00       8.70             3.00                4.600             4.900               410.0   119.60
	// repvgg_a0     8.31 M    1.36 G    2.73 G             140.00      18.60             6.00               18.200            18.900                 n/a   150.00
}
