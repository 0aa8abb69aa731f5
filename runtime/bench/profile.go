package bench

import (
	"fmt"
	"html"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/mconv/mconv/ir/metrics"
)

// NodeTime is the time of one plan step in one profiled run, keyed by the
// name of the step's node (runtime.NodeTime converted by the caller); Op is
// the step's op type (a fused node of the runtime, e.g. mconv.FusedConv,
// keeps the name of the layer it extends).
type NodeTime struct {
	Name string
	Op   string
	Dur  time.Duration
}

// LayerTime is one layer's measured time next to its static figures.
type LayerTime struct {
	Name string `json:"name"`
	Op   string `json:"op"`
	// Kernel is the op type of the plan step that ran the layer (what
	// the runtime made of it: mconv.FusedConv for a Conv with its
	// epilogue, GlobalAveragePool for a spatial ReduceMean, ...); empty
	// when the layer has no step of its own.
	Kernel string `json:"kernel"`
	// TimeMS is the median time over the profiled runs; Timed is false
	// when the runtime ran the layer inside another node (a fused
	// epilogue: bias, activation, residual add), so it has no time of its own.
	TimeMS            float64 `json:"time_ms"`
	Timed             bool    `json:"timed"`
	MACs              int64   `json:"macs"`
	FLOPs             int64   `json:"flops"`
	MemoryAccessBytes int64   `json:"memory_access_bytes"`
}

// JoinProfile matches the node times of several profiled runs with the
// static layers, by node name, in layer order. Times of a node are the
// median over runs; timed nodes that are not layers (made by the runtime)
// are appended at the end.
func JoinProfile(runs [][]NodeTime, layers []metrics.Layer) []LayerTime {
	per := map[string][]time.Duration{}
	ops := map[string]string{}
	var order []string
	for _, run := range runs {
		for _, nt := range run {
			if _, ok := per[nt.Name]; !ok {
				order = append(order, nt.Name)
				ops[nt.Name] = nt.Op
			}
			per[nt.Name] = append(per[nt.Name], nt.Dur)
		}
	}
	out := make([]LayerTime, 0, len(layers))
	used := map[string]bool{}
	for _, l := range layers {
		lt := LayerTime{Name: l.Name, Op: l.Op, MACs: l.MACs, FLOPs: l.FLOPs, MemoryAccessBytes: l.MemoryAccessBytes}
		if ds, ok := per[l.Name]; ok && !used[l.Name] {
			lt.TimeMS, lt.Timed, lt.Kernel = Summarize(ds).MedianMS, true, ops[l.Name]
			used[l.Name] = true
		}
		out = append(out, lt)
	}
	for _, name := range order {
		if !used[name] {
			out = append(out, LayerTime{Name: name, Op: ops[name], Kernel: ops[name], TimeMS: Summarize(per[name]).MedianMS, Timed: true})
		}
	}
	return out
}

