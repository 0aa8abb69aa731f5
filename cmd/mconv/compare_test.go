package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/mconv/mconv/ir/metrics"
)

// xnode is a generic XML element, for reading the SVG and HTML back.
type xnode struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Nodes   []xnode    `xml:",any"`
	Text    string     `xml:",chardata"`
}

func (n *xnode) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (n *xnode) has(name string) bool {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return true
		}
	}
	return false
}

// find returns the descendants (n included) that match.
func (n *xnode) find(match func(*xnode) bool) []*xnode {
	var out []*xnode
	if match(n) {
		out = append(out, n)
	}
	for i := range n.Nodes {
		out = append(out, n.Nodes[i].find(match)...)
	}
	return out
}

// text is n's text with its descendants'.
func (n *xnode) text() string {
	s := n.Text
	for i := range n.Nodes {
		s += n.Nodes[i].text()
	}
	return s
}

func byName(local string) func(*xnode) bool {
	return func(n *xnode) bool { return n.XMLName.Local == local }
}

func byClass(local, class string) func(*xnode) bool {
	return func(n *xnode) bool {
		return n.XMLName.Local == local && strings.Contains(" "+n.attr("class")+" ", " "+class+" ")
	}
}

// parseXML parses b strictly (encoding/xml's default: every element
// closed, attributes quoted, entities known).
func parseXML(t *testing.T, what string, b []byte) *xnode {
	t.Helper()
	var root xnode
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	if err := d.Decode(&root); err != nil {
		t.Fatalf("%s is not well-formed: %v", what, err)
	}
	return &root
}

func fattr(t *testing.T, n *xnode, name string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(n.attr(name), 64)
	if err != nil {
		t.Fatalf("<%s> %s=%q: %v", n.XMLName.Local, name, n.attr(name), err)
	}
	return v
}

