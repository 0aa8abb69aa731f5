package onnx

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mconv/mconv/internal/testenv"
	"github.com/mconv/mconv/ir"
)

// conformanceModels lists the shared ONNX test models: node,
// pytorch-converted, pytorch-operator and simple cases (*/model.onnx) and
// the light networks (light/*.onnx).
func conformanceModels(t *testing.T, root string) []string {
	var files []string
	for _, sub := range []string{"node", "pytorch-converted", "pytorch-operator", "simple"} {
		m, err := filepath.Glob(filepath.Join(root, sub, "*", "model.onnx"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	m, err := filepath.Glob(filepath.Join(root, "light", "*.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, m...)
	sort.Strings(files)
	return files
}

// TestConformance imports every shared ONNX test model, checks that it
// verifies (Decode runs ir.Verify) and that export -> import gives an equal
// graph. Every failure is listed by name with its reason.
func TestConformance(t *testing.T) {
	root := testenv.ONNXTests(t)
	files := conformanceModels(t, root)
	if len(files) < 1000 {
		t.Fatalf("found only %d models under %s; is MCONV_ONNX_TESTS right?", len(files), root)
	}
	var failures []string
	for _, f := range files {
		rel, _ := filepath.Rel(root, f)
		if reason := roundTripFile(f); reason != "" {
			failures = append(failures, rel+": "+reason)
		}
	}
	t.Logf("%d models, %d imported, verified and round-tripped", len(files), len(files)-len(failures))
	if len(failures) > 0 {
		t.Errorf("%d of %d models failed:\n%s", len(failures), len(files), strings.Join(failures, "\n"))
	}
}

// roundTripFile loads f, encodes it, decodes the result and compares.
func roundTripFile(f string) string {
	m, err := Load(f)
	if err != nil {
		return "import: " + err.Error()
	}
	data, err := Encode(m)
	if err != nil {
		return "export: " + err.Error()
	}
	m2, err := Decode(data, f+" (round-tripped)", filepath.Dir(f))
	if err != nil {
		return "re-import: " + err.Error()
	}
	if err := ir.Verify(m2); err != nil {
		return "verify after round trip: " + err.Error()
	}
	if d := modelDiff(m, m2); d != "" {
		return "round trip differs: " + d
	}
	return ""
}

// TestConformanceWritesNothing checks that loading the shared data leaves
// its folder untouched (no temp files next to the models).
func TestConformanceWritesNothing(t *testing.T) {
	root := testenv.ONNXTests(t)
	dir := filepath.Join(root, "simple")
	before, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range conformanceModels(t, root) {
		if strings.HasPrefix(f, dir) {
			roundTripFile(f)
		}
	}
	after, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Errorf("%s had %d entries, now %d", dir, len(before), len(after))
	}
}
