package passes

import "github.com/mconv/mconv/ir"

// BatchNormAffine is the per-channel scale s = gamma/sqrt(var+eps) and
// shift t = beta - mean*s of an inference BatchNormalization n with
// constant parameters (float64), or a reason why n is not one. It is the
// test the BN folds of this package apply, shared with the runtime's
// lowering (package runtime), so that both accept the same nodes.
func BatchNormAffine(n *ir.Node) (s, t []float64, why string) { return bnParams(n) }
