package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/mconv/mconv/golden"
	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/onnx"
	"github.com/spf13/cobra"
)

func init() { register(newVerifyCmd) }

// verifyOptions are the inputs of `mconv verify`.
type verifyOptions struct {
	Golden   string   // data set folder (or folder of sets); empty: compare two models
	Models   []string // MODEL, or A.onnx B.onnx
	RTol     float64
	ATol     float64
	Inputs   int // random input sets when comparing two models
	planOpts     // Seed: of the first random set
}

// errMismatch is returned when outputs differ beyond the tolerance (exit 1).
var errMismatch = errors.New("outputs differ beyond the tolerance")

func newVerifyCmd() *cobra.Command {
	var o verifyOptions
	c := &cobra.Command{
		Use:   "verify (--golden DIR MODEL | A.onnx B.onnx)",
		Short: "Check a model against stored outputs, or two models against each other, with the native runtime",
		Long: `With --golden DIR, run MODEL on every data set of DIR (one
test_data_set_N folder, or a folder holding several) and compare with the
stored outputs. With two models, run both on the same --inputs random input
sets (seeded by --seed; symbolic dimensions 1, or the shapes --input-shape
gives A's inputs) and compare B's outputs with A's.

Per output it prints the max abs and max relative error, the cosine
similarity and, for [N, K] outputs, top-1 agreement. An output passes when
every |got - want| <= atol + rtol * (largest |want| of that output).
Exit status 0 when all outputs pass, 1 otherwise.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if o.Golden != "" && len(args) != 1 {
				return usageError{fmt.Errorf("verify --golden DIR takes one MODEL, got %d arguments", len(args))}
			}
			if o.Golden == "" && len(args) != 2 {
				return usageError{fmt.Errorf("verify takes two models A.onnx B.onnx (or --golden DIR MODEL), got %d arguments", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Models = args
			return o.run(cmd.OutOrStdout())
		},
	}
	c.Flags().StringVar(&o.Golden, "golden", "", "folder of expected outputs (test_data_set_N, or a folder holding several)")
	c.Flags().Float64Var(&o.RTol, "rtol", 1e-4, "relative tolerance (of the output's largest magnitude)")
	c.Flags().Float64Var(&o.ATol, "atol", 1e-5, "absolute tolerance")
	c.Flags().IntVar(&o.Inputs, "inputs", 3, "random input sets when comparing two models")
	addPlanFlags(c, &o.planOpts, "seed of the first random input set (two models; set K uses seed+K)", "the shape of A's random input (two models)")
	return c
}

func (o *verifyOptions) run(w io.Writer) error {
	if o.RTol < 0 || o.ATol < 0 || o.Inputs < 1 {
		return usageError{fmt.Errorf("--rtol and --atol must be >= 0, --inputs >= 1")}
	}
	if err := o.check(); err != nil {
		return err
	}
	if o.Golden != "" && len(o.InputShapes) > 0 {
		return usageError{fmt.Errorf("--input-shape shapes the random inputs of two models; with --golden the inputs are the data set's")}
	}
	tol := golden.Tolerance{RTol: o.RTol, ATol: o.ATol}
	if o.Golden != "" {
		return o.verifyGolden(w, tol)
	}
	return o.verifyPair(w, tol)
}

func (o *verifyOptions) verifyGolden(w io.Writer, tol golden.Tolerance) error {
	m, err := onnx.Load(o.Models[0])
	if err != nil {
		return err
	}
	sets, err := golden.FindSets(o.Golden)
	if err != nil {
		return err
	}
	if len(sets) == 0 {
		return fmt.Errorf("%s: no data sets", o.Golden)
	}
	ok := true
	for _, dir := range sets {
		s, err := golden.LoadSet(dir)
		if err != nil {
			return err
		}
		in, err := golden.BindInputs(m, s)
		if err != nil {
			return fmt.Errorf("%s: %w", dir, err)
		}
		got, _, err := runOnceWith(m, in, o.options())
		if err != nil {
			return fmt.Errorf("%s: %w", o.Models[0], err)
		}
		rep, err := golden.CompareOutputs(m, got, s, tol)
		if err != nil {
			return fmt.Errorf("%s: %w", dir, err)
		}
		fmt.Fprintln(w, strings.TrimRight(rep.String(), "\n"))
		ok = ok && rep.OK()
	}
	return verdict(w, ok)
}

func (o *verifyOptions) verifyPair(w io.Writer, tol golden.Tolerance) error {
	a, err := onnx.Load(o.Models[0])
	if err != nil {
		return err
	}
	b, err := onnx.Load(o.Models[1])
	if err != nil {
		return err
	}
	if len(a.Graph.Outputs) != len(b.Graph.Outputs) {
		return fmt.Errorf("%s has %d outputs, %s has %d", o.Models[0], len(a.Graph.Outputs), o.Models[1], len(b.Graph.Outputs))
	}
	if err := o.applyShapes(a); err != nil {
		return err
	}
	if err := checkInputsFit(a, o.MaxMemory); err != nil {
		return err
	}
	ok := true
	for k := 0; k < o.Inputs; k++ {
		inA, err := golden.RandomInputs(a, o.Seed+int64(k), 1)
		if err != nil {
			return err
		}
		// Feed B the same tensors, by position over its graph inputs.
		fa, fb := golden.FeedInputs(a.Graph), golden.FeedInputs(b.Graph)
		if len(fa) != len(fb) {
			return fmt.Errorf("%s has %d inputs, %s has %d", o.Models[0], len(fa), o.Models[1], len(fb))
		}
		inB := map[string]*ir.Tensor{}
		for i, v := range fb {
			inB[v.Name] = inA[fa[i].Name]
		}
		outA, _, err := runOnceWith(a, inA, o.options())
		if err != nil {
			return fmt.Errorf("%s: %w", o.Models[0], err)
		}
		outB, _, err := runOnceWith(b, inB, o.options())
		if err != nil {
			return fmt.Errorf("%s: %w", o.Models[1], err)
		}
		rep, err := golden.CompareModels(a, outA, b, outB, tol)
		if err != nil {
			return err
		}
		var lines []string
		for _, r := range rep.Results {
			lines = append(lines, r.String())
		}
		ok = ok && rep.OK()
		fmt.Fprintf(w, "inputs %d (seed %d):\n  %s\n", k, o.Seed+int64(k), strings.Join(lines, "\n  "))
	}
	return verdict(w, ok)
}

func verdict(w io.Writer, ok bool) error {
	if !ok {
		return errMismatch
	}
	fmt.Fprintln(w, "all outputs within tolerance")
	return nil
}
