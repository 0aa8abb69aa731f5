// Package report renders a comparison of several models, the way mobile
// backbone papers compare them: a table of static cost (params, MACs,
// FLOPs, memory access, arithmetic intensity, peak activations) next to
// measured speed (latency, throughput, achieved GFLOP/s), SVG charts of
// latency against MACs and against parameters, a stacked bar of each
// model's time by op type, and one self-contained HTML page holding them
// all with each model's per-layer table. `mconv compare` fills it; import it
// to render figures measured elsewhere.
//
// Every number the charts and the HTML table show is also written as a
// data-value (table cells) or data-* attribute (chart marks) holding the
// exact value, so tests and scripts can read them back.
package report

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"

	"github.com/mconv/mconv/runtime/bench"
)

// Model is one model's row.
type Model struct {
	Name                string  `json:"model"`
	Params              int64   `json:"params"`
	MACs                int64   `json:"macs"`
	FLOPs               int64   `json:"flops"`
	MemoryAccessBytes   int64   `json:"memory_access_bytes"`
	Intensity           float64 `json:"arithmetic_intensity"` // FLOPs per byte of memory access
	PeakActivationBytes int64   `json:"peak_activation_bytes"`
	LatencyMedianMS     float64 `json:"latency_median_ms"` // batch 1
	LatencyP90MS        float64 `json:"latency_p90_ms"`
	ThroughputBatch     int     `json:"throughput_batch"`
	// ImagesPerS is the throughput at ThroughputBatch; nil when the model
	// could not be planned at that batch.
	ImagesPerS *float64 `json:"images_per_s"`
	GFLOPS     float64  `json:"gflops_per_s"` // FLOPs / median latency at batch 1
	// TimeByOp sums the timed layers' median times by op type, largest
	// first: the stacked bar.
	TimeByOp []OpTime `json:"time_by_op"`
	// Layers is the per-layer profile (bench.JoinProfile).
	Layers []bench.LayerTime `json:"-"`
}

// OpTime is the time one op type takes in one model.
type OpTime struct {
	Op     string  `json:"op"`
	TimeMS float64 `json:"time_ms"`
	Layers int     `json:"layers"` // timed layers of the op
}

// Report is the whole comparison.
type Report struct {
	Title   string
	Threads int
	Runs    int // timed runs per measurement
	Models  []Model
}

// SumByOp groups the timed layers' times by op type, largest time first
// (ties by name).
func SumByOp(layers []bench.LayerTime) []OpTime {
	idx := map[string]int{}
	var out []OpTime
	for _, l := range layers {
		if !l.Timed {
			continue
		}
		i, ok := idx[l.Op]
		if !ok {
			i = len(out)
			idx[l.Op] = i
			out = append(out, OpTime{Op: l.Op})
		}
		out[i].TimeMS += l.TimeMS
		out[i].Layers++
	}
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].TimeMS != out[b].TimeMS {
			return out[a].TimeMS > out[b].TimeMS
		}
		return out[a].Op < out[b].Op
	})
	return out
}

// column is one table column: its header and how a model's cell reads.
type column struct {
	head  string
	value func(m *Model) (v float64, ok bool) // the exact value (data-value)
	text  func(v float64) string              // what the cell shows
}

func si(v float64) string {
	for _, u := range []struct {
		div float64
		sfx string
	}{{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}} {
		if math.Abs(v) >= u.div {
			return fmt.Sprintf("%.2f %s", v/u.div, u.sfx)
		}
	}
	return fmt.Sprintf("%.0f", v)
}

func mib(v float64) string { return fmt.Sprintf("%.2f", v/(1<<20)) }

func fixed(prec int) func(float64) string {
	return func(v float64) string { return fmt.Sprintf("%.*f", prec, v) }
}

func always(f func(m *Model) float64) func(m *Model) (float64, bool) {
	return func(m *Model) (float64, bool) { return f(m), true }
}

// columns are the comparison table's columns, in order.
var columns = []column{
	{"params", always(func(m *Model) float64 { return float64(m.Params) }), si},
	{"MACs", always(func(m *Model) float64 { return float64(m.MACs) }), si},
	{"FLOPs", always(func(m *Model) float64 { return float64(m.FLOPs) }), si},
	{"mem. access (MiB)", always(func(m *Model) float64 { return float64(m.MemoryAccessBytes) }), mib},
	{"FLOP/byte", always(func(m *Model) float64 { return m.Intensity }), fixed(2)},
	{"peak act. (MiB)", always(func(m *Model) float64 { return float64(m.PeakActivationBytes) }), mib},
	{"latency ms (median)", always(func(m *Model) float64 { return m.LatencyMedianMS }), fixed(3)},
	{"latency ms (p90)", always(func(m *Model) float64 { return m.LatencyP90MS }), fixed(3)},
	{"images/s (batch B)", func(m *Model) (float64, bool) {
		if m.ImagesPerS == nil {
			return 0, false
		}
		return *m.ImagesPerS, true
	}, fixed(1)},
	{"GFLOP/s", always(func(m *Model) float64 { return m.GFLOPS }), fixed(2)},
}

// header is a column's header with the batch size filled in.
func (r *Report) header(c column) string {
	if c.head == "images/s (batch B)" && len(r.Models) > 0 {
		return fmt.Sprintf("images/s (batch %d)", r.Models[0].ThroughputBatch)
	}
	return c.head
}

// WriteTable writes the comparison as an aligned text table, one row per
// model, names left-aligned and figures right-aligned ("n/a" where a
// figure is missing).
func WriteTable(w io.Writer, r *Report) error {
	rows := [][]string{{"model"}}
	for _, c := range columns {
		rows[0] = append(rows[0], r.header(c))
	}
	for i := range r.Models {
		m := &r.Models[i]
		row := []string{m.Name}
		for _, c := range columns {
			if v, ok := c.value(m); ok {
				row = append(row, c.text(v))
			} else {
				row = append(row, "n/a")
			}
		}
		rows = append(rows, row)
	}
	width := make([]int, len(rows[0]))
	for _, row := range rows {
		for j, cell := range row {
			width[j] = max(width[j], len(cell))
		}
	}
	var b strings.Builder
	for _, row := range rows {
		fmt.Fprintf(&b, "%-*s", width[0], row[0])
		for j, cell := range row[1:] {
			fmt.Fprintf(&b, "  %*s", width[j+1], cell)
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
