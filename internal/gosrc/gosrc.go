// Package gosrc reads a package's Go source for tests that check a table
// against the code it describes (passes' op table against the matchers,
// coreml's lowered MIL ops against the NeuralNetwork layer table).
package gosrc

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// ParseDir parses the non-test .go files of dir, keyed by file name.
func ParseDir(fset *token.FileSet, dir string) (map[string]*ast.File, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	out := map[string]*ast.File{}
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			return nil, err
		}
		out[filepath.Base(p)] = f
	}
	return out, nil
}

// StringLit returns the value of a string literal expression.
func StringLit(e ast.Expr) (string, bool) {
	bl, ok := e.(*ast.BasicLit)
	if !ok || bl.Kind != token.STRING {
		return "", false
	}
	v, err := strconv.Unquote(bl.Value)
	return v, err == nil
}

// SwitchCases returns, sorted and without repeats, the string-literal cases
// of the switch statements in n whose tag is a field selector x.field.
func SwitchCases(n ast.Node, field string) []string {
	var out []string
	ast.Inspect(n, func(n ast.Node) bool {
		sw, ok := n.(*ast.SwitchStmt)
		if !ok {
			return true
		}
		if se, ok := sw.Tag.(*ast.SelectorExpr); !ok || se.Sel.Name != field {
			return true
		}
		for _, st := range sw.Body.List {
			for _, e := range st.(*ast.CaseClause).List {
				if v, ok := StringLit(e); ok {
					out = append(out, v)
				}
			}
		}
		return true
	})
	sort.Strings(out)
	return slices.Compact(out)
}
