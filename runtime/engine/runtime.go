// Package engine plans and executes mconv IR graphs natively in Go.
//
// Compile turns a model into a Plan (phases 3 and 4 of runtime.Compile,
// which first runs the graph passes and the runtime lowering): shapes are
// fixed for the given input shapes, every node gets one step with one
// kernel (the fused ops mconv.FusedConv, FusedGemm and FusedMatMul apply the
// epilogue their attributes state: per-channel affine, activation, residual
// Add), constant subgraphs (shape arithmetic, weight casts) are
// evaluated once at plan time, and activations live in one arena whose slots
// are assigned by liveness, so that memory is reused. Run then allocates
// nothing but the returned output tensors (RunInto allocates nothing).
//
// Every kernel parallelizes over independent outputs only (output channels,
// rows, batch entries) and never splits a reduction, so results are
// bit-identical for every thread count.
package engine

//go:generate sh -c "MCONV_ONNX_TESTS=${MCONV_ONNX_TESTS:-../../../shared/onnx-tests} go test -run TestONNXConformance -update ."

import (
	"errors"
	"fmt"
	goruntime "runtime"
	"slices"
	"sync"
	"time"
	"unsafe"

	"github.com/mconv/mconv/ir"
)

// Options controls compilation.
type Options struct {
	// Threads is the number of threads kernels use; <= 0 means
	// runtime.NumCPU().
	Threads int
	// InputShapes fixes the shapes of graph inputs by name (for symbolic
	// dimensions such as the batch size). Inputs not listed must have
	// static shapes in the model.
	InputShapes map[string][]int64
	// ConstInputs binds graph inputs to fixed values at compile time (for
	// inputs that a static-shape plan needs to know, such as the shape of a
	// Reshape or the axes of a reduction fed as graph inputs). Bound inputs
	// are not fed to Run.
	ConstInputs map[string]*ir.Tensor
	// Passes selects the graph passes of runtime.Compile's first phase as
	// passes.Options.Passes does: nil runs the whole pipeline, {"none"}
	// none (to run a model as written, as mconv fuse does to check the
	// passes' output against the original). Compile of this package
	// ignores it.
	Passes []string
	// CheckPhases makes runtime.Compile run ir.Verify after each of its
	// graph phases and after every lowering pass, failing on the first
	// broken invariant (tests set it; Compile of this package ignores it).
	CheckPhases bool
	// MaxMemory is the memory budget in bytes of Compile (see Budget):
	// the constants computed or copied at plan time, the packed weights
	// and the activation arena together; runtime.Compile's constant
	// folding obeys it too. A model over it is refused before the memory
	// is allocated, with an error naming the node, its op and the bytes.
	// 0 means DefaultMaxMemory(): half the physical memory, at least
	// 256 MiB and at most 64 GiB.
	MaxMemory int64
}

// NodeTime is the time one plan step took. Node is the step's node in the
// compiled graph (a fused node of runtime.Compile's lowering keeps the name
// of the Conv, Gemm or MatMul it absorbed its epilogue into); it is nil for
// the final copy of a graph output that is a graph input or a constant.
type NodeTime struct {
	Node *ir.Node
	Dur  time.Duration
}

// IOInfo describes a graph input or output of a plan.
type IOInfo struct {
	Name  string
	DType ir.DType
	Shape []int64
}

// Plan is a compiled model. A Plan is safe for use by one goroutine at a
// time; Run serializes concurrent callers.
type Plan struct {
	mu      sync.Mutex
	steps   []step
	inputs  []*tval
	outputs []*tval
	peak    int64
	pool    *pool
	threads int
}

type step struct {
	node    *ir.Node // head node of the (possibly fused) group
	run     func()
	kernels bool // runs a package kernels kernel (tests check the fast path is taken)
}

// StepKinds lists, in execution order, the op of each step's node as
// "Op" for the ONNX domain and "domain.Op" otherwise (e.g.
// "mconv.FusedConv"); "copy" for the final copy of a graph output that is
// a graph input or a constant.
func (p *Plan) StepKinds() []string {
	out := make([]string, len(p.steps))
	for i, s := range p.steps {
		switch {
		case s.node == nil:
			out[i] = "copy"
		case s.node.Domain == "" || s.node.Domain == "ai.onnx":
			out[i] = s.node.OpType
		default:
			out[i] = s.node.Domain + "." + s.node.OpType
		}
	}
	return out
}

// Threads is the number of threads the plan's kernels use.
func (p *Plan) Threads() int { return p.threads }

// PeakActivationBytes is the size of the activation arena: the most bytes
// of intermediate tensors (inputs, outputs and kernel scratch included) live
// at any one time under the plan's liveness-based assignment.
func (p *Plan) PeakActivationBytes() int64 { return p.peak }

// Inputs lists the runtime inputs (graph inputs without initializer) in
// graph order with their compiled shapes.
func (p *Plan) Inputs() []IOInfo { return ioInfo(p.inputs) }

// Outputs lists the graph outputs in order with their compiled shapes.
func (p *Plan) Outputs() []IOInfo { return ioInfo(p.outputs) }

func ioInfo(vs []*tval) []IOInfo {
	out := make([]IOInfo, len(vs))
	for i, v := range vs {
		out[i] = IOInfo{Name: v.name, DType: v.dt, Shape: append([]int64(nil), v.shape...)}
	}
	return out
}

// Close marks the plan closed; a closed plan must not be run. (Worker
// goroutines are shared by all plans and live for the life of the process.)
func (p *Plan) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pool != nil {
		p.pool.close()
	}
}

