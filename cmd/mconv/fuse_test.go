package main

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mconv/mconv/internal/testenv"
	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/onnx"
)

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func histogram(t *testing.T, path string) map[string]int {
	t.Helper()
	m, err := onnx.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	h := map[string]int{}
	for _, n := range m.Graph.Nodes {
		h[n.OpType]++
	}
	return h
}

func TestFuseExitCodes(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.onnx")
	copyFile(t, tinyModel, in)
	orig, _ := os.ReadFile(in)
	link := filepath.Join(dir, "link.onnx")
	if err := os.Symlink(in, link); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		want int
	}{
		{"ok", []string{"fuse", in, "-o", filepath.Join(dir, "a.onnx")}, 0},
		{"no-verify", []string{"fuse", in, "-o", filepath.Join(dir, "b.onnx"), "--no-verify"}, 0},
		{"passes-none", []string{"fuse", in, "-o", filepath.Join(dir, "c.onnx"), "--passes", "none"}, 0},
		{"some-passes", []string{"fuse", in, "-o", filepath.Join(dir, "d.onnx"), "--passes", "conv-bn-fold,dce"}, 0},
		{"output-is-input", []string{"fuse", in, "-o", in}, 2},
		{"output-is-input-relative", []string{"fuse", in, "-o", dir + "/../" + filepath.Base(dir) + "/in.onnx"}, 2},
		{"output-is-symlink-to-input", []string{"fuse", in, "-o", link}, 2},
		{"no-output", []string{"fuse", in}, 2},
		{"unknown-pass", []string{"fuse", in, "-o", filepath.Join(dir, "e.onnx"), "--passes", "bogus"}, 2},
		{"missing-input", []string{"fuse", filepath.Join(dir, "nope.onnx"), "-o", filepath.Join(dir, "f.onnx")}, 1},
		{"two-args", []string{"fuse", in, in, "-o", filepath.Join(dir, "g.onnx")}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := run(c.args); got != c.want {
				t.Errorf("mconv %s: exit %d, want %d", strings.Join(c.args, " "), got, c.want)
			}
		})
	}
	if now, _ := os.ReadFile(in); !bytes.Equal(now, orig) {
		t.Fatal("the input file was modified")
	}
	for _, f := range []string{"e.onnx", "f.onnx", "g.onnx"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("%s written by a failing command", f)
		}
	}
	// --passes none: same graph back; all passes: deploy form.
	if h0, h := histogram(t, tinyModel), histogram(t, filepath.Join(dir, "c.onnx")); len(h0) != len(h) || h0["BatchNormalization"] != h["BatchNormalization"] || h0["Conv"] != h["Conv"] {
		t.Errorf("--passes none changed the ops: %v -> %v", h0, h)
	}
	h := histogram(t, filepath.Join(dir, "a.onnx"))
	// make_testdata.py: stem RepVGG (3x3+1x1), stage RepVGG (3x3+1x1+id),
	// MobileOne dw (2x dw3x3 + dw1x1 + id) then pw (2x 1x1 + id): 4 Convs.
	if h["BatchNormalization"] != 0 || h["Add"] != 0 || h["Conv"] != 4 || h["Gemm"] != 1 {
		t.Errorf("fused ops %v, want 4 Conv, 1 Gemm, no BatchNormalization or Add", h)
	}
	if h := histogram(t, filepath.Join(dir, "d.onnx")); h["BatchNormalization"] == 0 || h["Add"] == 0 {
		t.Errorf("--passes conv-bn-fold,dce collapsed branches: %v", h)
	}
}

// TestFuseReport checks the printed report against a hand count of the
// tiny RepVGG/MobileOne model (see inspect_test.go for the training form's
// 1634 initializer elements; 12 BN x 8 channels x 2 running statistics =
// 192 of them are buffers, 1442 parameters): deploy form stem 3x3 3->8 with
// bias 224, stage 3x3 8->8 584, MobileOne dw3x3 80 and pw1x1 72, fc 90:
// 1050 parameters and no buffers.
func TestFuseReport(t *testing.T) {
	dir := t.TempDir()
	var buf bytes.Buffer
	o := fuseOptions{In: tinyModel, Out: filepath.Join(dir, "out.onnx"), planOpts: planOpts{Seed: 1}, RTol: 1e-4}
	if err := o.run(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"conv-bn-fold", "branch-collapse", "verified", "BatchNormalization", "wrote "} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	var params, buffers []string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "parameters") {
			params = strings.Fields(line)
		}
		if strings.HasPrefix(line, "buffers") {
			buffers = strings.Fields(line)
		}
	}
	if len(params) != 3 || params[1] != "1442" || params[2] != "1050" {
		t.Errorf("parameters line %v, want before 1442 and after 1050\n%s", params, out)
	}
	if len(buffers) != 5 || buffers[3] != "192" || buffers[4] != "0" {
		t.Errorf("buffers line %v, want before 192 and after 0\n%s", buffers, out)
	}
	// MACs at input 1x3x32x32 (make_testdata.py), by hand; the stem has
	// stride 2, so every later layer sees 16x16 = 256 positions:
	// deploy: stem 3x3 3->8 8*256*27 = 55296, stage 3x3 8->8 8*256*72 =
	// 147456, dw3x3 8*256*9 = 18432, pw 8*256*8 = 16384, fc 80: 237648.
	// training form adds the 1x1 branches (stem 8*256*3 = 6144, stage
	// 16384, dw1x1 2048, second pw 16384) and the second dw3x3 (18432):
	// 297040 (BN is not counted as MACs).
	var macs []string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "MACs") {
			macs = strings.Fields(line)
		}
	}
	if n := len(macs); n < 2 || macs[n-2] != "297040" || macs[n-1] != "237648" {
		t.Errorf("MACs line %v, want before 297040 and after 237648\n%s", macs, out)
	}
}

