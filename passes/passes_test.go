package passes

import (
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/mconv/mconv/golden"
	"github.com/mconv/mconv/ir"
)

// builder makes small test graphs with seeded random constants.
type builder struct {
	m   *ir.Model
	g   *ir.Graph
	rng *rand.Rand
	n   int
}

func newBuilder(opset int64, seed int64) *builder {
	g := ir.NewGraph("test")
	m := &ir.Model{IRVersion: 8, Opsets: []ir.OpsetImport{{Domain: "", Version: opset}}, Graph: g}
	return &builder{m: m, g: g, rng: rand.New(rand.NewSource(seed))}
}

func (b *builder) name(p string) string { b.n++; return fmt.Sprintf("%s%d", p, b.n) }

func (b *builder) input(dims ...int64) *ir.Value {
	return b.g.AddInput(b.name("in"), ir.TensorOf(ir.Float32, dims...))
}

func (b *builder) constant(dims []int64, f func() float64) *ir.Value {
	n := ir.NumElements(dims)
	d := make([]float32, n)
	for i := range d {
		d[i] = float32(f())
	}
	t := ir.NewFloat32(dims, d)
	v := b.g.AddConst(b.name("c"), t)
	t.Name = v.Name
	return v
}

func (b *builder) rnd(scale float64, dims ...int64) *ir.Value {
	return b.constant(dims, func() float64 { return b.rng.NormFloat64() * scale })
}

func (b *builder) pos(dims ...int64) *ir.Value {
	return b.constant(dims, func() float64 { return 0.5 + b.rng.Float64() })
}

func (b *builder) scalar(f float64) *ir.Value { return b.constant(nil, func() float64 { return f }) }

func (b *builder) ints(v ...int64) *ir.Value {
	t := ir.NewInt64([]int64{int64(len(v))}, v)
	c := b.g.AddConst(b.name("s"), t)
	t.Name = c.Name
	return c
}

func (b *builder) op(op string, ins []*ir.Value, attrs ...*ir.Attr) *ir.Value {
	n := b.g.AddNode(op, b.name(op), ins, b.name("t"))
	for _, a := range attrs {
		n.SetAttr(a)
	}
	return n.Outputs[0]
}

// convP is a Conv with explicit kernel, stride, group and pads.
func (b *builder) convP(x *ir.Value, cin, cout, kh, kw, stride, group int, bias bool, pads []int64) *ir.Value {
	ins := []*ir.Value{x, b.rnd(0.3, int64(cout), int64(cin/group), int64(kh), int64(kw))}
	if bias {
		ins = append(ins, b.rnd(0.3, int64(cout)))
	}
	return b.op("Conv", ins, intsAttr("kernel_shape", int64(kh), int64(kw)), intsAttr("strides", int64(stride), int64(stride)),
		intsAttr("pads", pads...), intAttr("group", int64(group)))
}

// conv is a centred Conv (pads (k-1)/2).
func (b *builder) conv(x *ir.Value, cin, cout, k, stride, group int, bias bool) *ir.Value {
	p := int64(k-1) / 2
	return b.convP(x, cin, cout, k, k, stride, group, bias, []int64{p, p, p, p})
}

func (b *builder) bn(x *ir.Value, c int) *ir.Value {
	cc := int64(c)
	return b.op("BatchNormalization", []*ir.Value{x, b.pos(cc), b.rnd(0.5, cc), b.rnd(0.5, cc), b.pos(cc)}, floatAttr("epsilon", 1e-3))
}

func (b *builder) add(x, y *ir.Value) *ir.Value { return b.op("Add", []*ir.Value{x, y}) }

func (b *builder) out(v *ir.Value) { b.g.AddOutput(v) }

// opCounts is the op histogram of the main graph.
func opCounts(g *ir.Graph) map[string]int {
	h := map[string]int{}
	for _, n := range g.Nodes {
		h[n.OpType]++
	}
	return h
}

// randomInputs are golden.RandomInputs as the reference evaluator's
// tensors.
func randomInputs(m *ir.Model, seed int64) map[string]*tens {
	ts, err := golden.RandomInputs(m, seed, 1)
	if err != nil {
		panic(err)
	}
	in := map[string]*tens{}
	for name, t := range ts {
		d, err := t.Float64s()
		if err != nil {
			panic(err)
		}
		dims := make([]int, len(t.Dims))
		for i, v := range t.Dims {
			dims[i] = int(v)
		}
		in[name] = &tens{dims: dims, d: d}
	}
	return in
}

