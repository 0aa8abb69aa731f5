package ir

import (
	"fmt"
	"sort"
)

// Shape functions of less common ops: quantization, recurrent layers,
// control flow, sampling and signal-window generators.

func init() {
	for _, op := range []string{"Swish", "RMSNormalization", "GroupNormalization", "CumProd"} {
		RegisterShapeFunc("", op, shapeSameAsInput)
	}
	for _, r := range []struct {
		op string
		f  ShapeFunc
	}{
		{"QuantizeLinear", shapeQuantize},
		{"DequantizeLinear", shapeDequantize},
		{"DynamicQuantizeLinear", shapeDynamicQuantize},
		{"Bernoulli", shapeLike},
		{"GatherND", shapeGatherND},
		{"If", shapeIf},
		{"GridSample", shapeGridSample},
		{"AffineGrid", shapeAffineGrid},
		{"MatMulInteger", func(n *Node, _ int64) error { return matmulShape(n, 0, 1, Int32) }},
		{"QLinearMatMul", func(n *Node, _ int64) error { return matmulShape(n, 0, 3, inDType(n, 7)) }},
		{"ConvInteger", func(n *Node, _ int64) error { return convShape(n, 0, 1, -1, Int32) }},
		{"QLinearConv", func(n *Node, _ int64) error { return convShape(n, 0, 3, 8, inDType(n, 7)) }},
		{"HannWindow", shapeWindow},
		{"HammingWindow", shapeWindow},
		{"BlackmanWindow", shapeWindow},
		{"RoiAlign", shapeRoiAlign},
		{"NonMaxSuppression", shapeNMS},
		{"MaxUnpool", shapeMaxUnpool},
		{"Det", shapeDet},
		{"CenterCropPad", shapeCenterCropPad},
		{"Compress", shapeCompress},
		{"RNN", shapeRNN},
		{"GRU", shapeRNN},
		{"LSTM", shapeRNN},
	} {
		RegisterShapeFunc("", r.op, r.f)
	}
}

// shapeQuantize: x's shape; dtype of y_zero_point, else the output_dtype
// attribute (opset 21), else uint8.
func shapeQuantize(n *Node, _ int64) error {
	dt := inDType(n, 2)
	if dt == Undefined {
		dt = DType(n.AttrInt("output_dtype", 0))
	}
	if dt == Undefined {
		dt = Uint8
	}
	s, ok := inShape(n, 0)
	setOutMaybe(n, 0, dt, s, ok)
	return nil
}

// shapeDequantize: x's shape; the output_dtype attribute (opset 23), else
// x_scale's dtype (float32 before opset 19).
func shapeDequantize(n *Node, _ int64) error {
	dt := DType(n.AttrInt("output_dtype", 0))
	if dt == Undefined {
		dt = inDType(n, 1)
	}
	if dt == Undefined {
		dt = Float32
	}
	s, ok := inShape(n, 0)
	setOutMaybe(n, 0, dt, s, ok)
	return nil
}

// shapeDynamicQuantize: y uint8 of x's shape, scalar float32 scale, scalar
// uint8 zero point.
func shapeDynamicQuantize(n *Node, _ int64) error {
	s, ok := inShape(n, 0)
	setOutMaybe(n, 0, Uint8, s, ok)
	setOut(n, 1, Float32, Shape{})
	setOut(n, 2, Uint8, Shape{})
	return nil
}

// shapeGatherND: indices.shape[:-1] + data.shape[batch_dims+last:], where
// last = indices.shape[-1].
func shapeGatherND(n *Node, _ int64) error {
	dt := inDType(n, 0)
	d, dok := inShape(n, 0)
	ix, iok := inShape(n, 1)
	if !dok || !iok || len(ix) == 0 || !ix[len(ix)-1].Known() {
		setOutNoShape(n, 0, dt)
		return nil
	}
	b := n.AttrInt("batch_dims", 0)
	last := ix[len(ix)-1].Size
	if b < 0 || b+last > int64(len(d)) || b >= int64(len(ix)) {
		return fmt.Errorf("indices %s with batch_dims %d do not fit data %s", ix, b, d)
	}
	out := append(append(Shape{}, ix[:len(ix)-1]...), d[b+last:]...)
	setOut(n, 0, dt, out)
	return nil
}

