package ir

import "sort"

// OpSchema describes one version of an operator: how many inputs and
// outputs it takes and which attributes (with their types) it accepts.
// Variadic ops have MaxInputs or MaxOutputs of -1.
type OpSchema struct {
	Domain     string // "" for ai.onnx
	Name       string
	Since      int64 // first opset version of this schema
	MinInputs  int
	MaxInputs  int
	MinOutputs int
	MaxOutputs int
	Attrs      map[string]AttrType
	Required   []string
	Deprecated bool
}

var schemas = map[string][]*OpSchema{}

func schemaKey(domain, op string) string {
	if domain == "ai.onnx" {
		domain = ""
	}
	return domain + "::" + op
}

// RegisterSchema adds s to the registry (generated tables call it from init).
func RegisterSchema(s *OpSchema) {
	k := schemaKey(s.Domain, s.Name)
	list := append(schemas[k], s)
	sort.Slice(list, func(i, j int) bool { return list[i].Since < list[j].Since })
	schemas[k] = list
}

// LookupSchema returns the schema of op in domain that is in force at the
// given opset version (the newest with Since <= version), or nil. With
// version <= 0 it returns the newest.
func LookupSchema(domain, op string, version int64) *OpSchema {
	list := schemas[schemaKey(domain, op)]
	var best *OpSchema
	for _, s := range list {
		if version <= 0 || s.Since <= version {
			best = s
		}
	}
	return best
}

// KnownOp reports whether any version of op exists in domain.
func KnownOp(domain, op string) bool { return len(schemas[schemaKey(domain, op)]) > 0 }

// KnownDomain reports whether any op is registered in domain.
func KnownDomain(domain string) bool {
	if domain == "ai.onnx" {
		domain = ""
	}
	for _, list := range schemas {
		if len(list) > 0 && (list[0].Domain == domain || (domain == "" && list[0].Domain == "ai.onnx")) {
			return true
		}
	}
	return false
}
