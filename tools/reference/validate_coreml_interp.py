"""Validate coreml_interp.py on coremltools' OWN conversions (run by hand:
needs torch, timm, torchvision and coremltools==9.0 in one environment,
e.g. the export venv with `pip install coremltools==9.0`):

    python tools/reference/validate_coreml_interp.py [--models NAME ...] [--formats mlprogram neuralnetwork]
    python tools/reference/validate_coreml_interp.py --modules   # one small module per resampling / indexing op

Each zoo model is rebuilt in PyTorch exactly as export_fixtures.py --zoo
builds it (zoo_model: same seed, random weights, BN statistics from data,
same input), reparameterized (timm.utils.reparameterize_model), traced and
converted by coremltools.convert to an fp32 ML Program
(compute_precision=FLOAT32) and, where coremltools supports it, to a
NeuralNetwork. The interpreter runs each file on the same input; its output
must match PyTorch's within 1e-4 x max(1, output scale), scale = max |y|.
A third row converts with compute_precision=FLOAT16 (every op in fp16) and
runs the interpreter's device mode (every fp16 value rounded to float16):
within 2e-2 x max(1, scale).
This checks the interpreter against a converter it shares no code with
(coremltools' own PyTorch frontend and its documented op semantics).
Where coremltools itself logs that its conversion is approximate (e.g. a
fractional nearest-neighbour upsample becomes bilinear in a NeuralNetwork)
and the output misses, the row says 'inexact' and is not counted; an fp16
row that misses because a value exceeds the fp16 range (a device would
overflow too) says 'overflow' and is not counted either.
coremltools 9.0's PyTorch frontend cannot fold aten::Int of a 1-element
array under numpy 2.4; patch_coremltools_int_cast fixes that one step.
Prints one table row per model and format, then 'N passed, N failed'.
"""
import argparse
import contextlib
import io
import logging
import os
import sys
import tempfile
import time
import traceback
import warnings

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import coreml_interp  # noqa: E402
import export_fixtures  # noqa: E402

DEFAULT = [n for n, _ in export_fixtures.ZOO]  # all 27 zoo models
TOL = 1e-4
TOL16 = 2e-2  # coremltools' fp16 ML Program: the interpreter rounds every fp16 value


def patch_coremltools_int_cast():
    """coremltools 9.0's PyTorch frontend folds aten::Int / aten::Bool of a
    constant with int(value); numpy 2.4 refuses int() of a 1-element array
    ("only 0-dimensional arrays can be converted to Python scalars"), which
    stops e.g. ShuffleNetV2's channel_shuffle size arithmetic. This takes
    the element first, and changes nothing else."""
    from coremltools.converters.mil import Builder as mb
    from coremltools.converters.mil.frontend.torch import ops
    orig = ops._cast
    if getattr(orig, "_mconv_patched", False):
        return

    def cast(context, node, dtype, dtype_name):
        x = ops._get_inputs(context, node, expected=1)[0]
        if x.can_be_folded_to_const() and np.ndim(x.val) > 0 and np.size(x.val) == 1:
            context.add(mb.const(val=dtype(np.asarray(x.val).reshape(-1)[0]), name=node.name), node.name)
            return
        orig(context, node, dtype, dtype_name)
    cast._mconv_patched = True
    ops._cast = cast


def first_overflow(prog, feeds):
    """The first op (type name: |value| in float64) whose fp16 output is not
    finite, or None."""
    t16, t64 = [], []
    prog.run(feeds, trace=t16)
    prog.run(feeds, mode="float64", trace=t64)
    for (typ, name, _, a), (_, _, _, b) in zip(t16, t64):
        if np.issubdtype(np.asarray(a).dtype, np.floating) and not np.all(np.isfinite(a)):
            return f"{typ} {name} (max |value| {np.abs(b).max():.3g} > 65504)"
    return None


def convert(model, x, fmt, out_dir, name):
    import coremltools as ct
    from timm.utils.model import reparameterize_model
    patch_coremltools_int_cast()
    m = reparameterize_model(model.eval()).eval()
    with torch.no_grad():
        traced = torch.jit.trace(m, x)
    kw = dict(inputs=[ct.TensorType(name="x", shape=tuple(x.shape))], convert_to=fmt.split("-")[0])
    if fmt == "mlprogram":
        kw["compute_precision"] = ct.precision.FLOAT32
    elif fmt == "mlprogram-fp16":
        kw["compute_precision"] = ct.precision.FLOAT16
    log = io.StringIO()
    handler = logging.StreamHandler(log)
    logging.getLogger("coremltools").addHandler(handler)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
                contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            mlm = ct.convert(traced, **kw)
    finally:
        logging.getLogger("coremltools").removeHandler(handler)
    # coremltools says where its own conversion is not exact
    inexact = sorted({ln.split(". ")[-1].strip() for ln in log.getvalue().splitlines() if "Falling back" in ln})
    path = os.path.join(out_dir, name.replace(" ", "_") + (".mlpackage" if fmt.startswith("mlprogram") else ".mlmodel"))
    mlm.save(path)
    return path, inexact


