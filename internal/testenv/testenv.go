// Package testenv finds the test data that lives outside the repository and
// decides what a test does when it is missing: skip with a reason on a
// developer machine, fail in CI (MCONV_REQUIRE_SHARED=1, set by .ci/run).
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// ONNXTests returns the ONNX backend test data folder named by
// MCONV_ONNX_TESTS, or skips (fails in CI) when it is not set or missing.
func ONNXTests(t testing.TB) string {
	t.Helper()
	return dirFromEnv(t, "MCONV_ONNX_TESTS", "the ONNX backend test data (../shared/onnx-tests)")
}

// FullModels returns the folder of full-size exported models named by
// MCONV_FULL_MODELS (made by tools/reference/export_fixtures.py --full), or
// skips when unset. CI does not have them, so this never fails.
func FullModels(t testing.TB) string {
	t.Helper()
	d := os.Getenv("MCONV_FULL_MODELS")
	if d == "" {
		t.Skip("MCONV_FULL_MODELS not set: full-size models are made by tools/reference/export_fixtures.py --full")
	}
	if _, err := os.Stat(d); err != nil {
		t.Skipf("MCONV_FULL_MODELS=%s: %v", d, err)
	}
	return d
}

// Zoo returns the folder of the benchmark zoo named by MCONV_ZOO (made by
// tools/reference/export_fixtures.py --zoo: NAME/EXPORTER/train.onnx with
// train_data_set_0), or skips when unset. CI does not have it (the zoo is
// hundreds of MB of full-size models), so this never fails; a set folder
// that holds no model fails in the caller's testenv.Glob.
func Zoo(t testing.TB) string {
	t.Helper()
	d := os.Getenv("MCONV_ZOO")
	if d == "" {
		t.Skip("MCONV_ZOO not set: the zoo (hundreds of MB of full-size models, not in CI) is made by tools/reference/export_fixtures.py --zoo")
	}
	if _, err := os.Stat(d); err != nil {
		t.Fatalf("MCONV_ZOO=%s: %v", d, err)
	}
	return d
}

func dirFromEnv(t testing.TB, env, what string) string {
	t.Helper()
	d := os.Getenv(env)
	required := os.Getenv("MCONV_REQUIRE_SHARED") == "1"
	if d == "" {
		if required {
			t.Fatalf("%s is not set but MCONV_REQUIRE_SHARED=1: CI must run the tests on %s", env, what)
		}
		t.Skipf("%s not set: skipping the tests on %s", env, what)
	}
	if st, err := os.Stat(d); err != nil || !st.IsDir() {
		if required {
			t.Fatalf("%s=%s is not a folder: %v", env, d, err)
		}
		t.Skipf("%s=%s is not a folder: %v", env, d, err)
	}
	abs, err := filepath.Abs(d)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// Tool returns the path of an external program a test needs (protoc, say),
// or skips when it is missing, failing instead in CI
// (MCONV_REQUIRE_SHARED=1), where the README's commands install it.
func Tool(t testing.TB, name, install string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("MCONV_REQUIRE_SHARED") == "1" {
			t.Fatalf("%s not on PATH but MCONV_REQUIRE_SHARED=1 (install: %s)", name, install)
		}
		t.Skipf("%s not on PATH (install: %s)", name, install)
	}
	return p
}

// Glob returns the files matching each pattern in turn (filepath.Glob
// order within a pattern) and fails the test when a pattern is malformed
// or nothing matches at all.
func Glob(t testing.TB, patterns ...string) []string {
	t.Helper()
	var files []string
	for _, p := range patterns {
		m, err := filepath.Glob(p)
		if err != nil {
			t.Fatalf("glob %s: %v", p, err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatalf("no files match %s", strings.Join(patterns, ", "))
	}
	return files
}
