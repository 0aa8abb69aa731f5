package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/onnx"
)

// hostileModel is a small ONNX file whose one node would produce a huge
// tensor (issue 13): node and op are what the error must name.
type hostileModel struct {
	name, node, op string
	build          func(g *ir.Graph) // adds the node (named node) and the graph output
	// flags are added to every command.
	flags []string
	// byInput lists the commands that refuse the graph input "x" (the
	// random input they would make) rather than the node.
	byInput []string
}

// hostileModels are ConstantOfShape of 1 TiB and 4 TiB floats and a
// Resize / Tile / Expand / ConstantOfShape / Range family whose one node
// outputs 2^36-2^40 bytes, each on constant inputs (planned as a plan-time
// constant, folded by the passes) and on a graph input (an arena value).
func hostileModels() []hostileModel {
	i64 := func(v ...int64) *ir.Tensor { return ir.NewInt64([]int64{int64(len(v))}, v) }
	scalar := func(v int64) *ir.Tensor { return ir.NewInt64(nil, []int64{v}) }
	f32 := func(v ...float32) *ir.Tensor { return ir.NewFloat32([]int64{int64(len(v))}, v) }
	out := func(g *ir.Graph, n *ir.Node) { g.AddOutput(n.Outputs[0]) }
	cos := func(name string, dims ...int64) hostileModel {
		return hostileModel{name: name, node: "cos", op: "ConstantOfShape", build: func(g *ir.Graph) {
			out(g, g.AddNode("ConstantOfShape", "cos", []*ir.Value{g.AddConst("shape", i64(dims...))}, "y"))
		}}
	}
	return []hostileModel{
		cos("cos_1tib", 1<<28, 1<<10),
		cos("cos_4tib", 1<<30, 1<<10),
		cos("cos_64gib", 1<<34),
		// 128 MiB, over --max-memory 64MiB.
		func() hostileModel {
			h := cos("cos_128mib_budget", 1<<15, 1<<10)
			h.flags = []string{"--max-memory", "64MiB"}
			return h
		}(),
		{name: "resize_input", node: "resize", op: "Resize", build: func(g *ir.Graph) {
			x := g.AddInput("x", ir.TensorOf(ir.Float32, 1, 1, 4, 4))
			// 4*2^16 squared = 2^36 floats: 256 GiB.
			n := g.AddNode("Resize", "resize", []*ir.Value{x, nil, g.AddConst("scales", f32(1, 1, 1<<16, 1<<16))}, "y")
			out(g, n)
		}},
		{name: "resize_const", node: "resize", op: "Resize", build: func(g *ir.Graph) {
			x := g.AddConst("x", ir.NewFloat32([]int64{1, 1, 2, 2}, []float32{1, 2, 3, 4}))
			n := g.AddNode("Resize", "resize", []*ir.Value{x, nil, g.AddConst("scales", f32(1, 1, 1<<17, 1<<17))}, "y")
			out(g, n)
		}},
		{name: "tile_input", node: "tile", op: "Tile", build: func(g *ir.Graph) {
			x := g.AddInput("x", ir.TensorOf(ir.Float32, 1, 1024))
			out(g, g.AddNode("Tile", "tile", []*ir.Value{x, g.AddConst("repeats", i64(1<<26, 1))}, "y"))
		}},
		{name: "tile_const", node: "tile", op: "Tile", build: func(g *ir.Graph) {
			x := g.AddConst("x", ir.NewFloat32([]int64{1, 4}, []float32{1, 2, 3, 4}))
			out(g, g.AddNode("Tile", "tile", []*ir.Value{x, g.AddConst("repeats", i64(1<<32, 1))}, "y"))
		}},
		{name: "expand_input", node: "expand", op: "Expand", build: func(g *ir.Graph) {
			x := g.AddInput("x", ir.TensorOf(ir.Float32, 1, 1))
			out(g, g.AddNode("Expand", "expand", []*ir.Value{x, g.AddConst("shape", i64(1<<18, 1<<18))}, "y"))
		}},
		{name: "expand_const", node: "expand", op: "Expand", build: func(g *ir.Graph) {
			x := g.AddConst("x", f32(1))
			out(g, g.AddNode("Expand", "expand", []*ir.Value{x, g.AddConst("shape", i64(1<<19, 1<<18))}, "y"))
		}},
		{name: "cos_input_shape", node: "cos", op: "ConstantOfShape", build: func(g *ir.Graph) {
			// The shape is a graph input's shape: known only to shape
			// inference (Shape then ConstantOfShape).
			x := g.AddInput("x", ir.TensorOf(ir.Float32, 1<<17, 1<<17, 1, 1))
			s := g.AddNode("Shape", "shape", []*ir.Value{x}, "s")
			out(g, g.AddNode("ConstantOfShape", "cos", []*ir.Value{s.Outputs[0]}, "y"))
		}, byInput: []string{"inspect", "run", "fuse"}},
		{name: "range_const", node: "range", op: "Range", build: func(g *ir.Graph) {
			n := g.AddNode("Range", "range", []*ir.Value{g.AddConst("start", scalar(0)), g.AddConst("limit", scalar(1<<36)), g.AddConst("delta", scalar(1))}, "y")
			out(g, n)
		}},
		{name: "range_float", node: "range", op: "Range", build: func(g *ir.Graph) {
			n := g.AddNode("Range", "range", []*ir.Value{g.AddConst("start", ir.NewFloat32(nil, []float32{0})), g.AddConst("limit", ir.NewFloat32(nil, []float32{1 << 36})), g.AddConst("delta", ir.NewFloat32(nil, []float32{1}))}, "y")
			out(g, n)
		}},
	}
}

