package coreml

import (
	"go/ast"
	"go/token"
	"slices"
	"strings"
	"testing"

	"github.com/mconv/mconv/internal/gosrc"
)

func parseCoremlSources(t *testing.T) map[string]*ast.File {
	t.Helper()
	files, err := gosrc.ParseDir(token.NewFileSet(), ".")
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestLoweredMILOpsHaveLayers collects every MIL op type the ONNX lowering
// can emit (the op argument of emit1 and def, the typ of a mop literal, and
// the op given to the unary/binary/pool lowerer makers) and checks that the
// NeuralNetwork writer has a layer for each, which is what makes
// NeuralNetworkSupport equal MLProgramSupport outside mlProgramOnly. The
// readers (read*.go, nnread.go, nn_read_layers.go) are not lowering and
// are skipped; "cast" is emitted only for --fp16 ML Programs.
func TestLoweredMILOpsHaveLayers(t *testing.T) {
	emitted := map[string]string{}
	for path, f := range parseCoremlSources(t) {
		if strings.HasPrefix(path, "read") || strings.HasPrefix(path, "nnread") || strings.HasPrefix(path, "nn_read") {
			continue
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.CallExpr:
				var name string
				switch fn := x.Fun.(type) {
				case *ast.Ident:
					name = fn.Name
				case *ast.SelectorExpr:
					name = fn.Sel.Name
				}
				arg := -1
				switch name {
				case "emit1", "unary", "binaryOp", "lowerGlobalPool", "lowerPool":
					arg = 0
				case "def":
					arg = 1
				}
				if arg >= 0 && arg < len(x.Args) {
					if v, ok := gosrc.StringLit(x.Args[arg]); ok {
						emitted[v] = path
					}
				}
			case *ast.CompositeLit:
				if id, ok := x.Type.(*ast.Ident); ok && id.Name == "mop" {
					for _, e := range x.Elts {
						if kv, ok := e.(*ast.KeyValueExpr); ok && kv.Key.(*ast.Ident).Name == "typ" {
							if v, ok := gosrc.StringLit(kv.Value); ok {
								emitted[v] = path
							}
						}
					}
				}
			}
			return true
		})
	}
	if len(emitted) < 10 {
		t.Fatalf("found only %d emitted MIL op types: %v", len(emitted), emitted)
	}
	for op, path := range emitted {
		if op != "cast" && !slices.Contains(nnLayerOps, op) {
			t.Errorf("%s emits MIL op %s, which has no NeuralNetwork layer: add one to nnLayers, or list the ONNX ops that emit it in mlProgramOnly", path, op)
		}
	}
}

func TestOpSupport(t *testing.T) {
	for _, tc := range []struct {
		domain, op string
		ml, nn     OpSupport
	}{
		{"", "Conv", Supported, Supported},
		{"ai.onnx", "Conv", Supported, Supported},
		{"mconv", "SqueezeExcite", Supported, Supported},
		{"", "Gather", Supported, Supported},
		{"", "Resize", Supported, Supported},
		{"", "Cast", Supported, Supported}, // float to float on computed tensors
		{"", "ConstantOfShape", ConstantOnly, ConstantOnly},
		{"", "Sqrt", ConstantOnly, ConstantOnly}, // no lowering, folded (engine.Folded)
		{"", "Mod", ConstantOnly, ConstantOnly},
		{"", "NonMaxSuppression", Unsupported, Unsupported},
		{"", "SqueezeExcite", Unsupported, Unsupported},
		{"com.microsoft", "Conv", Unsupported, Unsupported},
	} {
		if got := MLProgramSupport(tc.domain, tc.op); got != tc.ml {
			t.Errorf("MLProgramSupport(%q, %q) = %v, want %v", tc.domain, tc.op, got, tc.ml)
		}
		if got := NeuralNetworkSupport(tc.domain, tc.op); got != tc.nn {
			t.Errorf("NeuralNetworkSupport(%q, %q) = %v, want %v", tc.domain, tc.op, got, tc.nn)
		}
	}
	if n := len(ConvertOps()); n != len(lowerers) {
		t.Errorf("ConvertOps lists %d ops, lowerers has %d", n, len(lowerers))
	}
}
