package passes

import (
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"testing"

	"github.com/mconv/mconv/ir"
)

// randomGraph builds a random size-preserving network over one input from
// Conv (kernels 1, 3, 5, 1x3, 3x1, dilations 1-2, any groups dividing the
// channels, with or without bias, sometimes non-centred pads), BN, Add,
// Sub, Sum, per-channel Mul/Add constants and Relu barriers, with some
// intermediates read twice or made graph outputs.
func randomGraph(b *builder, rng *rand.Rand) {
	type tv struct {
		v  *ir.Value
		c  int
		hw int // spatial size
	}
	C := []int{2, 4, 6}[rng.Intn(3)]
	x := b.input(1, int64(C), 6, 6)
	pool := []tv{{x, C, 6}}
	pick := func() tv {
		if rng.Intn(10) < 7 {
			return pool[len(pool)-1-rng.Intn(min(3, len(pool)))]
		}
		return pool[rng.Intn(len(pool))]
	}
	steps := 3 + rng.Intn(10)
	for i := 0; i < steps; i++ {
		t := pick()
		var out tv
		switch op := rng.Intn(12); op {
		case 10, 11: // a reparameterizable block on t, sometimes strided
			stride := 1 + rng.Intn(2)
			out = tv{randomBlock(b, rng, t.v, t.c, stride), t.c, (t.hw-1)/stride + 1}
		case 0, 1, 2: // conv
			cout := []int{t.c, t.c, 2, 4, 6}[rng.Intn(5)]
			var groups []int
			for g := 1; g <= t.c; g++ {
				if t.c%g == 0 && cout%g == 0 {
					groups = append(groups, g)
				}
			}
			g := groups[rng.Intn(len(groups))]
			k := [][2]int{{1, 1}, {3, 3}, {5, 5}, {1, 3}, {3, 1}}[rng.Intn(5)]
			d := int64(1 + rng.Intn(2))
			ph, pw := int64(k[0]-1)/2*d, int64(k[1]-1)/2*d
			pads := []int64{ph, pw, ph, pw}
			if rng.Intn(6) == 0 && k[0] == 3 { // non-centred, same size
				pads = []int64{2 * d, pw, 0, pw}
			}
			ins := []*ir.Value{t.v, b.rnd(0.4, int64(cout), int64(t.c/g), int64(k[0]), int64(k[1]))}
			if rng.Intn(2) == 0 {
				ins = append(ins, b.rnd(0.4, int64(cout)))
			}
			out = tv{b.op("Conv", ins, intsAttr("kernel_shape", int64(k[0]), int64(k[1])), intsAttr("pads", pads...),
				intsAttr("dilations", d, d), intAttr("group", int64(g))), cout, t.hw}
		case 3, 4:
			out = tv{b.bn(t.v, t.c), t.c, t.hw}
		case 5, 6: // Add / Sub / Sum of same-channel tensors
			var same []tv
			for _, u := range pool {
				if u.c == t.c && u.hw == t.hw {
					same = append(same, u)
				}
			}
			u := same[rng.Intn(len(same))]
			switch rng.Intn(3) {
			case 0:
				out = tv{b.add(t.v, u.v), t.c, t.hw}
			case 1:
				out = tv{b.op("Sub", []*ir.Value{t.v, u.v}), t.c, t.hw}
			default:
				w := same[rng.Intn(len(same))]
				out = tv{b.op("Sum", []*ir.Value{t.v, u.v, w.v}), t.c, t.hw}
			}
		case 7:
			out = tv{b.op("Mul", []*ir.Value{t.v, b.rnd(1, 1, int64(t.c), 1, 1)}), t.c, t.hw}
		case 8:
			out = tv{b.op("Add", []*ir.Value{b.rnd(1, int64(t.c), 1, 1), t.v}), t.c, t.hw}
		default:
			out = tv{b.op("Relu", []*ir.Value{t.v}), t.c, t.hw}
		}
		pool = append(pool, out)
	}
	// Sum the unread tensors of the last one's width into the output, so
	// that most branches stay live.
	last := pool[len(pool)-1]
	terms := []*ir.Value{last.v}
	for _, u := range pool[1 : len(pool)-1] {
		if u.c == last.c && u.hw == last.hw && len(u.v.Uses) == 0 {
			terms = append(terms, u.v)
		}
	}
	if len(terms) > 1 {
		b.out(b.op("Sum", terms))
	} else {
		b.out(last.v)
	}
	if rng.Intn(3) == 0 && len(pool) > 2 {
		b.out(pool[1+rng.Intn(len(pool)-2)].v)
	}
}

