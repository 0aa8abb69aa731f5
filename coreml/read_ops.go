package coreml

import (
	"fmt"

	"github.com/mconv/mconv/coreml/pb"
	"github.com/mconv/mconv/ir"
)

// milReaders maps a MIL op type to its conversion into IR nodes (opset 20
// semantics), one function per op, as lowerers does the other way.
var milReaders = map[string]func(*irBuilder, *mop) error{
	"relu":           readSimple("Relu"),
	"sigmoid":        readSimple("Sigmoid"),
	"tanh":           readSimple("Tanh"),
	"erf":            readSimple("Erf"),
	"identity":       readSimple("Identity"),
	"add":            readSimple("Add"),
	"sub":            readSimple("Sub"),
	"mul":            readSimple("Mul"),
	"real_div":       readSimple("Div"),
	"cast":           readCast,
	"conv":           readConv,
	"linear":         readLinear,
	"matmul":         readMatmul,
	"leaky_relu":     readOne("LeakyRelu", leakyReluAttrs),
	"sigmoid_hard":   readOne("HardSigmoid", hardSigmoidAttrs),
	"clip":           readClip,
	"gelu":           readOne("Gelu", geluAttrs),
	"silu":           readSilu,
	"reduce_mean":    readReduce("ReduceMean"),
	"reduce_max":     readReduce("ReduceMax"),
	"reduce_sum":     readReduce("ReduceSum"),
	"reduce_l2_norm": readReduce("ReduceL2"),
	"avg_pool":       readPool,
	"max_pool":       readPool,
	"softmax":        readOne("Softmax", softmaxAttrs),
	"concat":         readConcat,
	"split":          readSplit,
	"reshape":        readReshape,
	"transpose":      readOne("Transpose", transposeAttrs),
	"tile":           readTile,
	"slice_by_index": readSlice,
	"batch_norm":     readBatchNorm,
	// read_resize.go
	"upsample_nearest_neighbor": readResize,
	"upsample_bilinear":         readResize,
	"resize_bilinear":           readResize,
	"resize_nearest_neighbor":   readResize,
	// read_gather.go
	"gather":        readGather,
	"gather_nd":     readGatherND,
	"layer_norm":    readLayerNorm,
	"instance_norm": readInstanceNorm,
	"pad":           readPad,
}

// op converts one MIL op into IR nodes.
func (b *irBuilder) op(o *mop) error {
	f, ok := milReaders[o.typ]
	if !ok {
		return fmt.Errorf("MIL op %s is not read back by mconv: %w", o.typ, errUnsupported)
	}
	return f(b, o)
}

// ins returns the IR values of o's inputs ps, in order.
func (b *irBuilder) ins(o *mop, ps ...string) ([]*ir.Value, error) {
	var vs []*ir.Value
	for _, p := range ps {
		x := o.input(p)
		if x == nil {
			return nil, fmt.Errorf("missing input %s", p)
		}
		v, err := b.value(x)
		if err != nil {
			return nil, err
		}
		vs = append(vs, v)
	}
	return vs, nil
}

// withOptional returns ps followed by the inputs of opt that o has.
func withOptional(o *mop, ps []string, opt ...string) []string {
	for _, p := range opt {
		if o.input(p) != nil {
			ps = append(ps, p)
		}
	}
	return ps
}

// mparams reads constant parameters of one MIL op, keeping the first error.
type mparams struct {
	o   *mop
	err error
}

func (p *mparams) ints(name string) []int64 {
	if p.err != nil {
		return nil
	}
	v, err := constInts(p.o, name)
	p.err = err
	return v
}

func (p *mparams) float(name string) float32 {
	if p.err != nil {
		return 0
	}
	v, err := constFloat(p.o, name)
	p.err = err
	return v
}

// readSimple reads an elementwise op with input x and, for binary ops, y
// as the ONNX op onnxOp without attributes.
func readSimple(onnxOp string) func(*irBuilder, *mop) error {
	return func(b *irBuilder, o *mop) error {
		return b.readNode(o, onnxOp, withOptional(o, []string{"x"}, "y"), nil)
	}
}