func sameNum(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// shownMatches reports whether a table cell's text ("7.69 k", "0.60",
// "0.131") shows v to its printed precision; mib: the column is in MiB.
func shownMatches(text string, v float64, mib bool) bool {
	text = strings.TrimSpace(text)
	mult := 1.0
	if i := strings.IndexByte(text, ' '); i > 0 {
		mult = map[string]float64{"k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}[text[i+1:]]
		text = text[:i]
	}
	if mib {
		mult = 1 << 20
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || mult == 0 {
		return false
	}
	dec := 0
	if i := strings.IndexByte(text, '.'); i >= 0 {
		dec = len(text) - i - 1
	}
	return math.Abs(f*mult-v) <= 0.5*math.Pow(10, -float64(dec))*mult*(1+1e-9)
}

// TestCompareReport runs `mconv compare` on three golden models and reads
// every number back: the JSON's stats equal `mconv stats --json` of each
// model, its rows equal its stats and bench results (the same run), and
// the HTML table, per-layer tables and SVG marks carry exactly the JSON's
// numbers, placed on their axes.
func TestCompareReport(t *testing.T) {
	g := filepath.Join("..", "..", "testdata", "golden")
	names := []string{"mobileone_net", "repvgg_net", "mnv3_net"}
	var paths []string
	for _, n := range names {
		paths = append(paths, filepath.Join(g, n, "torchscript", "deploy.onnx"))
	}
	dir := t.TempDir()
	svgPath, htmlPath := filepath.Join(dir, "c.svg"), filepath.Join(dir, "c.html")
	var progress, out bytes.Buffer
	o := &compareOptions{Paths: paths, Batch: 8, Runs: 3, Warmup: 1, JSON: true, SVG: svgPath, HTML: htmlPath, Progress: &progress, planOpts: planOpts{Threads: 1}}
	if err := o.run(&out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(progress.String(), "compare: [3/3]") || !strings.Contains(progress.String(), "wrote "+htmlPath) {
		t.Errorf("progress:\n%s", progress.String())
	}
	var res compareResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Models) != 3 || res.Threads != 1 || res.Runs != 3 || res.Batch != 8 {
		t.Fatalf("result header %+v", res)
	}
	for i, cm := range res.Models {
		if cm.Name != names[i] {
			t.Errorf("model %d named %q, want %q", i, cm.Name, names[i])
		}
		// The stats part is `mconv stats --json` of the model.
		var want metrics.Report
		var code int
		s := captureStdout(t, func() { code = run([]string{"stats", "--json", "--threads", "1", paths[i]}) })
		if code != 0 {
			t.Fatalf("stats: exit %d", code)
		}
		if err := json.Unmarshal([]byte(s), &want); err != nil {
			t.Fatal(err)
		}
		got := *cm.Stats
		got.Model = want.Model
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: compare's stats differ from mconv stats --json", cm.Name)
		}
		b := cm.Bench
		checks := []struct {
			what      string
			got, want float64
		}{
			{"params", float64(cm.Params), float64(want.Params)},
			{"macs", float64(cm.MACs), float64(want.MACs)},
			{"flops", float64(cm.FLOPs), float64(want.FLOPs)},
			{"memory access", float64(cm.MemoryAccessBytes), float64(want.MemoryAccessBytes)},
			{"intensity", cm.Intensity, want.Intensity},
			{"peak activations", float64(cm.PeakActivationBytes), float64(*want.PeakActivationBytes)},
			{"bench flops", float64(b.FLOPs), float64(want.FLOPs)},
			{"bench planned activations", float64(b.PlannedActivationBytes), float64(*want.PeakActivationBytes)},
			{"latency median", cm.LatencyMedianMS, b.Latency.MedianMS},
			{"latency p90", cm.LatencyP90MS, b.Latency.P90MS},
			{"gflops", cm.GFLOPS, b.GFLOPS},
			{"gflops = flops / median", cm.GFLOPS, float64(want.FLOPs) / (b.Latency.MedianMS * 1e6)},
			{"latency runs", float64(b.Latency.Runs), 3},
		}
		if b.Throughput != nil {
			checks = append(checks, struct {
				what      string
				got, want float64
			}{"images/s", *cm.ImagesPerS, b.Throughput.ImagesPerS})
		} else if cm.ImagesPerS != nil || b.ThroughputError == "" {
			t.Errorf("%s: throughput missing without a reason", cm.Name)
		}
		for _, c := range checks {
			if !sameNum(c.got, c.want) {
				t.Errorf("%s: %s %v, want %v", cm.Name, c.what, c.got, c.want)
			}
		}
		// time by op: the profile's timed layers summed by op
		byOp := map[string]float64{}
		for _, l := range b.Profile {
			if l.Timed {
				byOp[l.Op] += l.TimeMS
			}
		}
		if len(byOp) != len(cm.TimeByOp) || len(b.Profile) == 0 {
			t.Errorf("%s: %d ops in time_by_op, %d in the profile", cm.Name, len(cm.TimeByOp), len(byOp))
		}
		for _, ot := range cm.TimeByOp {
			if !sameNum(ot.TimeMS, byOp[ot.Op]) {
				t.Errorf("%s: %s time %v, profile sums to %v", cm.Name, ot.Op, ot.TimeMS, byOp[ot.Op])
			}
		}
	}
	if res.Models[2].ImagesPerS != nil {
		t.Errorf("mnv3_net (constant batch-1 flatten) should have no batch-8 throughput")
	}
	checkCompareHTML(t, htmlPath, &res)
	checkCompareSVG(t, svgPath, &res)
}

func checkCompareHTML(t *testing.T, path string, res *compareResult) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	root := parseXML(t, "the HTML report", b)
	if root.XMLName.Local != "html" {
		t.Fatalf("root element %q", root.XMLName.Local)
	}
	// self-contained: no scripts, nothing fetched
	if n := root.find(func(n *xnode) bool {
		return n.XMLName.Local == "script" || n.XMLName.Local == "link" || n.XMLName.Local == "img" || n.has("src") || n.has("href")
	}); len(n) > 0 {
		t.Errorf("the HTML report refers outside itself: <%s>", n[0].XMLName.Local)
	}
	tables := root.find(func(n *xnode) bool { return n.XMLName.Local == "table" && n.attr("id") == "models" })
	if len(tables) != 1 {
		t.Fatalf("%d model tables", len(tables))
	}
	rows := tables[0].find(func(n *xnode) bool { return n.XMLName.Local == "tr" && n.has("data-model") })
	heads := tables[0].find(byName("th"))
	if len(rows) != len(res.Models) {
		t.Fatalf("%d table rows for %d models", len(rows), len(res.Models))
	}
	for i, row := range rows {
		cm := res.Models[i]
		if row.attr("data-model") != cm.Name {
			t.Errorf("row %d is %q, want %q", i, row.attr("data-model"), cm.Name)
		}
		cells := row.find(byName("td"))[1:]
		var want = []float64{float64(cm.Params), float64(cm.MACs), float64(cm.FLOPs), float64(cm.MemoryAccessBytes), cm.Intensity,
			float64(cm.PeakActivationBytes), cm.LatencyMedianMS, cm.LatencyP90MS, -1, cm.GFLOPS}
		if cm.ImagesPerS != nil {
			want[8] = *cm.ImagesPerS
		}
		if len(cells) != len(want) {
			t.Fatalf("row %s: %d cells", cm.Name, len(cells))
		}
		for j, c := range cells {
			head := heads[j+1].text()
			if want[j] < 0 {
				if c.text() != "n/a" || c.has("data-value") {
					t.Errorf("%s %s: %q, want n/a", cm.Name, head, c.text())
				}
				continue
			}
			if v := fattr(t, c, "data-value"); !sameNum(v, want[j]) {
				t.Errorf("%s %s: data-value %v, JSON %v", cm.Name, head, v, want[j])
			}
			if !shownMatches(c.text(), want[j], strings.Contains(head, "MiB")) {
				t.Errorf("%s %s: shows %q for %v", cm.Name, head, c.text(), want[j])
			}
		}
		// the per-layer table is the bench profile
		lts := root.find(func(n *xnode) bool { return n.XMLName.Local == "table" && n.attr("data-model") == cm.Name })
		if len(lts) != 1 {
			t.Fatalf("%s: %d per-layer tables", cm.Name, len(lts))
		}
		lrows := lts[0].find(byName("tr"))[1:]
		if len(lrows) != len(cm.Bench.Profile) {
			t.Fatalf("%s: %d per-layer rows, profile has %d", cm.Name, len(lrows), len(cm.Bench.Profile))
		}
		for k, lr := range lrows {
			l := cm.Bench.Profile[k]
			td := lr.find(byName("td"))
			if td[0].text() != l.Name || td[1].text() != l.Op {
				t.Errorf("%s layer %d: %q %q, want %q %q", cm.Name, k, td[0].text(), td[1].text(), l.Name, l.Op)
			}
			if l.Timed && !sameNum(fattr(t, td[2], "data-value"), l.TimeMS) {
				t.Errorf("%s layer %s: time %s, profile %v", cm.Name, l.Name, td[2].attr("data-value"), l.TimeMS)
			}
			if fattr(t, td[3], "data-value") != float64(l.MACs) || fattr(t, td[4], "data-value") != float64(l.FLOPs) || fattr(t, td[5], "data-value") != float64(l.MemoryAccessBytes) {
				t.Errorf("%s layer %s: MACs/FLOPs/bytes differ from the profile", cm.Name, l.Name)
			}
		}
	}
	if got := len(root.find(byClass("svg", "chart"))); got != 3 {
		t.Errorf("%d inline charts in the HTML, want 3", got)
	}
}

// axis fits the linear map value -> pixel from a chart's ticks (class
// xtick or ytick: data-value and the grid line's x1 or y1).
func axis(t *testing.T, chart *xnode, class, coord string) func(float64) float64 {
	t.Helper()
	ticks := chart.find(byClass("g", class))
	if len(ticks) < 2 {
		t.Fatalf("chart %s: %d %s", chart.attr("id"), len(ticks), class)
	}
	v0, v1 := fattr(t, ticks[0], "data-value"), fattr(t, ticks[len(ticks)-1], "data-value")
	l0, l1 := ticks[0].find(byName("line"))[0], ticks[len(ticks)-1].find(byName("line"))[0]
	p0, p1 := fattr(t, l0, coord), fattr(t, l1, coord)
	return func(v float64) float64 { return p0 + (p1-p0)*(v-v0)/(v1-v0) }
}

func checkCompareSVG(t *testing.T, path string, res *compareResult) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	root := parseXML(t, "the SVG", b)
	chart := func(id string) *xnode {
		cs := root.find(func(n *xnode) bool { return n.XMLName.Local == "svg" && n.attr("id") == id })
		if len(cs) != 1 {
			t.Fatalf("SVG: %d charts %q", len(cs), id)
		}
		return cs[0]
	}
	for _, sc := range []struct {
		id, unit string
		x        func(cm *compareModel) float64
	}{
		{"latency-vs-macs", "MACs", func(cm *compareModel) float64 { return float64(cm.MACs) }},
		{"latency-vs-params", "params", func(cm *compareModel) float64 { return float64(cm.Params) }},
	} {
		c := chart(sc.id)
		xl, yl := c.find(byClass("text", "xlabel")), c.find(byClass("text", "ylabel"))
		if len(xl) != 1 || !strings.Contains(xl[0].text(), sc.unit+")") || len(yl) != 1 || !strings.Contains(yl[0].text(), "(ms)") {
			t.Errorf("%s: axis labels without units", sc.id)
		}
		xOf, yOf := axis(t, c, "xtick", "x1"), axis(t, c, "ytick", "y1")
		pts := c.find(byClass("g", "point"))
		if len(pts) != len(res.Models) {
			t.Fatalf("%s: %d points", sc.id, len(pts))
		}
		for i, p := range pts {
			cm := res.Models[i]
			if p.attr("data-model") != cm.Name || !strings.Contains(p.text(), cm.Name) {
				t.Errorf("%s point %d: model %q, label %q, want %q", sc.id, i, p.attr("data-model"), p.text(), cm.Name)
			}
			if !sameNum(fattr(t, p, "data-x"), sc.x(cm)) || !sameNum(fattr(t, p, "data-y"), cm.LatencyMedianMS) || !sameNum(fattr(t, p, "data-p90"), cm.LatencyP90MS) {
				t.Errorf("%s %s: data-x/y/p90 %s %s %s, JSON %v %v %v", sc.id, cm.Name, p.attr("data-x"), p.attr("data-y"), p.attr("data-p90"), sc.x(cm), cm.LatencyMedianMS, cm.LatencyP90MS)
			}
			circ := p.find(byName("circle"))[0]
			if math.Abs(fattr(t, circ, "cx")-xOf(sc.x(cm))) > 0.02 || math.Abs(fattr(t, circ, "cy")-yOf(cm.LatencyMedianMS)) > 0.02 {
				t.Errorf("%s %s: point at (%s, %s), axes put it at (%.2f, %.2f)", sc.id, cm.Name, circ.attr("cx"), circ.attr("cy"), xOf(sc.x(cm)), yOf(cm.LatencyMedianMS))
			}
		}
	}
	c := chart("time-by-op")
	xOf := axis(t, c, "xtick", "x1")
	bars := c.find(byClass("g", "bar"))
	if len(bars) != len(res.Models) {
		t.Fatalf("time-by-op: %d bars", len(bars))
	}
	for i, bar := range bars {
		cm := res.Models[i]
		segs := bar.find(byClass("rect", "seg"))
		if bar.attr("data-model") != cm.Name || len(segs) != len(cm.TimeByOp) {
			t.Fatalf("bar %d: %q with %d segments, want %q with %d", i, bar.attr("data-model"), len(segs), cm.Name, len(cm.TimeByOp))
		}
		sum := 0.0
		for j, s := range segs {
			ot := cm.TimeByOp[j]
			if s.attr("data-op") != ot.Op || !sameNum(fattr(t, s, "data-ms"), ot.TimeMS) {
				t.Errorf("%s segment %d: %s %s ms, JSON %s %v", cm.Name, j, s.attr("data-op"), s.attr("data-ms"), ot.Op, ot.TimeMS)
			}
			if math.Abs(fattr(t, s, "x")-xOf(sum)) > 0.01 || math.Abs(fattr(t, s, "x")+fattr(t, s, "width")-xOf(sum+ot.TimeMS)) > 0.01 {
				t.Errorf("%s %s: segment [%s, +%s] off the axis", cm.Name, ot.Op, s.attr("x"), s.attr("width"))
			}
			sum += ot.TimeMS
		}
		if !sameNum(fattr(t, bar, "data-total-ms"), sum) {
			t.Errorf("%s: total %s, segments sum to %v", cm.Name, bar.attr("data-total-ms"), sum)
		}
	}
	if len(c.find(byClass("g", "legend"))) == 0 {
		t.Error("time-by-op: no legend")
	}
}