// randomBlock builds 2-5 random linear branches of x (Conv-BN of random
// kernels and groups, with or without bias, and at stride 1 BN(x) and x),
// summed in a random nesting with Add/Sub/Sum, then optionally BN, a
// per-channel scale and a Relu.
func randomBlock(b *builder, rng *rand.Rand, x *ir.Value, c, stride int) *ir.Value {
	var groups []int
	for g := 1; g <= c; g++ {
		if c%g == 0 {
			groups = append(groups, g)
		}
	}
	n := 2 + rng.Intn(4)
	var br []*ir.Value
	for i := 0; i < n; i++ {
		g := groups[rng.Intn(len(groups))]
		kind := rng.Intn(5)
		if stride > 1 && kind < 2 {
			kind = 2 // identity branches only at stride 1
		}
		switch kind {
		case 0:
			br = append(br, b.bn(x, c))
		case 1:
			br = append(br, x)
		default:
			k := [][2]int{{1, 1}, {3, 3}, {5, 5}, {1, 3}, {3, 1}, {7, 7}}[rng.Intn(6)]
			cv := b.convP(x, c, c, k[0], k[1], stride, g, rng.Intn(2) == 0,
				[]int64{int64(k[0]-1) / 2, int64(k[1]-1) / 2, int64(k[0]-1) / 2, int64(k[1]-1) / 2})
			if rng.Intn(3) > 0 {
				cv = b.bn(cv, c)
			}
			br = append(br, cv)
		}
	}
	for len(br) > 1 {
		i, j := rng.Intn(len(br)), rng.Intn(len(br))
		if i == j {
			continue
		}
		var s *ir.Value
		switch rng.Intn(3) {
		case 0:
			s = b.add(br[i], br[j])
		case 1:
			s = b.op("Sub", []*ir.Value{br[i], br[j]})
		default:
			s = b.op("Sum", []*ir.Value{br[i], br[j]})
		}
		if i < j {
			i, j = j, i
		}
		br = append(br[:i], br[i+1:]...)
		br = append(br[:j], br[j+1:]...)
		br = append(br, s)
	}
	y := br[0]
	if rng.Intn(2) == 0 {
		y = b.bn(y, c)
	}
	if rng.Intn(3) == 0 {
		y = b.op("Mul", []*ir.Value{y, b.rnd(0.5, int64(c), 1, 1)})
	}
	if rng.Intn(2) == 0 {
		y = b.op("Relu", []*ir.Value{y})
	}
	return y
}

// TestRandomGraphs checks on 300 seeded random networks that the pipeline
// keeps the function (reference evaluator), keeps the IR valid after each
// pass, is idempotent, and does not depend on the node order.
func TestRandomGraphs(t *testing.T) {
	n := 300
	if testing.Short() {
		n = 50
	}
	if v, err := strconv.Atoi(os.Getenv("MCONV_RANDOM_GRAPHS")); err == nil && v > 0 {
		n = v // soak testing: MCONV_RANDOM_GRAPHS=10000 go test -run RandomGraphs ./passes
	}
	total := map[string]int{}
	defer func() { t.Logf("rewrites over %d graphs: %v", n, total) }()
	for seed := int64(0); seed < int64(n); seed++ {
		mk := func() *builder {
			b := newBuilder(17, seed)
			randomGraph(b, rand.New(rand.NewSource(seed)))
			return b
		}
		orig, fused := mk(), mk()
		if err := ir.Verify(orig.m); err != nil {
			t.Fatalf("seed %d: generator made an invalid graph: %v", seed, err)
		}
		inputs := randomInputs(orig.m, seed)
		ref, err := evalModel(orig.m, inputs)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		rep, err := Run(fused.m, Options{CheckEachPass: true})
		if err != nil {
			t.Fatalf("seed %d: %v\n%s", seed, err, ir.Dump(orig.g))
		}
		for _, p := range rep.Passes {
			total[p.Name] += p.Rewrites
		}
		got, err := evalModel(fused.m, inputs)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if e := maxRelErr(t, ref, got); e > 1e-5 {
			t.Errorf("seed %d: max rel err %g\n%s\noriginal:\n%s\nfused:\n%s", seed, e, rep, ir.Dump(orig.g), ir.Dump(fused.g))
			continue
		}
		if rep2, err := Run(fused.m, Options{CheckEachPass: true}); err != nil || rep2.Total() != 0 {
			t.Errorf("seed %d: second run: %v\n%s", seed, err, rep2)
		}
		sh := mk()
		rng := rand.New(rand.NewSource(seed + 1000))
		rng.Shuffle(len(sh.g.Nodes), func(i, j int) { sh.g.Nodes[i], sh.g.Nodes[j] = sh.g.Nodes[j], sh.g.Nodes[i] })
		if err := sh.g.Sort(); err != nil {
			t.Fatal(err)
		}
		if _, err := Run(sh.m, Options{CheckEachPass: true}); err != nil {
			t.Fatalf("seed %d shuffled: %v", seed, err)
		}
		if a, b := opCounts(sh.g), opCounts(fused.g); fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("seed %d: shuffled order gives %v, original order %v", seed, a, b)
		}
	}
}

