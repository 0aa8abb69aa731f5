"""Cross-check the ML Program deployment target mconv chooses against
coremltools' op registry (an independent source: Apple's own per-opset MIL
op definitions, coremltools/converters/mil/mil/ops/defs/iOS15..iOS18).

`mconv to-coreml X.onnx -o X.mlpackage` (no --target) writes the lowest
target whose MIL opset expresses the graph; `mconv ops --json` gives each
op's recorded target (`mlprogram_target`, coreml/lowerers.go). Here:
  * every ONNX op mconv lowers to MIL has a sample graph below (a check
    fails for an op without one), converted fp32 and --fp16; ops whose
    lowering may differ by attribute have further forms (VARIANTS), where
    mconv's target must be coremltools' lowest (a form mconv refuses is
    listed); samples wait for ops mconv does not lower yet, and every
    ONNX-domain sample must run in ONNX Runtime;
  * the target of a file according to coremltools is the lowest of
    iOS15..iOS18 at which (a) every MIL op of the program is registered in
    SSAOpRegistry.core_ops at that opset with every input the file binds
    in that opset's input_spec, and (b) coremltools' milproto loader, given
    the program with its specificationVersion and opset set to that
    target, rebuilds it op by op with MIL type inference (which checks
    dtypes and the declared output types);
  * mconv's chosen target must equal it (so it is expressible there and
    not below), and for a sample it must equal the op's recorded target;
  * every golden fixture (testdata/golden, after --fuse) the same way;
  * `--target iOS18` on the samples loads at specification version 9;
  * controls: programs built with coremltools' own MIL builder using an
    iOS16 op (pixel_unshuffle) and an iOS17 op (resize) must come out as
    iOS16 and iOS17, so the check can see a target above iOS15.
Prints the MIL ops mconv emitted with the first opset coremltools registers
each at, then 'N passed, N failed'; exits non-zero on any failure.
"""
import copy
import glob
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

import coremltools as ct
from coremltools.converters.mil.frontend.milproto.load import load as milproto_load
from coremltools.converters.mil.mil.ops.registry import SSAOpRegistry

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import xcheck_coreml_numerics as tally  # noqa: E402 (its result() counts passes and failures)
from xcheck_coreml_numerics import ROOT, result  # noqa: E402
# (name, specification version, MIL opset, coremltools target)
TARGETS = [("iOS15", 6, "CoreML5", ct.target.iOS15), ("iOS16", 7, "CoreML6", ct.target.iOS16),
           ("iOS17", 8, "CoreML7", ct.target.iOS17), ("iOS18", 9, "CoreML8", ct.target.iOS18)]
first_opset = {}  # MIL op -> first target coremltools registers it at
emitted = {}      # MIL op -> set of ONNX ops whose samples emitted it


def main_block(spec):
    fn = spec.mlProgram.functions["main"]
    return fn, fn.block_specializations[fn.opset]


def registry_problem(spec, tgt):
    """Why coremltools' registry lacks the program's ops at target tgt
    (None when it has them all with the inputs the file binds)."""
    _, block = main_block(spec)
    for op in block.operations:
        if op.type == "const":
            continue
        versions = SSAOpRegistry.core_ops.get(op.type, {})
        if op.type not in first_opset:
            first_opset[op.type] = next((t[0] for t in TARGETS if t[3] in versions), "not registered")
        cls = versions.get(tgt[3])
        if cls is None:
            return f"MIL op {op.type} is not registered at {tgt[0]}"
        params = set(cls.input_spec.input_types)
        extra = sorted(set(op.inputs) - params)
        if extra:
            return f"MIL op {op.type} has no input {', '.join(extra)} at {tgt[0]}"
    return None


def load_problem(spec, weights, tgt):
    """coremltools' milproto load of the program retargeted to tgt: None,
    or the error."""
    s = copy.deepcopy(spec)
    fn = s.mlProgram.functions["main"]
    block = type(fn.block_specializations[fn.opset])()
    block.CopyFrom(fn.block_specializations[fn.opset])
    del fn.block_specializations[fn.opset]
    fn.block_specializations[tgt[2]].CopyFrom(block)
    fn.opset = tgt[2]
    s.specificationVersion = tgt[1]
    try:
        milproto_load(s, tgt[1], weights)
    except Exception as e:  # noqa: BLE001 (any failure means: not at this target)
        return f"{type(e).__name__}: {str(e)[:200]}"
    return None


