package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mconv/mconv/golden"
	"github.com/mconv/mconv/internal/testenv"
)

// TestFullModelsMatch runs every full-size model of MCONV_FULL_MODELS
// (NAME/train.onnx and NAME/deploy.onnx, 224x224, exported by
// tools/reference/export_fixtures.py --full with PyTorch's outputs in
// NAME/{train,deploy}_data_set_0) and compares with PyTorch's output within
// rtol 1e-4 / atol 1e-5 of the output's scale, as the golden fixtures are.
// Skipped (with the reason) when MCONV_FULL_MODELS is unset; -short runs
// the deploy forms only.
func TestFullModelsMatch(t *testing.T) {
	root := testenv.FullModels(t)
	models := testenv.Glob(t, filepath.Join(root, "*", "*.onnx"))
	for _, path := range models {
		rel, _ := filepath.Rel(root, path)
		t.Run(rel, func(t *testing.T) {
			if testing.Short() && !strings.HasSuffix(path, "deploy.onnx") {
				t.Skip("-short: deploy forms only")
			}
			sets, err := golden.SetsFor(path)
			if err != nil || len(sets) == 0 {
				t.Fatalf("no data set beside %s (%v)", path, err)
			}
			if _, err := os.Stat(sets[0]); err != nil {
				t.Fatal(err)
			}
			if err := runFixtureFile(path, sets[:1]); err != nil {
				t.Error(err)
			}
		})
	}
}
