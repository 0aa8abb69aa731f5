package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mconv/mconv/golden"
	"github.com/mconv/mconv/ir"
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
}

// addPlanFlags registers --threads, --seed and --input-shape on c. seed is
// the --seed help text (what the seed draws in this command) and shape
// completes the --input-shape one (what the shape is used for). The --threads default is
// p.Threads as set before the call (0: one thread per core).
func addPlanFlags(c *cobra.Command, p *planOpts, seed, shape string) {
	f := c.Flags()
	f.IntVar(&p.Threads, "threads", p.Threads, "threads the runtime uses (0: one per core)")
	f.Int64Var(&p.Seed, "seed", 1, seed)
	f.StringArrayVar(&p.InputShapes, "input-shape", nil, "fix an input's shape, NAME=D0,D1,... (repeatable): "+shape)
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
