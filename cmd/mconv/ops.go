package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/mconv/mconv/coreml"
	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/ir/metrics"
	"github.com/mconv/mconv/passes"
	"github.com/mconv/mconv/runtime/engine"
)

func init() { register(newOpsCmd) }

// opsOptions are the inputs of `mconv ops`.
type opsOptions struct {
	JSON bool
}

func newOpsCmd() *cobra.Command {
	o := &opsOptions{}
	c := &cobra.Command{
		Use:   "ops",
		Short: "List every op mconv knows and which parts support it (shape inference, runtime, folding, passes, Core ML, stats)",
		Long: `ops prints one row per op (domain, op type) that any of mconv's op tables
names, read from the tables themselves: shape inference (package ir's shape
functions), the native runtime (runtime/engine's op table), constant folding
(passes.ConstantFoldable), the passes whose pattern matches the op, the Core
ML ML Program and NeuralNetwork backends (coreml's lowering table; "const":
only on constant inputs, evaluated at conversion time; TARGET: the lowest
ML Program deployment target whose MIL opset expresses the op's lowering)
and the cost counter of mconv stats (ir/metrics). --json prints one object
keyed by op type ("mconv.SiLU" for mconv's fused ops) whose values have the
boolean fields runtime, mlprogram, neuralnetwork, shape, stats and
constant_fold, and domain, mlprogram_target, coreml_constant_only, passes
and missing (why the op is missing from a table, where a reason is
stated).`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd.OutOrStdout()) },
	}
	c.Flags().BoolVar(&o.JSON, "json", false, "print one JSON object keyed by op type")
	return c
}

// opRow is one op's support across mconv; field order is the JSON key order.
type opRow struct {
	Domain string `json:"domain"` // "ai.onnx" or "mconv"
	op     string
	// Shape: ir has a shape function.
	Shape bool `json:"shape"`
	// Runtime: the native runtime has a kernel.
	Runtime bool `json:"runtime"`
	// ConstantFold: the constant-fold pass evaluates it.
	ConstantFold bool `json:"constant_fold"`
	// MLProgram and NeuralNetwork: the Core ML backends lower it (on any
	// input; CoreMLConstantOnly: only on constant inputs).
	MLProgram bool `json:"mlprogram"`
	// MLProgramTarget is the lowest ML Program deployment target that
	// expresses the op's lowering ("" unless MLProgram); some attribute
	// values or dtypes may need a later one.
	MLProgramTarget    string `json:"mlprogram_target"`
	NeuralNetwork      bool   `json:"neuralnetwork"`
	CoreMLConstantOnly bool   `json:"coreml_constant_only"`
	// Stats: the cost counter of mconv stats knows it.
	Stats bool `json:"stats"`
	// Passes whose pattern matches the op, in pipeline order (dce, which
	// removes any unused node, is not listed).
	Passes []string `json:"passes"`
	// Missing says, per column the op is missing from, why (opGaps).
	Missing map[string]string `json:"missing"`
}

// has reports whether the row has column col (one of gapCols).
func (r *opRow) has(col string) bool {
	switch col {
	case "shape":
		return r.Shape
	case "runtime":
		return r.Runtime
	case "mlprogram":
		return r.MLProgram || r.CoreMLConstantOnly
	case "neuralnetwork":
		return r.NeuralNetwork || r.CoreMLConstantOnly
	case "stats":
		return r.Stats
	}
	panic("opRow.has: unknown column " + col)
}

// gapCols are the columns whose gaps opGaps must explain (constant folding
// and the passes cover a subset of ops by design). A Core ML "const" op
// counts as present: the backend states its own limit.
var gapCols = []string{"shape", "runtime", "mlprogram", "neuralnetwork", "stats"}

// key is the op's name in the JSON object: the op type, prefixed with the
// domain outside ai.onnx ("mconv.SiLU").
func (r *opRow) key() string {
	if r.Domain == "ai.onnx" {
		return r.op
	}
	return r.Domain + "." + r.op
}

