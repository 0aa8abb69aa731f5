package passes

// A tiny, slow reference evaluator for the ops the pass tests build. It is
// written from the ONNX operator definitions, independently of the pass
// code, so that numeric checks of the rewrites do not trust the rewrites.

import (
	"fmt"
	"math"

	"github.com/mconv/mconv/ir"
)

type tens struct {
	dims []int
	d    []float64
}

func numel(dims []int) int {
	n := 1
	for _, d := range dims {
		n *= d
	}
	return n
}

func fromIR(t *ir.Tensor) (*tens, error) {
	f, err := t.Float64s()
	if err != nil {
		return nil, err
	}
	dims := make([]int, len(t.Dims))
	for i, d := range t.Dims {
		dims[i] = int(d)
	}
	return &tens{dims: dims, d: f}, nil
}

func (t *tens) at(idx []int) float64 {
	off := 0
	for i, x := range idx {
		off = off*t.dims[i] + x
	}
	return t.d[off]
}

// evalModel runs m's main graph on inputs (keyed by input name) and
// returns the graph outputs keyed by name.
func evalModel(m *ir.Model, inputs map[string]*tens) (map[string]*tens, error) {
	g := m.Graph
	env := map[*ir.Value]*tens{}
	for _, v := range g.Initializers {
		t, err := fromIR(v.Const)
		if err != nil {
			return nil, err
		}
		env[v] = t
	}
	for _, v := range g.Inputs {
		t, ok := inputs[v.Name]
		if !ok {
			return nil, fmt.Errorf("missing input %q", v.Name)
		}
		env[v] = t
	}
	for _, n := range g.Nodes {
		ins := make([]*tens, len(n.Inputs))
		for i, v := range n.Inputs {
			if v != nil {
				t, ok := env[v]
				if !ok {
					return nil, fmt.Errorf("node %q: input %q not computed", n.Name, v.Name)
				}
				ins[i] = t
			}
		}
		out, err := evalNode(m, n, ins)
		if err != nil {
			return nil, fmt.Errorf("node %q (%s): %w", n.Name, n.OpType, err)
		}
		env[n.Outputs[0]] = out
	}
	res := map[string]*tens{}
	for _, o := range g.Outputs {
		res[o.Name] = env[o]
	}
	return res, nil
}

func unary(x *tens, f func(float64) float64) *tens {
	out := &tens{dims: x.dims, d: make([]float64, len(x.d))}
	for i, v := range x.d {
		out.d[i] = f(v)
	}
	return out
}

func sigmoid(v float64) float64 { return 1 / (1 + math.Exp(-v)) }

func hardSigmoid(v, a, b float64) float64 { return math.Max(0, math.Min(1, a*v+b)) }

func broadcast(a, b *tens, f func(x, y float64) float64) (*tens, error) {
	r := max(len(a.dims), len(b.dims))
	pad := func(d []int) []int {
		out := make([]int, r)
		for i := range out {
			out[i] = 1
		}
		copy(out[r-len(d):], d)
		return out
	}
	ad, bd := pad(a.dims), pad(b.dims)
	dims := make([]int, r)
	for i := range dims {
		switch {
		case ad[i] == bd[i] || bd[i] == 1:
			dims[i] = ad[i]
		case ad[i] == 1:
			dims[i] = bd[i]
		default:
			return nil, fmt.Errorf("broadcast %v %v", a.dims, b.dims)
		}
	}
	out := &tens{dims: dims, d: make([]float64, numel(dims))}
	idx := make([]int, r)
	for o := range out.d {
		ao, bo := 0, 0
		for i := 0; i < r; i++ {
			ai, bi := idx[i], idx[i]
			if ad[i] == 1 {
				ai = 0
			}
			if bd[i] == 1 {
				bi = 0
			}
			ao = ao*ad[i] + ai
			bo = bo*bd[i] + bi
		}
		out.d[o] = f(a.d[ao], b.d[bo])
		for i := r - 1; i >= 0; i-- {
			idx[i]++
			if idx[i] < dims[i] {
				break
			}
			idx[i] = 0
		}
	}
	return out, nil
}

