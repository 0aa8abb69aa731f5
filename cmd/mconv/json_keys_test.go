package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/onnx"
)

// objectKeys returns the keys of the JSON object in data in the order they
// appear, and the raw value of each.
func objectKeys(t *testing.T, data []byte) ([]string, map[string]json.RawMessage) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object (%v): %.200s", err, data)
	}
	var keys []string
	vals := map[string]json.RawMessage{}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		vals[k.(string)] = raw
	}
	return keys, vals
}

// firstElem returns the first element of the JSON array raw.
func firstElem(t *testing.T, raw json.RawMessage) []byte {
	t.Helper()
	var a []json.RawMessage
	if err := json.Unmarshal(raw, &a); err != nil || len(a) == 0 {
		t.Fatalf("not a non-empty array (%v): %.200s", err, raw)
	}
	return a[0]
}

func checkKeys(t *testing.T, what string, data []byte, want string) map[string]json.RawMessage {
	t.Helper()
	keys, vals := objectKeys(t, data)
	if got := strings.Join(keys, " "); got != want {
		t.Errorf("%s keys:\n got %s\nwant %s", what, got, want)
	}
	return vals
}

// The documented --json layouts (README.md, "Efficiency metrics" sections
// "mconv stats --json" and "mconv bench"): every key present, in this
// order, so scripts may rely on them. The key lists are copied from the
// documentation, not from the output.
const (
	statsKeys = "model inputs params param_bytes params_by_dtype buffers buffer_bytes constants macs flops " +
		"memory_access_bytes arithmetic_intensity peak_activation_bytes bytes_per_float warnings layers"
	statsLayerKeys = "name op output output_shape params buffers macs flops input_bytes output_bytes " +
		"weight_bytes memory_access_bytes arithmetic_intensity"
	statsInputKeys   = "name dtype shape"
	statsDTypeKeys   = "dtype elements bytes"
	benchKeys        = "model threads kernels latency_batch1 throughput peak_rss_bytes planned_activation_bytes macs flops gflops_per_s profile"
	benchStatsKeys   = "runs median_ms p90_ms min_ms max_ms mean_ms"
	benchThruKeys    = "batch stats batches_per_s images_per_s gflops_per_s"
	benchProfileKeys = "name op kernel time_ms timed macs flops memory_access_bytes"
	compareKeys      = "models latency_ratio throughput_ratio"
)

func TestStatsJSONKeysDocumented(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    statsOptions
	}{
		{"plan", statsOptions{planOpts: planOpts{Threads: 1}, Paths: []string{statsMLP}, JSON: true, Batch: 1}},
		// Without a runtime plan the key is still there (null).
		{"no plan", statsOptions{planOpts: planOpts{Threads: 1}, Paths: []string{statsMLP}, JSON: true, Batch: 1, NoPlan: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			o := tc.o
			if err := o.run(&buf); err != nil {
				t.Fatal(err)
			}
			vals := checkKeys(t, "stats", buf.Bytes(), statsKeys)
			checkKeys(t, "stats layer", firstElem(t, vals["layers"]), statsLayerKeys)
			checkKeys(t, "stats input", firstElem(t, vals["inputs"]), statsInputKeys)
			checkKeys(t, "stats params_by_dtype", firstElem(t, vals["params_by_dtype"]), statsDTypeKeys)
			if w := string(vals["warnings"]); w != "[]" {
				t.Errorf("warnings = %s, want [] (a list, never null)", w)
			}
			if p := string(vals["peak_activation_bytes"]); (p == "null") != o.NoPlan {
				t.Errorf("peak_activation_bytes = %s with NoPlan=%v", p, o.NoPlan)
			}
		})
	}
	// Two models: {"models": [A, B]}, each with the single-model layout.
	var buf bytes.Buffer
	o := &statsOptions{planOpts: planOpts{Threads: 1}, Paths: []string{statsMLP, statsOps}, JSON: true, Batch: 1, NoPlan: true}
	if err := o.run(&buf); err != nil {
		t.Fatal(err)
	}
	vals := checkKeys(t, "stats A B", buf.Bytes(), "models")
	checkKeys(t, "stats A B models[0]", firstElem(t, vals["models"]), statsKeys)
}

