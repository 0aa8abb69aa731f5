package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mconv/mconv/internal/testenv"
)

const (
	statsOps = "../../ir/metrics/testdata/ops.onnx"
	statsMLP = "../../ir/metrics/testdata/mlp.onnx"
)

// reference reads the independent Python count of a testdata model
// (tools/reference/count_reference.py, ir/metrics/testdata/reference_counts.json).
func reference(t *testing.T, rel string) map[string]any {
	t.Helper()
	data, err := os.ReadFile("../../ir/metrics/testdata/reference_counts.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Models map[string]map[string]any `json:"models"`
	}
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	m, ok := ref.Models[rel]
	if !ok {
		t.Fatalf("%s not in reference_counts.json", rel)
	}
	return m
}

func TestStatsJSONMatchesReference(t *testing.T) {
	for _, tc := range []struct{ path, rel string }{
		{statsOps, "ir/metrics/testdata/ops.onnx"},
		{statsMLP, "ir/metrics/testdata/mlp.onnx"},
	} {
		t.Run(tc.rel, func(t *testing.T) {
			var buf bytes.Buffer
			o := &statsOptions{planOpts: planOpts{Threads: 1}, Paths: []string{tc.path}, JSON: true, Batch: 1}
			if err := o.run(&buf); err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
				t.Fatalf("bad JSON: %v\n%s", err, buf.String())
			}
			want := reference(t, tc.rel)
			for _, k := range []string{"params", "buffers", "macs", "flops", "memory_access_bytes"} {
				if got[k] != want[k] {
					t.Errorf("%s = %v, reference %v", k, got[k], want[k])
				}
			}
			if _, ok := got["peak_activation_bytes"]; !ok {
				t.Error("peak_activation_bytes missing")
			}
		})
	}
}

func TestStatsOutputs(t *testing.T) {
	tests := []struct {
		name string
		o    statsOptions
		want []string
	}{
		{"text", statsOptions{planOpts: planOpts{Threads: 1}, Paths: []string{statsOps}}, []string{"MACs", "65,500", "conventions:", "BN buffers"}},
		{"per-layer", statsOptions{planOpts: planOpts{Threads: 1}, Paths: []string{statsOps}, PerLayer: true}, []string{"conv_grouped_dilated", "[1,8,8,14]", "16128",
			// the columns the issue names: name, op, output shape, params, MACs, bytes moved, intensity
			"name", "op", "output shape", "params", "MACs", "bytes moved", "FLOP/B"}},
		{"side by side", statsOptions{planOpts: planOpts{Threads: 1}, Paths: []string{statsOps, statsMLP}}, []string{"ops.onnx", "mlp.onnx", "ratio"}},
		{"side by side json", statsOptions{planOpts: planOpts{Threads: 1}, Paths: []string{statsOps, statsMLP}, JSON: true}, []string{`"models": [`}},
		// --fp16 halves float bytes: the JSON reports 2 bytes per float.
		{"fp16", statsOptions{planOpts: planOpts{Threads: 1}, Paths: []string{statsMLP}, JSON: true, FP16: true}, []string{`"bytes_per_float": 2`}},
		// --batch 3 fixes the symbolic batch of ops.onnx to 3.
		{"batch", statsOptions{planOpts: planOpts{Threads: 1}, Paths: []string{statsOps}, JSON: true, Batch: 3, BatchSet: true}, []string{"196500"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			o := tc.o
			if o.Batch == 0 {
				o.Batch = 1
			}
			if err := o.run(&buf); err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(buf.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, buf.String())
				}
			}
		})
	}
}

func TestStatsExitCodes(t *testing.T) {
	tests := []struct {
		args []string
		code int
	}{
		{[]string{"stats"}, 2},
		{[]string{"stats", "a", "b", "c"}, 2},
		{[]string{"stats", "--fuse", statsOps, statsMLP}, 2},
		{[]string{"stats", "--batch", "0", statsOps}, 2},
		{[]string{"stats", "--bogus", statsOps}, 2},
		{[]string{"stats", "does-not-exist.onnx"}, 1},
		{[]string{"stats", "--json", "--no-plan", statsMLP}, 0},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			if got := run(tc.args); got != tc.code {
				t.Errorf("exit %d, want %d", got, tc.code)
			}
		})
	}
}

// `stats --fuse` on every training-form fixture: the fused form has no BN
// buffers and the MACs of the PyTorch-reparameterized deploy.onnx as the
// independent Python count gives them (reference_counts.json), and no
// more params than it (mconv also folds FastViT's layer scale, which timm's
// deploy form keeps as a separate constant).
func TestStatsFuseMatchesDeployReference(t *testing.T) {
	models := testenv.Glob(t, "../../testdata/golden/*/*/model.onnx")
	for _, p := range models {
		rel := strings.TrimPrefix(filepath.ToSlash(p), "../../")
		t.Run(rel, func(t *testing.T) {
			deploy := reference(t, strings.TrimSuffix(rel, "model.onnx")+"deploy.onnx")
			var buf bytes.Buffer
			o := &statsOptions{planOpts: planOpts{Threads: 1}, Paths: []string{p}, JSON: true, Fuse: true, Batch: 1, NoPlan: true}
			if err := o.run(&buf); err != nil {
				t.Fatal(err)
			}
			var got struct {
				Models []struct {
					Params, Buffers, MACs int64
				} `json:"models"`
			}
			if err := json.Unmarshal(buf.Bytes(), &got); err != nil || len(got.Models) != 2 {
				t.Fatalf("bad JSON (%v): %s", err, buf.String())
			}
			f := got.Models[1]
			if f.MACs != int64(deploy["macs"].(float64)) {
				t.Errorf("fused MACs %d, deploy.onnx %v", f.MACs, deploy["macs"])
			}
			if f.Params > int64(deploy["params"].(float64)) || f.Buffers != 0 {
				t.Errorf("fused params %d buffers %d, deploy.onnx params %v", f.Params, f.Buffers, deploy["params"])
			}
		})
	}
}
