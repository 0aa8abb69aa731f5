package report

import (
	"fmt"
	"html"
	"io"
	"math"
	"strconv"
	"strings"
)

// Chart sizes in SVG user units (pixels).
const (
	chartW, chartH = 760, 420
	padL, padR     = 80, 30
	padT, padB     = 50, 60
)

var palette = []string{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
	"#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd"}

var esc = html.EscapeString

// num writes a float for an attribute: shortest form that reads back exactly.
func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// niceAxis returns a step of 1, 2 or 5 times a power of ten and the axis
// maximum (a multiple of the step) covering max with a little headroom.
func niceAxis(max float64) (step, top float64) {
	if !(max > 0) {
		return 1, 5
	}
	raw := max * 1.1 / 5
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	switch f := raw / p; {
	case f <= 1:
		step = p
	case f <= 2:
		step = 2 * p
	case f <= 5:
		step = 5 * p
	default:
		step = 10 * p
	}
	return step, math.Ceil(max*1.1/step) * step
}

// unitOf picks the decimal prefix for an axis whose largest value is max.
func unitOf(max float64) (div float64, prefix string) {
	switch {
	case max >= 1e9:
		return 1e9, "G"
	case max >= 1e6:
		return 1e6, "M"
	case max >= 1e3:
		return 1e3, "k"
	}
	return 1, ""
}

// scatter draws latency (median, whisker to p90) against x(m), linear axes
// from 0 (the latency axis covers the medians), one labelled point per model. id names the chart; xName and
// xUnit say what x counts ("MACs per image", "MACs").
func scatter(b *strings.Builder, r *Report, id, title, xName, xUnit string, x func(m *Model) float64) {
	maxX, maxY := 0.0, 0.0
	for i := range r.Models {
		m := &r.Models[i]
		maxX = math.Max(maxX, x(m))
		maxY = math.Max(maxY, m.LatencyMedianMS)
	}
	div, prefix := unitOf(maxX)
	xs, xTop := niceAxis(maxX)
	ys, yTop := niceAxis(maxY)
	pw, ph := float64(chartW-padL-padR), float64(chartH-padT-padB)
	xOf := func(v float64) float64 { return padL + pw*v/xTop }
	yOf := func(v float64) float64 { return padT + ph*(1-v/yTop) }
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" id="%s" class="chart scatter" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", id, chartW, chartH, chartW, chartH)
	fmt.Fprintf(b, `<rect x="0" y="0" width="%d" height="%d" fill="white"/>`+"\n", chartW, chartH)
	fmt.Fprintf(b, `<text x="%d" y="25" font-size="15">%s</text>`+"\n", padL, esc(title))
	for v := 0.0; v <= xTop*(1+1e-9); v += xs {
		px := xOf(v)
		fmt.Fprintf(b, `<g class="xtick" data-value="%s"><line x1="%.2f" y1="%d" x2="%.2f" y2="%d" stroke="#ddd"/><text x="%.2f" y="%d" text-anchor="middle">%s</text></g>`+"\n",
			num(v), px, padT, px, chartH-padB, px, chartH-padB+16, esc(strconv.FormatFloat(v/div, 'g', 4, 64)))
	}
	for v := 0.0; v <= yTop*(1+1e-9); v += ys {
		py := yOf(v)
		fmt.Fprintf(b, `<g class="ytick" data-value="%s"><line x1="%d" y1="%.2f" x2="%d" y2="%.2f" stroke="#ddd"/><text x="%d" y="%.2f" text-anchor="end">%s</text></g>`+"\n",
			num(v), padL, py, chartW-padR, py, padL-6, py+4, esc(strconv.FormatFloat(v, 'g', 4, 64)))
	}
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%.0f" height="%.0f" fill="none" stroke="black"/>`+"\n", padL, padT, pw, ph)
	fmt.Fprintf(b, `<text class="xlabel" x="%.0f" y="%d" text-anchor="middle">%s</text>`+"\n", padL+pw/2, chartH-18, esc(fmt.Sprintf("%s (%s%s)", xName, prefix, xUnit)))
	fmt.Fprintf(b, `<text class="ylabel" x="18" y="%.0f" text-anchor="middle" transform="rotate(-90 18 %.0f)">latency, batch 1 (ms): median, whisker to p90</text>`+"\n", padT+ph/2, padT+ph/2)
	// labels avoid the points and their whiskers, then each other
	var placed []box
	for i := range r.Models {
		m := &r.Models[i]
		px, py, p90 := xOf(x(m)), yOf(m.LatencyMedianMS), yOf(math.Min(m.LatencyP90MS, yTop))
		placed = append(placed, box{px - 6, py - 6, px + 6, py + 6}, box{px - 1, p90, px + 1, py})
	}
	for i := range r.Models {
		m := &r.Models[i]
		// the axis covers the medians; a p90 whisker above it is cut at the frame
		px, py, p90 := xOf(x(m)), yOf(m.LatencyMedianMS), yOf(math.Min(m.LatencyP90MS, yTop))
		c := palette[i%len(palette)]
		fmt.Fprintf(b, `<g class="point" data-model="%s" data-x="%s" data-y="%s" data-p90="%s">`, esc(m.Name), num(x(m)), num(m.LatencyMedianMS), num(m.LatencyP90MS))
		fmt.Fprintf(b, `<line x1="%.2f" y1="%.2f" x2="%.2f" y2="%.2f" stroke="%s"/>`, px, py, px, p90, c)
		fmt.Fprintf(b, `<circle cx="%.2f" cy="%.2f" r="5" fill="%s"><title>%s</title></circle>`, px, py, c,
			esc(fmt.Sprintf("%s: %s %s, %.3f ms median, %.3f ms p90", m.Name, si(x(m)), xUnit, m.LatencyMedianMS, m.LatencyP90MS)))
		lx, ly, anchor := labelSpot(&placed, px, py, m.Name, float64(padL)+pw)
		fmt.Fprintf(b, `<text x="%.2f" y="%.2f" text-anchor="%s">%s</text></g>`+"\n", lx, ly, anchor, esc(m.Name))
	}
	b.WriteString("</svg>\n")
}