class _Fn(torch.nn.Module):
    """A torch module computing fn(x) (for --modules)."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


def small_modules():
    """--modules: one small torch module per resampling / indexing op mconv
    emits (name -> (module, input)), so that coremltools' own conversion
    exercises the same MIL ops and NeuralNetwork layers."""
    import torch.nn.functional as F
    g = torch.Generator().manual_seed(5)
    x = torch.randn(1, 3, 9, 8, generator=g)
    idx = torch.tensor([[2, 0, 8], [3, 3, 1]])
    rows, cols = torch.tensor([0, 4, 8, 2]), torch.tensor([7, 0, 3, 3])
    return {
        "nearest x2": (_Fn(lambda t: F.interpolate(t, scale_factor=2, mode="nearest")), x),
        "nearest to 13x11": (_Fn(lambda t: F.interpolate(t, size=(13, 11), mode="nearest")), x),
        "bilinear x2": (_Fn(lambda t: F.interpolate(t, scale_factor=2, mode="bilinear", align_corners=False)), x),
        "bilinear to 13x11": (_Fn(lambda t: F.interpolate(t, size=(13, 11), mode="bilinear", align_corners=False)), x),
        "bilinear align_corners": (_Fn(lambda t: F.interpolate(t, size=(13, 11), mode="bilinear",
                                                               align_corners=True)), x),
        "index_select": (_Fn(lambda t: torch.index_select(t, 2, idx.reshape(-1)) * 2), x),
        "gather 2-D indices": (_Fn(lambda t: t[:, :, idx] + 1), x),
        "advanced indexing": (_Fn(lambda t: t[0, :, rows, cols] - 1), x),
    }


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", nargs="*", default=DEFAULT)
    ap.add_argument("--modules", action="store_true",
                    help="small torch modules, one per resampling / indexing op (small_modules), not the zoo")
    ap.add_argument("--formats", nargs="*", default=["mlprogram", "neuralnetwork", "mlprogram-fp16"],
                    help="mlprogram (fp32), neuralnetwork, mlprogram-fp16 (compute_precision=FLOAT16)")
    args = ap.parse_args(argv)
    src = dict(export_fixtures.ZOO)
    passed = failed = 0
    rows = []
    kinds = {}
    print(f"{'model':26} {'format':14} {'converted':9} {'err/scale':>10} {'scale':>8} {'ops':>5} result  time")
    with tempfile.TemporaryDirectory() as tmp:
        mods = small_modules() if args.modules else {}
        for name in (list(mods) if args.modules else args.models):
            try:
                model, x = mods[name] if args.modules else export_fixtures.zoo_model(name, src.get(name, "timm"))
                model.eval()
                with torch.no_grad():
                    want = model(x).numpy().astype(np.float64)
            except Exception as e:
                print(f"{name:26} build failed: {type(e).__name__}: {e}")
                failed += 1
                continue
            scale = float(np.abs(want).max())
            for fmt in args.formats:
                t0 = time.time()
                try:
                    path, inexact = convert(model, x, fmt, tmp, name)
                except Exception as e:
                    why = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"[:90]
                    print(f"{name:26} {fmt:14} {'no':9} {'':>10} {'':>8} {'':>5} n/a     ({why})", flush=True)
                    rows.append((name, fmt, False, None))
                    continue
                try:
                    prog = coreml_interp.load(path)
                    feeds = {coreml_interp.input_shapes(prog.spec).popitem()[0]: x.numpy()}
                    got = list(prog.run(feeds).values())[0].astype(np.float64).reshape(want.shape)
                    err = float(np.abs(got - want).max()) / max(1.0, scale)
                    ok = err <= (TOL16 if fmt.endswith("fp16") else TOL)
                    nops = len(prog.operations())
                    for o in prog.operations():
                        kinds.setdefault(fmt, set()).add(o.type if hasattr(o, "type") and isinstance(o.type, str)
                                                         else o.WhichOneof("layer"))
                except Exception as e:
                    traceback.print_exc(limit=1)
                    err, ok, nops = float("nan"), False, 0
                    print(f"  interpreter: {type(e).__name__}: {e}"[:300])
                verdict = "pass" if ok else "FAIL"
                overflow = None
                note = f" (coremltools: {'; '.join(inexact)})" if inexact else ""
                if not ok and nops and fmt.endswith("fp16"):
                    overflow = first_overflow(prog, feeds)
                if not ok and inexact and nops:
                    # not the interpreter's error: coremltools approximated
                    verdict = "inexact"
                elif overflow:
                    # the fp16 program cannot represent a value: a device overflows too
                    verdict = "overflow"
                    note = f" (fp16 overflow at {overflow})"
                else:
                    passed += ok
                    failed += not ok
                rows.append((name, fmt, True, err))
                print(f"{name:26} {fmt:14} {'yes':9} {err:10.1e} {scale:8.2f} {nops:5d} {verdict:7} "
                      f"{time.time() - t0:4.0f}s" + note,
                      flush=True)
                if os.path.isdir(path):
                    import shutil
                    shutil.rmtree(path)
                elif os.path.exists(path):
                    os.remove(path)
    for fmt, ks in sorted(kinds.items()):
        print(f"{fmt} op types exercised: {' '.join(sorted(ks))}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
