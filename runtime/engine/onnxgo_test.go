package engine

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/onnx"
	"github.com/owulveryck/onnx-go/backend/testbackend"
	_ "github.com/owulveryck/onnx-go/backend/testbackend/onnx" // registers the cases
	"gorgonia.org/tensor"
)

// fromGorgonia converts an onnx-go test tensor to an ir.Tensor.
func fromGorgonia(t tensor.Tensor) (*ir.Tensor, error) {
	dims := make([]int64, len(t.Shape()))
	for i, d := range t.Shape() {
		dims[i] = int64(d)
	}
	if t.Shape().IsScalar() {
		dims = nil
	}
	switch d := t.Data().(type) {
	case []float32:
		return ir.NewFloat32(dims, d), nil
	case float32:
		return ir.NewFloat32(dims, []float32{d}), nil
	case []int64:
		return ir.NewInt64(dims, d), nil
	case int64:
		return ir.NewInt64(dims, []int64{d}), nil
	case []float64:
		return ir.NewFromFloat64(ir.Float64, dims, d)
	case float64:
		return ir.NewFromFloat64(ir.Float64, dims, []float64{d})
	case []int32:
		f := make([]float64, len(d))
		for i, v := range d {
			f[i] = float64(v)
		}
		return ir.NewFromFloat64(ir.Int32, dims, f)
	case []bool:
		f := make([]float64, len(d))
		for i, v := range d {
			if v {
				f[i] = 1
			}
		}
		return ir.NewFromFloat64(ir.Bool, dims, f)
	}
	return nil, fmt.Errorf("unsupported onnx-go tensor data %T", t.Data())
}

// TestOnnxGoBackendCases runs onnx-go's backend/testbackend cases (ONNX node
// tests embedded as Go, so no shared folder is needed): the model bytes are
// decoded by mconv's importer, run, and compared with the expected outputs
// at the ONNX runner's tolerances (rtol 1e-3, atol 1e-7). A case whose ops
// mconv does not support must be refused at compile time with an
// "unsupported" error; every other case must pass.
func TestOnnxGoBackendCases(t *testing.T) {
	cases := testbackend.GetAllRegisteredTests()
	if len(cases) < 100 {
		t.Fatalf("only %d onnx-go test cases registered", len(cases))
	}
	var pass, unsup int
	var bad []string
	for _, mk := range cases {
		tc := mk()
		status, detail := runOnnxGoCase(tc)
		switch status {
		case "pass":
			pass++
		case "unsupported":
			unsup++
		default:
			bad = append(bad, tc.Title+": "+detail)
		}
	}
	sort.Strings(bad)
	t.Logf("onnx-go testbackend: %d cases, %d pass, %d unsupported, %d fail", len(cases), pass, unsup, len(bad))
	if len(bad) > 0 {
		t.Errorf("%d cases failed:\n%s", len(bad), strings.Join(bad, "\n"))
	}
}

func runOnnxGoCase(tc *testbackend.TestCase) (string, string) {
	m, err := onnx.Decode(tc.ModelB, tc.Title, "")
	if err != nil {
		// A valid ONNX model that mconv cannot import is mconv's bug,
		// not an unsupported op (as in TestONNXConformance).
		return "fail", "import: " + err.Error()
	}
	var feeds []*ir.Value
	for _, v := range m.Graph.Inputs {
		if v.Const == nil {
			feeds = append(feeds, v)
		}
	}
	if len(tc.Input) != len(feeds) {
		return "fail", fmt.Sprintf("%d inputs for %d graph inputs", len(tc.Input), len(feeds))
	}
	in := map[string]*ir.Tensor{}
	shapes := map[string][]int64{}
	for i, gt := range tc.Input {
		x, err := fromGorgonia(gt)
		if err != nil {
			return "unsupported", err.Error()
		}
		// onnx-go keeps one-element tensors as scalars: take the declared
		// shape when it has the same element count.
		if ty := feeds[i].Type; ty.Static() && len(x.Dims) <= 1 && ir.NumElements(ty.Shape.Sizes()) == x.Len() {
			x.Dims = ty.Shape.Sizes()
		}
		if dt := feeds[i].Type.DType; dt != x.DType && dt.Size() > 0 {
			// onnx-go keeps some integer scalars as float32.
			f, err := x.Float64s()
			if err != nil {
				return "fail", err.Error()
			}
			if x, err = ir.NewFromFloat64(dt, x.Dims, f); err != nil {
				return "fail", err.Error()
			}
		}
		in[feeds[i].Name] = x
		shapes[feeds[i].Name] = x.Dims
	}
	first := ""
	if len(feeds) > 0 {
		first = feeds[0].Name
	}
	plan, _, err := compileFreezing(m, in, shapes, first)
	if err != nil {
		if strings.Contains(err.Error(), "unsupported") {
			return "unsupported", err.Error()
		}
		return "fail", err.Error()
	}
	defer plan.Close()
	got, err := plan.Run(in)
	if err != nil {
		return "fail", err.Error()
	}
	if len(tc.ExpectedOutput) != len(m.Graph.Outputs) {
		return "fail", "output count differs"
	}
	for i, gt := range tc.ExpectedOutput {
		want, err := fromGorgonia(gt)
		if err != nil {
			return "unsupported", err.Error()
		}
		g := got[m.Graph.Outputs[i].Name]
		if g != nil && len(want.Dims) <= 1 && want.Len() == g.Len() {
			want.Dims = g.Dims // onnx-go keeps one-element tensors as scalars
		}
		if g != nil && g.DType == ir.Int64 && want.DType == ir.Float32 {
			// onnx-go's generator stored some int64 outputs (Size) as
			// float32: compare the values as int64.
			f, _ := want.Float64s()
			w, err := ir.NewFromFloat64(ir.Int64, want.Dims, f)
			if err != nil {
				return "fail", err.Error()
			}
			want = w
		}
		if d := compareTensors(g, want, 1e-3, 1e-7); d != "" {
			return "fail", fmt.Sprintf("output %d: %s", i, d)
		}
	}
	return "pass", ""
}
