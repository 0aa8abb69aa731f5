package engine

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mconv/mconv/golden"
	"github.com/mconv/mconv/internal/testenv"
	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/onnx"
)

var update = flag.Bool("update", false, "rewrite runtime/engine/COVERAGE.md from the conformance run")

// caseResult is the outcome of one ONNX test case.
type caseResult struct {
	name   string
	ops    []string
	status string // pass, fail, unsupported
	frozen bool   // integer inputs were bound at compile time
	detail string
}

// knownFailures lists cases whose ops are all supported but that do not
// pass yet, with the reason. The conformance test fails on any other
// failure, and on a listed case that starts to pass (so the list shrinks).
var knownFailures = map[string]string{}

// runCase runs every test_data_set_N of one case folder.
func runCase(dir string) caseResult {
	res := caseResult{name: filepath.Base(dir)}
	m, err := onnx.Load(filepath.Join(dir, "model.onnx"))
	if err != nil {
		res.status, res.detail = "fail", "import: "+err.Error()
		return res
	}
	seen := map[string]bool{}
	for _, n := range m.Graph.Nodes {
		k := n.OpType
		if n.Domain != "" && n.Domain != "ai.onnx" {
			k = n.Domain + "::" + n.OpType
		}
		if !seen[k] {
			seen[k] = true
			res.ops = append(res.ops, k)
		}
	}
	sets, _ := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
	if len(sets) == 0 {
		res.status, res.detail = "fail", "no test_data_set"
		return res
	}
	var rtIn []*ir.Value
	for _, v := range m.Graph.Inputs {
		if v.Const == nil {
			rtIn = append(rtIn, v)
		}
	}
	for _, set := range sets {
		ins, _ := filepath.Glob(filepath.Join(set, "input_*.pb"))
		outs, _ := filepath.Glob(filepath.Join(set, "output_*.pb"))
		sort.Slice(ins, func(i, j int) bool { return pbIndex(ins[i]) < pbIndex(ins[j]) })
		sort.Slice(outs, func(i, j int) bool { return pbIndex(outs[i]) < pbIndex(outs[j]) })
		feeds := map[string]*ir.Tensor{}
		shapes := map[string][]int64{}
		if len(ins) != len(rtIn) {
			res.status, res.detail = "fail", fmt.Sprintf("%d input files for %d graph inputs", len(ins), len(rtIn))
			return res
		}
		for i, f := range ins {
			t, err := onnx.ReadTensorFile(f)
			if err != nil {
				res.status, res.detail = "unsupported", "input data: "+err.Error()
				return res
			}
			feeds[rtIn[i].Name] = t
			shapes[rtIn[i].Name] = t.Dims
		}
		first := ""
		if len(rtIn) > 0 {
			first = rtIn[0].Name
		}
		plan, frozen, err := compileFreezing(m, feeds, shapes, first)
		res.frozen = res.frozen || frozen
		if err != nil {
			if strings.Contains(err.Error(), "unsupported") {
				res.status = "unsupported"
			} else {
				res.status = "fail"
			}
			res.detail = err.Error()
			return res
		}
		got, err := plan.Run(feeds)
		plan.Close()
		if err != nil {
			res.status, res.detail = "fail", "run: "+err.Error()
			return res
		}
		if len(outs) != len(m.Graph.Outputs) {
			res.status, res.detail = "fail", fmt.Sprintf("%d output files for %d graph outputs", len(outs), len(m.Graph.Outputs))
			return res
		}
		for i, f := range outs {
			want, err := onnx.ReadTensorFile(f)
			if err != nil {
				res.status, res.detail = "unsupported", "output data: "+err.Error()
				return res
			}
			name := m.Graph.Outputs[i].Name
			if d := compareTensors(got[name], want, 1e-3, 1e-7); d != "" {
				res.status, res.detail = "fail", fmt.Sprintf("%s output %q: %s", filepath.Base(set), name, d)
				return res
			}
		}
	}
	res.status = "pass"
	return res
}

