// Package golden reads and writes the ONNX test-data layout and compares
// tensors for equivalence checks.
//
// The layout is the ONNX backend tests': a folder holds model.onnx and data
// sets test_data_set_0, test_data_set_1, ..., each holding input_0.pb,
// input_1.pb, ... and output_0.pb, ... as serialized TensorProto files. A
// model file NAME.onnx beside model.onnx may have its own data sets
// NAME_data_set_N (mconv's fixtures store the deploy form's output as
// deploy_data_set_0 beside deploy.onnx).
//
// Inputs bind to graph inputs by name when every file names one, else by
// position over the inputs that have no initializer. Outputs compare under a
// Tolerance; a Result reports max abs / max rel error, cosine similarity and
// top-1 agreement, and whether the tolerance holds.
package golden

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/onnx"
)

// Set is one data set folder: the input and output tensors in file order.
// A tensor's Name is the name stored in its file (possibly empty).
type Set struct {
	Dir     string
	Inputs  []*ir.Tensor
	Outputs []*ir.Tensor
}

var setFile = regexp.MustCompile(`^(input|output)_(\d+)\.pb$`)

// LoadSet reads the input_K.pb and output_K.pb files of dir. The indices of
// each kind must run 0, 1, ... without gaps; other files are ignored. A
// folder without any such file is an error.
func LoadSet(dir string) (*Set, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	idx := map[string]map[int]string{"input": {}, "output": {}}
	for _, e := range ents {
		m := setFile.FindStringSubmatch(e.Name())
		if m == nil || e.IsDir() {
			continue
		}
		k, err := strconv.Atoi(m[2])
		if err != nil || k > 1<<20 {
			return nil, fmt.Errorf("%s: bad file index in %q", dir, e.Name())
		}
		idx[m[1]][k] = filepath.Join(dir, e.Name())
	}
	if len(idx["input"]) == 0 && len(idx["output"]) == 0 {
		return nil, fmt.Errorf("%s: no input_K.pb or output_K.pb files: not a test data set", dir)
	}
	s := &Set{Dir: dir}
	for _, kind := range []string{"input", "output"} {
		files := idx[kind]
		ts := make([]*ir.Tensor, len(files))
		for k := range ts {
			p, ok := files[k]
			if !ok {
				return nil, fmt.Errorf("%s: %s_%d.pb missing (have %d %s files)", dir, kind, k, len(files), kind)
			}
			t, err := onnx.ReadTensorFile(p)
			if err != nil {
				return nil, err
			}
			if err := t.Check(); err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
			ts[k] = t
		}
		if kind == "input" {
			s.Inputs = ts
		} else {
			s.Outputs = ts
		}
	}
	return s, nil
}

// WriteSet writes inputs and outputs as input_K.pb / output_K.pb into dir,
// creating it. Each file is written to a temporary file and renamed.
// Existing input_K.pb / output_K.pb files of dir that the new set does not
// have are removed, so the folder holds exactly this set.
func WriteSet(dir string, inputs, outputs []*ir.Tensor) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for kind, ts := range map[string][]*ir.Tensor{"input": inputs, "output": outputs} {
		for k, t := range ts {
			if t == nil {
				return fmt.Errorf("%s: %s %d is nil", dir, kind, k)
			}
			if err := onnx.WriteTensorFile(filepath.Join(dir, fmt.Sprintf("%s_%d.pb", kind, k)), t); err != nil {
				return err
			}
		}
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		m := setFile.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		k, _ := strconv.Atoi(m[2])
		n := len(inputs)
		if m[1] == "output" {
			n = len(outputs)
		}
		if k >= n {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

var setDir = regexp.MustCompile(`^(.*)data_set_(\d+)$`)

// FindSets returns the data set folders of dir, sorted by index: dir itself
// if it holds input/output files, else its subfolders test_data_set_N.
func FindSets(dir string) ([]string, error) {
	return findSets(dir, "test_")
}

// SetsFor returns the data sets of the model file path: the folders
// STEM_data_set_N beside it (deploy.onnx -> deploy_data_set_0), or, when
// there are none, the standard test_data_set_N folders.
func SetsFor(modelPath string) ([]string, error) {
	dir := filepath.Dir(modelPath)
	stem := strings.TrimSuffix(filepath.Base(modelPath), filepath.Ext(modelPath))
	sets, err := findSets(dir, stem+"_")
	if err != nil || len(sets) > 0 {
		return sets, err
	}
	return findSets(dir, "test_")
}

func findSets(dir, prefix string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		if !e.IsDir() && setFile.MatchString(e.Name()) {
			return []string{dir}, nil
		}
	}
	type set struct {
		n    int
		path string
	}
	var sets []set
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		m := setDir.FindStringSubmatch(e.Name())
		if m == nil || m[1] != prefix {
			continue
		}
		n, err := strconv.Atoi(m[2])
		if err != nil {
			continue
		}
		sets = append(sets, set{n, filepath.Join(dir, e.Name())})
	}
	sort.Slice(sets, func(i, j int) bool { return sets[i].n < sets[j].n })
	out := make([]string, len(sets))
	for i, s := range sets {
		out[i] = s.path
	}
	return out, nil
}