// shapeIf: with a known condition, the taken branch's output types;
// otherwise each output takes the type both branches agree on (dims that
// differ become unknown; different ranks leave the rank unknown).
func shapeIf(n *Node, _ int64) error {
	var then, els *Graph
	if a := n.Attr("then_branch"); a != nil {
		then = a.G
	}
	if a := n.Attr("else_branch"); a != nil {
		els = a.G
	}
	if then == nil || els == nil {
		return nil
	}
	if c, ok := knownInts(n, 0); ok && len(c) == 1 {
		// The condition is known: the outputs are the taken branch's.
		taken := els
		if c[0] != 0 {
			taken = then
		}
		for i, o := range n.Outputs {
			if o != nil && i < len(taken.Outputs) && taken.Outputs[i] != nil && taken.Outputs[i].Type.Kind != KindUnknown {
				o.Type = taken.Outputs[i].Type.Clone()
			}
		}
		return nil
	}
	for i := range n.Outputs {
		if i >= len(then.Outputs) || i >= len(els.Outputs) {
			break
		}
		if n.Outputs[i] == nil || then.Outputs[i] == nil || els.Outputs[i] == nil {
			continue
		}
		a, b := then.Outputs[i].Type, els.Outputs[i].Type
		if a.Kind != KindTensor || b.Kind != KindTensor || a.DType != b.DType {
			if a.Equal(b) && a.Kind != KindUnknown {
				n.Outputs[i].Type = a.Clone()
			}
			continue
		}
		if !a.HasShape || !b.HasShape || len(a.Shape) != len(b.Shape) {
			setOutNoShape(n, i, a.DType)
			continue
		}
		s := make(Shape, len(a.Shape))
		for k := range s {
			if a.Shape[k].Size == b.Shape[k].Size && (a.Shape[k].Known() || a.Shape[k].Param == b.Shape[k].Param) {
				s[k] = a.Shape[k]
			} else {
				s[k] = Dim{Size: -1}
			}
		}
		setOut(n, i, a.DType, s)
	}
	return nil
}

// shapeGridSample: [N, C, grid spatial dims...] for X [N,C,...] and grid
// [N, out..., r].
func shapeGridSample(n *Node, _ int64) error {
	t, ok := inType(n, 0)
	if !ok {
		return nil
	}
	g, gok := inShape(n, 1)
	if !t.HasShape || !gok {
		setOutNoShape(n, 0, t.DType)
		return nil
	}
	x := t.Shape
	if len(x) < 3 || len(g) != len(x) {
		return fmt.Errorf("input %s and grid %s ranks do not match", x, g)
	}
	if last := g[len(g)-1]; last.Known() && last.Size != int64(len(x)-2) {
		return fmt.Errorf("grid %s: last dimension must be %d", g, len(x)-2)
	}
	n0, ok := sameDim(x[0], g[0])
	if !ok {
		return fmt.Errorf("input %s and grid %s batch sizes differ", x, g)
	}
	out := append(Shape{n0, x[1]}, g[1:len(g)-1]...)
	setOut(n, 0, t.DType, out)
	return nil
}

// shapeAffineGrid: [N, spatial..., r] from size = [N, C, spatial...].
func shapeAffineGrid(n *Node, _ int64) error {
	dt := inDType(n, 0)
	size, ok := knownInts(n, 1)
	if !ok || len(size) < 3 {
		setOutNoShape(n, 0, dt)
		return nil
	}
	for _, v := range size {
		if v < 0 {
			return fmt.Errorf("negative size %v", size)
		}
	}
	out := append(S(size[0]), S(size[2:]...)...)
	setOut(n, 0, dt, append(out, Dim{Size: int64(len(size) - 2)}))
	return nil
}

// shapeWindow: 1-D of `size` elements, dtype output_datatype (float32).
func shapeWindow(n *Node, _ int64) error {
	dt := DType(n.AttrInt("output_datatype", int64(Float32)))
	v, ok := knownInts(n, 0)
	if !ok || len(v) != 1 {
		setOut(n, 0, dt, unknownDims(1))
		return nil
	}
	if v[0] < 0 {
		return fmt.Errorf("negative size %d", v[0])
	}
	setOut(n, 0, dt, S(v[0]))
	return nil
}

// shapeRoiAlign: [num_rois, C, output_height, output_width] (defaults 1).
func shapeRoiAlign(n *Node, _ int64) error {
	dt := inDType(n, 0)
	x, xok := inShape(n, 0)
	r, rok := inShape(n, 1)
	c, rois := Dim{Size: -1}, Dim{Size: -1}
	if xok && len(x) == 4 {
		c = x[1]
	}
	if rok && len(r) == 2 {
		rois = r[0]
	}
	setOut(n, 0, dt, Shape{rois, c, {Size: n.AttrInt("output_height", 1)}, {Size: n.AttrInt("output_width", 1)}})
	return nil
}

// shapeNMS: int64 [number selected (data-dependent), 3].
func shapeNMS(n *Node, _ int64) error {
	setOut(n, 0, Int64, Shape{{Size: -1}, {Size: 3}})
	return nil
}

