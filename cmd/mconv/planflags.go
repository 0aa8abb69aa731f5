package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mconv/mconv/golden"
	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/runtime"
	"github.com/mconv/mconv/runtime/engine"
)

// planOpts are the flags every command that builds a runtime plan takes
// (run, verify, fuse's verification, bench, stats' peak activation plan),
// registered once by addPlanFlags so they are spelled and checked alike.
type planOpts struct {
	// Threads is the runtime's thread count; 0: one per core.
	Threads int
	// Seed seeds the random inputs the command makes.
	Seed int64
	// InputShapes are the --input-shape flags as given: NAME=D0,D1,...
	InputShapes []string
	// MaxMemory is --max-memory in bytes (runtime.Options.MaxMemory; 0:
	// the default share of physical memory).
	MaxMemory int64
}

// options are the runtime.Options the flags set (threads, memory budget).
func (p *planOpts) options() runtime.Options {
	return runtime.Options{Threads: p.Threads, MaxMemory: p.MaxMemory}
}

// addPlanFlags registers --threads, --seed, --input-shape and --max-memory on c. seed is
// the --seed help text (what the seed draws in this command) and shape
// completes the --input-shape one (what the shape is used for). The --threads default is
// p.Threads as set before the call (0: one thread per core).
func addPlanFlags(c *cobra.Command, p *planOpts, seed, shape string) {
	f := c.Flags()
	f.IntVar(&p.Threads, "threads", p.Threads, "threads the runtime uses (0: one per core)")
	f.Int64Var(&p.Seed, "seed", 1, seed)
	f.StringArrayVar(&p.InputShapes, "input-shape", nil, "fix an input's shape, NAME=D0,D1,... (repeatable): "+shape)
	addMaxMemoryFlag(c, &p.MaxMemory)
}

// addMaxMemoryFlag registers --max-memory on c, bound to *v in bytes: the
// memory budget of plans and constant folding (runtime.Options.MaxMemory).
func addMaxMemoryFlag(c *cobra.Command, v *int64) {
	c.Flags().Var((*byteSize)(v), "max-memory", fmt.Sprintf(
		"memory budget for the runtime plan and constant folding, in bytes or with a unit (512MiB, 4GiB); a model over it is refused before allocating (0: half the physical memory, %d MiB to %d GiB)",
		engine.MinDefaultMemory>>20, engine.MaxDefaultMemory>>30))
}

// byteSize is a size flag: an integer number of bytes with an optional
// binary unit (B, K/KiB, M/MiB, G/GiB, T/TiB; KB, MB, GB, TB are read as
// the binary units too).
type byteSize int64

func (b *byteSize) String() string { return strconv.FormatInt(int64(*b), 10) }

func (b *byteSize) Type() string { return "size" }

func (b *byteSize) Set(s string) error {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return r < '0' || r > '9' })
	num, unit := t, ""
	if i >= 0 {
		num, unit = t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	}
	shift := map[string]uint{"": 0, "b": 0, "k": 10, "kb": 10, "kib": 10, "m": 20, "mb": 20, "mib": 20,
		"g": 30, "gb": 30, "gib": 30, "t": 40, "tb": 40, "tib": 40}
	sh, ok := shift[unit]
	v, err := strconv.ParseInt(num, 10, 64)
	if !ok || err != nil || v < 0 || v > math.MaxInt64>>sh {
		return fmt.Errorf("%q is not a size (bytes, or a number with a unit such as 512MiB or 4GiB)", s)
	}
	*b = byteSize(v << sh)
	return nil
}

// check validates the flags (a usage error when they are malformed).
func (p *planOpts) check() error {
	if p.Threads < 0 {
		return usageError{fmt.Errorf("--threads must be >= 0, got %d", p.Threads)}
	}
	_, err := parseInputShapes(p.InputShapes)
	return err
}

// shapes returns the --input-shape flags by input name (nil when none).
func (p *planOpts) shapes() map[string][]int64 {
	s, err := parseInputShapes(p.InputShapes)
	if err != nil {
		panic("planOpts.shapes before check: " + err.Error())
	}
	return s
}

// applyShapes fixes m's inputs to the --input-shape shapes and infers the
// graph's shapes again; naming an input m does not have, or giving it the
// wrong rank, is a usage error (checkInputShapes).
func (p *planOpts) applyShapes(m *ir.Model) error {
	return setInputShapes(m, p.shapes())
}

// setInputShapes is ir.SetInputShapes after checkInputShapes.
func setInputShapes(m *ir.Model, shapes map[string][]int64) error {
	if len(shapes) == 0 {
		return nil
	}
	if err := checkInputShapes(m, shapes); err != nil {
		return err
	}
	return ir.SetInputShapes(m, shapes)
}

// checkInputShapes checks --input-shape shapes against m's fed inputs: each
// names one, with as many sizes as its rank when the rank is known. A
// mismatch is a usage error.
func checkInputShapes(m *ir.Model, shapes map[string][]int64) error {
	for name, dims := range shapes {
		var in *ir.Value
		var names []string
		for _, v := range golden.FeedInputs(m.Graph) {
			names = append(names, v.Name)
			if v.Name == name {
				in = v
			}
		}
		switch {
		case in == nil:
			return usageError{fmt.Errorf("--input-shape %s: the model has no input %q (inputs: %s)", name, name, strings.Join(names, ", "))}
		case in.Type.HasShape && len(in.Type.Shape) != len(dims):
			return usageError{fmt.Errorf("--input-shape %s: %d sizes for an input of rank %d", name, len(dims), len(in.Type.Shape))}
		}
	}
	return nil
}

// parseInputShapes parses --input-shape flags, NAME=D0,D1,... with positive
// sizes, into shapes by input name; a malformed one is a usage error.
func parseInputShapes(specs []string) (map[string][]int64, error) {
	if len(specs) == 0 {
		return nil, nil
	}
	out := map[string][]int64{}
	for _, s := range specs {
		name, dims, ok := strings.Cut(s, "=")
		if !ok || name == "" || dims == "" {
			return nil, usageError{fmt.Errorf("--input-shape %q: want NAME=D0,D1,...", s)}
		}
		var shape []int64
		for _, d := range strings.Split(dims, ",") {
			v, err := strconv.ParseInt(strings.TrimSpace(d), 10, 64)
			if err != nil || v <= 0 {
				return nil, usageError{fmt.Errorf("--input-shape %q: %q is not a positive size", s, d)}
			}
			shape = append(shape, v)
		}
		out[name] = shape
	}
	return out, nil
}

// addOutputAlias registers --out as a hidden second spelling of the
// -o/--output flag bound to out (the command's old name for it).
func addOutputAlias(c *cobra.Command, out *string) {
	c.Flags().StringVar(out, "out", "", "old spelling of --output")
	if err := c.Flags().MarkHidden("out"); err != nil {
		panic(err)
	}
}