// randomHead builds a classifier head on x [3, K]: 1-3 linear branches
// (Gemm with random transB/alpha/beta and bias shape, optionally on BN(x);
// MatMul + Add), combined with Add/Sub, then optionally scaled (Mul/Div by
// a scalar or per-feature constant) and BN.
func randomHead(b *builder, rng *rand.Rand) {
	K, N := int64(4+rng.Intn(5)), int64(2+rng.Intn(5))
	x := b.input(3, K)
	var br []*ir.Value
	for i, n := 0, 1+rng.Intn(3); i < n; i++ {
		in := x
		if rng.Intn(2) == 0 {
			in = b.bn(x, int(K))
		}
		switch rng.Intn(3) {
		case 0, 1:
			var w *ir.Value
			tb := rng.Intn(2)
			if tb == 1 {
				w = b.rnd(0.4, N, K)
			} else {
				w = b.rnd(0.4, K, N)
			}
			ins := []*ir.Value{in, w}
			switch rng.Intn(3) {
			case 0:
				ins = append(ins, b.rnd(0.4, N))
			case 1:
				ins = append(ins, b.rnd(0.4, 1, N))
			}
			br = append(br, b.op("Gemm", ins, intAttr("transB", int64(tb)), floatAttr("alpha", float32(0.5+rng.Float64())),
				floatAttr("beta", float32(0.5+rng.Float64()))))
		default:
			br = append(br, b.add(b.op("MatMul", []*ir.Value{in, b.rnd(0.4, K, N)}), b.rnd(0.4, N)))
		}
	}
	y := br[0]
	for _, v := range br[1:] {
		if rng.Intn(2) == 0 {
			y = b.add(y, v)
		} else {
			y = b.op("Sub", []*ir.Value{v, y})
		}
	}
	switch rng.Intn(3) {
	case 0:
		y = b.op("Div", []*ir.Value{y, b.scalar(float64(len(br)))})
	case 1:
		y = b.op("Mul", []*ir.Value{b.rnd(1, N), y})
	}
	if rng.Intn(2) == 0 {
		y = b.bn(y, int(N))
	}
	b.out(y)
}

// TestRandomHeads checks the Gemm passes on 200 seeded random heads: same
// function, and each head becomes one Gemm when every branch reads x or
// BN(x) (always the case here).
func TestRandomHeads(t *testing.T) {
	for seed := int64(0); seed < 200; seed++ {
		mk := func() *builder {
			b := newBuilder(17, seed)
			randomHead(b, rand.New(rand.NewSource(seed)))
			return b
		}
		orig, fused := mk(), mk()
		inputs := randomInputs(orig.m, seed)
		ref, err := evalModel(orig.m, inputs)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := Run(fused.m, Options{CheckEachPass: true})
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		got, err := evalModel(fused.m, inputs)
		if err != nil {
			t.Fatal(err)
		}
		if e := maxRelErr(t, ref, got); e > 1e-5 {
			t.Errorf("seed %d: max rel err %g\n%s\n%s", seed, e, rep, ir.Dump(orig.g))
		}
		if h := opCounts(fused.g); len(fused.g.Nodes) != 1 || h["Gemm"] != 1 {
			t.Errorf("seed %d: head not merged into one Gemm: %v\n%s\n%s", seed, h, rep, ir.Dump(orig.g))
		}
	}
}