// writeHostile writes the model of h to dir/NAME.onnx.
func writeHostile(t testing.TB, dir string, h hostileModel) string {
	t.Helper()
	g := ir.NewGraph(h.name)
	m := &ir.Model{IRVersion: 8, Opsets: []ir.OpsetImport{{Domain: "", Version: 17}}, Graph: g}
	h.build(g)
	path := filepath.Join(dir, h.name+".onnx")
	if err := onnx.Save(m, path); err != nil {
		t.Fatal(err)
	}
	return path
}

var (
	mconvBinOnce sync.Once
	mconvBin     string
	mconvBinErr  error
)

// buildMconv builds the mconv binary once per test process (into a folder
// removed by TestMain's caller: os.TempDir, named by the process).
func buildMconv(t testing.TB) string {
	t.Helper()
	mconvBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "mconv-bin")
		if err != nil {
			mconvBinErr = err
			return
		}
		mconvBin = filepath.Join(dir, "mconv")
		out, err := exec.Command("go", "build", "-o", mconvBin, ".").CombinedOutput()
		if err != nil {
			mconvBinErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if mconvBinErr != nil {
		t.Fatal(mconvBinErr)
	}
	return mconvBin
}

// childResult is what a subprocess did.
type childResult struct {
	code           int
	stdout, stderr string
	maxRSS         int64 // bytes
}

// rssLimitKiB is the address-space limit hostile children run under, a
// safety net for the machine should the budget fail (the test measures the
// peak RSS, which the limit does not bound by itself).
const rssLimitKiB = 8 << 20

// runChild runs mconv args in a subprocess under an address-space limit
// and returns its exit status, output and peak RSS.
func runChild(t testing.TB, args ...string) childResult {
	t.Helper()
	bin := buildMconv(t)
	script := fmt.Sprintf(`ulimit -v %d && exec "$0" "$@"`, rssLimitKiB)
	cmd := exec.Command("sh", append([]string{"-c", script, bin}, args...)...)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("mconv %v: %v", args, err)
		}
	}
	r := childResult{code: cmd.ProcessState.ExitCode(), stdout: so.String(), stderr: se.String()}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.maxRSS = int64(ru.Maxrss) << 10 // KiB on Linux
	}
	return r
}

// TestHostileModels runs inspect, stats, run, fuse and to-coreml as
// subprocesses on each hostile model (issue 13): exit 1, one error line
// naming the file (and the node and op where the command plans or folds
// it), no Go crash output, and a peak RSS under 1 GiB. inspect plans
// nothing but refuses a model one of whose values alone passes the budget.
func TestHostileModels(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: this test builds mconv and runs it as a subprocess (CI runs it: no -short there)")
	}
	dir := t.TempDir()
	for _, h := range hostileModels() {
		path := writeHostile(t, dir, h)
		for _, cmd := range []string{"inspect", "stats", "run", "fuse", "to-coreml"} {
			t.Run(h.name+"/"+cmd, func(t *testing.T) {
				args := []string{cmd, path}
				args = append(args, h.flags...)
				switch cmd {
				case "fuse":
					args = append(args, "-o", filepath.Join(dir, h.name+".fused.onnx"))
				case "to-coreml":
					args = append(args, "-o", filepath.Join(dir, h.name+".mlpackage"))
				}
				r := runChild(t, args...)
				first, _, _ := strings.Cut(r.stderr, "\n")
				t.Logf("exit %d, peak RSS %.1f MiB, stderr: %s", r.code, float64(r.maxRSS)/(1<<20), first)
				if r.maxRSS >= 1<<30 {
					t.Errorf("peak RSS %d bytes, want < 1 GiB", r.maxRSS)
				}
				for _, bad := range []string{"goroutine ", "fatal error", "panic", "[signal"} {
					if strings.Contains(r.stderr, bad) {
						t.Fatalf("stderr has %q (a Go crash)", bad)
					}
				}
				if r.code != 1 {
					t.Errorf("exit %d, want 1", r.code)
				}
				lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
				if len(lines) != 1 {
					t.Errorf("%d stderr lines, want 1", len(lines))
				}
				if !strings.Contains(r.stderr, path) {
					t.Errorf("error does not name the file %s", path)
				}
				want := fmt.Sprintf("node %q (%s)", h.node, h.op)
				if slices.Contains(h.byInput, cmd) {
					want = `input "x"`
				}
				if !strings.Contains(r.stderr, want) {
					t.Errorf("error does not name %s", want)
				}
			})
		}
	}
}
