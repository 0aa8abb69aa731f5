package engine

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/mconv/mconv/ir"
)

// TestDefaultMaxMemory checks the default budget against the documented
// share, floor and ceiling of MemTotal read independently here.
func TestDefaultMaxMemory(t *testing.T) {
	d := DefaultMaxMemory()
	if d < MinDefaultMemory || d > MaxDefaultMemory {
		t.Fatalf("DefaultMaxMemory() = %d, outside [%d, %d]", d, MinDefaultMemory, MaxDefaultMemory)
	}
	if total := physicalMemory(); total > 0 {
		want := min(max(total/2, 256<<20), 64<<30)
		if d != want {
			t.Errorf("DefaultMaxMemory() = %d, want half of MemTotal %d clamped: %d", d, total, want)
		}
	}
	if NewBudget(0).Max() != d || NewBudget(-1).Max() != d || NewBudget(1000).Max() != 1000 {
		t.Errorf("NewBudget: 0 and -1 must mean the default, 1000 itself")
	}
}

func TestBudgetReserve(t *testing.T) {
	b := NewBudget(100)
	if err := b.Reserve(60); err != nil {
		t.Fatal(err)
	}
	err := b.Reserve(41)
	var be *BudgetError
	if !errors.As(err, &be) || be.Need != 101 || be.Max != 100 || b.Used() != 60 {
		t.Fatalf("Reserve(41) after 60 of 100: %v (used %d)", err, b.Used())
	}
	if err.Error() != "needs 101 bytes, over the memory budget of 100 bytes (Options.MaxMemory / --max-memory)" {
		t.Errorf("message %q", err)
	}
	b.Release(60)
	if err := b.Reserve(100); err != nil {
		t.Errorf("Reserve(100) after Release: %v", err)
	}
	if err := b.Reserve(-1); err == nil {
		t.Errorf("Reserve(-1): no error")
	}
}

// TestCompileBudget: each kind of allocation a plan makes is refused over
// MaxMemory, before it is made, naming the node and op (or the
// initializer), and the same model compiles under a larger budget.
func TestCompileBudget(t *testing.T) {
	const mib = 1 << 20
	cases := []struct {
		name  string
		build func(g *ir.Graph)
		want  string // in the error under a 1 MiB budget
	}{
		{"plan-time constant", func(g *ir.Graph) {
			n := g.AddNode("ConstantOfShape", "cos", []*ir.Value{g.AddConst("s", ir.NewInt64([]int64{1}, []int64{mib / 2}))}, "y")
			g.AddOutput(n.Outputs[0])
		}, `node "cos" (ConstantOfShape): needs 2097152 bytes`},
		{"arena", func(g *ir.Graph) {
			x := g.AddInput("x", ir.TensorOf(ir.Float32, 1, 128))
			a := g.AddNode("Expand", "big", []*ir.Value{x, g.AddConst("s", ir.NewInt64([]int64{2}, []int64{1024, 128}))}, "a")
			r := g.AddNode("Relu", "relu", []*ir.Value{a.Outputs[0]}, "y")
			g.AddOutput(r.Outputs[0])
		}, `node "relu" (Relu): needs`},
		{"initializer", func(g *ir.Graph) {
			w := g.AddConst("w", ir.NewFloat32([]int64{mib / 2}, make([]float32, mib/2)))
			n := g.AddNode("Relu", "relu", []*ir.Value{w}, "y")
			g.AddOutput(n.Outputs[0])
		}, `initializer "w": needs 2097152 bytes`},
		{"range", func(g *ir.Graph) {
			n := g.AddNode("Range", "range", []*ir.Value{g.AddConst("a", ir.NewInt64(nil, []int64{0})), g.AddConst("b", ir.NewInt64(nil, []int64{1 << 40})), g.AddConst("c", ir.NewInt64(nil, []int64{1}))}, "y")
			g.AddOutput(n.Outputs[0])
		}, `node "range" (Range): needs 8796093022208 bytes`},
		{"pad tables", func(g *ir.Graph) {
			// An empty output whose padded axis alone would need 8 TiB of
			// index table.
			x := g.AddInput("x", ir.TensorOf(ir.Float32, 0, 1))
			n := g.AddNode("Pad", "pad", []*ir.Value{x, g.AddConst("p", ir.NewInt64([]int64{4}, []int64{0, 0, 0, 1 << 40}))}, "y")
			g.AddOutput(n.Outputs[0])
		}, `node "pad" (Pad): needs`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, g := newModel()
			c.build(g)
			_, err := Compile(m, Options{Threads: 1, MaxMemory: mib})
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), fmt.Sprintf("over the memory budget of %d bytes (Options.MaxMemory / --max-memory)", mib)) {
				t.Fatalf("got %v, want %q ... over the budget", err, c.want)
			}
			if c.name == "range" || c.name == "pad tables" {
				return
			}
			p, err := Compile(m, Options{Threads: 1, MaxMemory: 64 * mib})
			if err != nil {
				t.Fatalf("under 64 MiB: %v", err)
			}
			p.Close()
		})
	}
}

// TestEvalBudget: Eval refuses over its budget and gives back what it
// reserved.
func TestEvalBudget(t *testing.T) {
	_, g := newModel()
	n := g.AddNode("ConstantOfShape", "cos", []*ir.Value{g.AddInput("s", ir.TensorOf(ir.Int64, 1))}, "y")
	b := NewBudget(1 << 20)
	if _, err := Eval(n, 17, []*ir.Tensor{ir.NewInt64([]int64{1}, []int64{1 << 18})}, b); err == nil || !strings.Contains(err.Error(), `node "cos" (ConstantOfShape): needs`) {
		t.Fatalf("1 MiB output under a 1 MiB budget (with its copy): got %v", err)
	}
	out, err := Eval(n, 17, []*ir.Tensor{ir.NewInt64([]int64{1}, []int64{1 << 10})}, b)
	if err != nil || len(out[0].Raw) != 4<<10 {
		t.Fatalf("4 KiB: %v", err)
	}
	if b.Used() != 0 {
		t.Errorf("Eval left %d bytes reserved", b.Used())
	}
}