// readOne reads o as one node of onnxOp on input x with the attributes
// attrs makes from o's constant parameters.
func readOne(onnxOp string, attrs func(*mop) ([]*ir.Attr, error)) func(*irBuilder, *mop) error {
	return func(b *irBuilder, o *mop) error { return b.readNode(o, onnxOp, []string{"x"}, attrs) }
}

// readNode adds one node of onnxOp computing o's first output from o's
// inputs ps, with the attributes attrs (nil: none) makes from o's constant
// parameters.
func (b *irBuilder) readNode(o *mop, onnxOp string, ps []string, attrs func(*mop) ([]*ir.Attr, error)) error {
	vs, err := b.ins(o, ps...)
	if err != nil {
		return err
	}
	var as []*ir.Attr
	if attrs != nil {
		if as, err = attrs(o); err != nil {
			return err
		}
	}
	_, err = b.node(onnxOp, o.out[0], vs, as...)
	return err
}

// readCast reads cast as Cast, or as Identity when float types are read as
// float32.
func readCast(b *irBuilder, o *mop) error {
	y := o.out[0]
	vs, err := b.ins(o, "x")
	if err != nil {
		return err
	}
	if b.f32 {
		_, err = b.node("Identity", y, vs)
		return err
	}
	to := ir.Float32
	if y.dt == pb.DataType_FLOAT16 {
		to = ir.Float16
	}
	_, err = b.node("Cast", y, vs, attrInt("to", int64(to)))
	return err
}

// readConv reads conv with custom pads as Conv.
func readConv(b *irBuilder, o *mop) error {
	return b.readNode(o, "Conv", withOptional(o, []string{"x", "weight"}, "bias"), convAttrs)
}

// convAttrs returns the Conv attributes of conv o.
func convAttrs(o *mop) ([]*ir.Attr, error) {
	if s := constStr(o, "pad_type"); s != "custom" {
		return nil, fmt.Errorf("pad_type %q: only custom pads are read", s)
	}
	p := mparams{o: o}
	pad, st, dl, gr := p.ints("pad"), p.ints("strides"), p.ints("dilations"), p.ints("groups")
	if p.err != nil {
		return nil, p.err
	}
	w := o.input("weight")
	return []*ir.Attr{attrInts("kernel_shape", w.shape[2], w.shape[3]), attrInts("strides", st...),
		attrInts("pads", pad[0], pad[2], pad[1], pad[3]), attrInts("dilations", dl...), attrInt("group", gr[0])}, nil
}

// readLinear reads linear as Gemm (transB) on a matrix, else as
// Transpose(weight), MatMul and an optional bias Add.
func readLinear(b *irBuilder, o *mop) error {
	y := o.out[0]
	x := o.input("x")
	vs, err := b.ins(o, withOptional(o, []string{"x", "weight"}, "bias")...)
	if err != nil {
		return err
	}
	if len(x.shape) == 2 {
		_, err = b.node("Gemm", y, vs, attrInt("transB", 1))
		return err
	}
	w := o.input("weight")
	wt := b.inter(y, "_wT", []int64{w.shape[1], w.shape[0]})
	if _, err := b.node("Transpose", wt, vs[1:2], attrInts("perm", 1, 0)); err != nil {
		return err
	}
	mm := y
	if len(vs) == 3 {
		mm = b.inter(y, "_mm", nil)
	}
	if _, err := b.node("MatMul", mm, []*ir.Value{vs[0], b.vals[wt.name]}); err != nil {
		return err
	}
	if len(vs) == 3 {
		_, err = b.node("Add", y, []*ir.Value{b.vals[mm.name], vs[2]})
	}
	return err
}

// readMatmul reads matmul as MatMul, transposing the last two axes of an
// operand first where transpose_x or transpose_y is set.
func readMatmul(b *irBuilder, o *mop) error {
	vs, err := b.ins(o, "x", "y")
	if err != nil {
		return err
	}
	for i, p := range []string{"transpose_x", "transpose_y"} {
		if constBool(o, p) {
			x := o.input([]string{"x", "y"}[i])
			r := len(x.shape)
			perm := make([]int64, r)
			for k := range perm {
				perm[k] = int64(k)
			}
			perm[r-1], perm[r-2] = perm[r-2], perm[r-1]
			s := append([]int64(nil), x.shape...)
			s[r-1], s[r-2] = s[r-2], s[r-1]
			t := b.inter(x, "_T", s)
			if _, err := b.node("Transpose", t, vs[i:i+1], attrInts("perm", perm...)); err != nil {
				return err
			}
			vs[i] = b.vals[t.name]
		}
	}
	_, err = b.node("MatMul", o.out[0], vs)
	return err
}