def coremltools_target(path):
    """(lowest target coremltools accepts the file at, why not the one
    below) for the ML Program at path."""
    spec = ct.models.utils.load_spec(path)
    weights = os.path.join(path, "Data", "com.apple.CoreML", "weights")
    why = "iOS15 is the first ML Program target"
    for tgt in TARGETS:
        p = registry_problem(spec, tgt) or load_problem(spec, weights, tgt)
        if p is None:
            return tgt[0], why
        why = p
    return None, why


# ------------------------------------------------------------------ samples

def r(*shape, seed=[0]):
    seed[0] += 1
    return np.random.default_rng(seed[0]).standard_normal(shape).astype(np.float32)


def i64(*v):
    return np.array(v, dtype=np.int64)


X = (1, 4, 8, 8)


def unary(op, **attrs):
    return lambda: ([helper.make_node(op, ["x"], ["y"], **attrs)], {}, X)


def binary(op):
    return lambda: ([helper.make_node(op, ["x", "c"], ["y"])], {"c": r(4, 1, 1)}, X)


def fused(op, inputs=("x",), inits=None, **attrs):
    return lambda: ([helper.make_node(op, list(inputs), ["y"], domain="mconv", **attrs)], dict(inits or {}), X)


def pool(op):
    return lambda: ([helper.make_node(op, ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])], {}, X)


