"""Cross-check the NUMBERS of mconv's Core ML output against PyTorch.

mconv's Go round trip reads back what mconv wrote, so a convention error
made the same way in writer and reader (pad order, weight layout, an op
attribute's meaning) would cancel out, and coremltools on Linux only
type-checks. Here every golden fixture (testdata/golden/NAME/EXPORTER:
model.onnx with test_data_set_0 and deploy.onnx with deploy_data_set_0,
input and output computed by PyTorch) and every normalization / padding
fixture of coreml/testdata/normpad (export_coreml_fixtures.py: PyTorch's
or ONNX Runtime's outputs) is converted with
`mconv to-coreml --fuse` to ML Program (.mlpackage) and NeuralNetwork
(.mlmodel), fp32 and --fp16, and evaluated by coreml_interp.py, a NumPy
interpreter of the documented MIL / NeuralNetwork op semantics that shares
no code with mconv (validated on coremltools' own conversions by
validate_coreml_interp.py). Tolerances, scale = max |PyTorch output|:
  * fp32: max abs error <= 1e-4 x max(1, scale);
  * fp16 (the interpreter rounds every fp16-typed value to float16, as a
    device computes; for a NeuralNetwork every layer output): <= 2e-2 x
    max(1, scale), or no worse than 1.5x the error of the fused ONNX model
    (`mconv fuse`) with its float weights rounded to float16, run in ONNX
    Runtime. An fp16 file whose values exceed fp16's range (the float64 run
    of the same program passes 65504 where the fp16 run is not finite) is
    listed as 'overflow', not counted: a device overflows too.
On a failure the first diverging op is named: the interpreter's trace is
compared, op by op in program order, with ONNX Runtime's intermediate
outputs of the fused ONNX model wherever the (sanitized) tensor names match.
A negative control (conv weights with kH and kW swapped on one fixture)
must fail, so the comparison cannot pass vacuously.
Prints 'N passed, N failed' last; exits non-zero on any failure.

By hand, `--zoo [DIR]` checks the full-size zoo instead (.cache/zoo from
`export_fixtures.py --zoo`: NAME/EXPORTER/train.onnx with
train_data_set_0); files mconv refuses to convert are listed as skipped
(that is coverage, not numbers). `--only NAME...` and `--variants
mlpackage-fp32 ...` narrow it.
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import coreml_interp  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
TOL32 = 1e-4
TOL16 = 2e-2
FP16_REF_FACTOR = 1.5
passed = failed = 0
exercised = {}  # file kind -> op types the interpreter ran


def result(ok, what, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
    print(("ok   " if ok else "FAIL ") + what + (" " + detail if detail else ""), flush=True)


def read_pb(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def sanitize(name):
    """The MIL identifier mconv makes from an ONNX tensor name."""
    s = re.sub(r"[^A-Za-z0-9_@]", "_", name)
    return "_" + s if not s or not (s[0].isalpha() or s[0] == "_") else s


def ort_session(model, intermediates=False):
    m = onnx.ModelProto()
    m.CopyFrom(model)
    if intermediates:
        inferred = onnx.shape_inference.infer_shapes(m)
        have = {o.name for o in m.graph.output}
        for vi in inferred.graph.value_info:
            if vi.name not in have and vi.type.tensor_type.elem_type == onnx.TensorProto.FLOAT:
                m.graph.output.append(vi)
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.intra_op_num_threads = 1
    return ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])


def round_weights_fp16(model):
    """A copy of MODEL with every float initializer and Constant tensor
    rounded to float16 and back (what fp16 weight storage costs)."""
    m = onnx.ModelProto()
    m.CopyFrom(model)

    def rnd(t):
        if t.data_type == onnx.TensorProto.FLOAT:
            a = numpy_helper.to_array(t).astype(np.float16).astype(np.float32)
            t.CopyFrom(numpy_helper.from_array(a, t.name))
    for t in m.graph.initializer:
        rnd(t)
    for n in m.graph.node:
        if n.op_type == "Constant":
            for at in n.attribute:
                if at.type == onnx.AttributeProto.TENSOR:
                    rnd(at.t)
    return m


def first_divergence(prog, feeds, fp16, fused, x, tol):
    """(op type, op name, error/scale) of the first traced value that differs
    from ONNX Runtime's intermediate of the same name by more than TOL x
    max(1, its scale), or None."""
    trace = []
    if isinstance(prog, coreml_interp.NNModel):
        prog.run(feeds, fp16=fp16, trace=trace)
    else:
        prog.run(feeds, trace=trace)
    sess = ort_session(fused, intermediates=True)
    names = [o.name for o in sess.get_outputs()]
    vals = sess.run(None, {sess.get_inputs()[0].name: x})
    ref = dict(zip(names, vals))
    ref.update(zip((sanitize(n) for n in names), vals))
    matched = 0
    for typ, opname, out, val in trace:
        r = ref.get(out)
        if r is None or np.shape(r) != np.shape(val):
            continue
        matched += 1
        sc = max(1.0, float(np.abs(r).max()) if r.size else 0.0)
        err = float(np.abs(val.astype(np.float64) - r).max()) / sc if r.size else 0.0
        if err > tol:
            return f"first diverging op: {typ} {opname!r} -> {out} (err/scale {err:.1e})"
    return f"no traced value of the {matched} matched by name exceeds the tolerance"


def fp16_overflow(prog, feeds, nn):
    """The first op (type name: |value| in float64) whose fp16 output is not
    finite while the float64 run's value exceeds fp16's 65504 (the value
    does not fit fp16, whatever computes it), or None."""
    t16, t64 = [], []
    if nn:
        prog.run(feeds, fp16=True, trace=t16)
    else:
        prog.run(feeds, trace=t16)
    prog.run(feeds, mode="float64", trace=t64)
    for (typ, name, _, a), (_, _, _, b) in zip(t16, t64):
        a = np.asarray(a)
        if np.issubdtype(a.dtype, np.floating) and not np.all(np.isfinite(a)):
            big = float(np.abs(np.asarray(b, np.float64)).max())
            return f"{typ} {name} (max |value| {big:.3g} > 65504)" if big > 65504 else None
    return None


VARIANTS = [(".mlpackage", False), (".mlpackage", True), (".mlmodel", False), (".mlmodel", True)]


def check_file(exe, onnx_path, data_dir, tmp, root, variants=VARIANTS, refused_ok=False):
    rel = os.path.relpath(onnx_path, root)
    model = onnx.load(onnx_path)
    x = read_pb(os.path.join(data_dir, "input_0.pb"))
    want = read_pb(os.path.join(data_dir, "output_0.pb")).astype(np.float64)
    scale = max(1.0, float(np.abs(want).max()))
    in_name = model.graph.input[0].name
    shape_arg = ["--input-shape", f"{in_name}=" + ",".join(str(d) for d in x.shape)]
    base = os.path.join(tmp, rel.replace(os.sep, "_")[:-5])
    fused_path = base + "_fused.onnx"
    r = subprocess.run([exe, "fuse", onnx_path, "-o", fused_path, "--no-verify"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        result(False, f"{rel}: mconv fuse", r.stderr.strip()[-300:])
        return
    fused = onnx.load(fused_path)
    ref16 = None
    for ext, fp16 in variants:
        what = f"{rel} {ext[1:]} {'fp16' if fp16 else 'fp32'}"
        out = base + ("_fp16" if fp16 else "_fp32") + ext
        r = subprocess.run([exe, "to-coreml", onnx_path, "-o", out, "--fuse"] + (["--fp16"] if fp16 else [])
                           + shape_arg, capture_output=True, text=True)
        if r.returncode != 0:
            if refused_ok:  # coverage, not numbers: listed, not counted
                print(f"skip {what}: mconv refuses it: {r.stderr.strip().splitlines()[-1][-200:]}")
                continue
            result(False, what, "mconv to-coreml: " + r.stderr.strip()[-300:])
            continue
        try:
            prog = coreml_interp.load(out)
            exercised.setdefault(ext, set()).update(
                o.type if ext == ".mlpackage" else o.WhichOneof("layer") for o in prog.operations())
            feeds = {next(iter(coreml_interp.input_shapes(prog.spec))): x}
            res = prog.run(feeds, fp16=fp16) if ext == ".mlmodel" else prog.run(feeds)
            got = np.asarray(list(res.values())[0], dtype=np.float64).reshape(want.shape)
        except Exception as e:
            result(False, what, f"interpreter: {type(e).__name__}: {e}"[:400])
            continue
        err = float(np.abs(got - want).max())
        if refused_ok:  # zoo files are large: drop each once checked
            shutil.rmtree(out) if os.path.isdir(out) else os.remove(out)
        if not fp16:
            ok = err <= TOL32 * scale
            detail = f"err/scale {err / scale:.1e}"
            tol = TOL32
        else:
            if ref16 is None:
                sess = ort_session(round_weights_fp16(fused))
                y16 = sess.run(None, {sess.get_inputs()[0].name: x})[0].astype(np.float64)
                ref16 = float(np.abs(y16.reshape(want.shape) - want).max())
            ok = err <= TOL16 * scale or err <= FP16_REF_FACTOR * ref16
            detail = f"err/scale {err / scale:.1e} (fp16-weights ORT {ref16 / scale:.1e})"
            tol = TOL16
        if not ok and fp16:
            over = fp16_overflow(prog, feeds, ext == ".mlmodel")
            if over:  # the fp16 file cannot hold the value: a device overflows too (listed, not counted)
                print(f"overflow {what}: {detail}; fp16 overflow at {over}", flush=True)
                continue
        if not ok:
            try:
                detail += "; " + first_divergence(prog, feeds, fp16, fused, x, tol)
            except Exception as e:
                detail += f"; divergence search failed: {type(e).__name__}: {e}"
        result(ok, what, detail)


IMAGENET_MEAN = np.array([0.485, 0.456, 0.406]).reshape(1, 3, 1, 1)
IMAGENET_STD = np.array([0.229, 0.224, 0.225]).reshape(1, 3, 1, 1)


def check_image_input(exe, onnx_path, data_dir, tmp, root):
    """`to-coreml --image-input rgb|bgr --preprocess imagenet` (what makes a
    Core ML model agree with `mconv run --image`): fed the pixels whose
    ImageNet normalisation is the fixture's input, x * std + mean scaled to
    0..255, the model must give PyTorch's output within the fp32
    tolerance, both formats. Core ML feeds the network the channels in the
    color space's order, so with bgr the network's channel c is color 2-c
    and is normalised with that color's mean and std."""
    rel = os.path.relpath(onnx_path, root)
    x = read_pb(os.path.join(data_dir, "input_0.pb")).astype(np.float64)
    want = read_pb(os.path.join(data_dir, "output_0.pb")).astype(np.float64)
    scale = max(1.0, float(np.abs(want).max()))
    base = os.path.join(tmp, rel.replace(os.sep, "_")[:-5])
    for space in ("rgb", "bgr"):
        order = slice(None) if space == "rgb" else slice(None, None, -1)
        pixels = ((x * IMAGENET_STD[:, order] + IMAGENET_MEAN[:, order]) * 255).astype(np.float32)
        for ext in (".mlpackage", ".mlmodel"):
            what = f"{rel} {ext[1:]} --image-input {space} --preprocess imagenet"
            out = base + "_img_" + space + ext
            r = subprocess.run([exe, "to-coreml", onnx_path, "-o", out, "--image-input", space, "--preprocess",
                                "imagenet"], capture_output=True, text=True)
            if r.returncode != 0:
                result(False, what, "mconv to-coreml: " + r.stderr.strip()[-300:])
                continue
            try:
                prog = coreml_interp.load(out)
                res = prog.run({next(iter(coreml_interp.input_shapes(prog.spec))): pixels})
                got = np.asarray(list(res.values())[0], dtype=np.float64).reshape(want.shape)
            except Exception as e:
                result(False, what, f"interpreter: {type(e).__name__}: {e}"[:400])
                continue
            err = float(np.abs(got - want).max())
            result(err <= TOL32 * scale, what, f"err/scale {err / scale:.1e}")