// leakyReluAttrs returns the LeakyRelu attributes of leaky_relu o.
func leakyReluAttrs(o *mop) ([]*ir.Attr, error) {
	al, err := constFloat(o, "alpha")
	if err != nil {
		return nil, err
	}
	return []*ir.Attr{attrFloat("alpha", al)}, nil
}

// hardSigmoidAttrs returns the HardSigmoid attributes of sigmoid_hard o.
func hardSigmoidAttrs(o *mop) ([]*ir.Attr, error) {
	p := mparams{o: o}
	al, be := p.float("alpha"), p.float("beta")
	if p.err != nil {
		return nil, p.err
	}
	return []*ir.Attr{attrFloat("alpha", al), attrFloat("beta", be)}, nil
}

// readClip reads clip (bounds alpha, beta) as Clip with scalar min and max
// inputs.
func readClip(b *irBuilder, o *mop) error {
	vs, err := b.ins(o, "x")
	if err != nil {
		return err
	}
	p := mparams{o: o}
	lo, hi := p.float("alpha"), p.float("beta")
	if p.err != nil {
		return p.err
	}
	_, err = b.node("Clip", o.out[0], []*ir.Value{vs[0], b.f32c(o.name+"_min", lo), b.f32c(o.name+"_max", hi)})
	return err
}

// geluAttrs returns the Gelu (opset 20) attributes of gelu o: mode
// TANH_APPROXIMATION is approximate="tanh".
func geluAttrs(o *mop) ([]*ir.Attr, error) {
	ap := "none"
	switch m := constStr(o, "mode"); m {
	case "EXACT", "":
	case "TANH_APPROXIMATION":
		ap = "tanh"
	default:
		return nil, fmt.Errorf("gelu mode %q: %w", m, errUnsupported)
	}
	return []*ir.Attr{attrStr("approximate", ap)}, nil
}

// readSilu reads silu as x * Sigmoid(x).
func readSilu(b *irBuilder, o *mop) error {
	y := o.out[0]
	vs, err := b.ins(o, "x")
	if err != nil {
		return err
	}
	s := b.inter(y, "_sigmoid", nil)
	if _, err := b.node("Sigmoid", s, vs); err != nil {
		return err
	}
	_, err = b.node("Mul", y, []*ir.Value{vs[0], b.vals[s.name]})
	return err
}

// readReduce reads reduce_mean or reduce_max as the ONNX reduction op with
// axes as an input (opset 18 and later).
func readReduce(op string) func(*irBuilder, *mop) error {
	return func(b *irBuilder, o *mop) error {
		vs, err := b.ins(o, "x")
		if err != nil {
			return err
		}
		axes, err := constInts(o, "axes")
		if err != nil {
			return err
		}
		keep := int64(0)
		if constBool(o, "keep_dims") {
			keep = 1
		}
		_, err = b.node(op, o.out[0], []*ir.Value{vs[0], b.i64(o.name+"_axes", axes...)}, attrInt("keepdims", keep))
		return err
	}
}

// readPool reads avg_pool and max_pool with custom pads as AveragePool and
// MaxPool.
func readPool(b *irBuilder, o *mop) error {
	op := "MaxPool"
	if o.typ == "avg_pool" {
		op = "AveragePool"
	}
	return b.readNode(o, op, []string{"x"}, poolAttrs)
}

// poolAttrs returns the AveragePool or MaxPool attributes of avg_pool or
// max_pool o.
func poolAttrs(o *mop) ([]*ir.Attr, error) {
	p := mparams{o: o}
	ks, st, pad := p.ints("kernel_sizes"), p.ints("strides"), p.ints("pad")
	if p.err != nil {
		return nil, p.err
	}
	if s := constStr(o, "pad_type"); s != "custom" {
		return nil, fmt.Errorf("pad_type %q: only custom pads are read", s)
	}
	attrs := []*ir.Attr{attrInts("kernel_shape", ks...), attrInts("strides", st...), attrInts("pads", pad[0], pad[2], pad[1], pad[3])}
	if constBool(o, "ceil_mode") {
		attrs = append(attrs, attrInt("ceil_mode", 1))
	}
	if o.typ == "avg_pool" && !constBool(o, "exclude_padding_from_average") {
		attrs = append(attrs, attrInt("count_include_pad", 1))
	}
	return attrs, nil
}