SAMPLES = {
    "Add": binary("Add"), "Sub": binary("Sub"), "Mul": binary("Mul"), "Div": binary("Div"),
    "Relu": unary("Relu"), "Sigmoid": unary("Sigmoid"), "Tanh": unary("Tanh"), "Erf": unary("Erf"),
    "LeakyRelu": unary("LeakyRelu", alpha=0.1), "HardSigmoid": unary("HardSigmoid"), "HardSwish": unary("HardSwish"),
    "Gelu": unary("Gelu"), "Softmax": unary("Softmax", axis=1), "Identity": unary("Identity"),
    "Flatten": unary("Flatten", axis=1), "Transpose": unary("Transpose", perm=[0, 2, 3, 1]),
    "GlobalAveragePool": unary("GlobalAveragePool"), "GlobalMaxPool": unary("GlobalMaxPool"),
    "AveragePool": pool("AveragePool"), "MaxPool": pool("MaxPool"),
    "Dropout": lambda: ([helper.make_node("Dropout", ["x"], ["d"]), helper.make_node("Relu", ["d"], ["y"])], {}, X),
    "Clip": lambda: ([helper.make_node("Clip", ["x", "lo", "hi"], ["y"])],
                     {"lo": np.array(0, np.float32), "hi": np.array(6, np.float32)}, X),
    "CastLike": lambda: ([helper.make_node("CastLike", ["x", "like"], ["y"])], {"like": np.zeros(1, np.float32)}, X),
    "Constant": lambda: ([helper.make_node("Constant", [], ["c"], value=numpy_helper.from_array(r(4, 1, 1))),
                          helper.make_node("Add", ["x", "c"], ["y"])], {}, X),
    "Shape": lambda: ([helper.make_node("Shape", ["x"], ["s"]), helper.make_node("Relu", ["x"], ["t"]),
                       helper.make_node("Reshape", ["t", "s"], ["y"])], {}, X),
    "Concat": lambda: ([helper.make_node("Concat", ["x", "x"], ["y"], axis=1)], {}, X),
    "Split": lambda: ([helper.make_node("Split", ["x", "sp"], ["y", "z"], axis=1)], {"sp": i64(1, 3)}, X),
    "SplitToSequence": lambda: ([helper.make_node("SplitToSequence", ["x", "sp"], ["q"], axis=1),
                                 helper.make_node("SequenceAt", ["q", "k"], ["y"])], {"sp": i64(2, 2), "k": i64(1)}, X),
    "Reshape": lambda: ([helper.make_node("Reshape", ["x", "s"], ["y"])], {"s": i64(1, 4, 64)}, X),
    "Squeeze": lambda: ([helper.make_node("Squeeze", ["x", "a"], ["y"])], {"a": i64(0)}, X),
    "Unsqueeze": lambda: ([helper.make_node("Unsqueeze", ["x", "a"], ["y"])], {"a": i64(2)}, X),
    "Slice": lambda: ([helper.make_node("Slice", ["x", "b", "e", "a", "st"], ["y"])],
                      {"b": i64(1, -7), "e": i64(7, 100), "a": i64(2, 3), "st": i64(2, 3)}, X),
    "ReduceMean": lambda: ([helper.make_node("ReduceMean", ["x", "a"], ["y"], keepdims=0)], {"a": i64(2, 3)}, X),
    "BatchNormalization": lambda: ([helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"])],
                                   {"s": r(4), "b": r(4), "m": r(4), "v": np.abs(r(4)) + 0.5}, X),
    "Conv": lambda: ([helper.make_node("Conv", ["x", "w", "b"], ["y"], pads=[1, 1, 1, 1], strides=[2, 2])],
                     {"w": r(6, 4, 3, 3), "b": r(6)}, X),
    "Gemm": lambda: ([helper.make_node("Gemm", ["x", "w", "b"], ["y"], transB=1)], {"w": r(5, 16), "b": r(5)}, (1, 16)),
    "MatMul": lambda: ([helper.make_node("MatMul", ["x", "w"], ["y"])], {"w": r(8, 5)}, X),
    "mconv.Gelu": fused("Gelu", approximate="tanh"),
    "mconv.SiLU": fused("SiLU"),
    "mconv.HardSwish": fused("HardSwish"),
    "mconv.SqueezeExcite": fused("SqueezeExcite", ("x", "w1", "b1", "w2", "b2"),
                                 {"w1": r(2, 4, 1, 1), "b1": r(2), "w2": r(4, 2, 1, 1), "b2": r(4)}, gate="hardsigmoid"),
}
SAMPLES["SequenceAt"] = SAMPLES["SplitToSequence"]


def resize(mode, ctm, **attrs):
    return lambda: ([helper.make_node("Resize", ["x", "", "sc"], ["y"], mode=mode, coordinate_transformation_mode=ctm,
                                      **attrs)], {"sc": np.array([1, 1, 2, 2], np.float32)}, X)


def pad(mode):
    return lambda: ([helper.make_node("Pad", ["x", "p"], ["y"], mode=mode)], {"p": i64(0, 0, 1, 2, 0, 0, 2, 1)}, X)


# Ops mconv may lower (other branches add them): their samples wait here,
# used once `mconv ops` says the op is lowered.
SAMPLES.update({
    "LayerNormalization": lambda: ([helper.make_node("LayerNormalization", ["x", "s", "b"], ["y"], axis=-1)],
                                   {"s": r(8), "b": r(8)}, X),
    "InstanceNormalization": lambda: ([helper.make_node("InstanceNormalization", ["x", "s", "b"], ["y"])],
                                      {"s": r(4), "b": r(4)}, X),
    "Pad": pad("constant"),
    "Resize": resize("nearest", "asymmetric", nearest_mode="floor"),
    "GatherND": lambda: ([helper.make_node("GatherND", ["x", "ix"], ["y"])],
                         {"ix": np.array([[0, 1], [0, 3]], np.int64)}, X),
    "Mod": lambda: ([helper.make_node("Mod", ["x", "c"], ["y"], fmod=1)], {"c": np.abs(r(4, 1, 1)) + 0.5}, X),
    "Cast": lambda: ([helper.make_node("Relu", ["x"], ["t"]), helper.make_node("Cast", ["t"], ["y"], to=1)], {}, X),
    "Expand": lambda: ([helper.make_node("Expand", ["x", "s"], ["y"])], {"s": i64(1, 4, 8, 8)}, (1, 4, 1, 8)),
    "Gather": lambda: ([helper.make_node("Gather", ["x", "ix"], ["y"], axis=1)], {"ix": i64(0, 2)}, X),
    "GroupNormalization": lambda: ([helper.make_node("GroupNormalization", ["x", "s", "b"], ["y"], num_groups=2)],
                                   {"s": r(4), "b": r(4)}, X, 21),
    "LpNormalization": lambda: ([helper.make_node("LpNormalization", ["x"], ["y"], axis=1, p=2)], {}, X),
    "ReduceSum": lambda: ([helper.make_node("ReduceSum", ["x", "a"], ["y"], keepdims=1)], {"a": i64(1)}, X),
    "ReduceL2": lambda: ([helper.make_node("ReduceL2", ["x", "a"], ["y"], keepdims=1)], {"a": i64(2, 3)}, X),
    "Upsample": lambda: ([helper.make_node("Upsample", ["x", "sc"], ["y"], mode="nearest")],
                         {"sc": np.array([1, 1, 2, 2], np.float32)}, X, 9),
})
# Further forms of an op whose lowering may differ by attribute (and so may
# need a later target than the op's table entry): mconv's target must still
# be coremltools' lowest; a form mconv refuses is listed, not counted.
VARIANTS = {
    "Resize": {"linear half_pixel": resize("linear", "half_pixel"),
               "linear align_corners": resize("linear", "align_corners"),
               "linear pytorch_half_pixel": resize("linear", "pytorch_half_pixel"),
               "nearest half_pixel round_prefer_floor": resize("nearest", "half_pixel",
                                                               nearest_mode="round_prefer_floor")},
    "Pad": {"reflect": pad("reflect"), "edge": pad("edge")},
    "AveragePool": {"ceil_mode count_include_pad": lambda: (
        [helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
                          ceil_mode=1, count_include_pad=1)], {}, (1, 4, 9, 9))},
    "Gelu": {"tanh": unary("Gelu", approximate="tanh")},
}


