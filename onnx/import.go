// Package onnx reads and writes ONNX model files (.onnx) and serialized
// tensors (.pb), converting between the ONNX protobuf messages (onnx.pb.go,
// generated from onnx.proto) and mconv's IR (package ir).
//
// Import accepts IR versions MinIRVersion..MaxIRVersion (3..14) and
// default-domain opsets from MinOpset (1) to the newest opset of the op
// schema table (ir/schemas_gen.go, generated from the onnx Python package
// pinned in tools/reference: 28 for onnx 1.23.2). The issue that introduced
// the importer asked for IR 3-10 and opsets 7-22; the ONNX backend test data
// the project must import goes down to opset 6 (old PyTorch exports) and up
// to opset 25 and IR 13, so the bounds are what the schema table can check
// instead. Anything newer is refused with a message saying so, as is an
// opset of another domain of the table (ai.onnx.ml, the preview domains)
// newer than the table's (TestVersionBounds checks the edges).
//
// Export writes back what the importer read (names, doc strings, opsets,
// metadata, value_info of intermediate values, sparse initializers,
// functions, training info, device configurations, quantization
// annotations), so that Decode(Encode(Decode(f))) gives the same graph as
// Decode(f). Not kept, as the IR has no place for them: a node's IR 11
// device_configurations, the metadata_props of tensors and value_info
// entries, value_info entries naming a graph input or initializer (they
// repeat its type), and typed data fields, which are written as raw_data.
// Opaque types are refused on import.
package onnx

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mconv/mconv/ir"
	"google.golang.org/protobuf/proto"
)

// internalError marks errors that come from a bug in mconv.
const internalError = "internal error in mconv (please report)"

// Accepted versions; see the package comment. The newest accepted opset is
// ir.SchemaOpsetVersions[""].
const (
	MinIRVersion = 3
	MaxIRVersion = 14
	MinOpset     = 1
)

// Load reads an ONNX model file. External tensor data is read relative to
// the model's folder. Errors name the file (and the node and op where
// there is one).
func Load(path string) (*ir.Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Decode(data, path, filepath.Dir(path))
}

// Decode parses a serialized ModelProto. name is used in error messages
// (usually the file path); dir is the folder that external data locations
// are relative to ("" refuses external data). The result passes ir.Verify.
func Decode(data []byte, name, dir string) (m *ir.Model, err error) {
	if name == "" {
		name = "model"
	}
	// Last line of defence: a panic while importing (in the importer, or in
	// the verifier and shape functions it runs) is a bug in mconv, but the
	// user still gets an error naming the file, not a crash. FuzzImport
	// fails on these errors so that the bug gets fixed.
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("%s: %s: %v", name, internalError, r)
		}
	}()
	var mp ModelProto
	if err := proto.Unmarshal(data, &mp); err != nil {
		return nil, fmt.Errorf("%s: not an ONNX model (protobuf: %v)", name, err)
	}
	m, err = importModel(&mp, dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := ir.Verify(m); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return m, nil
}

type importer struct {
	dir   string
	m     *ir.Model
	funcs map[string]bool // "domain::name" of model-local functions
}

