package metrics

import (
	"sort"
	"strings"

	"github.com/mconv/mconv/ir"
)

// Counted reports whether the counter knows op in domain: it has a MAC/FLOP
// rule (costs), or is a view or a data mover, which count 0 FLOPs by rule.
// An op it does not know is counted as 0 MACs and 0 FLOPs with a warning.
func Counted(domain, op string) bool {
	k := opName(&ir.Node{Domain: domain, OpType: op})
	return costs[k] != nil || views[k] || movers[k]
}

// CountedOps lists the ops Counted accepts as [domain, op] pairs, domain ""
// for ai.onnx, sorted.
func CountedOps() [][2]string {
	seen := map[string]bool{}
	var out [][2]string
	add := func(k string) {
		if seen[k] {
			return
		}
		seen[k] = true
		d, op := "", k
		if i := strings.LastIndex(k, "."); i >= 0 {
			d, op = k[:i], k[i+1:] // opName's "domain.Op"
		}
		out = append(out, [2]string{d, op})
	}
	for k := range costs {
		add(k)
	}
	for k := range views {
		add(k)
	}
	for k := range movers {
		add(k)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i][0] != out[j][0] {
			return out[i][0] < out[j][0]
		}
		return out[i][1] < out[j][1]
	})
	return out
}
