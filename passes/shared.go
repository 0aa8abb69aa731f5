package passes

import "github.com/mconv/mconv/ir"

// BatchNormAffine is the per-channel scale s = gamma/sqrt(var+eps) and
// shift t = beta - mean*s of an inference BatchNormalization n with
// constant parameters (float64), or a reason why n is not one. It is the
// test the BN folds of this package apply, shared with the runtime's
// lowering (package runtime), so that both accept the same nodes.
func BatchNormAffine(n *ir.Node) (s, t []float64, why string) { return bnParams(n) }

// ChannelConst reads a float constant that, broadcast against a rank-r
// tensor, varies at most along axis 1 (the channel axis): a scalar, or
// dims like [1,M,1,1] / [M,1,1] for r = 4. It returns the values (length 1
// or M) or false: the per-channel test of this package's folds, shared
// with the runtime's lowering.
func ChannelConst(v *ir.Value, r int) ([]float64, bool) { return channelConst(v, r) }

// SpatialMean reports whether ReduceMean node n averages over exactly axes
// 2 and 3 of a 4-D tensor (attribute or constant input; negative axes
// allowed): the squeeze of a Squeeze-and-Excite and a classifier head's
// global pool. Shared with the runtime's lowering.
func SpatialMean(n *ir.Node) bool { return isSpatialMean(n) }