func TestBenchJSONKeysDocumented(t *testing.T) {
	var out bytes.Buffer
	o := &benchOptions{Path: statsMLP, planOpts: planOpts{Threads: 1}, Batch: 2, Runs: 2, Warmup: 0, JSON: true, Profile: true}
	if err := o.run(&out); err != nil {
		t.Fatal(err)
	}
	vals := checkKeys(t, "bench", out.Bytes(), benchKeys)
	checkKeys(t, "bench latency_batch1", vals["latency_batch1"], benchStatsKeys)
	tv := checkKeys(t, "bench throughput", vals["throughput"], benchThruKeys)
	checkKeys(t, "bench throughput stats", tv["stats"], benchStatsKeys)
	checkKeys(t, "bench profile", firstElem(t, vals["profile"]), benchProfileKeys)

	out.Reset()
	o = &benchOptions{Path: statsMLP, Compare: statsMLP, planOpts: planOpts{Threads: 1}, Batch: 2, Runs: 2, Warmup: 0, JSON: true}
	if err := o.run(&out); err != nil {
		t.Fatal(err)
	}
	vals = checkKeys(t, "bench --compare", out.Bytes(), compareKeys)
	// Without --profile the per-model layout drops only "profile".
	checkKeys(t, "bench --compare models[0]", firstElem(t, vals["models"]), strings.TrimSuffix(benchKeys, " profile"))
}

// TestBenchProgressPolicy: the progress line goes to stderr only when
// stderr is a terminal, and never when --json output goes to a pipe or
// file (stdout not a terminal).
func TestBenchProgressPolicy(t *testing.T) {
	for _, tc := range []struct {
		stderrTTY, stdoutTTY, json, want bool
	}{
		{true, true, false, true},
		{true, false, false, true}, // text to a pipe: progress still on the terminal
		{true, true, true, true},   // JSON on the terminal
		{true, false, true, false}, // JSON to a pipe: none
		{false, true, false, false},
		{false, false, true, false},
	} {
		if got := benchWantsProgress(tc.stderrTTY, tc.stdoutTTY, tc.json); got != tc.want {
			t.Errorf("stderr tty %v, stdout tty %v, json %v: progress %v, want %v", tc.stderrTTY, tc.stdoutTTY, tc.json, got, tc.want)
		}
	}
}

// TestBenchProfileText: --profile prints per-layer time next to per-layer
// MACs, FLOPs and bytes, one row per node of mlp.onnx (mm1, add1, ...).
func TestBenchProfileText(t *testing.T) {
	var out bytes.Buffer
	o := &benchOptions{Path: statsMLP, planOpts: planOpts{Threads: 1}, Batch: 2, Runs: 2, Warmup: 0, Profile: true}
	if err := o.run(&out); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"time ms", "MACs", "FLOPs", "bytes", "mm1", "add1", "3456", "total (sum of node times)"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("profile output lacks %q:\n%s", w, out.String())
		}
	}
}

// TestBenchDefaults: without flags, latency is at batch 1 and throughput
// at batch 8 (the defaults).
func TestBenchDefaults(t *testing.T) {
	f := newBenchCmd().Flags()
	if d := f.Lookup("batch").DefValue; d != "8" {
		t.Errorf("--batch default %s, want 8", d)
	}
}

// TestBenchThroughputUnavailable: a model fixed to batch 1 by a constant
// Reshape target cannot run at batch 8; bench still reports latency, and
// the JSON has "throughput": null with the reason.
func TestBenchThroughputUnavailable(t *testing.T) {
	g := ir.NewGraph("fixed")
	x := g.AddInput("x", ir.TensorOf(ir.Float32, 1, 2, 3))
	shape := g.AddConst("shape", ir.NewInt64([]int64{2}, []int64{1, 6}))
	r := g.AddNode("Reshape", "reshape", []*ir.Value{x, shape}, "flat")
	y := g.AddNode("Relu", "relu", []*ir.Value{r.Outputs[0]}, "y")
	g.AddOutput(y.Outputs[0])
	m := &ir.Model{IRVersion: 8, Opsets: []ir.OpsetImport{{Domain: "", Version: 17}}, Graph: g}
	if err := ir.InferShapes(m); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "fixed.onnx")
	if err := onnx.Save(m, path); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	o := &benchOptions{Path: path, planOpts: planOpts{Threads: 1}, Batch: 8, Runs: 2, Warmup: 0, JSON: true}
	if err := o.run(&out); err != nil {
		t.Fatal(err)
	}
	_, vals := objectKeys(t, out.Bytes())
	if string(vals["throughput"]) != "null" || len(vals["throughput_error"]) < 3 {
		t.Errorf("throughput %s, throughput_error %s; want null and a reason", vals["throughput"], vals["throughput_error"])
	}
	var lat struct {
		Runs int `json:"runs"`
	}
	if err := json.Unmarshal(vals["latency_batch1"], &lat); err != nil || lat.Runs != 2 {
		t.Errorf("latency_batch1 %s", vals["latency_batch1"])
	}
}