// conv2d is a direct NCHW convolution from the ONNX definition.
func conv2d(x, w, b *tens, strides, pads, dil []int64, group int) (*tens, error) {
	N, C, H, W := x.dims[0], x.dims[1], x.dims[2], x.dims[3]
	M, CG, KH, KW := w.dims[0], w.dims[1], w.dims[2], w.dims[3]
	if CG*group != C || M%group != 0 {
		return nil, fmt.Errorf("conv shapes x %v w %v group %d", x.dims, w.dims, group)
	}
	OH := (H+int(pads[0]+pads[2])-int(dil[0])*(KH-1)-1)/int(strides[0]) + 1
	OW := (W+int(pads[1]+pads[3])-int(dil[1])*(KW-1)-1)/int(strides[1]) + 1
	out := &tens{dims: []int{N, M, OH, OW}, d: make([]float64, N*M*OH*OW)}
	mg := M / group
	for n := 0; n < N; n++ {
		for m := 0; m < M; m++ {
			gi := m / mg
			for oy := 0; oy < OH; oy++ {
				for ox := 0; ox < OW; ox++ {
					acc := 0.0
					if b != nil {
						acc = b.d[m]
					}
					for ci := 0; ci < CG; ci++ {
						c := gi*CG + ci
						for ky := 0; ky < KH; ky++ {
							iy := oy*int(strides[0]) - int(pads[0]) + ky*int(dil[0])
							if iy < 0 || iy >= H {
								continue
							}
							for kx := 0; kx < KW; kx++ {
								ix := ox*int(strides[1]) - int(pads[1]) + kx*int(dil[1])
								if ix < 0 || ix >= W {
									continue
								}
								acc += x.d[((n*C+c)*H+iy)*W+ix] * w.d[((m*CG+ci)*KH+ky)*KW+kx]
							}
						}
					}
					out.d[((n*M+m)*OH+oy)*OW+ox] = acc
				}
			}
		}
	}
	return out, nil
}

// spatialMean averages a 4-D tensor over H and W, keeping dims.
func spatialMean(x *tens) *tens {
	N, C, HW := x.dims[0], x.dims[1], x.dims[2]*x.dims[3]
	out := &tens{dims: []int{N, C, 1, 1}, d: make([]float64, N*C)}
	for i := 0; i < N*C; i++ {
		s := 0.0
		for j := 0; j < HW; j++ {
			s += x.d[i*HW+j]
		}
		out.d[i] = s / float64(HW)
	}
	return out
}

func gemm(a, b, c *tens, transA, transB bool, alpha, beta float64) (*tens, error) {
	M, K := a.dims[0], a.dims[1]
	if transA {
		M, K = K, M
	}
	K2, N := b.dims[0], b.dims[1]
	if transB {
		K2, N = N, K2
	}
	if K != K2 {
		return nil, fmt.Errorf("gemm K %d vs %d", K, K2)
	}
	out := &tens{dims: []int{M, N}, d: make([]float64, M*N)}
	for i := 0; i < M; i++ {
		for j := 0; j < N; j++ {
			s := 0.0
			for k := 0; k < K; k++ {
				var av, bv float64
				if transA {
					av = a.d[k*a.dims[1]+i]
				} else {
					av = a.d[i*a.dims[1]+k]
				}
				if transB {
					bv = b.d[j*b.dims[1]+k]
				} else {
					bv = b.d[k*b.dims[1]+j]
				}
				s += av * bv
			}
			out.d[i*N+j] = alpha * s
		}
	}
	if c != nil {
		cs := &tens{dims: c.dims, d: make([]float64, len(c.d))}
		for i, v := range c.d {
			cs.d[i] = beta * v
		}
		return broadcast(out, cs, func(x, y float64) float64 { return x + y })
	}
	return out, nil
}

func ints64(t *tens) []int64 {
	out := make([]int64, len(t.d))
	for i, v := range t.d {
		out[i] = int64(v)
	}
	return out
}