// TestCompareCommand: the text table names every model; one model, bad
// flags and an output over an input are usage errors.
func TestCompareCommand(t *testing.T) {
	g := filepath.Join("..", "..", "testdata", "golden")
	a := filepath.Join(g, "mobileone_net", "torchscript", "deploy.onnx")
	b := filepath.Join(g, "repvgg_net", "torchscript", "deploy.onnx")
	var code int
	out := captureStdout(t, func() { code = run([]string{"compare", a, b, "--runs", "2", "--warmup", "0", "--threads", "1"}) })
	if code != 0 || !strings.Contains(out, "mobileone_net") || !strings.Contains(out, "repvgg_net") || !strings.Contains(out, "latency ms (median)") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	for _, args := range [][]string{
		{"compare", a},
		{"compare", a, b, "--runs", "0"},
		{"compare", a, b, "--html", a},
		{"compare", a, b, "--threads", "-1"},
	} {
		captureStdout(t, func() { code = run(args) })
		if code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	// --fuse compares deploy forms: the fused training exports have the
	// MACs of PyTorch's deploy exports.
	var res compareResult
	out = captureStdout(t, func() {
		code = run([]string{"compare", "--fuse", "--json", "--runs", "1", "--warmup", "0", "--batch", "1", "--threads", "1",
			filepath.Join(g, "mobileone_net", "torchscript", "model.onnx"), filepath.Join(g, "repvgg_net", "torchscript", "model.onnx")})
	})
	if err := json.Unmarshal([]byte(out), &res); code != 0 || err != nil || len(res.Models) != 2 {
		t.Fatalf("compare --fuse: exit %d, %v", code, err)
	}
	for i, d := range []string{a, b} {
		var st metrics.Report
		s := captureStdout(t, func() { code = run([]string{"stats", "--json", "--no-plan", d}) })
		if err := json.Unmarshal([]byte(s), &st); err != nil {
			t.Fatal(err)
		}
		if res.Models[i].MACs != st.MACs {
			t.Errorf("compare --fuse %s: %d MACs, the deploy export has %d", res.Models[i].Name, res.Models[i].MACs, st.MACs)
		}
	}
	if got := uniqueNames([]string{"a/x/deploy.onnx", "b/x/deploy.onnx", "c/y.onnx"}); strings.Join(got, " ") != "a/x/deploy.onnx b/x/deploy.onnx c/y.onnx" {
		t.Errorf("uniqueNames: %q", got)
	}
	if got := uniqueNames([]string{"m/a/t/deploy.onnx", "m/b/t/deploy.onnx"}); strings.Join(got, " ") != "a b" {
		t.Errorf("uniqueNames: %q", got)
	}
}