def negative_control(tmp, exe):
    """Conv weights with kH/kW swapped must make a fixture fail, and the
    divergence search must name a conv as the first diverging op."""
    g = os.path.join(ROOT, "testdata", "golden", "repvgg_net", "torchscript", "model.onnx")
    if not os.path.exists(g):
        return
    x = read_pb(os.path.join(os.path.dirname(g), "test_data_set_0", "input_0.pb"))
    want = read_pb(os.path.join(os.path.dirname(g), "test_data_set_0", "output_0.pb")).astype(np.float64)
    out = os.path.join(tmp, "negative.mlpackage")
    fused_path = os.path.join(tmp, "negative_fused.onnx")
    subprocess.run([exe, "to-coreml", g, "-o", out, "--fuse"], check=True, capture_output=True)
    subprocess.run([exe, "fuse", g, "-o", fused_path, "--no-verify"], check=True, capture_output=True)
    prog = coreml_interp.load(out)
    feeds = {next(iter(coreml_interp.input_shapes(prog.spec))): x}
    orig = coreml_interp.MIL_OPS["conv"]

    def swapped(a, outs):
        a.args["weight"] = [np.swapaxes(a.args["weight"][0], -1, -2)]
        return orig(a, outs)
    coreml_interp.MIL_OPS["conv"] = swapped
    try:
        got = list(prog.run(feeds).values())[0]
        where = first_divergence(prog, feeds, False, onnx.load(fused_path), x, TOL32)
    finally:
        coreml_interp.MIL_OPS["conv"] = orig
    err = float(np.abs(got.reshape(want.shape) - want).max()) / max(1.0, float(np.abs(want).max()))
    result(err > TOL32 and where.startswith("first diverging op: conv "),
           "negative control: repvgg_net conv weights with kH/kW swapped are caught", f"err/scale {err:.1e}; {where}")


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(description="Core ML numbers of mconv's output vs PyTorch (see the module doc)")
    ap.add_argument("--zoo", nargs="?", const=os.path.join(ROOT, ".cache", "zoo"),
                    help="by hand: check the zoo (export_fixtures.py --zoo; default .cache/zoo) instead of "
                         "the golden fixtures; models mconv refuses are listed, not counted")
    ap.add_argument("--only", nargs="*", help="zoo model names (default all)")
    ap.add_argument("--variants", nargs="*", default=["mlpackage-fp32", "mlpackage-fp16", "mlmodel-fp32",
                                                      "mlmodel-fp16"])
    args = ap.parse_args(argv)
    variants = [("." + v.split("-")[0], v.endswith("fp16")) for v in args.variants]
    t0 = time.time()
    if args.zoo:
        root = args.zoo
        files = sorted(glob.glob(os.path.join(root, "*", "*", "train.onnx")))
        if args.only:
            files = [f for f in files if os.path.basename(os.path.dirname(os.path.dirname(f))) in args.only]
    else:
        root = os.path.join(ROOT, "testdata", "golden")
        files = sorted(glob.glob(os.path.join(root, "*", "*", "*.onnx")))
        # the Core ML normalization and padding fixtures (export_coreml_fixtures.py)
        normpad = os.path.join(ROOT, "coreml", "testdata", "normpad")
        files += sorted(glob.glob(os.path.join(normpad, "*", "*", "model.onnx")) +
                        glob.glob(os.path.join(normpad, "*", "model.onnx")))
    if not files:
        print(f"no fixtures under {root}")
        print("0 passed, 0 failed")
        return 0
    data_dirs = {"model.onnx": "test_data_set_0", "deploy.onnx": "deploy_data_set_0", "train.onnx": "train_data_set_0"}
    with tempfile.TemporaryDirectory(prefix="mconv-coreml-num-") as tmp:
        exe = os.path.join(tmp, "mconv")
        subprocess.run(["go", "build", "-o", exe, "./cmd/mconv"], cwd=ROOT, check=True)
        for g in files:
            data = os.path.join(os.path.dirname(g), data_dirs.get(os.path.basename(g), ""))
            if not os.path.isdir(data):
                continue
            label_root = root if g.startswith(root) else os.path.join(ROOT, "coreml", "testdata")
            check_file(exe, g, data, tmp, label_root, variants, refused_ok=bool(args.zoo))
        if not args.zoo:
            negative_control(tmp, exe)
            for g in files:  # the whole networks (image input [1,3,H,W]), deploy form
                name, exporter, fname = g.split(os.sep)[-3:]
                if name.endswith("_net") and exporter == "torchscript" and fname == "deploy.onnx":
                    check_image_input(exe, g, os.path.join(os.path.dirname(g), "deploy_data_set_0"), tmp, root)
    for ext, kinds in sorted(exercised.items()):
        print(f"{ext[1:]} op types checked: {' '.join(sorted(kinds))}")
    print(f"({time.time() - t0:.0f}s)")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
