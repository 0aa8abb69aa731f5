package engine

import (
	"fmt"
	"slices"

	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/runtime/kernels"
)

// epiStep is one elementwise step of a fused epilogue.
type epiStep struct {
	kind         int // epiAct, epiAdd, epiAffine
	a            act
	other        *tval     // epiAdd: tensor of the output's shape
	scale, shift []float32 // epiAffine: per channel
}

const (
	epiAct = iota
	epiAdd
	epiAffine
)

// epilogue is what a Conv applies to its output after accumulation, per
// output row segment (one channel).
type epilogue []epiStep

// apply runs the epilogue on seg = out[off : off+len(seg)], all in channel ch.
func (e epilogue) apply(seg []float32, ch, off int) {
	for i := range e {
		s := &e[i]
		switch s.kind {
		case epiAct:
			s.a.apply(seg, seg)
		case epiAdd:
			kernels.BinaryF32(kernels.BinAdd, seg, seg, s.other.f32()[off:off+len(seg)])
		case epiAffine:
			kernels.AffineF32(seg, seg, s.scale[ch], s.shift[ch])
		}
	}
}

// actNames names each activation as the epilogue attribute of the fused
// linear ops spells it: the op type of its standalone node (GeluTanh is
// Gelu with approximate = "tanh").
var actNames = map[actKind]string{
	actRelu: "Relu", actClip: "Clip", actLeaky: "LeakyRelu", actSigmoid: "Sigmoid",
	actHardSigmoid: "HardSigmoid", actHardSwish: "HardSwish", actSiLU: "SiLU", actTanh: "Tanh",
	actGelu: "Gelu", actGeluTanh: "GeluTanh", actElu: "Elu", actSelu: "Selu",
	actSoftplus: "Softplus", actSoftsign: "Softsign", actMish: "Mish",
	actThresholdedRelu: "ThresholdedRelu", actCelu: "Celu",
}

// Activation reports whether node n (of a model whose default-domain opset
// is opset) is a float activation that a fused epilogue can apply, and
// names it as the epilogue attribute of mconv.FusedConv/FusedGemm/
// FusedMatMul does, with its two parameters (Clip's min and max, the alpha
// of LeakyRelu, Elu, Celu and ThresholdedRelu, HardSigmoid's alpha and
// beta, Selu's alpha and gamma). Clip bounds given as inputs must be
// initializers. It is the runtime's activation table (actOf), so what the
// lowering fuses is what the engine runs.
func Activation(n *ir.Node, opset int64) (name string, alpha, beta float32, ok bool) {
	a, isAct, err := actOf(n, opset, func(i int) *tval {
		if i >= len(n.Inputs) || !n.Inputs[i].IsConst() {
			return nil
		}
		t, err := constFromTensor(n.Inputs[i].Name, n.Inputs[i].Const)
		if err != nil {
			return nil
		}
		return t
	})
	name, known := actNames[a.kind]
	if err != nil || !isAct || !known {
		return "", 0, 0, false
	}
	return name, a.a, a.b, true
}

// fusedEpilogue reads the epilogue of a fused linear op (see ir/fused.go):
// the steps named by attribute epilogue, their parameters epilogue_alpha
// and epilogue_beta, and the extra inputs from input first on (two
// constant [C] scale and shift vectors per "affine" step, one tensor of
// out's shape per "add" step). perChannel allows affine steps (channel
// axis 1 of out).
func (c *ctx) fusedEpilogue(first int, out *tval, perChannel bool) (epilogue, error) {
	names := c.n.Attr("epilogue")
	if names == nil {
		return nil, nil
	}
	if names.Type != ir.AttrStrings {
		return nil, fmt.Errorf("attribute epilogue must be strings")
	}
	alpha, beta := c.n.AttrFloats("epilogue_alpha", nil), c.n.AttrFloats("epilogue_beta", nil)
	k := first
	next := func() (*tval, error) {
		t := c.input(k)
		if t == nil {
			return nil, fmt.Errorf("epilogue input %d is missing", k)
		}
		k++
		return t, nil
	}
	var e epilogue
	for i, nb := range names.Strings {
		switch name := string(nb); name {
		case "affine":
			if !perChannel || len(out.shape) < 2 {
				return nil, fmt.Errorf("epilogue step %d: affine needs a per-channel output", i)
			}
			C := int(out.shape[1])
			sc, err := next()
			if err != nil {
				return nil, err
			}
			sh, err := next()
			if err != nil {
				return nil, err
			}
			for _, t := range []*tval{sc, sh} {
				if !t.konst || t.dt != ir.Float32 || t.n != C {
					return nil, fmt.Errorf("epilogue step %d: affine %s must be a float32 constant of %d elements", i, t.name, C)
				}
			}
			e = append(e, epiStep{kind: epiAffine, scale: append([]float32(nil), sc.f32()...), shift: append([]float32(nil), sh.f32()...)})
		case "add":
			o, err := next()
			if err != nil {
				return nil, err
			}
			if o.dt != ir.Float32 || !slices.Equal(o.shape, out.shape) {
				return nil, fmt.Errorf("epilogue step %d: residual %s is %s%v, the output is float32%v", i, o.name, o.dt, o.shape, out.shape)
			}
			e = append(e, epiStep{kind: epiAdd, other: o})
		default:
			a := act{kind: actNone}
			for kind, n := range actNames {
				if n == name {
					a.kind = kind
				}
			}
			if a.kind == actNone {
				return nil, fmt.Errorf("epilogue step %d: unknown step %q", i, name)
			}
			if i < len(alpha) {
				a.a = alpha[i]
			}
			if i < len(beta) {
				a.b = beta[i]
			}
			e = append(e, epiStep{kind: epiAct, a: a})
		}
	}
	if k != len(c.n.Inputs) {
		return nil, fmt.Errorf("epilogue reads inputs %d to %d of %d", first, k-1, len(c.n.Inputs))
	}
	return e, nil
}