// opBars draws one horizontal stacked bar per model: its time split by op
// type (TimeByOp), one colour per op across models, with a legend.
func opBars(b *strings.Builder, r *Report) {
	colour := map[string]string{}
	var ops []string
	maxT := 0.0
	for i := range r.Models {
		t := 0.0
		for _, o := range r.Models[i].TimeByOp {
			if _, ok := colour[o.Op]; !ok {
				colour[o.Op] = palette[len(colour)%len(palette)]
				ops = append(ops, o.Op)
			}
			t += o.TimeMS
		}
		maxT = math.Max(maxT, t)
	}
	const barH, gap = 26, 14
	legendW := 40
	for op := range colour {
		legendW = max(legendW, 40+7*len(op))
	}
	h := padT + padB + len(r.Models)*(barH+gap) + 20
	h = max(h, padT+padB+18*len(ops))
	labelW := 160
	pw := float64(chartW + legendW - labelW - padR - legendW)
	step, top := niceAxis(maxT)
	xOf := func(v float64) float64 { return float64(labelW) + pw*v/top }
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" id="time-by-op" class="chart bars" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", chartW+legendW, h, chartW+legendW, h)
	fmt.Fprintf(b, `<rect x="0" y="0" width="%d" height="%d" fill="white"/>`+"\n", chartW+legendW, h)
	fmt.Fprintf(b, `<text x="%d" y="25" font-size="15">%s</text>`+"\n", labelW, esc(fmt.Sprintf("time by op type, batch 1 (sum of per-layer medians, %s)", threads(r.Threads))))
	axisY := h - padB + 4
	for v := 0.0; v <= top*(1+1e-9); v += step {
		px := xOf(v)
		fmt.Fprintf(b, `<g class="xtick" data-value="%s"><line x1="%.2f" y1="%d" x2="%.2f" y2="%d" stroke="#ddd"/><text x="%.2f" y="%d" text-anchor="middle">%s</text></g>`+"\n",
			num(v), px, padT, px, axisY, px, axisY+16, esc(strconv.FormatFloat(v, 'g', 4, 64)))
	}
	fmt.Fprintf(b, `<text class="xlabel" x="%.0f" y="%d" text-anchor="middle">time per image (ms)</text>`+"\n", float64(labelW)+pw/2, h-18)
	for i := range r.Models {
		m := &r.Models[i]
		y := padT + 10 + i*(barH+gap)
		total := 0.0
		for _, o := range m.TimeByOp {
			total += o.TimeMS
		}
		fmt.Fprintf(b, `<g class="bar" data-model="%s" data-total-ms="%s"><text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", esc(m.Name), num(total), labelW-6, y+barH/2+4, esc(m.Name))
		x := 0.0
		for _, o := range m.TimeByOp {
			fmt.Fprintf(b, `<rect class="seg" data-op="%s" data-ms="%s" x="%.3f" y="%d" width="%.3f" height="%d" fill="%s"><title>%s</title></rect>`+"\n",
				esc(o.Op), num(o.TimeMS), xOf(x), y, xOf(x+o.TimeMS)-xOf(x), barH, colour[o.Op],
				esc(fmt.Sprintf("%s %s: %.4f ms (%d layers, %.1f%%)", m.Name, o.Op, o.TimeMS, o.Layers, 100*o.TimeMS/total)))
			x += o.TimeMS
		}
		fmt.Fprintf(b, `<text x="%.2f" y="%d">%.3f ms</text></g>`+"\n", xOf(total)+4, y+barH/2+4, total)
	}
	lx := chartW + 10
	for i, op := range ops {
		y := padT + 10 + 18*i
		fmt.Fprintf(b, `<g class="legend" data-op="%s"><rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d">%s</text></g>`+"\n", esc(op), lx, y, colour[op], lx+18, y+10, esc(op))
	}
	b.WriteString("</svg>\n")
}