def sample_model(make, path):
    nodes, inits, shape, *opset = make()  # an optional 4th item: the ONNX opset (default 20)
    g = helper.make_graph(nodes, "sample",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
                          [helper.make_tensor_value_info(o, TensorProto.FLOAT, None)
                           for o in nodes[-1].output],
                          [numpy_helper.from_array(v, k) for k, v in inits.items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset[0] if opset else 20),
                                                 helper.make_opsetid("mconv", 1)])
    m.ir_version = 10
    onnx.save(m, path)


# ------------------------------------------------------------------ checks

def valid_samples(tmp):
    """Every sample graph of an ONNX-domain op (also those of ops mconv does
    not lower yet) loads and runs in ONNX Runtime; the mconv-domain ones are
    checked by mconv's own fused-op schemas when converted."""
    import onnxruntime as ort
    forms = [(op, make) for op, make in SAMPLES.items() if not op.startswith("mconv.")]
    forms += [(f"{op} {v}", make) for op, vs in VARIANTS.items() for v, make in vs.items()]
    for what, make in forms:
        path = os.path.join(tmp, "valid.onnx")
        sample_model(make, path)
        try:
            sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
            sess.run(None, {"x": r(*sess.get_inputs()[0].shape)})
            err = None
        except Exception as e:  # noqa: BLE001
            err = f"{type(e).__name__}: {str(e)[:200]}"
        result(err is None, f"sample {what} runs in ONNX Runtime", err or "")


def convert(exe, src, out, *flags):
    """mconv to-coreml --json: (its JSON object, None) or (None, error)."""
    r_ = subprocess.run([exe, "to-coreml", src, "-o", out, "--json", *flags], capture_output=True, text=True)
    if r_.returncode != 0:
        return None, r_.stderr.strip()[-300:]
    return json.loads(r_.stdout), None


def check_file(what, path, rep, want=None):
    """mconv's target for path (rep: its --json) against coremltools'; want,
    when given, is the target mconv's table records."""
    spec = ct.models.utils.load_spec(path)
    fn, block = main_block(spec)
    ud = spec.description.metadata.userDefined
    tgt = next(t for t in TARGETS if t[0] == rep["target"])
    consistent = (spec.specificationVersion, fn.opset, ud.get("mconv.target")) == (tgt[1], tgt[2], tgt[0]) \
        and rep["min_target"] == rep["target"]
    got, why = coremltools_target(path)
    ok = consistent and got == rep["target"] and (want is None or want == got)
    detail = f"mconv {rep['target']} (spec {spec.specificationVersion}, {fn.opset}), coremltools {got}"
    if want is not None:
        detail += f", table {want}"
    if got != "iOS15":
        detail += f"; not below: {why}"
    if rep["needs"]:
        detail += f"; mconv: {rep['needs']}"
    result(ok, what, detail)
    return [op.type for op in block.operations if op.type != "const"]


