package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const tinyModel = "../../testdata/repvgg_mobileone_tiny.onnx"

// TestInspectJSONMatchesPython compares `mconv inspect --json` on the
// training-form RepVGG/MobileOne test model with the summary the onnx
// Python package gives (testdata/repvgg_mobileone_tiny.inspect.json, made by
// tools/reference/inspect_reference.py; the crosscheck regenerates and
// compares it again). The op histogram and parameter count must match
// exactly.
func TestInspectJSONMatchesPython(t *testing.T) {
	var buf bytes.Buffer
	o := inspectOptions{Model: tinyModel, JSON: true}
	if err := o.run(&buf); err != nil {
		t.Fatal(err)
	}
	var got, want map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("inspect --json is not JSON: %v\n%s", err, buf.String())
	}
	ref, err := os.ReadFile("../../testdata/repvgg_mobileone_tiny.inspect.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(ref, &want); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"opset", "inputs", "outputs", "ops", "params"} {
		if _, ok := got[k]; !ok {
			t.Errorf("inspect --json lacks key %q", k)
		}
	}
	for k, w := range want {
		if !reflect.DeepEqual(got[k], w) {
			t.Errorf("%s: mconv says %v, onnx (Python) says %v", k, got[k], w)
		}
	}
	// Hand count of the model in tools/reference/make_testdata.py: 9 Conv,
	// 12 BatchNormalization (4 parameters x 8 channels each), one Gemm.
	// stem 3x3 3->8 (216) + 1x1 (24) + 2 BN (64) = 304; stage 3x3 (576) +
	// 1x1 (64) + 3 BN (96) = 736; MobileOne 2x dw3x3 (144) + dw1x1 (8) +
	// 2x pw1x1 (128) + 7 BN (224) = 504; fc 8*10+10 = 90. Total 1634.
	if got["params"] != float64(1634) {
		t.Errorf("params = %v, want 1634 by hand count", got["params"])
	}
}

func TestInspectText(t *testing.T) {
	var buf bytes.Buffer
	o := inspectOptions{Model: tinyModel}
	if err := o.run(&buf); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"producer:   pytorch", "opsets:     ai.onnx 17", "input:      input: float32[batch,3,32,32]",
		"output:     logits: float32[batch,10]", "params:     1634 (6536 bytes)", "      12  BatchNormalization"} {
		if !strings.Contains(buf.String(), w) {
			t.Errorf("output lacks %q:\n%s", w, buf.String())
		}
	}
}

// TestInspectAndRoundtripExitCodes runs the commands through run().
func TestInspectAndRoundtripExitCodes(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "rt.onnx")
	bad := filepath.Join(dir, "bad.onnx")
	if err := os.WriteFile(bad, []byte("not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	copyIn := filepath.Join(dir, "in.onnx")
	data, err := os.ReadFile(tinyModel)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(copyIn, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		code int
	}{
		{"inspect", []string{"inspect", tinyModel}, 0},
		{"inspect json", []string{"inspect", "--json", tinyModel}, 0},
		{"inspect no args", []string{"inspect"}, 2},
		{"inspect bad flag", []string{"inspect", "--nope", tinyModel}, 2},
		{"inspect missing file", []string{"inspect", filepath.Join(dir, "missing.onnx")}, 1},
		{"inspect bad file", []string{"inspect", bad}, 1},
		{"roundtrip", []string{"roundtrip", copyIn, "-o", out}, 0},
		{"roundtrip no -o", []string{"roundtrip", copyIn}, 2},
		{"roundtrip onto input", []string{"roundtrip", copyIn, "-o", copyIn}, 2},
		{"roundtrip bad file", []string{"roundtrip", bad, "-o", out}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := run(c.args); got != c.code {
				t.Fatalf("mconv %v: exit %d, want %d", c.args, got, c.code)
			}
		})
	}
	after, err := os.ReadFile(copyIn)
	if err != nil || !bytes.Equal(after, data) {
		t.Fatal("roundtrip -o INPUT modified the input")
	}
	if _, err := os.Stat(out); err != nil {
		t.Fatalf("roundtrip wrote nothing: %v", err)
	}
}