// charts writes the three charts as sibling <svg> elements.
func charts(r *Report) []string {
	var a, p, o strings.Builder
	scatter(&a, r, "latency-vs-macs", fmt.Sprintf("latency vs MACs (%s)", threads(r.Threads)), "MACs per image", "MACs", func(m *Model) float64 { return float64(m.MACs) })
	scatter(&p, r, "latency-vs-params", fmt.Sprintf("latency vs parameters (%s)", threads(r.Threads)), "parameters", "params", func(m *Model) float64 { return float64(m.Params) })
	opBars(&o, r)
	return []string{a.String(), p.String(), o.String()}
}

// WriteSVG writes one SVG document holding the three charts stacked
// vertically (nested <svg> elements with ids latency-vs-macs,
// latency-vs-params and time-by-op).
func WriteSVG(w io.Writer, r *Report) error {
	cs := charts(r)
	var b strings.Builder
	y, width := 0, 0
	var body strings.Builder
	for _, c := range cs {
		// each chart's own width and height attributes
		var cw, ch int
		fmt.Sscanf(c[strings.Index(c, `width="`):], `width="%d" height="%d"`, &cw, &ch)
		body.WriteString(strings.Replace(c, "<svg ", fmt.Sprintf(`<svg x="0" y="%d" `, y), 1))
		y += ch
		width = max(width, cw)
	}
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n")
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">`+"\n", width, y, width, y)
	b.WriteString(body.String())
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// threads says "1 thread" or "N threads".
func threads(n int) string {
	if n == 1 {
		return "1 thread"
	}
	return fmt.Sprintf("%d threads", n)
}

// box is a placed label's extent.
type box struct{ x0, y0, x1, y1 float64 }

// labelSpot places a point's label (12px sans-serif, about 7px a
// character) right of the point, or left of it near the right edge, trying
// a few heights until it overlaps no label placed before.
func labelSpot(placed *[]box, px, py float64, text string, right float64) (x, y float64, anchor string) {
	w := 7 * float64(len(text))
	x, anchor = px+8, "start"
	x0 := x
	if px+8+w > right {
		x, anchor, x0 = px-8, "end", px-8-w
	}
	for _, dy := range []float64{-6, 16, -20, 30, -34, 44} {
		y = py + dy
		bx := box{x0, y - 12, x0 + w, y + 2}
		free := true
		for _, o := range *placed {
			if bx.x0 < o.x1 && o.x0 < bx.x1 && bx.y0 < o.y1 && o.y0 < bx.y1 {
				free = false
				break
			}
		}
		if free {
			*placed = append(*placed, bx)
			return x, y, anchor
		}
	}
	y = py - 6
	return x, y, anchor
}
