package coreml

import (
	"fmt"
	"strings"

	"github.com/mconv/mconv/coreml/pb"
	"github.com/mconv/mconv/ir"
)

// The converter lowers IR to a list of MIL operations (mop) with fully known
// types. The ML Program writer serializes them as they are; the
// NeuralNetwork writer maps each to a layer; the reader parses MIL back into
// the same form.

// mvar is one MIL variable: a typed, statically shaped tensor (rank 0 for
// scalars). konst is set when a const op produces it.
type mvar struct {
	name  string
	dt    pb.DataType
	shape []int64
	konst *constVal
}

// constVal is constant data in the variable's dtype: floats for FLOAT16 and
// FLOAT32 (fp16 values already rounded), ints for INT32, bools, strings.
type constVal struct {
	f []float32
	i []int32
	b []bool
	s []string
}

// arg is one named input of an op; vars has one entry except for variadic
// inputs such as concat's values.
type arg struct {
	param string
	vars  []*mvar
}

// mop is one MIL operation.
type mop struct {
	typ  string
	name string
	in   []arg
	out  []*mvar
	src  *ir.Node // the IR node this op was lowered from, if any
}

func (o *mop) input(param string) *mvar {
	for _, a := range o.in {
		if a.param == param && len(a.vars) > 0 {
			return a.vars[0]
		}
	}
	return nil
}

func (o *mop) inputs(param string) []*mvar {
	for _, a := range o.in {
		if a.param == param {
			return a.vars
		}
	}
	return nil
}

func numel(shape []int64) int64 {
	n := int64(1)
	for _, d := range shape {
		n *= d
	}
	return n
}

func dtName(dt pb.DataType) string {
	switch dt {
	case pb.DataType_FLOAT16:
		return "fp16"
	case pb.DataType_FLOAT32:
		return "fp32"
	case pb.DataType_INT32:
		return "int32"
	case pb.DataType_BOOL:
		return "bool"
	case pb.DataType_STRING:
		return "string"
	}
	return strings.ToLower(dt.String())
}

func isFloat(dt pb.DataType) bool { return dt == pb.DataType_FLOAT16 || dt == pb.DataType_FLOAT32 }

// sanitize turns any string into a MIL identifier [A-Za-z_][A-Za-z0-9_@]*.
func sanitize(s string) string {
	var b strings.Builder
	for i, r := range s {
		ok := r == '_' || r == '@' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
		if i == 0 && (r >= '0' && r <= '9' || r == '@') {
			b.WriteByte('_')
		}
		if ok {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "_"
	}
	return b.String()
}

// validIdent reports whether s is a MIL identifier.
func validIdent(s string) bool { return s != "" && sanitize(s) == s }

func fmtShape(s []int64) string { return fmt.Sprint(s) }