func importModel(mp *ModelProto, dir string) (*ir.Model, error) {
	if mp.IrVersion == nil {
		if mp.Graph == nil {
			return nil, errors.New("not an ONNX model (no ir_version and no graph)")
		}
		return nil, errors.New("not an ONNX model (ir_version missing)")
	}
	if v := mp.GetIrVersion(); v < MinIRVersion || v > MaxIRVersion {
		return nil, fmt.Errorf("ONNX IR version %d not supported (mconv reads IR versions %d to %d)", v, MinIRVersion, MaxIRVersion)
	}
	if mp.Graph == nil {
		return nil, errors.New("not an ONNX model (no graph)")
	}
	m := &ir.Model{
		IRVersion:       mp.GetIrVersion(),
		ProducerName:    mp.GetProducerName(),
		ProducerVersion: mp.GetProducerVersion(),
		Domain:          mp.GetDomain(),
		ModelVersion:    mp.GetModelVersion(),
		Doc:             mp.GetDocString(),
		Metadata:        kvsFromProto(mp.MetadataProps),
	}
	seen := map[string]bool{}
	for _, o := range mp.OpsetImport {
		d := o.GetDomain()
		if d == "ai.onnx" {
			d = ""
		}
		if seen[d] {
			return nil, fmt.Errorf("opset_import lists domain %q twice", o.GetDomain())
		}
		seen[d] = true
		m.Opsets = append(m.Opsets, ir.OpsetImport{Domain: o.GetDomain(), Version: o.GetVersion()})
	}
	if err := checkOpsets(m); err != nil {
		return nil, err
	}
	im := &importer{dir: dir, m: m, funcs: map[string]bool{}}
	for _, f := range mp.Functions {
		im.funcs[funcKey(f.GetDomain(), f.GetName())] = true
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(f)
		if err != nil {
			return nil, fmt.Errorf("function %q: %w", f.GetName(), err)
		}
		addOpaque(m, "functions", b)
	}
	for _, ti := range mp.TrainingInfo {
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(ti)
		if err != nil {
			return nil, fmt.Errorf("training_info: %w", err)
		}
		addOpaque(m, "training_info", b)
	}
	for _, c := range mp.Configuration {
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(c)
		if err != nil {
			return nil, fmt.Errorf("configuration: %w", err)
		}
		addOpaque(m, "configuration", b)
	}
	g, err := im.graph(mp.Graph, nil)
	if err != nil {
		return nil, err
	}
	m.Graph = g
	return m, nil
}

func addOpaque(m *ir.Model, key string, b []byte) {
	if m.Opaque == nil {
		m.Opaque = map[string][][]byte{}
	}
	m.Opaque[key] = append(m.Opaque[key], b)
}

func funcKey(domain, name string) string { return domain + "::" + name }

// newestOpset returns the newest opset version of domain in the schema
// table, or 0 when the table has no ops of that domain.
func newestOpset(domain string) int64 {
	if v, ok := ir.SchemaOpsetVersions[normDomain(domain)]; ok {
		return v
	}
	return 0
}

func normDomain(d string) string {
	if d == "ai.onnx" {
		return ""
	}
	return d
}

// checkOpsets checks the default-domain opset version range, and that no
// other domain of the schema table (ai.onnx.ml, ...) is imported at a
// version newer than the table knows.
func checkOpsets(m *ir.Model) error {
	for _, o := range m.Opsets {
		d := normDomain(o.Domain)
		if d != "" {
			if max := newestOpset(d); max > 0 && o.Version > max {
				return fmt.Errorf("opset %d of domain %q is newer than the newest this mconv knows (%d); update mconv", o.Version, o.Domain, max)
			}
			continue
		}
		max := newestOpset("")
		if o.Version < MinOpset {
			return fmt.Errorf("opset %d of the default domain not supported (mconv reads opsets %d to %d)", o.Version, MinOpset, max)
		}
		if max > 0 && o.Version > max {
			return fmt.Errorf("opset %d of the default domain is newer than the newest this mconv knows (%d); update mconv", o.Version, max)
		}
	}
	return nil
}

func kvsFromProto(kvs []*StringStringEntryProto) []ir.KV {
	if len(kvs) == 0 {
		return nil
	}
	out := make([]ir.KV, len(kvs))
	for i, kv := range kvs {
		out[i] = ir.KV{Key: kv.GetKey(), Value: kv.GetValue()}
	}
	return out
}

