package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/onnx"
	"github.com/mconv/mconv/runtime/engine"
	"github.com/spf13/cobra"
)

func init() {
	register(newInspectCmd)
	register(newRoundtripCmd)
}

// inspectOptions are the inputs of `mconv inspect`.
type inspectOptions struct {
	Model     string
	JSON      bool
	MaxMemory int64 // --max-memory: the budget every single value must fit
}

func newInspectCmd() *cobra.Command {
	var o inspectOptions
	c := &cobra.Command{
		Use:   "inspect MODEL",
		Short: "Summarize an ONNX model: producer, opsets, inputs/outputs, op histogram, parameters",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Model = args[0]
			return o.run(cmd.OutOrStdout())
		},
	}
	c.Flags().BoolVar(&o.JSON, "json", false, "print one JSON object (keys opset, inputs, outputs, ops, params, ...)")
	addMaxMemoryFlag(c, &o.MaxMemory)
	return c
}

func (o *inspectOptions) run(w io.Writer) error {
	s, err := onnx.Inspect(o.Model)
	if err != nil {
		return err
	}
	if err := o.checkFits(); err != nil {
		return err
	}
	if o.JSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", " ")
		return enc.Encode(s)
	}
	fmt.Fprintf(w, "model:      %s (%d bytes)\n", o.Model, s.FileSize)
	fmt.Fprintf(w, "producer:   %s %s\n", s.Producer, s.ProducerVersion)
	fmt.Fprintf(w, "ir version: %d\n", s.IRVersion)
	var ops []string
	for d, v := range s.Opset {
		ops = append(ops, fmt.Sprintf("%s %d", d, v))
	}
	sort.Strings(ops)
	fmt.Fprintf(w, "opsets:     %s\n", strings.Join(ops, ", "))
	for _, v := range s.Inputs {
		fmt.Fprintf(w, "input:      %s\n", valueLine(v))
	}
	for _, v := range s.Outputs {
		fmt.Fprintf(w, "output:     %s\n", valueLine(v))
	}
	fmt.Fprintf(w, "params:     %d (%d bytes)\n", s.Params, s.ParamBytes)
	fmt.Fprintf(w, "nodes:      %d\n", s.Nodes)
	names := make([]string, 0, len(s.Ops))
	for k := range s.Ops {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool {
		if s.Ops[names[i]] != s.Ops[names[j]] {
			return s.Ops[names[i]] > s.Ops[names[j]]
		}
		return names[i] < names[j]
	})
	for _, k := range names {
		fmt.Fprintf(w, "  %6d  %s\n", s.Ops[k], k)
	}
	return nil
}

func valueLine(v onnx.ValueSummary) string {
	if v.DType == nil {
		return v.Name + ": (not a tensor)"
	}
	if v.Shape == nil {
		return fmt.Sprintf("%s: %s[*]", v.Name, v.DType)
	}
	dims := make([]string, len(v.Shape))
	for i, d := range v.Shape {
		dims[i] = fmt.Sprint(d)
	}
	return fmt.Sprintf("%s: %s[%s]", v.Name, v.DType, strings.Join(dims, ","))
}

// roundtripOptions are the inputs of the hidden `mconv roundtrip`, which
// loads a model into the IR and writes it back unchanged (the crosscheck
// uses it to test lossless export).
type roundtripOptions struct {
	In, Out string
}

func newRoundtripCmd() *cobra.Command {
	var o roundtripOptions
	c := &cobra.Command{
		Use:    "roundtrip IN -o OUT",
		Short:  "Load an ONNX model into the IR and write it back unchanged",
		Hidden: true,
		Args:   exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.In = args[0]
			return o.run(cmd.OutOrStdout())
		},
	}
	c.Flags().StringVarP(&o.Out, "output", "o", "", "output file (required, not the input)")
	return c
}

// run writes the model; it prints nothing on success.
func (o *roundtripOptions) run(w io.Writer) error {
	if o.Out == "" {
		return usageError{fmt.Errorf("roundtrip: -o OUT is required")}
	}
	if onnx.SameFile(o.In, o.Out) {
		return usageError{fmt.Errorf("roundtrip: -o %s is the input file; refusing to overwrite it", o.Out)}
	}
	m, err := onnx.Load(o.In)
	if err != nil {
		return err
	}
	return onnx.Save(m, o.Out)
}

// checkFits refuses a model that no command could run: one whose graph
// inputs (symbolic dimensions as 1) or whose single inferred value (static
// shapes from ir.InferShapes, which evaluates shape arithmetic without
// materializing tensors) would alone pass the memory budget (--max-memory;
// 0: the runtime's default). It allocates nothing of that size.
func (o *inspectOptions) checkFits() error {
	m, err := onnx.Load(o.Model)
	if err != nil {
		return err
	}
	if err := checkInputsFit(m, o.MaxMemory); err != nil {
		return err
	}
	_ = ir.InferShapes(m) // best effort: values left unknown are not checked
	b := engine.NewBudget(o.MaxMemory)
	for _, n := range m.Graph.Nodes {
		for _, v := range n.Outputs {
			if v == nil || !v.Type.HasShape || !v.Type.Shape.Static() || v.Type.DType.Size() == 0 {
				continue
			}
			elems := ir.NumElements(v.Type.Shape.Sizes())
			bytes := elems * int64(v.Type.DType.Size())
			if elems < 0 || bytes/int64(v.Type.DType.Size()) != elems {
				bytes = -1 // overflows: Fits reports it as past 2^63
			}
			if err := b.Fits(bytes); err != nil {
				return fmt.Errorf("node %q (%s): output %q (%s%v): %w", n.Name, n.OpType, v.Name, v.Type.DType, v.Type.Shape, err)
			}
		}
	}
	return nil
}