func evalNode(m *ir.Model, n *ir.Node, in []*tens) (*tens, error) {
	fattr := func(name string, def float64) float64 { return float64(n.AttrFloat(name, float32(def))) }
	switch n.OpType {
	case "Identity", "Dropout":
		return in[0], nil
	case "Relu":
		return unary(in[0], func(v float64) float64 { return math.Max(v, 0) }), nil
	case "Sigmoid":
		return unary(in[0], sigmoid), nil
	case "HardSigmoid":
		a, b := fattr("alpha", 0.2), fattr("beta", 0.5)
		return unary(in[0], func(v float64) float64 { return hardSigmoid(v, a, b) }), nil
	case "HardSwish":
		return unary(in[0], func(v float64) float64 { return v * hardSigmoid(v, 1.0/6, 0.5) }), nil
	case "Erf":
		return unary(in[0], math.Erf), nil
	case "Gelu":
		return unary(in[0], func(v float64) float64 { return 0.5 * v * (1 + math.Erf(v/math.Sqrt2)) }), nil
	case "SiLU":
		return unary(in[0], func(v float64) float64 { return v * sigmoid(v) }), nil
	case "Add":
		return broadcast(in[0], in[1], func(x, y float64) float64 { return x + y })
	case "Sum":
		acc := in[0]
		for _, t := range in[1:] {
			var err error
			if acc, err = broadcast(acc, t, func(x, y float64) float64 { return x + y }); err != nil {
				return nil, err
			}
		}
		return acc, nil
	case "Sub":
		return broadcast(in[0], in[1], func(x, y float64) float64 { return x - y })
	case "Mul":
		return broadcast(in[0], in[1], func(x, y float64) float64 { return x * y })
	case "Div":
		return broadcast(in[0], in[1], func(x, y float64) float64 { return x / y })
	case "Conv":
		w := in[1]
		var b *tens
		if len(in) > 2 {
			b = in[2]
		}
		k := len(w.dims) - 2
		ones := []int64{1, 1}
		pads := n.AttrInts("pads", make([]int64, 2*k))
		if n.AttrString("auto_pad", "NOTSET") != "NOTSET" {
			return nil, fmt.Errorf("auto_pad not supported by the test evaluator")
		}
		return conv2d(in[0], w, b, n.AttrInts("strides", ones), pads, n.AttrInts("dilations", ones), int(n.AttrInt("group", 1)))
	case "BatchNormalization":
		x := in[0]
		C := x.dims[1]
		inner := numel(x.dims[2:])
		eps := fattr("epsilon", 1e-5)
		out := &tens{dims: x.dims, d: make([]float64, len(x.d))}
		for i := range x.d {
			c := (i / inner) % C
			out.d[i] = (x.d[i]-in[3].d[c])/math.Sqrt(in[4].d[c]+eps)*in[1].d[c] + in[2].d[c]
		}
		return out, nil
	case "GlobalAveragePool":
		return spatialMean(in[0]), nil
	case "ReduceMean":
		axes := n.AttrInts("axes", nil)
		if len(in) > 1 && in[1] != nil {
			axes = ints64(in[1])
		}
		if len(axes) != 2 || len(in[0].dims) != 4 {
			return nil, fmt.Errorf("test evaluator: ReduceMean only over H,W")
		}
		r := spatialMean(in[0])
		if n.AttrInt("keepdims", 1) == 0 {
			r.dims = r.dims[:2]
		}
		return r, nil
	case "AveragePool", "MaxPool":
		return pool2d(n, in[0])
	case "Flatten":
		ax := int(n.AttrInt("axis", 1))
		return &tens{dims: []int{numel(in[0].dims[:ax]), numel(in[0].dims[ax:])}, d: in[0].d}, nil
	case "Reshape":
		s := ints64(in[1])
		dims := make([]int, len(s))
		known, infer := 1, -1
		for i, v := range s {
			switch {
			case v == 0:
				dims[i] = in[0].dims[i]
			case v == -1:
				infer = i
				continue
			default:
				dims[i] = int(v)
			}
			known *= dims[i]
		}
		if infer >= 0 {
			dims[infer] = len(in[0].d) / known
		}
		return &tens{dims: dims, d: in[0].d}, nil
	case "Gemm":
		var c *tens
		if len(in) > 2 {
			c = in[2]
		}
		return gemm(in[0], in[1], c, n.AttrInt("transA", 0) != 0, n.AttrInt("transB", 0) != 0, fattr("alpha", 1), fattr("beta", 1))
	case "MatMul":
		return gemm(in[0], in[1], nil, false, false, 1, 1)
	case "Pad":
		pads := ints64(in[1])
		x := in[0]
		r := len(x.dims)
		dims := make([]int, r)
		for i := range dims {
			dims[i] = x.dims[i] + int(pads[i]+pads[r+i])
		}
		out := &tens{dims: dims, d: make([]float64, numel(dims))}
		idx := make([]int, r)
		for i := range x.d {
			off := 0
			for j := 0; j < r; j++ {
				off = off*dims[j] + idx[j] + int(pads[j])
			}
			out.d[off] = x.d[i]
			for j := r - 1; j >= 0; j-- {
				idx[j]++
				if idx[j] < x.dims[j] {
					break
				}
				idx[j] = 0
			}
		}
		return out, nil
	case "SqueezeExcite":
		// Straight from the contract: s = mean(x); h = act(w1 s + b1);
		// g = gate(w2 h + b2); y = x * g.
		x := in[0]
		N, C, HW := x.dims[0], x.dims[1], x.dims[2]*x.dims[3]
		Cr := in[1].dims[0]
		s := spatialMean(x)
		out := &tens{dims: x.dims, d: make([]float64, len(x.d))}
		a, bb := fattr("alpha", 0.2), fattr("beta", 0.5)
		for nn := 0; nn < N; nn++ {
			h := make([]float64, Cr)
			for r := 0; r < Cr; r++ {
				acc := in[2].d[r]
				for c := 0; c < C; c++ {
					acc += in[1].d[r*C+c] * s.d[nn*C+c]
				}
				h[r] = math.Max(acc, 0)
				if n.AttrString("act", "relu") == "silu" {
					h[r] = acc * sigmoid(acc)
				}
			}
			for c := 0; c < C; c++ {
				acc := in[4].d[c]
				for r := 0; r < Cr; r++ {
					acc += in[3].d[c*Cr+r] * h[r]
				}
				gate := sigmoid(acc)
				if n.AttrString("gate", "") == "hardsigmoid" {
					gate = hardSigmoid(acc, a, bb)
				}
				for j := 0; j < HW; j++ {
					i := (nn*C+c)*HW + j
					out.d[i] = x.d[i] * gate
				}
			}
		}
		return out, nil
	case "Constant":
		a := n.Attr("value")
		if a == nil || a.T == nil {
			return nil, fmt.Errorf("test evaluator: Constant without value tensor")
		}
		return fromIR(a.T)
	case "Shape":
		r := int64(len(in[0].dims))
		start, end := n.AttrInt("start", 0), n.AttrInt("end", r)
		var d []float64
		for i := start; i < end; i++ {
			d = append(d, float64(in[0].dims[i]))
		}
		return &tens{dims: []int{len(d)}, d: d}, nil
	case "CastLike":
		return in[0], nil
	case "Expand":
		s := ints64(in[1])
		dims := make([]int, len(s))
		for i, v := range s {
			dims[i] = int(v)
		}
		return broadcast(in[0], &tens{dims: dims, d: make([]float64, numel(dims))}, func(x, y float64) float64 { return x + y })
	case "Gather": // 1-D data, scalar or 1-D indices
		idx := ints64(in[1])
		out := &tens{dims: in[1].dims}
		for _, i := range idx {
			out.d = append(out.d, in[0].d[i])
		}
		return out, nil
	case "Unsqueeze": // of a scalar, axis 0
		return &tens{dims: append([]int{1}, in[0].dims...), d: in[0].d}, nil
	case "ConstantOfShape": // ONNX default value: float32 0
		s := ints64(in[0])
		dims := make([]int, len(s))
		for i, v := range s {
			dims[i] = int(v)
		}
		out := &tens{dims: dims, d: make([]float64, numel(dims))}
		if a := n.Attr("value"); a != nil && a.T != nil {
			v, err := fromIR(a.T)
			if err != nil {
				return nil, err
			}
			for i := range out.d {
				out.d[i] = v.d[0]
			}
		}
		return out, nil
	case "Cast": // numeric types: integers truncate toward zero
		to := ir.DType(n.AttrInt("to", 0))
		out := &tens{dims: in[0].dims, d: make([]float64, len(in[0].d))}
		for i, v := range in[0].d {
			switch to {
			case ir.Float32:
				v = float64(float32(v))
			case ir.Float64:
			case ir.Int64, ir.Int32, ir.Int16, ir.Int8, ir.Uint8:
				v = math.Trunc(v)
			default:
				return nil, fmt.Errorf("test evaluator: Cast to %s", to)
			}
			out.d[i] = v
		}
		return out, nil
	case "Transpose": // perm default: reversed axes
		x := in[0]
		r := len(x.dims)
		perm := n.AttrInts("perm", nil)
		if perm == nil {
			for i := r - 1; i >= 0; i-- {
				perm = append(perm, int64(i))
			}
		}
		dims := make([]int, r)
		for i, p := range perm {
			dims[i] = x.dims[p]
		}
		out := &tens{dims: dims, d: make([]float64, len(x.d))}
		idx := make([]int, r) // index into out
		src := make([]int, r)
		for o := range out.d {
			for i, p := range perm {
				src[p] = idx[i]
			}
			out.d[o] = x.at(src)
			for i := r - 1; i >= 0; i-- {
				idx[i]++
				if idx[i] < dims[i] {
					break
				}
				idx[i] = 0
			}
		}
		return out, nil
	case "Concat": // 1-D, axis 0
		out := &tens{}
		for _, t := range in {
			out.d = append(out.d, t.d...)
		}
		out.dims = []int{len(out.d)}
		return out, nil
	}
	return nil, fmt.Errorf("test evaluator does not know %s", n.OpType)
}

