package runtime_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/mconv/mconv/golden"
	"github.com/mconv/mconv/internal/testenv"
	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/onnx"
	"github.com/mconv/mconv/passes"
	"github.com/mconv/mconv/runtime"
)

// zooTolerance is the golden fixtures' rule (rtol 1e-4 of the output's
// scale plus atol 1e-5), applied to full-size networks.
var zooTolerance = golden.Tolerance{RTol: 1e-4, ATol: 1e-5}

// TestZooMatchesPyTorch runs every model of the benchmark zoo (MCONV_ZOO,
// made by export_fixtures.py --zoo: full-size timm/torchvision backbones in
// training form, by both exporters) through runtime.Compile, as loaded and
// after mconv's passes, and compares with PyTorch's output of the training
// form stored beside it. Skipped when MCONV_ZOO is unset.
func TestZooMatchesPyTorch(t *testing.T) {
	root := testenv.Zoo(t)
	for _, path := range testenv.Glob(t, filepath.Join(root, "*", "*", "train.onnx")) {
		rel, _ := filepath.Rel(root, path)
		t.Run(filepath.Dir(rel), func(t *testing.T) {
			sets, err := golden.SetsFor(path)
			if err != nil || len(sets) == 0 {
				t.Fatalf("no data set beside %s (%v)", path, err)
			}
			m, err := onnx.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := checkZooModel(m, sets[:1]); err != nil {
				t.Errorf("as exported: %v", err)
			}
			if _, err := passes.Run(m, passes.Options{}); err != nil {
				t.Fatalf("passes: %v", err)
			}
			if err := checkZooModel(m, sets[:1]); err != nil {
				t.Errorf("after passes: %v", err)
			}
		})
	}
}

func checkZooModel(m *ir.Model, sets []string) error {
	s, err := golden.LoadSet(sets[0])
	if err != nil {
		return err
	}
	in, err := golden.BindInputs(m, s)
	if err != nil {
		return err
	}
	plan, err := runtime.Compile(m, runtime.Options{Threads: 2, InputShapes: golden.InputShapes(in)})
	if err != nil {
		return err
	}
	defer plan.Close()
	reps, err := golden.CheckSets(m, sets, plan.Run, zooTolerance)
	if err != nil {
		return err
	}
	for _, r := range reps {
		if !r.OK() {
			return fmt.Errorf("%s", r.String())
		}
	}
	return nil
}