// maxRelErr compares outputs by name: max |a-b| / max |a|.
func maxRelErr(t *testing.T, ref, got map[string]*tens) float64 {
	t.Helper()
	worst := 0.0
	for name, r := range ref {
		g, ok := got[name]
		if !ok || g == nil {
			t.Fatalf("output %q missing after the passes", name)
		}
		if len(g.d) != len(r.d) {
			t.Fatalf("output %q: %d elements, want %d", name, len(g.d), len(r.d))
		}
		scale := 1e-12
		for _, v := range r.d {
			scale = math.Max(scale, math.Abs(v))
		}
		for i := range r.d {
			worst = math.Max(worst, math.Abs(r.d[i]-g.d[i])/scale)
		}
	}
	return worst
}

type passCase struct {
	name     string
	opset    int64
	build    func(b *builder)
	wantOps  map[string]int // exact counts of the listed ops afterwards
	wantLeft string         // substring of a LeftAlone entry
	wantNone bool           // nothing may be rewritten
}

func runPassCase(t *testing.T, pc passCase) {
	opset := pc.opset
	if opset == 0 {
		opset = 17
	}
	mk := func() *builder {
		b := newBuilder(opset, 7)
		pc.build(b)
		if err := ir.Verify(b.m); err != nil {
			t.Fatalf("test graph invalid: %v", err)
		}
		return b
	}
	orig, fused := mk(), mk()
	inputs := randomInputs(orig.m, 11)
	ref, err := evalModel(orig.m, inputs)
	if err != nil {
		t.Fatalf("evaluating the original: %v", err)
	}
	rep, err := Run(fused.m, Options{CheckEachPass: true})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, ir.Dump(fused.g))
	}
	if len(rep.Notes) > 0 {
		t.Errorf("notes on a well-formed test graph: %v", rep.Notes)
	}
	got, err := evalModel(fused.m, inputs)
	if err != nil {
		t.Fatalf("evaluating the fused model: %v\n%s", err, ir.Dump(fused.g))
	}
	if e := maxRelErr(t, ref, got); e > 1e-5 {
		t.Errorf("fused model differs: max rel err %g\n%s\n%s", e, rep, ir.Dump(fused.g))
	}
	h := opCounts(fused.g)
	for op, want := range pc.wantOps {
		if h[op] != want {
			t.Errorf("%d %s nodes after the passes, want %d\n%s\n%s", h[op], op, want, rep, ir.Dump(fused.g))
		}
	}
	if pc.wantNone && rep.Total() != 0 {
		t.Errorf("expected no rewrite, got:\n%s", rep)
	}
	if pc.wantLeft != "" && !strings.Contains(rep.String(), "left alone: ") || pc.wantLeft != "" && !strings.Contains(rep.String(), pc.wantLeft) {
		t.Errorf("report lacks %q:\n%s", pc.wantLeft, rep)
	}
	// Idempotent: a second run changes nothing.
	before := ir.Dump(fused.g)
	rep2, err := Run(fused.m, Options{CheckEachPass: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep2.Total() != 0 || ir.Dump(fused.g) != before {
		t.Errorf("second run rewrote again:\n%s", rep2)
	}
	// Node order does not matter: shuffle, re-sort, same result.
	for seed := int64(1); seed <= 3; seed++ {
		sh := mk()
		rng := rand.New(rand.NewSource(seed))
		rng.Shuffle(len(sh.g.Nodes), func(i, j int) { sh.g.Nodes[i], sh.g.Nodes[j] = sh.g.Nodes[j], sh.g.Nodes[i] })
		if err := sh.g.Sort(); err != nil {
			t.Fatal(err)
		}
		if _, err := Run(sh.m, Options{CheckEachPass: true}); err != nil {
			t.Fatalf("shuffled %d: %v", seed, err)
		}
		if hs := opCounts(sh.g); fmt.Sprint(hs) != fmt.Sprint(h) {
			t.Errorf("shuffled order %d gives ops %v, want %v", seed, hs, h)
		}
		gs, err := evalModel(sh.m, inputs)
		if err != nil {
			t.Fatal(err)
		}
		if e := maxRelErr(t, ref, gs); e > 1e-5 {
			t.Errorf("shuffled order %d: max rel err %g", seed, e)
		}
	}
	// The fused ops expand back to standard ONNX computing the same.
	if err := ir.ExpandFused(fused.m); err != nil {
		t.Fatal(err)
	}
	if err := ir.Verify(fused.m); err != nil {
		t.Fatalf("after ExpandFused: %v", err)
	}
	for _, n := range fused.g.Nodes {
		if n.Domain == ir.FusedDomain {
			t.Fatalf("ExpandFused left %s", n)
		}
	}
	if fused.m.Opset(ir.FusedDomain) != 0 {
		t.Errorf("ExpandFused kept the mconv opset import")
	}
	ge, err := evalModel(fused.m, inputs)
	if err != nil {
		t.Fatal(err)
	}
	if e := maxRelErr(t, ref, ge); e > 1e-5 {
		t.Errorf("expanded model differs: max rel err %g", e)
	}
}

// repvgg builds 3x3-BN + 1x1-BN (+ BN(x)) -> ReLU.
func repvgg(b *builder, x *ir.Value, cin, cout, stride, group int) *ir.Value {
	s := b.add(b.bn(b.conv(x, cin, cout, 3, stride, group, false), cout), b.bn(b.conv(x, cin, cout, 1, stride, group, false), cout))
	if cin == cout && stride == 1 {
		s = b.add(s, b.bn(x, cin))
	}
	return b.op("Relu", []*ir.Value{s})
}

func TestBranchCollapse(t *testing.T) {
	cases := []passCase{
		{name: "repvgg", build: func(b *builder) {
			x := b.input(2, 8, 6, 6)
			b.out(repvgg(b, repvgg(b, x, 8, 8, 1, 1), 8, 16, 2, 1))
		}, wantOps: map[string]int{"Conv": 2, "BatchNormalization": 0, "Add": 0, "Relu": 2}},
		{name: "repvgg-groups", build: func(b *builder) {
			x := b.input(1, 8, 5, 5)
			b.out(repvgg(b, x, 8, 8, 1, 2))
		}, wantOps: map[string]int{"Conv": 1, "BatchNormalization": 0, "Add": 0}},
		{name: "mobileone-dw-pw", build: func(b *builder) {
			x := b.input(1, 6, 5, 5)
			// depthwise: 3 x (dw3x3-BN) + dw1x1-BN + BN(x), summed in a nested order
			br := []*ir.Value{}
			for i := 0; i < 3; i++ {
				br = append(br, b.bn(b.conv(x, 6, 6, 3, 1, 6, false), 6))
			}
			br = append(br, b.bn(b.conv(x, 6, 6, 1, 1, 6, false), 6), b.bn(x, 6))
			s := b.add(br[0], b.add(b.add(br[3], br[1]), b.add(br[4], br[2])))
			y := b.op("Relu", []*ir.Value{s})
			// pointwise: 2 x (1x1-BN) + BN(y)
			p := b.add(b.add(b.bn(b.conv(y, 6, 6, 1, 1, 1, false), 6), b.bn(y, 6)), b.bn(b.conv(y, 6, 6, 1, 1, 1, false), 6))
			b.out(b.op("Relu", []*ir.Value{p}))
		}, wantOps: map[string]int{"Conv": 2, "BatchNormalization": 0, "Add": 0}},
		{name: "dilated", build: func(b *builder) {
			x := b.input(1, 4, 9, 9)
			d := b.op("Conv", []*ir.Value{x, b.rnd(0.3, 4, 4, 3, 3)}, intsAttr("kernel_shape", 3, 3), intsAttr("pads", 2, 2, 2, 2), intsAttr("dilations", 2, 2))
			b.out(b.add(b.add(b.bn(d, 4), b.bn(b.conv(x, 4, 4, 1, 1, 1, false), 4)), b.bn(x, 4)))
		}, wantOps: map[string]int{"Conv": 1, "BatchNormalization": 0, "Add": 0}},
		{name: "near-miss-dilations", build: func(b *builder) {
			x := b.input(1, 4, 9, 9)
			d := b.op("Conv", []*ir.Value{x, b.rnd(0.3, 4, 4, 3, 3)}, intsAttr("kernel_shape", 3, 3), intsAttr("pads", 2, 2, 2, 2), intsAttr("dilations", 2, 2))
			b.out(b.add(d, b.conv(x, 4, 4, 3, 1, 1, false)))
		}, wantOps: map[string]int{"Conv": 2, "Add": 1}, wantLeft: "different dilations", wantNone: true},
		{name: "constant-first-operands", build: func(b *builder) {
			x := b.input(1, 4, 5, 5)
			c := b.conv(x, 4, 4, 3, 1, 4, true)
			y := b.op("Sub", []*ir.Value{b.rnd(1, 4, 1, 1), b.op("Mul", []*ir.Value{b.rnd(1, 1, 4, 1, 1), c})})
			b.out(b.op("Sub", []*ir.Value{b.op("Add", []*ir.Value{b.scalar(0.5), y}), x}))
		}, wantOps: map[string]int{"Conv": 1, "Sub": 0, "Add": 0, "Mul": 0}},
		{name: "sum-of-branches", build: func(b *builder) {
			x := b.input(1, 4, 5, 5)
			b.out(b.op("Sum", []*ir.Value{b.bn(b.conv(x, 4, 4, 3, 1, 1, false), 4), x, b.bn(b.conv(x, 4, 4, 1, 1, 1, false), 4)}))
		}, wantOps: map[string]int{"Conv": 1, "Sum": 0, "BatchNormalization": 0}},
		{name: "repvit-repvggdw", build: func(b *builder) {
			x := b.input(1, 8, 6, 6)
			s := b.add(b.add(b.bn(b.conv(x, 8, 8, 3, 1, 8, false), 8), b.conv(x, 8, 8, 1, 1, 8, true)), x)
			b.out(b.bn(s, 8))
		}, wantOps: map[string]int{"Conv": 1, "BatchNormalization": 0, "Add": 0}},
		{name: "fastvit-repmixer", build: func(b *builder) {
			x0 := b.input(1, 8, 6, 6)
			x := b.add(x0, b.scalar(0.25)) // x is an Add output used four times
			mixer := b.add(b.add(b.bn(b.conv(x, 8, 8, 3, 1, 8, false), 8), b.bn(b.conv(x, 8, 8, 1, 1, 8, false), 8)), b.bn(x, 8))
			d := b.op("Sub", []*ir.Value{mixer, b.bn(x, 8)})
			y := b.add(x, b.op("Mul", []*ir.Value{d, b.rnd(0.5, 8, 1, 1)}))
			b.out(y)
		}, wantOps: map[string]int{"Conv": 1, "BatchNormalization": 0, "Sub": 0, "Mul": 0, "Add": 1}},
		{name: "large-kernel", build: func(b *builder) {
			x := b.input(1, 4, 9, 9)
			b.out(b.add(b.bn(b.conv(x, 4, 4, 7, 1, 4, false), 4), b.bn(b.conv(x, 4, 4, 3, 1, 4, false), 4)))
		}, wantOps: map[string]int{"Conv": 1, "BatchNormalization": 0, "Add": 0}},
		{name: "large-kernel-stride2", build: func(b *builder) {
			x := b.input(1, 4, 9, 9)
			b.out(b.add(b.bn(b.conv(x, 4, 4, 7, 2, 4, false), 4), b.bn(b.conv(x, 4, 4, 3, 2, 4, false), 4)))
		}, wantOps: map[string]int{"Conv": 1, "BatchNormalization": 0, "Add": 0}},
		{name: "acnet", build: func(b *builder) {
			x := b.input(1, 4, 6, 6)
			c33 := b.bn(b.conv(x, 4, 6, 3, 1, 1, false), 6)
			c13 := b.bn(b.convP(x, 4, 6, 1, 3, 1, 1, false, []int64{0, 1, 0, 1}), 6)
			c31 := b.bn(b.convP(x, 4, 6, 3, 1, 1, 1, false, []int64{1, 0, 1, 0}), 6)
			b.out(b.add(b.add(c33, c13), c31))
		}, wantOps: map[string]int{"Conv": 1, "BatchNormalization": 0, "Add": 0}},
		{name: "mixed-groups", build: func(b *builder) {
			x := b.input(1, 4, 5, 5)
			b.out(b.add(b.conv(x, 4, 4, 3, 1, 4, true), b.add(b.conv(x, 4, 4, 1, 1, 2, true), b.conv(x, 4, 4, 3, 1, 1, false))))
		}, wantOps: map[string]int{"Conv": 1, "Add": 0}},
		{name: "layer-scale", build: func(b *builder) {
			x := b.input(1, 4, 5, 5)
			c := b.conv(x, 4, 6, 3, 1, 1, true)
			y := b.op("Add", []*ir.Value{b.rnd(1, 1, 6, 1, 1), b.op("Mul", []*ir.Value{c, b.rnd(1, 1, 6, 1, 1)})})
			b.out(b.op("Div", []*ir.Value{y, b.scalar(2)}))
		}, wantOps: map[string]int{"Conv": 1, "Add": 0, "Mul": 0, "Div": 0}},
		{name: "conv-bn-noncentred", build: func(b *builder) {
			x := b.input(1, 3, 8, 8)
			b.out(b.bn(b.convP(x, 3, 5, 3, 3, 2, 1, true, []int64{0, 0, 1, 1}), 5))
		}, wantOps: map[string]int{"Conv": 1, "BatchNormalization": 0}},
		{name: "noncentred-layer-scale", build: func(b *builder) {
			x := b.input(1, 3, 8, 8)
			c := b.convP(x, 3, 4, 2, 2, 2, 1, true, []int64{0, 0, 1, 1})
			b.out(b.op("Add", []*ir.Value{b.op("Mul", []*ir.Value{b.bn(c, 4), b.rnd(1, 4, 1, 1)}), b.rnd(1, 1, 4, 1, 1)}))
		}, wantOps: map[string]int{"Conv": 1, "BatchNormalization": 0, "Mul": 0, "Add": 0}},
		{name: "near-miss-noncentred-branch", build: func(b *builder) {
			x := b.input(1, 3, 7, 7)
			c1 := b.convP(x, 3, 4, 3, 3, 1, 1, false, []int64{2, 2, 0, 0})
			b.out(b.add(c1, b.conv(x, 3, 4, 1, 1, 1, false)))
		}, wantOps: map[string]int{"Conv": 2, "Add": 1}, wantLeft: "not centred", wantNone: true},
		{name: "near-miss-shared-branch", build: func(b *builder) {
			x := b.input(1, 4, 5, 5)
			br1 := b.conv(x, 4, 4, 1, 1, 1, false)
			s := b.add(b.add(b.bn(b.conv(x, 4, 4, 3, 1, 1, false), 4), b.bn(br1, 4)), b.bn(x, 4))
			b.out(s)
			b.out(b.op("Relu", []*ir.Value{br1}))
		}, wantOps: map[string]int{"Conv": 2}, wantLeft: "also used by"},
		{name: "near-miss-strides", build: func(b *builder) {
			x := b.input(1, 4, 1, 1)
			b.out(b.add(b.bn(b.conv(x, 4, 4, 3, 2, 1, false), 4), b.bn(b.conv(x, 4, 4, 1, 1, 1, false), 4)))
		}, wantOps: map[string]int{"Conv": 2, "Add": 1, "BatchNormalization": 0}, wantLeft: "different strides"},
		{name: "near-miss-bn-params", build: func(b *builder) {
			x := b.input(1, 4, 5, 5)
			gamma := b.g.AddInput("gamma", ir.TensorOf(ir.Float32, 4))
			c := b.conv(x, 4, 4, 3, 1, 1, false)
			b.out(b.op("BatchNormalization", []*ir.Value{c, gamma, b.rnd(1, 4), b.rnd(1, 4), b.pos(4)}))
		}, wantOps: map[string]int{"Conv": 1, "BatchNormalization": 1}, wantLeft: "BN params not constant", wantNone: true},
		{name: "near-miss-bn-training", build: func(b *builder) {
			x := b.input(1, 4, 5, 5)
			c := b.conv(x, 4, 4, 3, 1, 1, false)
			b.out(b.op("BatchNormalization", []*ir.Value{c, b.pos(4), b.rnd(1, 4), b.rnd(1, 4), b.pos(4)}, intAttr("training_mode", 1)))
		}, wantOps: map[string]int{"Conv": 1, "BatchNormalization": 1}, wantLeft: "training_mode=1", wantNone: true},
	}
	for _, pc := range cases {
		t.Run(pc.name, func(t *testing.T) { runPassCase(t, pc) })
	}
}
