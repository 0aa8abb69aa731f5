package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// planCommands are the commands that build a runtime plan: each takes
// --threads, --seed and --input-shape, registered by addPlanFlags
// (to-coreml for the calibration run of an fp16 ML Program).
var planCommands = []string{"run", "verify", "fuse", "bench", "stats", "compare", "to-coreml"}

// TestPlanFlagsRegistered: every planning command has the three plan
// flags with the one spelling and type; every command that writes a file
// names it with -o/--output; every --fp16 says in its help what it does.
func TestPlanFlagsRegistered(t *testing.T) {
	root := newRootCmd()
	cmds := map[string]bool{}
	for _, c := range root.Commands() {
		cmds[c.Name()] = true
	}
	for _, name := range planCommands {
		c, _, err := root.Find([]string{name})
		if err != nil || c.Name() != name {
			t.Fatalf("no command %s: %v", name, err)
		}
		for flag, typ := range map[string]string{"threads": "int", "seed": "int64", "input-shape": "stringArray"} {
			f := c.Flags().Lookup(flag)
			if f == nil {
				t.Errorf("%s has no --%s", name, flag)
				continue
			}
			if f.Value.Type() != typ {
				t.Errorf("%s --%s is %s, want %s", name, flag, f.Value.Type(), typ)
			}
		}
	}
	for _, name := range []string{"run", "fuse", "to-coreml", "roundtrip"} {
		c, _, _ := root.Find([]string{name})
		f := c.Flags().Lookup("output")
		if f == nil || f.Shorthand != "o" {
			t.Errorf("%s: no -o/--output flag", name)
		}
	}
	for name, want := range map[string][]string{
		"stats":     {"2 bytes per float", "not converted"},
		"to-coreml": {"weights in float16", "compute in float16 in an ML Program"},
	} {
		c, _, _ := root.Find([]string{name})
		f := c.Flags().Lookup("fp16")
		if f == nil {
			t.Fatalf("%s has no --fp16", name)
		}
		for _, w := range want {
			if !strings.Contains(f.Usage, w) {
				t.Errorf("%s --fp16 help %q does not say %q", name, f.Usage, w)
			}
		}
	}
	// Commands without --fp16 have no hidden meaning for it.
	for name := range cmds {
		if name == "stats" || name == "to-coreml" {
			continue
		}
		c, _, _ := root.Find([]string{name})
		if c.Flags().Lookup("fp16") != nil {
			t.Errorf("%s has --fp16: state its meaning in its help and in this test", name)
		}
	}
}