// shapeMaxUnpool: the output_shape input when known, else
// (in-1)*stride + kernel - pads per spatial dim.
func shapeMaxUnpool(n *Node, _ int64) error {
	t, ok := inType(n, 0)
	if !ok {
		return nil
	}
	if n.Input(2) != nil {
		es, ok := valueElems(n, 2)
		if !ok {
			setOutNoShape(n, 0, t.DType)
			return nil
		}
		s, err := elemDims(es)
		if err != nil {
			return err
		}
		setOut(n, 0, t.DType, s)
		return nil
	}
	if !t.HasShape || len(t.Shape) < 3 {
		setOutNoShape(n, 0, t.DType)
		return nil
	}
	k := len(t.Shape) - 2
	kernel := n.AttrInts("kernel_shape", nil)
	if len(kernel) != k {
		return fmt.Errorf("kernel_shape %v does not match %d spatial dimensions", kernel, k)
	}
	strides, _, pads, err := spatialAttrs(n, k)
	if err != nil {
		return err
	}
	out := Shape{t.Shape[0], t.Shape[1]}
	for i := range k {
		d := t.Shape[2+i]
		if !d.Known() {
			out = append(out, Dim{Size: -1})
			continue
		}
		v := (d.Size-1)*strides[i] + kernel[i] - pads[i] - pads[i+k]
		if v < 0 {
			return fmt.Errorf("output size %d along spatial axis %d is negative", v, i)
		}
		out = append(out, Dim{Size: v})
	}
	setOut(n, 0, t.DType, out)
	return nil
}

// shapeDet: [*, M, M] -> [*].
func shapeDet(n *Node, _ int64) error {
	t, ok := shapedInput0(n)
	if !ok {
		return nil
	}
	r := len(t.Shape)
	if r < 2 {
		return fmt.Errorf("input must have rank >= 2, has shape %s", t.Shape)
	}
	if _, ok := sameDim(t.Shape[r-1], t.Shape[r-2]); !ok {
		return fmt.Errorf("input %s is not square", t.Shape)
	}
	setOut(n, 0, t.DType, append(Shape{}, t.Shape[:r-2]...))
	return nil
}

// shapeCenterCropPad: the dims at axes (default all) become the values of
// the shape input.
func shapeCenterCropPad(n *Node, _ int64) error {
	t, ok := inType(n, 0)
	if !ok {
		return nil
	}
	es, eok := valueElems(n, 1)
	if !t.HasShape || !eok {
		setOutNoShape(n, 0, t.DType)
		return nil
	}
	r := len(t.Shape)
	axes := n.AttrInts("axes", nil)
	if axes == nil {
		for i := range r {
			axes = append(axes, int64(i))
		}
	}
	if len(axes) != len(es) {
		return fmt.Errorf("shape input has %d entries for %d axes", len(es), len(axes))
	}
	target, err := elemDims(es)
	if err != nil {
		return err
	}
	out := append(Shape{}, t.Shape...)
	for i, a := range axes {
		ax := normAxis(a, r)
		if ax < 0 {
			return fmt.Errorf("axis %d out of range for rank %d", a, r)
		}
		out[ax] = target[i]
	}
	setOut(n, 0, t.DType, out)
	return nil
}

// shapeCompress: the selected axis (or the flattened input) has a
// data-dependent length.
func shapeCompress(n *Node, _ int64) error {
	t, ok := inType(n, 0)
	if !ok {
		return nil
	}
	a := n.Attr("axis")
	if a == nil {
		setOut(n, 0, t.DType, unknownDims(1))
		return nil
	}
	if !t.HasShape {
		setOutNoShape(n, 0, t.DType)
		return nil
	}
	ax := normAxis(a.I, len(t.Shape))
	if ax < 0 {
		return fmt.Errorf("axis %d out of range for rank %d", a.I, len(t.Shape))
	}
	out := append(Shape{}, t.Shape...)
	out[ax] = Dim{Size: -1}
	setOut(n, 0, t.DType, out)
	return nil
}

