package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mconv/mconv/runtime/kernels"
)

func TestBenchJSONAndSVG(t *testing.T) {
	dir := t.TempDir()
	svg := filepath.Join(dir, "chart.svg")
	var out, progress bytes.Buffer
	o := &benchOptions{Path: statsMLP, planOpts: planOpts{Threads: 1}, Batch: 4, Runs: 3, Warmup: 1, JSON: true, Profile: true, SVG: svg, Progress: &progress}
	if err := o.run(&out); err != nil {
		t.Fatal(err)
	}
	var r benchResult
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, out.String())
	}
	if r.Latency.Runs != 3 || r.Latency.MedianMS <= 0 || r.Latency.MinMS > r.Latency.MedianMS || r.Latency.MedianMS > r.Latency.MaxMS {
		t.Errorf("latency %+v", r.Latency)
	}
	if r.Kernels != kernels.KernelPath() {
		t.Errorf("kernels %q, want %q", r.Kernels, kernels.KernelPath())
	}
	if r.Throughput == nil || r.Throughput.Batch != 4 || r.Throughput.ImagesPerS <= 0 {
		t.Fatalf("throughput %+v (%s)", r.Throughput, r.ThroughputError)
	}
	// images/s = batch x batches/s = batch x 1000 / median ms.
	if got, want := r.Throughput.ImagesPerS, 4*1000/r.Throughput.Stats.MedianMS; !near(got, want) {
		t.Errorf("images/s %v, want %v", got, want)
	}
	// mlp.onnx at batch 1: 9*12*32 + 9*32*7 MACs (MatMul [1,9,12]x[12,32], [1,9,32]x[32,7]).
	if r.MACs != 9*12*32+9*32*7 {
		t.Errorf("MACs %d", r.MACs)
	}
	if r.PeakRSSBytes <= 0 || r.PlannedActivationBytes <= 0 || r.GFLOPS <= 0 {
		t.Errorf("rss %d planned %d GFLOP/s %v", r.PeakRSSBytes, r.PlannedActivationBytes, r.GFLOPS)
	}
	if len(r.Profile) != 4 {
		t.Errorf("profile rows %d, want 4 (one per node)", len(r.Profile))
	}
	if !strings.Contains(progress.String(), "run 3/3") {
		t.Errorf("progress %q", progress.String())
	}
	f, err := os.Open(svg)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := xml.NewDecoder(f)
	root := ""
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not valid XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
	if root != "svg" {
		t.Errorf("root element %q", root)
	}
}

func TestBenchCompareText(t *testing.T) {
	var out bytes.Buffer
	o := &benchOptions{Path: statsMLP, Compare: statsMLP, planOpts: planOpts{Threads: 1}, Batch: 2, Runs: 2, Warmup: 0}
	if err := o.run(&out); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"latency, batch 1", "throughput, batch 2", "ratio of medians", "run alternately"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("output lacks %q:\n%s", w, out.String())
		}
	}
}

func TestBenchExitCodes(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"bench"}, 2},
		{[]string{"bench", "--runs", "0", statsMLP}, 2},
		{[]string{"bench", "nope.onnx"}, 1},
	} {
		if got := run(tc.args); got != tc.code {
			t.Errorf("%v: exit %d, want %d", tc.args, got, tc.code)
		}
	}
}

func near(a, b float64) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	return d <= 1e-9*(1+b)
}

// bench --fuse runs a training-form fixture against its fused form; the
// fused side has the MACs of the PyTorch deploy form (independent count).
func TestBenchFuse(t *testing.T) {
	const rel = "testdata/golden/repvgg_ident/torchscript/"
	var out bytes.Buffer
	o := &benchOptions{Path: "../../" + rel + "model.onnx", Fuse: true, planOpts: planOpts{Threads: 1}, Batch: 2, Runs: 2, Warmup: 0, JSON: true}
	if err := o.run(&out); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Models       []benchResult `json:"models"`
		LatencyRatio float64       `json:"latency_ratio"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil || len(got.Models) != 2 {
		t.Fatalf("bad JSON (%v): %s", err, out.String())
	}
	want := int64(reference(t, rel+"deploy.onnx")["macs"].(float64))
	if got.Models[1].MACs != want || !strings.HasSuffix(got.Models[1].Model, "(fused)") {
		t.Errorf("fused %q MACs %d, deploy form %d", got.Models[1].Model, got.Models[1].MACs, want)
	}
	if got.Models[0].MACs <= want {
		t.Errorf("training form MACs %d not above the fused %d", got.Models[0].MACs, want)
	}
	if got.LatencyRatio <= 0 {
		t.Errorf("latency ratio %v", got.LatencyRatio)
	}
	if code := run([]string{"bench", "--fuse", "--compare", "x.onnx", "y.onnx"}); code != 2 {
		t.Errorf("--fuse with --compare: exit %d, want 2", code)
	}
}