// TestPlanFlags runs each planning command with each plan flag, good and
// bad: exit status 0 with a valid value, 2 with a malformed or misapplied
// one (a usage error), 1 when the value is valid but the run fails.
func TestPlanFlags(t *testing.T) {
	dir := t.TempDir()
	model := tinyModel // input "input": float32[batch,3,32,32]
	out := func(n string) string { return filepath.Join(dir, n) }
	data := filepath.Join(goldenNet, "test_data_set_0")
	cases := []struct {
		name string
		args []string
		code int
		want string // in stdout, when not empty
	}{
		{"run threads", []string{"run", model, "--threads", "2"}, 0, "(2 threads"},
		{"run threads negative", []string{"run", model, "--threads", "-1"}, 2, ""},
		{"run threads not a number", []string{"run", model, "--threads", "x"}, 2, ""},
		{"run seed", []string{"run", model, "--seed", "7"}, 0, ""},
		{"run input-shape", []string{"run", model, "--input-shape", "input=3,3,32,32"}, 0, `"logits": float32[3 10]`},
		{"run input-shape unknown input", []string{"run", model, "--input-shape", "x=1,3,32,32"}, 2, ""},
		{"run input-shape wrong rank", []string{"run", model, "--input-shape", "input=1,3,32"}, 2, ""},
		{"run input-shape malformed", []string{"run", model, "--input-shape", "input=1,3,a,32"}, 2, ""},
		{"run input-shape no name", []string{"run", model, "--input-shape", "1,3,32,32"}, 2, ""},
		{"run input-shape conflicts with the model", []string{"run", model, "--input-shape", "input=1,4,32,32"}, 1, ""},
		{"run input-shape with --data", []string{"run", filepath.Join(goldenNet, "model.onnx"), "--data", data, "--input-shape", "input=1,3,64,64"}, 2, ""},
		{"run -o", []string{"run", model, "-o", out("o1")}, 0, "wrote 1 output(s) to " + out("o1")},
		{"run --output", []string{"run", model, "--output", out("o2")}, 0, "wrote 1 output(s)"},
		{"run --out (old spelling)", []string{"run", model, "--out", out("o3")}, 0, "wrote 1 output(s)"},

		{"verify threads", []string{"verify", model, model, "--inputs", "1", "--threads", "1"}, 0, "within tolerance"},
		{"verify threads negative", []string{"verify", model, model, "--threads", "-2"}, 2, ""},
		{"verify seed", []string{"verify", model, model, "--inputs", "2", "--seed", "5"}, 0, "inputs 1 (seed 6)"},
		{"verify input-shape", []string{"verify", model, model, "--inputs", "1", "--input-shape", "input=2,3,32,32"}, 0, "within tolerance"},
		{"verify input-shape unknown input", []string{"verify", model, model, "--input-shape", "nope=2"}, 2, ""},
		{"verify input-shape with --golden", []string{"verify", "--golden", data, filepath.Join(goldenNet, "model.onnx"), "--input-shape", "input=1,3,64,64"}, 2, ""},

		{"fuse threads", []string{"fuse", model, "-o", out("f1.onnx"), "--threads", "1"}, 0, "verified"},
		{"fuse threads negative", []string{"fuse", model, "-o", out("f2.onnx"), "--threads", "-1"}, 2, ""},
		{"fuse seed", []string{"fuse", model, "-o", out("f3.onnx"), "--seed", "9"}, 0, "verified"},
		{"fuse input-shape", []string{"fuse", model, "-o", out("f4.onnx"), "--input-shape", "input=4,3,16,16"}, 0, "verified"},
		{"fuse input-shape unknown input", []string{"fuse", model, "-o", out("f5.onnx"), "--input-shape", "x=4,3,16,16"}, 2, ""},
		{"fuse input-shape wrong rank", []string{"fuse", model, "-o", out("f6.onnx"), "--input-shape", "input=4,3"}, 2, ""},
		{"fuse input-shape with --no-verify", []string{"fuse", model, "-o", out("f7.onnx"), "--no-verify", "--input-shape", "input=4,3,16,16"}, 2, ""},
		{"fuse --output", []string{"fuse", model, "--output", out("f8.onnx")}, 0, "wrote " + out("f8.onnx")},

		{"bench threads", []string{"bench", model, "--runs", "1", "--warmup", "0", "--batch", "1", "--threads", "1"}, 0, "(1 threads)"},
		{"bench threads negative", []string{"bench", model, "--runs", "1", "--threads", "-1"}, 2, ""},
		{"bench seed", []string{"bench", model, "--runs", "1", "--warmup", "0", "--batch", "1", "--threads", "1", "--seed", "3"}, 0, "latency"},
		{"bench input-shape", []string{"bench", model, "--runs", "1", "--warmup", "0", "--batch", "2", "--threads", "1", "--input-shape", "input=1,3,16,16"}, 0, "throughput, batch 2"},
		{"bench input-shape unknown input", []string{"bench", model, "--runs", "1", "--input-shape", "x=1,3,16,16"}, 2, ""},

		{"stats threads", []string{"stats", model, "--threads", "2"}, 0, "MACs"},
		{"stats threads negative", []string{"stats", model, "--threads", "-1"}, 2, ""},
		{"stats seed (unused)", []string{"stats", model, "--seed", "4"}, 0, "MACs"},
		{"stats input-shape", []string{"stats", model, "--json", "--input-shape", "input=1,3,16,16"}, 0, `"shape": [`},
		{"stats input-shape unknown input", []string{"stats", model, "--input-shape", "x=1"}, 2, ""},
		{"stats input-shape malformed", []string{"stats", model, "--input-shape", "input=1,,3"}, 2, ""},

		{"compare threads", []string{"compare", model, model, "--runs", "1", "--warmup", "0", "--batch", "1", "--threads", "1"}, 0, "1 threads"},
		{"compare threads negative", []string{"compare", model, model, "--threads", "-1"}, 2, ""},
		{"compare seed", []string{"compare", model, model, "--runs", "1", "--warmup", "0", "--batch", "1", "--seed", "3"}, 0, "latency"},
		{"compare input-shape", []string{"compare", model, model, "--runs", "1", "--warmup", "0", "--batch", "2", "--threads", "1", "--input-shape", "input=1,3,16,16", "--json"}, 0, `"throughput_batch": 2`},
		{"compare input-shape unknown input", []string{"compare", model, model, "--input-shape", "x=1,3,16,16"}, 2, ""},

		{"to-coreml input-shape", []string{"to-coreml", coremlFixture, "-o", out("c.mlpackage"), "--input-shape", "input=1,3,64,64"}, 0, ""},
		{"to-coreml input-shape malformed", []string{"to-coreml", coremlFixture, "-o", out("d.mlpackage"), "--input-shape", "input"}, 2, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var code int
			stdout := captureStdout(t, func() { code = run(c.args) })
			if code != c.code {
				t.Fatalf("mconv %s: exit %d, want %d\n%s", strings.Join(c.args, " "), code, c.code, stdout)
			}
			if c.want != "" && !strings.Contains(stdout, c.want) {
				t.Errorf("mconv %s: stdout lacks %q:\n%s", strings.Join(c.args, " "), c.want, stdout)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(out("o3"), "output_0.pb")); err != nil {
		t.Errorf("--out (old spelling) wrote nothing: %v", err)
	}
}

// TestPlanFlagsEffect: the flags change what they say. Different seeds
// give different random inputs (and outputs), the same seed the same;
// --input-shape scales stats' MACs with the batch it sets.
func TestPlanFlagsEffect(t *testing.T) {
	runOut := func(args ...string) string {
		t.Helper()
		var code int
		s := captureStdout(t, func() { code = run(args) })
		if code != 0 {
			t.Fatalf("mconv %s: exit %d", strings.Join(args, " "), code)
		}
		// drop the first line (model path and thread count)
		_, rest, _ := strings.Cut(s, "\n")
		return rest
	}
	a, b, a2 := runOut("run", tinyModel, "--seed", "1"), runOut("run", tinyModel, "--seed", "2"), runOut("run", tinyModel, "--seed", "1", "--threads", "1")
	if a == b {
		t.Errorf("run --seed 1 and --seed 2 printed the same outputs:\n%s", a)
	}
	if a != a2 {
		t.Errorf("run --seed 1 twice (different --threads) printed different outputs:\n%s\n%s", a, a2)
	}
	macs := func(args ...string) int64 {
		t.Helper()
		var code int
		s := captureStdout(t, func() { code = run(append([]string{"stats", "--json", "--no-plan"}, args...)) })
		if code != 0 {
			t.Fatalf("stats %v: exit %d", args, code)
		}
		var r struct{ MACs int64 }
		if err := json.Unmarshal([]byte(s), &r); err != nil {
			t.Fatal(err)
		}
		return r.MACs
	}
	one, three := macs(tinyModel), macs(tinyModel, "--input-shape", "input=3,3,32,32")
	if one == 0 || three != 3*one {
		t.Errorf("stats MACs: batch 1 %d, --input-shape batch 3 %d, want 3x", one, three)
	}
}