// compileFreezing compiles m for the feeds' shapes. When the plan needs
// the value of an input at compile time (a Reshape's shape, reduction axes,
// Resize scales fed as graph inputs), it binds the integer inputs and short
// (at most 8-element, rank <= 1) float inputs (Options.ConstInputs), removes them from
// feeds and compiles again; frozen reports that.
func compileFreezing(m *ir.Model, feeds map[string]*ir.Tensor, shapes map[string][]int64, first string) (*Plan, bool, error) {
	plan, err := compileFull(m, Options{Threads: 2, InputShapes: shapes})
	if err == nil || !strings.Contains(err.Error(), "run time") {
		return plan, false, err
	}
	consts := map[string]*ir.Tensor{}
	for name, t := range feeds {
		if t.DType.IsInt() || (len(t.Dims) <= 1 && ir.NumElements(t.Dims) <= 8) {
			consts[name] = t
		}
	}
	if len(consts) == 0 {
		return nil, false, err
	}
	for name := range consts {
		delete(shapes, name)
		delete(feeds, name)
	}
	plan, err = compileFull(m, Options{Threads: 2, InputShapes: shapes, ConstInputs: consts})
	return plan, true, err
}

func pbIndex(f string) int {
	b := strings.TrimSuffix(filepath.Base(f), ".pb")
	var n int
	fmt.Sscanf(b[strings.LastIndex(b, "_")+1:], "%d", &n)
	return n
}

// compareTensors is golden.Compare under the ONNX runner's elementwise
// tolerance (|g-w| <= atol + rtol*|w|, NaN matching NaN), exact for
// integers and bools; it returns "" when equal.
func compareTensors(got, want *ir.Tensor, rtol, atol float64) string {
	tol := golden.Tolerance{RTol: rtol, ATol: atol, Elementwise: true}
	if want != nil && !want.DType.IsFloat() {
		tol = golden.Tolerance{Elementwise: true}
	}
	if r := golden.Compare(got, want, tol); !r.OK() {
		return r.String()
	}
	return ""
}

// TestONNXConformance runs every case of the shared ONNX backend test data
// (node, pytorch-converted, pytorch-operator, simple). Cases with an op or
// attribute the runtime does not support must fail to compile with a named
// "unsupported" error; all others must match the expected outputs at the
// ONNX runner's tolerances (rtol 1e-3, atol 1e-7). With -update it rewrites
// COVERAGE.md.
func TestONNXConformance(t *testing.T) {
	root := testenv.ONNXTests(t)
	var results []caseResult
	for _, sub := range []string{"node", "pytorch-converted", "pytorch-operator", "simple"} {
		dirs, _ := filepath.Glob(filepath.Join(root, sub, "test_*"))
		sort.Strings(dirs)
		for _, d := range dirs {
			r := runCase(d)
			r.name = sub + "/" + r.name
			r.detail = strings.ReplaceAll(r.detail, root+string(filepath.Separator), "")
			results = append(results, r)
		}
	}
	if len(results) < 1900 {
		t.Fatalf("found only %d cases under %s", len(results), root)
	}
	counts := map[string]int{}
	var bad []string
	for _, r := range results {
		counts[r.status]++
		reason, known := knownFailures[r.name]
		switch {
		case r.status == "fail" && !known:
			bad = append(bad, r.name+": "+r.detail)
		case r.status != "fail" && known:
			bad = append(bad, r.name+": listed as a known failure ("+reason+") but is "+r.status)
		}
	}
	t.Logf("%d cases: %d pass, %d fail, %d unsupported", len(results), counts["pass"], counts["fail"], counts["unsupported"])
	// Whole networks: the light networks must match; the golden fixtures
	// (checked by TestGoldenFixtures) are listed too.
	var nets []netResult
	for _, name := range lightNames(root) {
		err := runLight(root, name)
		if err != nil {
			t.Errorf("light network %s: %v", name, err)
		}
		nets = append(nets, netResult{"light/" + name, err})
	}
	gold, err := goldenResults()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range gold {
		nets = append(nets, netResult{"testdata/golden/" + r.name, r.err})
	}
	md := coverageMarkdown(results, nets)
	if *update {
		if err := os.WriteFile("COVERAGE.md", []byte(md), 0o644); err != nil {
			t.Fatal(err)
		}
	} else if old, err := os.ReadFile("COVERAGE.md"); err != nil || coverageTable(string(old)) != coverageTable(md) {
		// The per-op table must be current; the lists below it follow
		// the fixtures and quote other packages' messages.
		t.Errorf("COVERAGE.md is out of date (%v): run go generate ./runtime", err)
	}
	if len(bad) > 0 {
		t.Errorf("%d unexpected results:\n%s", len(bad), strings.Join(bad, "\n"))
	}
}