// WriteProfile writes the per-layer table: time, share of the total,
// MACs, FLOPs, bytes and achieved GFLOP/s.
func WriteProfile(w io.Writer, lts []LayerTime) error {
	total := 0.0
	for _, l := range lts {
		total += l.TimeMS
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-40s %-22s %-22s %10s %6s %14s %14s %12s %8s\n", "layer", "op", "kernel", "time ms", "%", "MACs", "FLOPs", "bytes", "GFLOP/s")
	for _, l := range lts {
		t, pct, gf, k := "-", "", "", "(fused)"
		if l.Timed {
			t, k = fmt.Sprintf("%.4f", l.TimeMS), l.Kernel
			if total > 0 {
				pct = fmt.Sprintf("%.1f", 100*l.TimeMS/total)
			}
			if l.TimeMS > 0 && l.FLOPs > 0 {
				gf = fmt.Sprintf("%.2f", float64(l.FLOPs)/(l.TimeMS*1e6))
			}
		}
		fmt.Fprintf(&b, "%-40s %-22s %-22s %10s %6s %14d %14d %12d %8s\n", clip(l.Name, 40), clip(l.Op, 22), clip(k, 22), t, pct, l.MACs, l.FLOPs, l.MemoryAccessBytes, gf)
	}
	fmt.Fprintf(&b, "%-40s %-22s %-22s %10.4f\n", "total (sum of node times)", "", "", total)
	_, err := io.WriteString(w, b.String())
	return err
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "~"
}

// WriteSVG draws per-layer time against per-layer FLOPs, log-log, one dot
// per timed layer, coloured by op type: the picture that shows FLOPs do not
// predict latency. Layers with zero FLOPs sit on the left edge. Each dot
// carries a <title> with the layer's name and figures.
func WriteSVG(w io.Writer, title string, lts []LayerTime) error {
	const (
		width, height = 900, 600
		left, right   = 80, 200
		top, bottom   = 50, 60
	)
	type pt struct {
		l    LayerTime
		x, y float64
	}
	var pts []pt
	minF, maxF, minT, maxT := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, l := range lts {
		if !l.Timed || l.TimeMS <= 0 {
			continue
		}
		pts = append(pts, pt{l: l})
		if l.FLOPs > 0 {
			minF, maxF = math.Min(minF, float64(l.FLOPs)), math.Max(maxF, float64(l.FLOPs))
		}
		minT, maxT = math.Min(minT, l.TimeMS), math.Max(maxT, l.TimeMS)
	}
	if math.IsInf(minF, 1) {
		minF, maxF = 1, 10
	}
	if math.IsInf(minT, 1) {
		minT, maxT = 0.001, 1
	}
	// Decade bounds.
	fx0, fx1 := math.Floor(math.Log10(minF)), math.Ceil(math.Log10(maxF))
	ty0, ty1 := math.Floor(math.Log10(minT)), math.Ceil(math.Log10(maxT))
	if fx1 == fx0 {
		fx1++
	}
	if ty1 == ty0 {
		ty1++
	}
	pw, ph := float64(width-left-right), float64(height-top-bottom)
	xOf := func(f int64) float64 {
		if f <= 0 {
			return float64(left) - 10
		}
		return float64(left) + pw*(math.Log10(float64(f))-fx0)/(fx1-fx0)
	}
	yOf := func(t float64) float64 {
		return float64(top) + ph*(1-(math.Log10(t)-ty0)/(ty1-ty0))
	}
	colors := []string{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"}
	opColor := map[string]string{}
	var opsSeen []string
	for i := range pts {
		pts[i].x, pts[i].y = xOf(pts[i].l.FLOPs), yOf(pts[i].l.TimeMS)
		if _, ok := opColor[pts[i].l.Op]; !ok {
			opColor[pts[i].l.Op] = colors[len(opColor)%len(colors)]
			opsSeen = append(opsSeen, pts[i].l.Op)
		}
	}
	sort.Strings(opsSeen)
	esc := html.EscapeString
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n")
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect x="0" y="0" width="%d" height="%d" fill="white"/>`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="%d" y="25" font-size="16">%s</text>`+"\n", left, esc(title))
	// Grid and axis labels at each decade.
	for d := fx0; d <= fx1; d++ {
		x := float64(left) + pw*(d-fx0)/(fx1-fx0)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>`+"\n", x, top, x, height-bottom)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">1e%d</text>`+"\n", x, height-bottom+18, int(d))
	}
	for d := ty0; d <= ty1; d++ {
		y := float64(top) + ph*(1-(d-ty0)/(ty1-ty0))
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`+"\n", left, y, width-right, y)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", left-14, y+4, esc(fmt.Sprintf("%g ms", math.Pow(10, d))))
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.0f" height="%.0f" fill="none" stroke="black"/>`+"\n", left, top, pw, ph)
	fmt.Fprintf(&b, `<text x="%.0f" y="%d" text-anchor="middle">FLOPs per layer (log; zero-FLOP layers at the left edge)</text>`+"\n", float64(left)+pw/2, height-15)
	fmt.Fprintf(&b, `<text x="18" y="%.0f" text-anchor="middle" transform="rotate(-90 18 %.0f)">time per layer, ms (log)</text>`+"\n", float64(top)+ph/2, float64(top)+ph/2)
	for _, p := range pts {
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="4" fill="%s" fill-opacity="0.75"><title>%s</title></circle>`+"\n",
			p.x, p.y, opColor[p.l.Op], esc(fmt.Sprintf("%s (%s): %.4f ms, %d FLOPs, %d MACs, %d bytes", p.l.Name, p.l.Op, p.l.TimeMS, p.l.FLOPs, p.l.MACs, p.l.MemoryAccessBytes)))
	}
	for i, op := range opsSeen {
		y := top + 10 + 18*i
		fmt.Fprintf(&b, `<circle cx="%d" cy="%d" r="5" fill="%s"/>`+"\n", width-right+20, y, opColor[op])
		fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text>`+"\n", width-right+30, y+4, esc(op))
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}