// pool2d is AveragePool / MaxPool on NCHW from the ONNX definition
// (explicit pads, count_include_pad).
func pool2d(n *ir.Node, x *tens) (*tens, error) {
	k := n.AttrInts("kernel_shape", nil)
	st := n.AttrInts("strides", []int64{1, 1})
	p := n.AttrInts("pads", []int64{0, 0, 0, 0})
	if len(k) != 2 || n.AttrString("auto_pad", "NOTSET") != "NOTSET" || n.AttrInt("ceil_mode", 0) != 0 {
		return nil, fmt.Errorf("test evaluator: unsupported pool attributes")
	}
	incl := n.AttrInt("count_include_pad", 0) != 0
	N, C, H, W := x.dims[0], x.dims[1], x.dims[2], x.dims[3]
	OH := (H+int(p[0]+p[2])-int(k[0]))/int(st[0]) + 1
	OW := (W+int(p[1]+p[3])-int(k[1]))/int(st[1]) + 1
	out := &tens{dims: []int{N, C, OH, OW}, d: make([]float64, N*C*OH*OW)}
	for nc := 0; nc < N*C; nc++ {
		for oy := 0; oy < OH; oy++ {
			for ox := 0; ox < OW; ox++ {
				sum, cnt, mx := 0.0, 0, math.Inf(-1)
				for ky := 0; ky < int(k[0]); ky++ {
					for kx := 0; kx < int(k[1]); kx++ {
						iy, ix := oy*int(st[0])-int(p[0])+ky, ox*int(st[1])-int(p[1])+kx
						if iy < 0 || iy >= H || ix < 0 || ix >= W {
							if incl {
								cnt++
							}
							continue
						}
						v := x.d[(nc*H+iy)*W+ix]
						sum += v
						cnt++
						mx = math.Max(mx, v)
					}
				}
				if n.OpType == "MaxPool" {
					out.d[(nc*OH+oy)*OW+ox] = mx
				} else {
					out.d[(nc*OH+oy)*OW+ox] = sum / float64(cnt)
				}
			}
		}
	}
	return out, nil
}