// Run executes the plan on inputs keyed by graph input name and returns new
// output tensors keyed by graph output name.
func (p *Plan) Run(inputs map[string]*ir.Tensor) (map[string]*ir.Tensor, error) {
	outs := make(map[string]*ir.Tensor, len(p.outputs))
	for _, o := range p.outputs {
		bl := ir.ByteLen(o.dt, o.shape)
		outs[o.name] = &ir.Tensor{Name: o.name, DType: o.dt, Dims: append([]int64(nil), o.shape...), Raw: make([]byte, bl)}
	}
	if err := p.RunInto(inputs, outs); err != nil {
		return nil, err
	}
	return outs, nil
}

// RunInto executes the plan, reading inputs keyed by graph input name and
// writing into caller-provided output tensors keyed by graph output name
// (each with the compiled dtype and shape and a Raw of the right length).
// It allocates nothing.
func (p *Plan) RunInto(inputs, outputs map[string]*ir.Tensor) (err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.loadInputs(inputs); err != nil {
		return err
	}
	i := 0
	defer func() {
		// A kernel panic is a runtime bug; report it instead of crashing.
		if r := recover(); r != nil {
			name := "(output copy)"
			if n := p.steps[i].node; n != nil {
				name = fmt.Sprintf("node %q (%s)", n.Name, n.OpType)
			}
			err = fmt.Errorf("runtime: internal error in %s: %v", name, r)
		}
	}()
	for i = range p.steps {
		p.steps[i].run()
	}
	return p.storeOutputs(outputs)
}

// Profile runs the plan once and returns the time of every step.
func (p *Plan) Profile(inputs map[string]*ir.Tensor) ([]NodeTime, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.loadInputs(inputs); err != nil {
		return nil, err
	}
	times := make([]NodeTime, len(p.steps))
	for i := range p.steps {
		t0 := time.Now()
		p.steps[i].run()
		times[i] = NodeTime{Node: p.steps[i].node, Dur: time.Since(t0)}
	}
	return times, nil
}

func (p *Plan) loadInputs(inputs map[string]*ir.Tensor) error {
	if p.pool == nil || p.pool.closed {
		return errors.New("runtime: plan is closed")
	}
	for _, in := range p.inputs {
		t := inputs[in.name]
		if t == nil {
			return fmt.Errorf("runtime: missing input %q", in.name)
		}
		if t.DType != in.dt || !slices.Equal(t.Dims, in.shape) {
			return fmt.Errorf("runtime: input %q is %s%v, plan was compiled for %s%v", in.name, t.DType, t.Dims, in.dt, in.shape)
		}
		if len(t.Raw) != len(in.buf) {
			return fmt.Errorf("runtime: input %q has %d bytes of data, want %d", in.name, len(t.Raw), len(in.buf))
		}
		copy(in.buf, t.Raw)
	}
	return nil
}

func (p *Plan) storeOutputs(outputs map[string]*ir.Tensor) error {
	for _, o := range p.outputs {
		t := outputs[o.name]
		if t == nil {
			return fmt.Errorf("runtime: no tensor given for output %q", o.name)
		}
		if t.DType != o.dt || !slices.Equal(t.Dims, o.shape) || len(t.Raw) != len(o.buf) {
			return fmt.Errorf("runtime: output tensor %q is %s%v (%d bytes), want %s%v", o.name, t.DType, t.Dims, len(t.Raw), o.dt, o.shape)
		}
		copy(t.Raw, o.buf)
	}
	return nil
}

// tval is a tensor value of the plan: its dtype, static shape and storage.
type tval struct {
	name  string
	dt    ir.DType
	shape []int64
	n     int     // element count
	buf   []byte  // storage, bound after allocation (constants: at once)
	konst bool    // data known at plan time
	seq   []*tval // elements, when the value is a sequence of tensors

	// planning
	alias      *tval // shares alias's storage (view ops)
	aliasOff   int64 // byte offset of this value in alias's storage
	off        int64 // arena offset (roots only)
	first      int   // step that writes it
	last       int   // last step that reads it (or any alias)
	isOut      bool
	isInput    bool
	scratch    bool
	allocated  bool
	producedBy *ir.Node
}

func (t *tval) root() *tval {
	for t.alias != nil {
		t = t.alias
	}
	return t
}

// aliasBuf is the storage of a view: its bytes at aliasOff in its alias's
// storage (bound first, up the chain of views).
func (t *tval) aliasBuf() []byte {
	if t.alias == nil {
		return t.buf
	}
	b, end := t.alias.aliasBuf(), t.aliasOff+t.bytes()
	return b[t.aliasOff:end:end]
}

func (t *tval) bytes() int64 { return int64(t.n) * int64(t.dt.Size()) }

func viewOf[T any](b []byte, n int) []T {
	if n == 0 || len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), n)
}

func (t *tval) f32() []float32 { return viewOf[float32](t.buf, t.n) }
func (t *tval) f64() []float64 { return viewOf[float64](t.buf, t.n) }
func (t *tval) i64() []int64   { return viewOf[int64](t.buf, t.n) }
func (t *tval) i32() []int32   { return viewOf[int32](t.buf, t.n) }
func (t *tval) u8() []uint8    { return viewOf[uint8](t.buf, t.n) }

// alignedBytes returns a zeroed byte slice of length n, 64-byte aligned.
func alignedBytes(n int64) []byte {
	if n == 0 {
		return []byte{}
	}
	words := make([]uint64, (n+63)/8+8)
	b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(words))), len(words)*8)
	addr := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	skip := int((64 - addr%64) % 64)
	return b[skip : skip+int(n) : skip+int(n)]
}

func defaultThreads(n int) int {
	if n <= 0 {
		return goruntime.NumCPU()
	}
	return n
}