// FeedInputs returns the graph inputs a caller must feed: those without an
// initializer (old-IR models list initializers as inputs too).
func FeedInputs(g *ir.Graph) []*ir.Value {
	var out []*ir.Value
	for _, v := range g.Inputs {
		if v.Const == nil {
			out = append(out, v)
		}
	}
	return out
}

// BindInputs maps the set's input tensors to m's graph inputs: by name when
// every tensor names a graph input, else by position over FeedInputs. Every
// input without an initializer must get a tensor; a tensor whose dtype,
// rank or known dimensions disagree with the input's declared type is an
// error.
func BindInputs(m *ir.Model, s *Set) (map[string]*ir.Tensor, error) {
	if m == nil || m.Graph == nil {
		return nil, errors.New("model has no graph")
	}
	g := m.Graph
	byName := map[string]*ir.Value{}
	for _, v := range g.Inputs {
		byName[v.Name] = v
	}
	out := map[string]*ir.Tensor{}
	named := len(s.Inputs) > 0
	for _, t := range s.Inputs {
		if t.Name == "" || byName[t.Name] == nil || out[t.Name] != nil {
			named = false
			break
		}
		out[t.Name] = t
	}
	feed := FeedInputs(g)
	if !named {
		out = map[string]*ir.Tensor{}
		if len(s.Inputs) > len(g.Inputs) || len(s.Inputs) < len(feed) {
			return nil, fmt.Errorf("%s: %d input files for a model with %d inputs to feed (%s)",
				s.Dir, len(s.Inputs), len(feed), valueNames(feed))
		}
		// Positions count over the inputs to feed; more files than that
		// also override initializer-backed inputs, in graph order.
		order := feed
		if len(s.Inputs) > len(feed) {
			order = g.Inputs
		}
		for i, t := range s.Inputs {
			out[order[i].Name] = t
		}
	}
	for _, v := range feed {
		if out[v.Name] == nil {
			return nil, fmt.Errorf("%s: no input file for graph input %q", s.Dir, v.Name)
		}
	}
	for name, t := range out {
		if err := checkFits(byName[name], t); err != nil {
			return nil, fmt.Errorf("%s: graph input %q: %w", s.Dir, name, err)
		}
	}
	return out, nil
}

// BindOutputs maps the set's expected outputs to m's graph output names:
// by name when every tensor names a graph output, else by position.
func BindOutputs(m *ir.Model, s *Set) (map[string]*ir.Tensor, error) {
	if m == nil || m.Graph == nil {
		return nil, errors.New("model has no graph")
	}
	outs := m.Graph.Outputs
	isOut := map[string]bool{}
	for _, v := range outs {
		isOut[v.Name] = true
	}
	res := map[string]*ir.Tensor{}
	named := len(s.Outputs) > 0
	for _, t := range s.Outputs {
		if t.Name == "" || !isOut[t.Name] || res[t.Name] != nil {
			named = false
			break
		}
		res[t.Name] = t
	}
	if named {
		return res, nil
	}
	if len(s.Outputs) != len(outs) {
		return nil, fmt.Errorf("%s: %d output files for a model with %d outputs (%s)", s.Dir, len(s.Outputs), len(outs), valueNames(outs))
	}
	res = map[string]*ir.Tensor{}
	for i, t := range s.Outputs {
		res[outs[i].Name] = t
	}
	return res, nil
}

func valueNames(vs []*ir.Value) string {
	names := make([]string, len(vs))
	for i, v := range vs {
		names[i] = strconv.Quote(v.Name)
	}
	return strings.Join(names, ", ")
}

func checkFits(v *ir.Value, t *ir.Tensor) error {
	if v == nil {
		return errors.New("no such input")
	}
	typ := v.Type
	if typ.Kind != ir.KindTensor && typ.Kind != ir.KindUnknown {
		return fmt.Errorf("input is not a tensor (kind %d)", typ.Kind)
	}
	if typ.Kind == ir.KindUnknown {
		return nil
	}
	if typ.DType != ir.Undefined && typ.DType != t.DType {
		return fmt.Errorf("file has %s data, input wants %s", t.DType, typ.DType)
	}
	if !typ.HasShape {
		return nil
	}
	if len(typ.Shape) != len(t.Dims) {
		return fmt.Errorf("file has shape %v, input wants %s", t.Dims, typ.Shape)
	}
	for i, d := range typ.Shape {
		if d.Known() && d.Size != t.Dims[i] {
			return fmt.Errorf("file has shape %v, input wants %s", t.Dims, typ.Shape)
		}
	}
	return nil
}

// InputShapes returns the shapes of bound inputs, keyed like them: what
// runtime.Options.InputShapes and ir.SetInputShapes take to fix a model's
// symbolic dimensions (a dynamic batch axis, say) to a data set's.
func InputShapes(inputs map[string]*ir.Tensor) map[string][]int64 {
	out := make(map[string][]int64, len(inputs))
	for n, t := range inputs {
		out[n] = append([]int64(nil), t.Dims...)
	}
	return out
}
