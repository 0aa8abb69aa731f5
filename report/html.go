package report

import (
	"fmt"
	"io"
	"strings"
)

// style is the page's only styling, inline: no external sheet or script.
const style = `body{font-family:sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:right;font-size:13px}
th{background:#f3f3f3}
td.name{text-align:left}
svg.chart{display:block;margin:1em 0}`

// WriteHTML writes one self-contained HTML page (well-formed XML as well:
// every element closed): the comparison table, the three charts as inline
// SVG, and each model's per-layer table. Table cells carry their exact
// value in data-value.
func WriteHTML(w io.Writer, r *Report) error {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n")
	fmt.Fprintf(&b, "<title>%s</title>\n<style>\n%s\n</style>\n</head>\n<body>\n", esc(r.Title), style)
	fmt.Fprintf(&b, "<h1>%s</h1>\n", esc(r.Title))
	fmt.Fprintf(&b, "<p>Latency at batch 1 and throughput with %s, %d timed runs each, the models run alternately. Static figures as <code>mconv stats</code> counts them.</p>\n", threads(r.Threads), r.Runs)
	b.WriteString("<table id=\"models\">\n<tr><th>model</th>")
	for _, c := range columns {
		fmt.Fprintf(&b, "<th>%s</th>", esc(r.header(c)))
	}
	b.WriteString("</tr>\n")
	for i := range r.Models {
		m := &r.Models[i]
		fmt.Fprintf(&b, "<tr data-model=\"%s\"><td class=\"name\">%s</td>", esc(m.Name), esc(m.Name))
		for _, c := range columns {
			if v, ok := c.value(m); ok {
				fmt.Fprintf(&b, "<td data-value=\"%s\">%s</td>", num(v), esc(c.text(v)))
			} else {
				b.WriteString("<td>n/a</td>")
			}
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</table>\n<h2>Charts</h2>\n")
	for _, c := range charts(r) {
		b.WriteString(c)
	}
	b.WriteString("<h2>Per-layer profiles</h2>\n<p>Time: median over the profiled runs at batch 1; - : no step of its own (fused into the preceding Conv/Gemm, or evaluated at plan time).</p>\n")
	for i := range r.Models {
		m := &r.Models[i]
		fmt.Fprintf(&b, "<h3>%s</h3>\n<table class=\"layers\" data-model=\"%s\">\n", esc(m.Name), esc(m.Name))
		b.WriteString("<tr><th>layer</th><th>op</th><th>time ms</th><th>MACs</th><th>FLOPs</th><th>bytes</th><th>GFLOP/s</th></tr>\n")
		for _, l := range m.Layers {
			t, gf := "<td>-</td>", "<td></td>"
			if l.Timed {
				t = fmt.Sprintf("<td data-value=\"%s\">%.4f</td>", num(l.TimeMS), l.TimeMS)
				if l.TimeMS > 0 && l.FLOPs > 0 {
					v := float64(l.FLOPs) / (l.TimeMS * 1e6)
					gf = fmt.Sprintf("<td data-value=\"%s\">%.2f</td>", num(v), v)
				}
			}
			fmt.Fprintf(&b, "<tr><td class=\"name\">%s</td><td class=\"name\">%s</td>%s<td data-value=\"%d\">%d</td><td data-value=\"%d\">%d</td><td data-value=\"%d\">%d</td>%s</tr>\n",
				esc(l.Name), esc(l.Op), t, l.MACs, l.MACs, l.FLOPs, l.FLOPs, l.MemoryAccessBytes, l.MemoryAccessBytes, gf)
		}
		b.WriteString("</table>\n")
	}
	b.WriteString("</body>\n</html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}