// shapeRNN handles RNN, GRU and LSTM: Y [seq, dirs, batch, hidden] and
// Y_h (and LSTM's Y_c) [dirs, batch, hidden]; with layout=1 batch comes
// first: Y [batch, seq, dirs, hidden], Y_h [batch, dirs, hidden].
func shapeRNN(n *Node, _ int64) error {
	t, ok := inType(n, 0)
	if !ok {
		return nil
	}
	hidden := Dim{Size: n.AttrInt("hidden_size", -1)}
	if !hidden.Known() {
		if r, ok := inShape(n, 2); ok && len(r) == 3 {
			hidden = r[2] // R is [dirs, gates*hidden, hidden]
		}
	}
	dirs := int64(1)
	if n.AttrString("direction", "forward") == "bidirectional" {
		dirs = 2
	}
	if !t.HasShape {
		for i := range n.Outputs {
			setOutNoShape(n, i, t.DType)
		}
		return nil
	}
	if len(t.Shape) != 3 {
		return fmt.Errorf("X must be 3-D, has shape %s", t.Shape)
	}
	seq, batch := t.Shape[0], t.Shape[1]
	layout := n.AttrInt("layout", 0)
	if layout != 0 {
		seq, batch = batch, seq
	}
	d := Dim{Size: dirs}
	if layout == 0 {
		setOut(n, 0, t.DType, Shape{seq, d, batch, hidden})
		setOut(n, 1, t.DType, Shape{d, batch, hidden})
		setOut(n, 2, t.DType, Shape{d, batch, hidden})
	} else {
		setOut(n, 0, t.DType, Shape{batch, seq, d, hidden})
		setOut(n, 1, t.DType, Shape{batch, d, hidden})
		setOut(n, 2, t.DType, Shape{batch, d, hidden})
	}
	return nil
}

// einsumImplicit is the output of an equation without "->": the labels
// that occur exactly once, in alphabetical order.
func einsumImplicit(lhs string) string {
	count := map[rune]int{}
	for _, c := range lhs {
		if c != ',' {
			count[c]++
		}
	}
	var once []rune
	for c, k := range count {
		if k == 1 {
			once = append(once, c)
		}
	}
	sort.Slice(once, func(i, j int) bool { return once[i] < once[j] })
	return string(once)
}

func init() {
	RegisterShapeFunc("", "Loop", shapeLoop)
	RegisterShapeFunc("", "Scan", shapeScan)
}

// bodyOut returns the type of body output i, or false.
func bodyOut(body *Graph, i int) (Type, bool) {
	if body == nil || i >= len(body.Outputs) || body.Outputs[i] == nil || body.Outputs[i].Type.Kind == KindUnknown {
		return Type{}, false
	}
	return body.Outputs[i].Type, true
}

// shapeLoop: the loop-carried outputs have the type of the body's
// (outputs 1..N, after the condition); each scan output stacks a body
// output along a new first axis of unknown (trip-count) length.
func shapeLoop(n *Node, _ int64) error {
	a := n.Attr("body")
	if a == nil || a.G == nil {
		return nil
	}
	nCarried := len(n.Inputs) - 2
	if nCarried < 0 {
		return nil
	}
	for i, o := range n.Outputs {
		if o == nil {
			continue
		}
		t, ok := bodyOut(a.G, 1+i)
		if !ok {
			continue
		}
		if i < nCarried {
			o.Type = t.Clone()
			continue
		}
		if t.Kind == KindTensor && t.HasShape {
			setOut(n, i, t.DType, append(Shape{{Size: -1}}, t.Shape...))
		} else if t.Kind == KindTensor {
			setOutNoShape(n, i, t.DType)
		}
	}
	return nil
}

// shapeScan (opset >= 9): the N state outputs have the body's state
// types; scan output j stacks body output N+j along scan_output_axes[j]
// (default 0) with the length of scan input 0 along scan_input_axes[0].
func shapeScan(n *Node, opset int64) error {
	a := n.Attr("body")
	if a == nil || a.G == nil || (opset > 0 && opset < 9) {
		return nil
	}
	m := int(n.AttrInt("num_scan_inputs", 0))
	nState := len(n.Inputs) - m
	if m < 1 || nState < 0 {
		return fmt.Errorf("num_scan_inputs %d does not fit %d inputs", m, len(n.Inputs))
	}
	seq := Dim{Size: -1}
	if s, ok := inShape(n, nState); ok {
		axes := n.AttrInts("scan_input_axes", nil)
		ax := 0
		if len(axes) > 0 {
			ax = normAxis(axes[0], len(s))
		}
		if ax >= 0 && ax < len(s) {
			seq = s[ax]
		}
	}
	outAxes := n.AttrInts("scan_output_axes", nil)
	for i, o := range n.Outputs {
		if o == nil {
			continue
		}
		t, ok := bodyOut(a.G, i)
		if !ok {
			continue
		}
		if i < nState {
			o.Type = t.Clone()
			continue
		}
		if t.Kind != KindTensor || !t.HasShape {
			continue
		}
		ax := int64(0)
		if j := i - nState; j < len(outAxes) {
			ax = outAxes[j]
		}
		s, err := unsqueezeDims(t.Shape, []int64{ax})
		if err != nil {
			return err
		}
		s[normAxis(ax, len(s))] = seq
		setOut(n, i, t.DType, s)
	}
	return nil
}