// TestFuseRefusesWrongRewrite plants a wrong rewrite (scales one Conv
// weight) and checks that verification refuses to write and explains.
func TestFuseRefusesWrongRewrite(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.onnx")
	var buf bytes.Buffer
	o := fuseOptions{In: tinyModel, Out: out, planOpts: planOpts{Seed: 1}, RTol: 1e-4, afterPasses: func(m *ir.Model) {
		for _, n := range m.Graph.Nodes {
			if n.OpType == "Conv" {
				w := n.Inputs[1].Const
				f, _ := w.Float32s()
				f[0] += 0.5
				t := ir.NewFloat32(w.Dims, f)
				t.Name = w.Name
				n.Inputs[1].Const = t
				return
			}
		}
	}}
	err := o.run(&buf)
	if err == nil || !strings.Contains(err.Error(), "verification failed") || !strings.Contains(err.Error(), "not written") {
		t.Fatalf("want a verification failure, got %v\n%s", err, buf.String())
	}
	// it names the worst element and its error, and exits 1 (not a usage error)
	for _, want := range []string{"element", "fused ", "original ", "abs err", "largest reference magnitude"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("verification error lacks %q: %v", want, err)
		}
	}
	if ue := (usageError{}); errors.As(err, &ue) {
		t.Errorf("verification failure is a usage error (exit 2), want exit 1: %v", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("output written despite failed verification")
	}
	// The same plant with --no-verify is written (the check is what stops it).
	o.NoVerify = true
	if err := o.run(&buf); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(out); err != nil {
		t.Fatal(err)
	}
}

// TestFuseFullModels fuses the full-size timm training-form models (when
// MCONV_FULL_MODELS names them) and checks op counts against timm's
// reparameterized export and, where published, the deploy-form parameter
// and MAC counts (see /work/shared/reference/architectures.md: RepVGG-A0
// 8.30 M params / 1.36 GMACs counted exactly, MobileOne-S0 2.08 M / 0.27 G).
func TestFuseFullModels(t *testing.T) {
	root := testenv.FullModels(t)
	// value and tolerance: one unit in the last published digit
	published := map[string]struct{ params, ptol, macs, mtol float64 }{
		"repvgg_a0":    {8.30e6, 0.01e6, 1.36e9, 0.01e9},
		"mobileone_s0": {2.08e6, 0.01e6, 0.27e9, 0.01e9},
	}
	dirs, _ := filepath.Glob(filepath.Join(root, "*", "train.onnx"))
	if len(dirs) == 0 {
		t.Fatalf("MCONV_FULL_MODELS=%s holds no */train.onnx (export_fixtures.py --full writes them)", root)
	}
	for _, p := range dirs {
		name := filepath.Base(filepath.Dir(p))
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "fused.onnx")
			var buf bytes.Buffer
			o := fuseOptions{In: p, Out: out, planOpts: planOpts{Seed: 1}, RTol: 1e-4}
			if err := o.run(&buf); err != nil {
				t.Fatalf("%v\n%s", err, buf.String())
			}
			got, want := histogram(t, out), histogram(t, filepath.Join(filepath.Dir(p), "deploy.onnx"))
			// The whole op histogram equals timm's reparameterized export,
			// except Constant nodes (timm's export writes some constants as
			// nodes, mconv as initializers) and Mul, of which mconv may have
			// fewer (FastViT's layer scales folded into the Conv before them).
			ops := map[string]bool{}
			for op := range got {
				ops[op] = true
			}
			for op := range want {
				ops[op] = true
			}
			for op := range ops {
				switch {
				case op == "Constant":
				case op == "Mul" && got[op] <= want[op]:
				case got[op] != want[op]:
					t.Errorf("%d %s, timm deploy.onnx has %d", got[op], op, want[op])
				}
			}
			pub, ok := published[name]
			if !ok {
				return
			}
			m, err := onnx.Load(out)
			if err != nil {
				t.Fatal(err)
			}
			if err := ir.InferShapes(m); err != nil {
				t.Fatal(err)
			}
			s := graphStats(m)
			if math.Abs(float64(s.params)-pub.params) > pub.ptol || math.Abs(float64(s.macs)-pub.macs) > pub.mtol || !s.known {
				t.Errorf("deploy form has %d params and %d MACs, published %.3g and %.3g", s.params, s.macs, pub.params, pub.macs)
			}
		})
	}
}
