package ir

import (
	"fmt"
	"strconv"
)

// FusedDomain is the op domain of mconv's own fused ops (SqueezeExcite, ...).
// Backends expand them back to standard ops where the target needs it.
const FusedDomain = "mconv"

// OpsetImport is one entry of a model's opset_import.
type OpsetImport struct {
	Domain  string // "" is the default domain ai.onnx
	Version int64
}

// KV is one metadata_props entry.
type KV struct{ Key, Value string }

// Model is a whole model: metadata plus the main graph.
type Model struct {
	IRVersion       int64
	ProducerName    string
	ProducerVersion string
	Domain          string
	ModelVersion    int64
	Doc             string
	Opsets          []OpsetImport
	Metadata        []KV
	Graph           *Graph

	// Opaque holds serialized parts of the source format that the IR does
	// not model (ONNX model-local functions, training info), so that export
	// writes them back unchanged. Keyed by field name.
	Opaque map[string][][]byte
}

// Opset returns the version imported for domain ("" or "ai.onnx" for the
// default domain), or 0 if none.
func (m *Model) Opset(domain string) int64 {
	if domain == "ai.onnx" {
		domain = ""
	}
	for _, o := range m.Opsets {
		d := o.Domain
		if d == "ai.onnx" {
			d = ""
		}
		if d == domain {
			return o.Version
		}
	}
	return 0
}

// Use is one place a Value is read: input Index of Node.
type Use struct {
	Node  *Node
	Index int
}

// Value is a tensor (or sequence, optional, map) flowing through the graph.
// It is produced by exactly one of: a node output (Producer != nil), a graph
// input (IsInput), an initializer (Const != nil), or an outer graph (a
// subgraph reading a value of an enclosing graph). Graph inputs of old-IR
// models that also have an initializer have both IsInput and Const.
type Value struct {
	Name  string
	Type  Type
	Doc   string
	Const *Tensor // constant data (initializer), or nil

	Producer *Node // node that produces the value, or nil
	OutIndex int   // output index in Producer
	Uses     []Use // consumers, kept consistent by the Graph methods
	Owner    *Graph
	IsInput  bool
	IsOutput bool
	// HasInfo records that the source model had a value_info entry for
	// this intermediate value; the exporter writes one back.
	HasInfo bool
}

// IsConst reports whether v is a constant that is not also a graph input
// (an old-IR input with a default counts as not constant: users can feed it).
func (v *Value) IsConst() bool { return v != nil && v.Const != nil && !v.IsInput }

func (v *Value) String() string { return fmt.Sprintf("%%%s:%s", v.Name, v.Type) }

// AttrType follows ONNX's AttributeProto.AttributeType numbering.
type AttrType int32

const (
	AttrUndefined     AttrType = 0
	AttrFloat         AttrType = 1
	AttrInt           AttrType = 2
	AttrString        AttrType = 3
	AttrTensor        AttrType = 4
	AttrGraph         AttrType = 5
	AttrFloats        AttrType = 6
	AttrInts          AttrType = 7
	AttrStrings       AttrType = 8
	AttrTensors       AttrType = 9
	AttrGraphs        AttrType = 10
	AttrSparseTensor  AttrType = 11
	AttrSparseTensors AttrType = 12
	AttrTypeProto     AttrType = 13
	AttrTypeProtos    AttrType = 14
)

var attrTypeNames = map[AttrType]string{
	AttrUndefined: "undefined", AttrFloat: "float", AttrInt: "int", AttrString: "string",
	AttrTensor: "tensor", AttrGraph: "graph", AttrFloats: "floats", AttrInts: "ints",
	AttrStrings: "strings", AttrTensors: "tensors", AttrGraphs: "graphs",
	AttrSparseTensor: "sparse_tensor", AttrSparseTensors: "sparse_tensors",
	AttrTypeProto: "type_proto", AttrTypeProtos: "type_protos",
}

