package golden

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
)

// Fixture is one exported network of testdata/golden (made by
// tools/reference/export_fixtures.py): NAME/EXPORTER/ holding the training
// form model.onnx with test_data_set_0 (PyTorch's output) and the deploy form
// deploy.onnx with deploy_data_set_0, described by meta.json.
type Fixture struct {
	Name       string // network, e.g. "repvgg_ident"
	Exporter   string // "torchscript" or "dynamo"
	Dir        string
	Model      string   // path of model.onnx (training form, BN kept)
	Deploy     string   // path of deploy.onnx (reparameterized, BN folded)
	Sets       []string // data sets of Model
	DeploySets []string // data sets of Deploy
	Meta       Meta
}

// Meta is the part of meta.json that tests use.
type Meta struct {
	Name        string              `json:"name"`
	Family      string              `json:"family"`
	Description string              `json:"description"`
	Blocks      []string            `json:"blocks"`
	Exporter    string              `json:"exporter"`
	Opset       int64               `json:"opset"`
	Versions    map[string]string   `json:"versions"`
	InputShape  []int64             `json:"input_shape"`
	OutputShape []int64             `json:"output_shape"`
	Files       map[string]FileMeta `json:"files"`
}

// FileMeta describes one model file of a fixture.
type FileMeta struct {
	Form        string         `json:"form"` // "training" or "deploy"
	DataSets    []string       `json:"data_sets"`
	OpHistogram map[string]int `json:"op_histogram"`
	Input       string         `json:"input"`
	Output      string         `json:"output"`
}

// Dir is the repository's testdata/golden folder, found from this source
// file's location (for tests; it works wherever the module is checked out).
func Dir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return filepath.Join("testdata", "golden")
	}
	return filepath.Join(filepath.Dir(file), "..", "testdata", "golden")
}

// LoadFixtures lists the fixtures under root (NAME/EXPORTER/meta.json),
// sorted by name then exporter. A fixture folder without model.onnx,
// deploy.onnx, a data set for each, or a readable meta.json is an error.
func LoadFixtures(root string) ([]Fixture, error) {
	metas, err := filepath.Glob(filepath.Join(root, "*", "*", "meta.json"))
	if err != nil {
		return nil, err
	}
	if len(metas) == 0 {
		return nil, fmt.Errorf("%s: no fixtures (NAME/EXPORTER/meta.json)", root)
	}
	sort.Strings(metas)
	var out []Fixture
	for _, mp := range metas {
		dir := filepath.Dir(mp)
		f := Fixture{
			Name:     filepath.Base(filepath.Dir(dir)),
			Exporter: filepath.Base(dir),
			Dir:      dir,
			Model:    filepath.Join(dir, "model.onnx"),
			Deploy:   filepath.Join(dir, "deploy.onnx"),
		}
		data, err := os.ReadFile(mp)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(data, &f.Meta); err != nil {
			return nil, fmt.Errorf("%s: %w", mp, err)
		}
		for _, p := range []string{f.Model, f.Deploy} {
			if _, err := os.Stat(p); err != nil {
				return nil, err
			}
		}
		if f.Sets, err = SetsFor(f.Model); err != nil {
			return nil, err
		}
		if f.DeploySets, err = SetsFor(f.Deploy); err != nil {
			return nil, err
		}
		if len(f.Sets) == 0 || len(f.DeploySets) == 0 {
			return nil, fmt.Errorf("%s: missing test_data_set_N or deploy_data_set_N", dir)
		}
		out = append(out, f)
	}
	return out, nil
}