def controls(tmp):
    """Programs made with coremltools' MIL builder at iOS16 / iOS17 must be
    found to need exactly that target."""
    from coremltools.converters.mil import Builder as mb

    @mb.program(input_specs=[mb.TensorSpec(shape=(1, 4, 8, 8))], opset_version=ct.target.iOS16)
    def p16(x):
        return mb.pixel_unshuffle(x=mb.relu(x=x), downscale_factor=np.uint32(2))

    @mb.program(input_specs=[mb.TensorSpec(shape=(1, 4, 8, 8))], opset_version=ct.target.iOS17)
    def p17(x):
        return mb.resize(x=x, shape=np.array([1, 4, 16, 16], np.int32), resized_dims=np.uint32(2),
                         interpolation_mode="LINEAR")
    for name, prog, t, want in (("pixel_unshuffle", p16, ct.target.iOS16, "iOS16"),
                                ("resize", p17, ct.target.iOS17, "iOS17")):
        path = os.path.join(tmp, f"control_{name}.mlpackage")
        ct.convert(prog, convert_to="mlprogram", minimum_deployment_target=t, skip_model_load=True,
                   compute_precision=ct.precision.FLOAT32).save(path)
        got, why = coremltools_target(path)
        result(got == want, f"control: coremltools-built {name} program needs {want}", f"got {got} ({why})")


def main():
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="mconv-coreml-targets-") as tmp:
        exe = os.path.join(tmp, "mconv")
        subprocess.run(["go", "build", "-o", exe, "./cmd/mconv"], cwd=ROOT, check=True)
        ops = json.loads(subprocess.run([exe, "ops", "--json"], capture_output=True, text=True, check=True).stdout)
        lowered = sorted(k for k, v in ops.items() if v["mlprogram"])
        controls(tmp)
        valid_samples(tmp)
        for op in lowered:
            if op not in SAMPLES:
                result(False, f"{op}: mconv lowers it to MIL but this script has no sample graph for it (add one)")
                continue
            src = os.path.join(tmp, op + ".onnx")
            sample_model(SAMPLES[op], src)
            for flags in ([], ["--fp16"]):
                what = f"{op} sample{' fp16' if flags else ''}"
                out = os.path.join(tmp, op + ("_fp16" if flags else "") + ".mlpackage")
                rep, err = convert(exe, src, out, *flags)
                if rep is None:
                    result(False, what, "mconv to-coreml: " + err)
                    continue
                for mil in check_file(what, out, rep, ops[op]["mlprogram_target"]):
                    emitted.setdefault(mil, set()).add(op)
            out = os.path.join(tmp, op + "_ios18.mlpackage")
            rep, err = convert(exe, src, out, "--target", "iOS18")
            ok = rep is not None and rep["target"] == "iOS18"
            if ok:
                spec = ct.models.utils.load_spec(out)
                err = load_problem(spec, os.path.join(out, "Data", "com.apple.CoreML", "weights"), TARGETS[3])
                ok = err is None and spec.specificationVersion == 9
            result(ok, f"{op} sample --target iOS18", err or "")
            for i, (variant, make) in enumerate(VARIANTS.get(op, {}).items()):
                src = os.path.join(tmp, f"{op}_v{i}.onnx")
                sample_model(make, src)
                out = os.path.join(tmp, f"{op}_v{i}.mlpackage")
                rep, err = convert(exe, src, out)
                if rep is None:
                    print(f"skip {op} {variant}: mconv refuses it: {err.splitlines()[-1][-160:]}")
                    continue
                for mil in check_file(f"{op} {variant}", out, rep):
                    emitted.setdefault(mil, set()).add(op)
        golden = sorted(glob.glob(os.path.join(ROOT, "testdata", "golden", "*", "*", "*.onnx")))
        if not golden:
            print("note: no testdata/golden fixtures in this checkout; samples only")
        for g in golden:
            rel = os.path.relpath(g, os.path.join(ROOT, "testdata", "golden"))
            out = os.path.join(tmp, rel.replace(os.sep, "_")[:-5] + ".mlpackage")
            rep, err = convert(exe, g, out, "--fuse")
            if rep is None:
                result(False, f"golden {rel}", "mconv to-coreml --fuse: " + err)
                continue
            for mil in check_file(f"golden {rel}", out, rep):
                emitted.setdefault(mil, set())
    print("\nMIL ops mconv emitted | first opset in coremltools' registry | ONNX ops (samples)")
    for mil in sorted(emitted):
        print(f"  {mil:16s} {first_opset.get(mil, '?'):8s} {' '.join(sorted(emitted[mil]))}")
    print(f"({time.time() - t0:.0f}s)")
    print(f"{tally.passed} passed, {tally.failed} failed")
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main())