// coverageTable is COVERAGE.md's summary and per-op table (up to the
// whole-network list, which changes whenever fixtures are added).
func coverageTable(md string) string {
	if i := strings.Index(md, "## Whole networks"); i >= 0 {
		return md[:i]
	}
	return md
}

func coverageMarkdown(results []caseResult, nets []netResult) string {
	type row struct{ pass, fail, unsup int }
	per := map[string]*row{}
	for _, r := range results {
		for _, op := range r.ops {
			if per[op] == nil {
				per[op] = &row{}
			}
			switch r.status {
			case "pass":
				per[op].pass++
			case "fail":
				per[op].fail++
			default:
				per[op].unsup++
			}
		}
	}
	var ops []string
	for op := range per {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	var b strings.Builder
	b.WriteString("# Runtime conformance coverage\n\n")
	b.WriteString("Code generated by `go test ./runtime -run TestONNXConformance -update` (with MCONV_ONNX_TESTS set); DO NOT EDIT.\n\n")
	var np, nf, nu int
	for _, r := range results {
		switch r.status {
		case "pass":
			np++
		case "fail":
			nf++
		default:
			nu++
		}
	}
	fmt.Fprintf(&b, "ONNX backend test data (node, pytorch-converted, pytorch-operator, simple): %d cases, %d pass, %d fail, %d unsupported.\n", len(results), np, nf, nu)
	nfz := 0
	for _, r := range results {
		if r.frozen && r.status == "pass" {
			nfz++
		}
	}
	fmt.Fprintf(&b, "%d of the passing cases feed shape-like integer inputs (a Reshape's shape, reduction axes, ...) that a static-shape plan must know: the test binds the integer inputs (and scalar or short 1-D float inputs such as Resize scales or Range bounds) at compile time (Options.ConstInputs), and the same kernels compute at plan time.\n", nfz)
	b.WriteString("A case counts once for every op it contains; \"unsupported\" means mconv refused the case at compile time with a named error (op, attribute or data type it does not implement).\n\n")
	b.WriteString("| op | passed | failed | unsupported |\n|---|---:|---:|---:|\n")
	for _, op := range ops {
		r := per[op]
		fmt.Fprintf(&b, "| %s | %d | %d | %d |\n", op, r.pass, r.fail, r.unsup)
	}
	b.WriteString("\n## Whole networks\n\n")
	b.WriteString("The shared light networks (input arange(n)/n, tolerances of real/test_NAME/data.json) and every testdata/golden fixture file (PyTorch's output, rtol 1e-4 / atol 1e-5 of the output's scale, outputs bit-identical for 1, 2 and 3 threads).\n\n")
	b.WriteString("| network | result |\n|---|---|\n")
	for _, n := range nets {
		res := "match"
		if n.err != nil {
			res = "MISMATCH"
		}
		fmt.Fprintf(&b, "| %s | %s |\n", n.name, res)
	}
	b.WriteString("\n## Cases not passing\n\n")
	for _, r := range results {
		if r.status != "pass" {
			d := strings.ReplaceAll(r.detail, "|", "\\|")
			d = strings.ReplaceAll(d, "\n", " ")
			if len(d) > 200 {
				d = d[:200] + "..."
			}
			fmt.Fprintf(&b, "- %s (%s): %s\n", r.name, r.status, d)
		}
	}
	return b.String()
}