// softmaxAttrs returns the Softmax attributes of softmax o.
func softmaxAttrs(o *mop) ([]*ir.Attr, error) {
	ax, err := constInts(o, "axis")
	if err != nil {
		return nil, err
	}
	return []*ir.Attr{attrInt("axis", ax[0])}, nil
}

// readConcat reads concat (not interleaved) as Concat.
func readConcat(b *irBuilder, o *mop) error {
	var vs []*ir.Value
	for _, x := range o.inputs("values") {
		v, err := b.value(x)
		if err != nil {
			return err
		}
		vs = append(vs, v)
	}
	ax, err := constInts(o, "axis")
	if err != nil {
		return err
	}
	if constBool(o, "interleave") {
		return fmt.Errorf("interleaved concat: %w", errUnsupported)
	}
	_, err = b.node("Concat", o.out[0], vs, attrInt("axis", ax[0]))
	return err
}

// readSplit reads split with split_sizes as Split with a split input.
func readSplit(b *irBuilder, o *mop) error {
	vs, err := b.ins(o, "x")
	if err != nil {
		return err
	}
	p := mparams{o: o}
	ax, sz := p.ints("axis"), p.ints("split_sizes")
	if p.err != nil {
		return p.err
	}
	_, err = b.nodeN("Split", o.out, []*ir.Value{vs[0], b.i64(o.name+"_split", sz...)}, attrInt("axis", ax[0]))
	return err
}

// readReshape reads reshape as Reshape with a constant shape input.
func readReshape(b *irBuilder, o *mop) error {
	vs, err := b.ins(o, "x")
	if err != nil {
		return err
	}
	s, err := constInts(o, "shape")
	if err != nil {
		return err
	}
	_, err = b.node("Reshape", o.out[0], []*ir.Value{vs[0], b.i64(o.name+"_shape", s...)})
	return err
}

// transposeAttrs returns the Transpose attributes of transpose o.
func transposeAttrs(o *mop) ([]*ir.Attr, error) {
	p, err := constInts(o, "perm")
	if err != nil {
		return nil, err
	}
	return []*ir.Attr{attrInts("perm", p...)}, nil
}

// readSlice reads slice_by_index (one bound per axis) as Slice with
// constant starts, ends, axes and steps.
func readSlice(b *irBuilder, o *mop) error {
	vs, err := b.ins(o, "x")
	if err != nil {
		return err
	}
	p := mparams{o: o}
	bg, en, st := p.ints("begin"), p.ints("end"), p.ints("stride")
	if p.err != nil {
		return p.err
	}
	axes := make([]int64, len(bg))
	for i := range axes {
		axes[i] = int64(i)
	}
	_, err = b.node("Slice", o.out[0], []*ir.Value{vs[0], b.i64(o.name+"_starts", bg...), b.i64(o.name+"_ends", en...),
		b.i64(o.name+"_axes", axes...), b.i64(o.name+"_steps", st...)})
	return err
}

// readBatchNorm reads batch_norm as BatchNormalization.
func readBatchNorm(b *irBuilder, o *mop) error {
	return b.readNode(o, "BatchNormalization", []string{"x", "gamma", "beta", "mean", "variance"}, func(o *mop) ([]*ir.Attr, error) {
		eps, err := constFloat(o, "epsilon")
		if err != nil {
			return nil, err
		}
		return []*ir.Attr{attrFloat("epsilon", eps)}, nil
	})
}

// readTile reads tile as Tile with a constant repeats input.
func readTile(b *irBuilder, o *mop) error {
	vs, err := b.ins(o, "x")
	if err != nil {
		return err
	}
	reps, err := constInts(o, "reps")
	if err != nil {
		return err
	}
	_, err = b.node("Tile", o.out[0], []*ir.Value{vs[0], b.i64(o.name+"_repeats", reps...)})
	return err
}