// graph converts a GraphProto. parent is the enclosing graph of a subgraph.
func (im *importer) graph(gp *GraphProto, parent *ir.Graph) (*ir.Graph, error) {
	var g *ir.Graph
	if parent == nil {
		g = ir.NewGraph(gp.GetName())
	} else {
		g = ir.NewSubgraph(parent, gp.GetName())
	}
	g.Doc = gp.GetDocString()
	g.Meta = kvsFromProto(gp.MetadataProps)
	for _, qa := range gp.QuantizationAnnotation {
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(qa)
		if err != nil {
			return nil, err
		}
		g.Quant = append(g.Quant, b)
	}
	where := func(err error) error {
		if parent == nil {
			return err
		}
		return fmt.Errorf("subgraph %q: %w", gp.GetName(), err)
	}

	// Initializers.
	for _, tp := range gp.Initializer {
		if tp.GetName() == "" {
			return nil, where(errors.New("initializer without a name"))
		}
		t, err := tensorFromProto(tp, im.dir)
		if err != nil {
			return nil, where(fmt.Errorf("initializer: %w", err))
		}
		v := &ir.Value{Name: t.Name, Type: ir.TensorOf(t.DType, t.Dims...), Const: t}
		if g.Lookup(v.Name) != nil {
			return nil, where(fmt.Errorf("initializer %q defined twice", v.Name))
		}
		if err := g.RegisterValue(v); err != nil {
			return nil, where(err)
		}
		g.Initializers = append(g.Initializers, v)
	}
	for _, sp := range gp.SparseInitializer {
		v, st, err := im.sparseInit(sp)
		if err != nil {
			return nil, where(err)
		}
		if g.Lookup(v.Name) != nil {
			return nil, where(fmt.Errorf("sparse initializer %q defined twice", v.Name))
		}
		if err := g.RegisterValue(v); err != nil {
			return nil, where(err)
		}
		g.Initializers = append(g.Initializers, v)
		g.SparseInits = append(g.SparseInits, &ir.SparseInit{Value: v, Sparse: st})
	}

	// Graph inputs (old IR: may name an initializer, which then is the
	// input's default value).
	inputSeen := map[string]bool{}
	for _, vi := range gp.Input {
		name := vi.GetName()
		if name == "" {
			return nil, where(errors.New("graph input without a name"))
		}
		if inputSeen[name] {
			return nil, where(fmt.Errorf("graph input %q listed twice", name))
		}
		inputSeen[name] = true
		t, err := typeFromProto(vi.Type)
		if err != nil {
			return nil, where(fmt.Errorf("graph input %q: %w", name, err))
		}
		v := g.Lookup(name)
		if v == nil {
			v = &ir.Value{Name: name}
			if err := g.RegisterValue(v); err != nil {
				return nil, where(err)
			}
		}
		if vi.Type != nil || v.Const == nil {
			v.Type = t
		}
		v.Doc = vi.GetDocString()
		v.IsInput = true
		g.Inputs = append(g.Inputs, v)
	}

	// Node outputs first, so that inputs can be resolved whatever the node
	// order (a bad order or a cycle is reported by Sort below).
	nodes := make([]*ir.Node, len(gp.Node))
	for i, np := range gp.Node {
		n := &ir.Node{
			Name: np.GetName(), OpType: np.GetOpType(), Domain: np.GetDomain(),
			Doc: np.GetDocString(), Owner: g, Overload: np.GetOverload(),
			Meta: kvsFromProto(np.MetadataProps),
		}
		if n.OpType == "" {
			return nil, where(fmt.Errorf("node %q has no op_type", n.Name))
		}
		if err := im.checkOp(n); err != nil {
			return nil, where(fmt.Errorf("node %q (%s): %w", n.Name, n.OpType, err))
		}
		for k, on := range np.Output {
			if on == "" {
				n.Outputs = append(n.Outputs, nil)
				continue
			}
			if g.Lookup(on) != nil {
				return nil, where(fmt.Errorf("node %q (%s): output %q is already defined", n.Name, n.OpType, on))
			}
			v := &ir.Value{Name: on, Producer: n, OutIndex: k}
			if err := g.RegisterValue(v); err != nil {
				return nil, where(err)
			}
			n.Outputs = append(n.Outputs, v)
		}
		nodes[i] = n
	}
	// value_info: types of intermediate values.
	for _, vi := range gp.ValueInfo {
		v := g.Lookup(vi.GetName())
		if v == nil {
			// value_info for a name that does not exist in this graph is
			// harmless metadata; ONNX tools drop it as well.
			continue
		}
		t, err := typeFromProto(vi.Type)
		if err != nil {
			return nil, where(fmt.Errorf("value_info %q: %w", vi.GetName(), err))
		}
		if v.Producer == nil {
			// value_info for a graph input or initializer repeats what
			// the input or the tensor already says; it is not kept.
			continue
		}
		v.Type = t
		v.Doc = vi.GetDocString()
		v.HasInfo = true
	}
	// Inputs and attributes.
	for i, np := range gp.Node {
		n := nodes[i]
		for k, in := range np.Input {
			if in == "" {
				n.Inputs = append(n.Inputs, nil)
				continue
			}
			v := g.Resolve(in)
			if v == nil {
				return nil, where(fmt.Errorf("node %q (%s): input %d %q is not defined (not a graph input, initializer or node output)", n.Name, n.OpType, k, in))
			}
			n.Inputs = append(n.Inputs, v)
			v.Uses = append(v.Uses, ir.Use{Node: n, Index: k})
		}
		for _, ap := range np.Attribute {
			a, err := im.attr(ap, g)
			if err != nil {
				return nil, where(fmt.Errorf("node %q (%s): %w", n.Name, n.OpType, err))
			}
			if n.Attr(a.Name) != nil {
				return nil, where(fmt.Errorf("node %q (%s): attribute %q given twice", n.Name, n.OpType, a.Name))
			}
			n.Attrs = append(n.Attrs, a)
		}
		g.Nodes = append(g.Nodes, n)
	}

	// Outputs.
	for _, vi := range gp.Output {
		name := vi.GetName()
		v := g.Resolve(name)
		if v == nil {
			return nil, where(fmt.Errorf("graph output %q is not defined", name))
		}
		if v.Owner == g {
			if vi.Type != nil && v.Const == nil {
				t, err := typeFromProto(vi.Type)
				if err != nil {
					return nil, where(fmt.Errorf("graph output %q: %w", name, err))
				}
				v.Type = t
			}
			if vi.GetDocString() != "" {
				v.Doc = vi.GetDocString()
			}
			v.IsOutput = true
		}
		g.Outputs = append(g.Outputs, v)
	}
	if err := g.Sort(); err != nil {
		return nil, where(err)
	}
	return g, nil
}

// checkOp accepts ops of the schema table and calls of model-local
// functions; any other op or domain is an error.
func (im *importer) checkOp(n *ir.Node) error {
	if im.funcs[funcKey(n.Domain, n.OpType)] {
		return nil
	}
	d := normDomain(n.Domain)
	if len(ir.SchemaOpsetVersions) == 0 {
		return nil // no schema table linked in: nothing to check against
	}
	version := im.m.Opset(d)
	if version == 0 {
		return fmt.Errorf("domain %q is not imported in opset_import", n.Domain)
	}
	if !ir.KnownOp(d, n.OpType) {
		if !ir.KnownDomain(d) && d != ir.FusedDomain {
			return fmt.Errorf("unknown op domain %q (not a standard ONNX domain, nor a function of this model)", n.Domain)
		}
		return errors.New("unknown op")
	}
	if ir.LookupSchema(d, n.OpType, version) == nil {
		return fmt.Errorf("op is not defined in opset %d of domain %q", version, displayDomain(d))
	}
	return nil
}

func displayDomain(d string) string {
	if d == "" {
		return "ai.onnx"
	}
	return d
}
