package main

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/onnx"
)

// TestExitCodes runs every mconv command through run() and checks the exit
// status contract: 0 success, 1 failure, 2 usage error. Each registered
// command must have a success case and a usage-error case, and a failure
// case unless it cannot fail (version); a new command without rows fails
// the test. Commands that write refuse an output naming one of their
// inputs (fuse -o, roundtrip -o, to-coreml -o, run -o, bench --svg,
// compare --svg and --html)
// with status 2, and the input stays byte for byte as it was.
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	// Copies of the fixtures, so that a command that wrongly overwrote its
	// input would change a file this test owns and checks.
	model := filepath.Join(dir, "tiny.onnx")
	copyFile(t, tinyModel, model)
	other := filepath.Join(dir, "other.onnx")
	copyFile(t, "../../testdata/golden/repvgg_ident/torchscript/model.onnx", other)
	// A model named like a Core ML output, so that to-coreml -o can name it.
	mlmodel := filepath.Join(dir, "self.mlmodel")
	copyFile(t, coremlFixture, mlmodel)
	bad := filepath.Join(dir, "bad.onnx")
	if err := os.WriteFile(bad, []byte("not an onnx model"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.onnx")
	// A test-data folder holding an input and the expected output: run
	// --out must not write into it.
	data := filepath.Join(dir, "test_data_set_0")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	x := make([]float32, 3*32*32)
	for i := range x {
		x[i] = float32(i%7) - 3
	}
	in := ir.NewFloat32([]int64{1, 3, 32, 32}, x)
	in.Name = "input"
	if err := onnx.WriteTensorFile(filepath.Join(data, "input_0.pb"), in); err != nil {
		t.Fatal(err)
	}
	expected := ir.NewFloat32([]int64{1, 10}, make([]float32, 10))
	expected.Name = "logits"
	if err := onnx.WriteTensorFile(filepath.Join(data, "output_0.pb"), expected); err != nil {
		t.Fatal(err)
	}
	out := func(name string) string { return filepath.Join(dir, "out", name) }
	if err := os.MkdirAll(filepath.Join(dir, "out"), 0o755); err != nil {
		t.Fatal(err)
	}
	protected := []string{model, other, mlmodel, filepath.Join(data, "input_0.pb"), filepath.Join(data, "output_0.pb")}
	before := map[string][]byte{}
	for _, p := range protected {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		before[p] = b
	}

	cases := []struct {
		cmd  string // the command the row exercises
		name string
		args []string
		code int
	}{
		{"", "no command", []string{}, 2},
		{"", "help", []string{"--help"}, 0},
		{"", "no such command", []string{"frobnicate"}, 2},
		{"", "no such command with arguments", []string{"frobnicate", model}, 2},
		{"", "unknown root flag", []string{"--frob"}, 2},

		{"version", "ok", []string{"version"}, 0},
		{"version", "extra argument", []string{"version", "x"}, 2},

		{"ops", "ok", []string{"ops"}, 0},
		{"ops", "json", []string{"ops", "--json"}, 0},
		{"ops", "extra argument", []string{"ops", model}, 2},
		{"ops", "unknown flag", []string{"ops", "--frob"}, 2},

		{"inspect", "ok", []string{"inspect", model}, 0},
		{"inspect", "json", []string{"inspect", "--json", model}, 0},
		{"inspect", "missing file", []string{"inspect", missing}, 1},
		{"inspect", "not a model", []string{"inspect", bad}, 1},
		{"inspect", "no argument", []string{"inspect"}, 2},
		{"inspect", "unknown flag", []string{"inspect", "--frob", model}, 2},

		{"roundtrip", "ok", []string{"roundtrip", model, "-o", out("rt.onnx")}, 0},
		{"roundtrip", "not a model", []string{"roundtrip", bad, "-o", out("rt2.onnx")}, 1},
		{"roundtrip", "no -o", []string{"roundtrip", model}, 2},
		{"roundtrip", "-o is the input", []string{"roundtrip", model, "-o", model}, 2},

		{"fuse", "ok", []string{"fuse", model, "-o", out("fused.onnx")}, 0},
		{"fuse", "passes none", []string{"fuse", model, "-o", out("none.onnx"), "--passes", "none"}, 0},
		{"fuse", "missing input", []string{"fuse", missing, "-o", out("f1.onnx")}, 1},
		{"fuse", "not a model", []string{"fuse", bad, "-o", out("f2.onnx")}, 1},
		{"fuse", "no -o", []string{"fuse", model}, 2},
		{"fuse", "-o is the input", []string{"fuse", model, "-o", model}, 2},
		{"fuse", "-o is the input, other spelling", []string{"fuse", model, "-o", filepath.Join(dir, "out", "..", "tiny.onnx")}, 2},
		{"fuse", "unknown pass", []string{"fuse", model, "-o", out("f3.onnx"), "--passes", "frob"}, 2},

		{"run", "ok", []string{"run", model, "--threads", "1"}, 0},
		{"run", "ok with --data and --out", []string{"run", model, "--data", data, "--out", out("run"), "--threads", "1"}, 0},
		{"run", "not a model", []string{"run", bad}, 1},
		{"run", "no input files", []string{"run", model, "--data", filepath.Join(dir, "out")}, 1},
		{"run", "no argument", []string{"run"}, 2},
		{"run", "-o is the --data folder", []string{"run", model, "--data", data, "-o", data}, 2},
		{"run", "--out is the --data folder", []string{"run", model, "--data", data, "--out", data}, 2},
		{"run", "--out is the model", []string{"run", model, "--out", model}, 2},

		{"verify", "ok", []string{"verify", model, model, "--inputs", "1"}, 0},
		{"verify", "models differ", []string{"verify", model, other, "--inputs", "1"}, 1},
		{"verify", "missing model", []string{"verify", model, missing}, 1},
		{"verify", "one model without --golden", []string{"verify", model}, 2},

		{"to-coreml", "ok", []string{"to-coreml", coremlFixture, "-o", out("a.mlpackage")}, 0},
		{"to-coreml", "not a model", []string{"to-coreml", bad, "-o", out("b.mlpackage")}, 1},
		{"to-coreml", "no -o", []string{"to-coreml", coremlFixture}, 2},
		{"to-coreml", "-o is the input", []string{"to-coreml", mlmodel, "-o", mlmodel}, 2},

		{"stats", "ok", []string{"stats", model}, 0},
		{"stats", "not a model", []string{"stats", bad}, 1},
		{"stats", "no argument", []string{"stats"}, 2},

		{"bench", "ok", []string{"bench", model, "--runs", "1", "--warmup", "0", "--batch", "1", "--threads", "1", "--svg", out("b.svg")}, 0},
		{"bench", "not a model", []string{"bench", bad}, 1},
		{"bench", "bad --runs", []string{"bench", model, "--runs", "0"}, 2},
		{"bench", "--svg is the model", []string{"bench", model, "--runs", "1", "--svg", model}, 2},
		{"bench", "--svg is the compared model", []string{"bench", model, "--compare", other, "--runs", "1", "--svg", other}, 2},
		{"compare", "ok", []string{"compare", model, model, "--runs", "1", "--warmup", "0", "--batch", "1", "--threads", "1", "--svg", out("c.svg"), "--html", out("c.html")}, 0},
		{"compare", "not a model", []string{"compare", model, bad}, 1},
		{"compare", "one model", []string{"compare", model}, 2},
		{"compare", "--html is a model", []string{"compare", model, other, "--runs", "1", "--html", other}, 2},
		{"compare", "--svg is a model", []string{"compare", model, other, "--runs", "1", "--svg", model}, 2},
	}
	covered := map[string]map[int]bool{}
	for _, c := range cases {
		t.Run(strings.TrimSpace(c.cmd+" "+c.name), func(t *testing.T) {
			var got int
			captureStdout(t, func() { got = run(c.args) })
			if got != c.code {
				t.Errorf("mconv %s: exit %d, want %d", strings.Join(c.args, " "), got, c.code)
			}
		})
		if covered[c.cmd] == nil {
			covered[c.cmd] = map[int]bool{}
		}
		covered[c.cmd][c.code] = true
	}

	// Every registered command has rows for 0 and 2, and for 1 where it
	// can fail.
	var names []string
	for _, c := range newRootCmd().Commands() {
		if c.Name() == "help" || c.Name() == "completion" {
			continue
		}
		names = append(names, c.Name())
	}
	sort.Strings(names)
	for _, n := range names {
		want := []int{0, 1, 2}
		if n == "version" || n == "ops" { // they read no input, so cannot fail
			want = []int{0, 2}
		}
		for _, code := range want {
			if !covered[n][code] {
				t.Errorf("command %q has no row with exit status %d", n, code)
			}
		}
	}

	for _, p := range protected {
		b, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(b, before[p]) {
			t.Errorf("%s was changed or removed (%v)", p, err)
		}
	}
	// Outputs went through temporary files renamed into place: none is
	// left behind, and each named output exists.
	for _, p := range []string{out("rt.onnx"), out("fused.onnx"), out("none.onnx"), out("run/output_0.pb"), out("a.mlpackage/Manifest.json"), out("b.svg")} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("expected output: %v", err)
		}
	}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if b := filepath.Base(p); err == nil && (strings.Contains(b, ".tmp") || strings.HasPrefix(b, ".mconv-")) {
			t.Errorf("temporary file left behind: %s", p)
		}
		return nil
	})
}