// opTable builds the rows from every op table, sorted by domain and op.
func opTable() []*opRow {
	keys := map[[2]string]bool{}
	add := func(domain, op string) {
		if domain == "ai.onnx" {
			domain = ""
		}
		keys[[2]string{domain, op}] = true
	}
	for _, k := range engine.SupportedOps() {
		d, op, _ := strings.Cut(k, "::")
		add(d, op)
	}
	for _, lists := range [][][2]string{ir.ShapeFuncOps(), metrics.CountedOps(), coreml.ConvertOps()} {
		for _, k := range lists {
			add(k[0], k[1])
		}
	}
	for _, op := range passes.PassOps() {
		add("", op)
	}
	var rows []*opRow
	reasons := opGapReasons()
	for k := range keys {
		d, op := k[0], k[1]
		ml, nn := coreml.MLProgramSupport(d, op), coreml.NeuralNetworkSupport(d, op)
		r := &opRow{Domain: d, op: op,
			Shape:              ir.LookupShapeFunc(d, op) != nil,
			Runtime:            engine.Supported(d, op),
			ConstantFold:       passes.ConstantFoldable(d, op),
			MLProgram:          ml == coreml.Supported,
			NeuralNetwork:      nn == coreml.Supported,
			CoreMLConstantOnly: ml == coreml.ConstantOnly,
			Stats:              metrics.Counted(d, op),
			Passes:             []string{},
			Missing:            map[string]string{},
		}
		if r.MLProgram {
			r.MLProgramTarget = coreml.MLProgramTarget(d, op)
		}
		if r.Domain == "" {
			r.Domain = "ai.onnx"
		}
		for _, c := range gapCols {
			if why := reasons[r.key()][c]; why != "" && !r.has(c) {
				r.Missing[c] = why
			}
		}
		all := passes.AllOpPasses()
		for _, p := range passes.PassesFor(d, op) {
			if all[p] == "" {
				r.Passes = append(r.Passes, p)
			}
		}
		rows = append(rows, r)
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Domain != rows[j].Domain {
			return rows[i].Domain < rows[j].Domain
		}
		return rows[i].op < rows[j].op
	})
	return rows
}

func (o *opsOptions) run(w io.Writer) error {
	rows := opTable()
	if o.JSON {
		// encoding/json sorts map keys, so the object is in op order.
		obj := make(map[string]*opRow, len(rows))
		for _, r := range rows {
			obj[r.key()] = r
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", " ")
		return enc.Encode(obj)
	}
	fmt.Fprintln(w, "columns: shape = ir shape inference, runtime = native Go runtime, fold = constant folding (passes),")
	fmt.Fprintln(w, "  mlprogram / nn = Core ML ML Program (.mlpackage) / NeuralNetwork (.mlmodel), target = lowest ML Program target")
	fmt.Fprintln(w, "  that expresses the op (some attribute values may need a later one), stats = cost counter of mconv stats,")
	fmt.Fprintln(w, "  passes = graph passes whose pattern matches the op (dce removes any unused node and is not listed)")
	fmt.Fprintln(w, "values: yes; - (no); const (Core ML: only on constant inputs, evaluated at conversion)")
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DOMAIN\tOP\tSHAPE\tRUNTIME\tFOLD\tMLPROGRAM\tTARGET\tNN\tSTATS\tPASSES")
	yes := func(b bool) string {
		if b {
			return "yes"
		}
		return "-"
	}
	coremlCell := func(b bool, r *opRow) string {
		if r.CoreMLConstantOnly {
			return "const"
		}
		return yes(b)
	}
	var n [6]int
	for _, r := range rows {
		ps := strings.Join(r.Passes, ",")
		if ps == "" {
			ps = "-"
		}
		tgt := r.MLProgramTarget
		if tgt == "" {
			tgt = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Domain, r.op, yes(r.Shape), yes(r.Runtime), yes(r.ConstantFold),
			coremlCell(r.MLProgram, r), tgt, coremlCell(r.NeuralNetwork, r), yes(r.Stats), ps)
		for i, b := range []bool{r.Shape, r.Runtime, r.ConstantFold, r.MLProgram, r.NeuralNetwork, r.Stats} {
			if b {
				n[i]++
			}
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%d ops: shape %d, runtime %d, fold %d, mlprogram %d, nn %d, stats %d\n", len(rows), n[0], n[1], n[2], n[3], n[4], n[5])
	return err
}
