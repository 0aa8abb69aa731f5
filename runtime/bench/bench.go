// Package bench measures inference speed: latency statistics of repeated
// runs, alternating A/B comparisons, peak resident memory, and per-layer
// profiles drawn as SVG. It runs anything with a Run method (a compiled
// runtime.Plan), so the statistics are tested with fake runners.
package bench

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mconv/mconv/ir"
)

// Runner runs a model once. *runtime.Plan implements it.
type Runner interface {
	Run(inputs map[string]*ir.Tensor) (map[string]*ir.Tensor, error)
}

// Options control one measurement.
type Options struct {
	Runs   int // timed runs (default 50)
	Warmup int // untimed runs first (0: none)
	// Progress, when set, receives a progress line (rewritten in place
	// with \r, at most every 200 ms, ended by a newline).
	Progress io.Writer
	Label    string // names the measurement in the progress line
}

func (o Options) runs() int {
	if o.Runs <= 0 {
		return 50
	}
	return o.Runs
}

func (o Options) warmup() int {
	if o.Warmup < 0 {
		return 0
	}
	return o.Warmup
}

// Stats summarizes run times in milliseconds.
type Stats struct {
	Runs     int     `json:"runs"`
	MedianMS float64 `json:"median_ms"`
	P90MS    float64 `json:"p90_ms"`
	MinMS    float64 `json:"min_ms"`
	MaxMS    float64 `json:"max_ms"`
	MeanMS   float64 `json:"mean_ms"`
}

// Summarize computes Stats of ds. The median of an even count is the mean
// of the two middle values; p90 is the nearest-rank percentile (the
// ceil(0.9 n)-th smallest).
func Summarize(ds []time.Duration) Stats {
	if len(ds) == 0 {
		return Stats{}
	}
	ms := make([]float64, len(ds))
	sum := 0.0
	for i, d := range ds {
		ms[i] = float64(d) / float64(time.Millisecond)
		sum += ms[i]
	}
	sort.Float64s(ms)
	n := len(ms)
	med := ms[n/2]
	if n%2 == 0 {
		med = (ms[n/2-1] + ms[n/2]) / 2
	}
	rank := int(math.Ceil(0.9 * float64(n)))
	if rank < 1 {
		rank = 1
	}
	return Stats{Runs: n, MedianMS: med, P90MS: ms[rank-1], MinMS: ms[0], MaxMS: ms[n-1], MeanMS: sum / float64(n)}
}

// Measure runs r opt.Warmup times untimed, then opt.Runs times timed.
func Measure(r Runner, inputs map[string]*ir.Tensor, opt Options) (Stats, []time.Duration, error) {
	ds, _, err := alternate([]Runner{r}, []map[string]*ir.Tensor{inputs}, opt)
	if err != nil {
		return Stats{}, nil, err
	}
	return Summarize(ds[0]), ds[0], nil
}

// Alternate measures several runners in turn (A B A B ...), so that drift
// in machine speed (thermal, other load) hits all of them alike. It returns
// one Stats per runner.
func Alternate(rs []Runner, inputs []map[string]*ir.Tensor, opt Options) ([]Stats, error) {
	ds, _, err := alternate(rs, inputs, opt)
	if err != nil {
		return nil, err
	}
	out := make([]Stats, len(ds))
	for i, d := range ds {
		out[i] = Summarize(d)
	}
	return out, nil
}

func alternate(rs []Runner, inputs []map[string]*ir.Tensor, opt Options) ([][]time.Duration, time.Duration, error) {
	if len(rs) == 0 || len(rs) != len(inputs) {
		return nil, 0, errors.New("bench: need one input set per runner")
	}
	for i := 0; i < opt.warmup(); i++ {
		for k, r := range rs {
			if _, err := r.Run(inputs[k]); err != nil {
				return nil, 0, fmt.Errorf("warm-up run: %w", err)
			}
		}
	}
	n := opt.runs()
	ds := make([][]time.Duration, len(rs))
	for k := range ds {
		ds[k] = make([]time.Duration, 0, n)
	}
	start := time.Now()
	var last time.Time
	for i := 0; i < n; i++ {
		for k, r := range rs {
			t0 := time.Now()
			if _, err := r.Run(inputs[k]); err != nil {
				return nil, 0, fmt.Errorf("run %d: %w", i+1, err)
			}
			ds[k] = append(ds[k], time.Since(t0))
		}
		if opt.Progress != nil && (time.Since(last) > 200*time.Millisecond || i == n-1) {
			last = time.Now()
			fmt.Fprintf(opt.Progress, "\r%s run %d/%d, median %.3f ms ", opt.Label, i+1, n, Summarize(ds[0]).MedianMS)
		}
	}
	if opt.Progress != nil {
		fmt.Fprintln(opt.Progress)
	}
	return ds, time.Since(start), nil
}

// PeakRSS returns the process's peak resident set size in bytes (VmHWM of
// /proc/self/status), or an error where that file does not exist.
func PeakRSS() (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return parseVmHWM(f)
}

func parseVmHWM(r io.Reader) (int64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "VmHWM:") {
			continue
		}
		f := strings.Fields(strings.TrimPrefix(line, "VmHWM:"))
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("unexpected VmHWM line %q", line)
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("VmHWM line %q: %v", line, err)
		}
		return kb * 1024, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, errors.New("no VmHWM line in /proc/self/status")
}