func (a AttrType) String() string {
	if s, ok := attrTypeNames[a]; ok {
		return s
	}
	return "attr(" + strconv.Itoa(int(a)) + ")"
}

// SparseTensor is ONNX's SparseTensorProto.
type SparseTensor struct {
	Values  *Tensor
	Indices *Tensor
	Dims    []int64
}

// Attr is one node attribute. Only the field for Type is meaningful.
type Attr struct {
	Name    string
	Type    AttrType
	Doc     string
	RefName string // ref_attr_name inside function bodies

	F       float32
	I       int64
	S       []byte
	T       *Tensor
	G       *Graph
	Sparse  *SparseTensor
	TP      *Type
	Floats  []float32
	Ints    []int64
	Strings [][]byte
	Tensors []*Tensor
	Graphs  []*Graph
	Sparses []*SparseTensor
	TPs     []*Type
}

// Node is one operator application.
type Node struct {
	Name    string
	OpType  string
	Domain  string   // "" is ai.onnx
	Inputs  []*Value // nil entries are omitted optional inputs
	Outputs []*Value // nil entries are omitted optional outputs
	Attrs   []*Attr
	Doc     string
	Owner   *Graph
	// Overload is ONNX's NodeProto.overload (IR 10), kept for round trips.
	Overload string
	// Meta is metadata_props, kept for round trips.
	Meta []KV
}

func (n *Node) String() string {
	return fmt.Sprintf("node %q (%s)", n.Name, n.OpType)
}

