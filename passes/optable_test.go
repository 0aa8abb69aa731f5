package passes

import (
	"go/ast"
	"go/importer"
	"go/token"
	"go/types"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/mconv/mconv/internal/gosrc"
	"github.com/mconv/mconv/runtime/engine"
)

// passSource is package passes type-checked from its source files (tests
// excluded), so calls resolve to the function or method they name.
type passSource struct {
	decls  map[types.Object]*ast.FuncDecl
	byName map[string]*ast.FuncDecl // top-level functions
	info   *types.Info
}

func loadPassSource(t *testing.T) *passSource {
	t.Helper()
	fset := token.NewFileSet()
	byFile, err := gosrc.ParseDir(fset, ".")
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, f := range byFile {
		files = append(files, f)
	}
	info := &types.Info{Defs: map[*ast.Ident]types.Object{}, Uses: map[*ast.Ident]types.Object{}}
	conf := types.Config{Importer: importer.ForCompiler(fset, "source", nil)}
	if _, err := conf.Check("github.com/mconv/mconv/passes", fset, files, info); err != nil {
		t.Fatalf("type-checking package passes: %v", err)
	}
	s := &passSource{decls: map[types.Object]*ast.FuncDecl{}, byName: map[string]*ast.FuncDecl{}, info: info}
	for _, f := range files {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok {
				s.decls[info.Defs[fd.Name]] = fd
				if fd.Recv == nil {
					s.byName[fd.Name.Name] = fd
				}
			}
		}
	}
	return s
}

// matchedOps returns the op types the code reachable from root compares
// nodes with: the literal op of isOp(n, "Op") and producedBy(v, "Op"), and
// n.OpType == "Op".
func (s *passSource) matchedOps(root *ast.FuncDecl) []string {
	ops := map[string]bool{}
	seen := map[*ast.FuncDecl]bool{}
	var visit func(fd *ast.FuncDecl)
	visit = func(fd *ast.FuncDecl) {
		if fd == nil || seen[fd] {
			return
		}
		seen[fd] = true
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.Ident:
				// any use of a package function or method: a call, or a
				// function value passed on
				if d := s.decls[s.info.Uses[x]]; d != nil {
					visit(d)
				}
			case *ast.CallExpr:
				var id *ast.Ident
				switch f := x.Fun.(type) {
				case *ast.Ident:
					id = f
				case *ast.SelectorExpr:
					id = f.Sel
				}
				if id != nil && (id.Name == "isOp" || id.Name == "producedBy") && len(x.Args) == 2 {
					if v, ok := gosrc.StringLit(x.Args[1]); ok {
						ops[v] = true
					}
				}
			case *ast.BinaryExpr:
				if se, ok := x.X.(*ast.SelectorExpr); ok && se.Sel.Name == "OpType" && x.Op == token.EQL {
					if v, ok := gosrc.StringLit(x.Y); ok {
						ops[v] = true
					}
				}
			}
			return true
		})
	}
	visit(root)
	var out []string
	for k := range ops {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// passFunc names the function of a pipeline entry.
func passFunc(p pass) string {
	name := runtime.FuncForPC(reflect.ValueOf(p.run).Pointer()).Name()
	return name[strings.LastIndex(name, ".")+1:]
}

// TestPassOpsMatchCode re-derives each pass's matched ops from its code and
// compares them with passOps, so the table `mconv ops` prints cannot drift
// from the matchers.
func TestPassOpsMatchCode(t *testing.T) {
	s := loadPassSource(t)
	for _, p := range pipeline {
		fd := s.byName[passFunc(p)]
		if fd == nil {
			t.Fatalf("pass %s: function %s not found in the source", p.name, passFunc(p))
		}
		if p.name == "constant-fold" {
			continue // TestConstantFoldableMatchesCode
		}
		got := s.matchedOps(fd)
		if _, ok := allOpPasses[p.name]; ok {
			if len(got) != 0 {
				t.Errorf("pass %s is listed as applying to every op, but its code matches %v", p.name, got)
			}
			continue
		}
		want, ok := passOps[p.name]
		if !ok {
			t.Errorf("pass %s is in neither passOps nor allOpPasses (its code matches %v)", p.name, got)
			continue
		}
		if !slices.Equal(got, want) {
			t.Errorf("pass %s: its code matches %v, passOps lists %v", p.name, got, want)
		}
	}
	for name := range passOps {
		if !slices.Contains(Names(), name) {
			t.Errorf("passOps lists %q, which is not a pass", name)
		}
	}
}

// TestConstantFoldableMatchesCode checks ConstantFoldable against the op
// cases of foldConstants and engine.Folded (what its default case
// evaluates).
func TestConstantFoldableMatchesCode(t *testing.T) {
	s := loadPassSource(t)
	fc := s.byName["foldConstants"]
	if fc == nil {
		t.Fatal("foldConstants not found")
	}
	if byName := gosrc.SwitchCases(fc.Body, "OpType"); !slices.Equal(byName, foldByName) {
		t.Errorf("foldConstants's own cases are %v, foldByName lists %v", byName, foldByName)
	}
	for _, op := range []string{"Add", "Cast", "Concat", "Gather", "Reshape", "Transpose", "Unsqueeze"} {
		if !ConstantFoldable("", op) || !engine.Folded(op) {
			t.Errorf("%s: ConstantFoldable %v, engine.Folded %v; want both", op, ConstantFoldable("", op), engine.Folded(op))
		}
	}
	if ConstantFoldable("mconv", "Add") || ConstantFoldable("", "Conv") || ConstantFoldable("", "DequantizeLinear") {
		t.Error("ConstantFoldable accepts an op constant folding does not evaluate")
	}
}

func TestPassesFor(t *testing.T) {
	for _, tc := range []struct {
		domain, op string
		want       []string
	}{
		{"", "BatchNormalization", []string{"dce", "conv-bn-fold", "branch-collapse", "gemm-bn-fold", "gemm-collapse", "bn-to-affine"}},
		{"", "Sigmoid", []string{"dce", "se-fuse", "act-fuse"}},
		{"", "Reshape", []string{"constant-fold", "dce", "reshape-canon", "se-fuse"}},
		{"mconv", "SqueezeExcite", []string{"dce"}},
		{"", "Softmax", []string{"dce"}},
	} {
		if got := PassesFor(tc.domain, tc.op); !slices.Equal(got, tc.want) {
			t.Errorf("PassesFor(%q, %q) = %v, want %v", tc.domain, tc.op, got, tc.want)
		}
	}
}