// Attr returns the attribute named name, or nil.
func (n *Node) Attr(name string) *Attr {
	for _, a := range n.Attrs {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// AttrInt returns an int attribute or def when absent.
func (n *Node) AttrInt(name string, def int64) int64 {
	if a := n.Attr(name); a != nil && a.Type == AttrInt {
		return a.I
	}
	return def
}

// AttrFloat returns a float attribute or def when absent.
func (n *Node) AttrFloat(name string, def float32) float32 {
	if a := n.Attr(name); a != nil && a.Type == AttrFloat {
		return a.F
	}
	return def
}

// AttrString returns a string attribute or def when absent.
func (n *Node) AttrString(name string, def string) string {
	if a := n.Attr(name); a != nil && a.Type == AttrString {
		return string(a.S)
	}
	return def
}

// AttrInts returns an ints attribute or def when absent (def is not copied).
func (n *Node) AttrInts(name string, def []int64) []int64 {
	if a := n.Attr(name); a != nil && a.Type == AttrInts {
		return a.Ints
	}
	return def
}

// AttrFloats returns a floats attribute or def when absent.
func (n *Node) AttrFloats(name string, def []float32) []float32 {
	if a := n.Attr(name); a != nil && a.Type == AttrFloats {
		return a.Floats
	}
	return def
}

// SetAttr adds or replaces an attribute.
func (n *Node) SetAttr(a *Attr) {
	for i, b := range n.Attrs {
		if b.Name == a.Name {
			n.Attrs[i] = a
			return
		}
	}
	n.Attrs = append(n.Attrs, a)
}

// DelAttr removes an attribute if present.
func (n *Node) DelAttr(name string) {
	for i, b := range n.Attrs {
		if b.Name == name {
			n.Attrs = append(n.Attrs[:i], n.Attrs[i+1:]...)
			return
		}
	}
}

// Input returns input i, or nil when absent or omitted.
func (n *Node) Input(i int) *Value {
	if i < 0 || i >= len(n.Inputs) {
		return nil
	}
	return n.Inputs[i]
}

// Output returns output i, or nil when absent.
func (n *Node) Output(i int) *Value {
	if i < 0 || i >= len(n.Outputs) {
		return nil
	}
	return n.Outputs[i]
}

// Graph is a list of nodes in topological order, with its inputs, outputs
// and constants. A subgraph (an If branch, a Loop body) has Parent set and may
// read Values owned by enclosing graphs.
type Graph struct {
	Name   string
	Doc    string
	Parent *Graph

	Inputs       []*Value // graph inputs in order (old IR: may have Const)
	Outputs      []*Value // graph outputs in order (may repeat a value)
	Initializers []*Value // values with Const, in order (inputs with defaults included)
	Nodes        []*Node  // topological order; see Sort

	// SparseInits are sparse_initializer entries, kept for round trips.
	SparseInits []*SparseInit
	// Quant is quantization_annotation, serialized, kept for round trips.
	Quant [][]byte
	// Meta is metadata_props, kept for round trips.
	Meta []KV

	names   map[string]*Value
	counter int
}

// SparseInit is a sparse initializer: a named constant value of sparse type.
type SparseInit struct {
	Value  *Value
	Sparse *SparseTensor
}

// NewGraph returns an empty graph.
func NewGraph(name string) *Graph {
	return &Graph{Name: name, names: map[string]*Value{}}
}

// NewSubgraph returns an empty graph nested in parent.
func NewSubgraph(parent *Graph, name string) *Graph {
	g := NewGraph(name)
	g.Parent = parent
	return g
}

func (g *Graph) index() map[string]*Value {
	if g.names == nil {
		g.names = map[string]*Value{}
	}
	return g.names
}

// Lookup finds a value by name in g (not in enclosing graphs).
func (g *Graph) Lookup(name string) *Value { return g.index()[name] }

// Resolve finds a value by name in g or, failing that, in enclosing graphs.
func (g *Graph) Resolve(name string) *Value {
	for h := g; h != nil; h = h.Parent {
		if v := h.Lookup(name); v != nil {
			return v
		}
	}
	return nil
}

// UniqueName returns a name not used in g or its ancestors, based on prefix.
func (g *Graph) UniqueName(prefix string) string {
	if prefix == "" {
		prefix = "v"
	}
	if g.Resolve(prefix) == nil {
		return prefix
	}
	for {
		g.counter++
		name := prefix + "_" + strconv.Itoa(g.counter)
		if g.Resolve(name) == nil {
			return name
		}
	}
}

// NewValue creates a value owned by g. An empty or taken name is made unique.
func (g *Graph) NewValue(name string, t Type) *Value {
	name = g.UniqueName(name)
	v := &Value{Name: name, Type: t, Owner: g}
	g.index()[name] = v
	return v
}

// AddInput appends a graph input.
func (g *Graph) AddInput(name string, t Type) *Value {
	v := g.NewValue(name, t)
	v.IsInput = true
	g.Inputs = append(g.Inputs, v)
	return v
}

// AddConst appends an initializer holding t; its type is derived from t.
func (g *Graph) AddConst(name string, t *Tensor) *Value {
	v := g.NewValue(name, TensorOf(t.DType, t.Dims...))
	v.Const = t
	g.Initializers = append(g.Initializers, v)
	return v
}

// AddOutput marks v as a graph output.
func (g *Graph) AddOutput(v *Value) {
	v.IsOutput = true
	g.Outputs = append(g.Outputs, v)
}

// Rename changes v's name, keeping the name index consistent. It fails if
// the name is taken.
func (g *Graph) Rename(v *Value, name string) error {
	if v.Name == name {
		return nil
	}
	if g.Lookup(name) != nil {
		return fmt.Errorf("value name %q already used", name)
	}
	delete(g.index(), v.Name)
	v.Name = name
	g.index()[name] = v
	return nil
}

// AddNode appends a node computing op(inputs) with fresh outputs of the
// given names (types unknown until shape inference). It does not re-sort:
// callers add nodes in dependency order or call Sort.
func (g *Graph) AddNode(op, name string, inputs []*Value, outputNames ...string) *Node {
	n := &Node{Name: name, OpType: op, Owner: g}
	for i, in := range inputs {
		n.Inputs = append(n.Inputs, in)
		if in != nil {
			in.Uses = append(in.Uses, Use{n, i})
		}
	}
	for i, on := range outputNames {
		if on == "" {
			n.Outputs = append(n.Outputs, nil)
			continue
		}
		v := g.NewValue(on, Type{})
		v.Producer, v.OutIndex = n, i
		n.Outputs = append(n.Outputs, v)
	}
	g.Nodes = append(g.Nodes, n)
	return n
}

// InsertNodeBefore is AddNode, placing the node just before at (or at the
// end if at is nil), keeping a valid order when the inputs are defined
// before at.
func (g *Graph) InsertNodeBefore(at *Node, op, name string, inputs []*Value, outputNames ...string) *Node {
	n := g.AddNode(op, name, inputs, outputNames...)
	if at == nil {
		return n
	}
	g.Nodes = g.Nodes[:len(g.Nodes)-1]
	for i, m := range g.Nodes {
		if m == at {
			g.Nodes = append(g.Nodes[:i], append([]*Node{n}, g.Nodes[i:]...)...)
			return n
		}
	}
	g.Nodes = append(g.Nodes, n)
	return n
}

// SetInput replaces input i of n, keeping use lists consistent. It grows
// the input list with omitted entries if needed.
func (n *Node) SetInput(i int, v *Value) {
	for len(n.Inputs) <= i {
		n.Inputs = append(n.Inputs, nil)
	}
	if old := n.Inputs[i]; old != nil {
		old.removeUse(n, i)
	}
	n.Inputs[i] = v
	if v != nil {
		v.Uses = append(v.Uses, Use{n, i})
	}
}

// SetInputs replaces all inputs of n.
func (n *Node) SetInputs(vs []*Value) {
	for i, old := range n.Inputs {
		if old != nil {
			old.removeUse(n, i)
		}
	}
	n.Inputs = nil
	for i, v := range vs {
		n.SetInput(i, v)
	}
}

func (v *Value) removeUse(n *Node, i int) {
	for k, u := range v.Uses {
		if u.Node == n && u.Index == i {
			v.Uses = append(v.Uses[:k], v.Uses[k+1:]...)
			return
		}
	}
	panic(fmt.Sprintf("ir: use list of %s lacks %s input %d", v.Name, n, i))
}

// ReplaceAllUsesWith makes every consumer of v (and every graph output slot
// holding v) read w instead. Subgraph nodes that read v are included.
func (v *Value) ReplaceAllUsesWith(w *Value) {
	if v == w {
		return
	}
	uses := append([]Use(nil), v.Uses...)
	for _, u := range uses {
		u.Node.SetInput(u.Index, w)
	}
	if v.IsOutput && v.Owner != nil {
		g := v.Owner
		for i, o := range g.Outputs {
			if o == v {
				g.Outputs[i] = w
				w.IsOutput = true
			}
		}
		v.IsOutput = false
	}
}

// RemoveNode deletes n from g, dropping its uses of its inputs. Its outputs
// must be unused (and not graph outputs); they are removed from the index.
func (g *Graph) RemoveNode(n *Node) {
	for _, o := range n.Outputs {
		if o == nil {
			continue
		}
		if len(o.Uses) > 0 || o.IsOutput {
			panic(fmt.Sprintf("ir: removing %s whose output %s is still used", n, o.Name))
		}
		if g.Lookup(o.Name) == o {
			delete(g.index(), o.Name)
		}
		o.Producer = nil
	}
	n.SetInputs(nil)
	for i, m := range g.Nodes {
		if m == n {
			g.Nodes = append(g.Nodes[:i], g.Nodes[i+1:]...)
			break
		}
	}
	n.Owner = nil
}

// RemoveConst drops an unused initializer from g.
func (g *Graph) RemoveConst(v *Value) {
	if len(v.Uses) > 0 || v.IsOutput || v.IsInput {
		panic(fmt.Sprintf("ir: removing initializer %s that is still used", v.Name))
	}
	for i, w := range g.Initializers {
		if w == v {
			g.Initializers = append(g.Initializers[:i], g.Initializers[i+1:]...)
			break
		}
	}
	if g.Lookup(v.Name) == v {
		delete(g.index(), v.Name)
	}
}

// RegisterValue adds an externally built value to g's name index (used by
// importers). It fails on a duplicate name.
func (g *Graph) RegisterValue(v *Value) error {
	if old := g.Lookup(v.Name); old != nil && old != v {
		return fmt.Errorf("value %q defined twice", v.Name)
	}
	v.Owner = g
	g.index()[v.Name] = v
	return nil
}

// AllValues lists the values owned by g: inputs, initializers, then node
// outputs in node order.
func (g *Graph) AllValues() []*Value {
	seen := map[*Value]bool{}
	var out []*Value
	add := func(v *Value) {
		if v != nil && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	for _, v := range g.Inputs {
		add(v)
	}
	for _, v := range g.Initializers {
		add(v)
	}
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			add(o)
		}
	}
	return out
}

// Subgraphs lists the graphs held in n's attributes.
func (n *Node) Subgraphs() []*Graph {
	var gs []*Graph
	for _, a := range n.Attrs {
		if a.G != nil {
			gs = append(gs, a.G)
		}
		gs = append(gs, a.Graphs...)
	}
	return gs
}

// outerReads lists values of enclosing graphs read (directly or deeper)
// inside the subgraphs of n: the implicit inputs of n.
func (n *Node) outerReads() []*Value {
	var out []*Value
	seen := map[*Value]bool{}
	var walk func(g *Graph)
	walk = func(g *Graph) {
		for _, m := range g.Nodes {
			for _, in := range m.Inputs {
				if in != nil && !seen[in] && !ownedBy(in, g) {
					seen[in] = true
					out = append(out, in)
				}
			}
			for _, s := range m.Subgraphs() {
				walk(s)
			}
		}
		for _, o := range g.Outputs {
			if !seen[o] && !ownedBy(o, g) {
				seen[o] = true
				out = append(out, o)
			}
		}
	}
	for _, s := range n.Subgraphs() {
		walk(s)
	}
	return out
}

// ownedBy reports whether v is owned by g or by a graph nested inside g.
func ownedBy(v *Value, g *Graph) bool {
	for h := v.Owner; h != nil; h = h.Parent {
		if h == g {
			return true
		}
	}
	return false
}

// Sort orders g.Nodes topologically, keeping the existing order where it is
// already valid. It returns an error naming a node on a cycle. Implicit
// inputs of nodes with subgraphs count as dependencies.
func (g *Graph) Sort() error {
	producer := map[*Value]*Node{}
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			if o != nil {
				producer[o] = n
			}
		}
	}
	deps := func(n *Node) []*Node {
		var ds []*Node
		for _, in := range n.Inputs {
			if p := producer[in]; in != nil && p != nil {
				ds = append(ds, p)
			}
		}
		for _, in := range n.outerReads() {
			if p := producer[in]; p != nil {
				ds = append(ds, p)
			}
		}
		return ds
	}
	const (
		white = iota
		grey
		black
	)
	state := map[*Node]int{}
	order := make([]*Node, 0, len(g.Nodes))
	// Iterative DFS to survive very deep graphs.
	type frame struct {
		n    *Node
		deps []*Node
		i    int
	}
	for _, root := range g.Nodes {
		if state[root] != white {
			continue
		}
		stack := []frame{{n: root, deps: deps(root)}}
		state[root] = grey
		for len(stack) > 0 {
			f := &stack[len(stack)-1]
			if f.i < len(f.deps) {
				d := f.deps[f.i]
				f.i++
				switch state[d] {
				case white:
					state[d] = grey
					stack = append(stack, frame{n: d, deps: deps(d)})
				case grey:
					return fmt.Errorf("graph %q has a cycle through %s", g.Name, d)
				}
				continue
			}
			state[f.n] = black
			order = append(order, f.n)
			stack = stack[:len(stack)-1]
		}
	}
	g.Nodes = order
	return nil
}
