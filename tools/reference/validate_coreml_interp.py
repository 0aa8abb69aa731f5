"""Validate coreml_interp.py on coremltools' OWN conversions (run by hand:
needs torch, timm, torchvision and coremltools==9.0 in one environment,
e.g. the export venv with `pip install coremltools==9.0`):

    python tools/reference/validate_coreml_interp.py [--models NAME ...] [--formats mlprogram neuralnetwork]
    python tools/reference/validate_coreml_interp.py --small

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
    path = os.path.join(out_dir, name + (".mlpackage" if fmt.startswith("mlprogram") else ".mlmodel"))
    mlm.save(path)
    return path, inexact


class _Small(torch.nn.Module):
    """One op under test, after a 3x3 conv (so the input is not the raw
    feed): forward = fn(conv(x))."""

    def __init__(self, fn, mods=()):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.mods = torch.nn.ModuleList(mods)
        self.fn = fn
        with torch.no_grad():
            for m in self.mods:
                if getattr(m, "weight", None) is not None:
                    m.weight.uniform_(0.5, 1.5)
                if getattr(m, "bias", None) is not None:
                    m.bias.normal_(0, 0.3)

    def forward(self, x):
        return self.fn(self, self.conv(x))


def small_modules():
    """--small: one module per normalization / padding / reduction /
    resampling / indexing op that mconv's Core ML writer emits (layer_norm,
    instance_norm, pad modes, reduce_sum, reduce_l2_norm, tile, nearest and
    bilinear upsampling, gather, gather_nd), as coremltools converts them
    itself."""
    F = torch.nn.functional
    ln, gn1, gn4 = torch.nn.LayerNorm(8), torch.nn.GroupNorm(1, 8), torch.nn.GroupNorm(4, 8)
    in2 = torch.nn.InstanceNorm2d(8, affine=True)
    ln_w = torch.nn.LayerNorm(12, elementwise_affine=True)
    return {
        "layernorm_channels": _Small(lambda s, y: s.mods[0](y.permute(0, 2, 3, 1)).permute(0, 3, 1, 2), [ln]),
        "layernorm_last": _Small(lambda s, y: s.mods[0](y), [ln_w]),
        "groupnorm_1": _Small(lambda s, y: s.mods[0](y), [gn1]),
        "groupnorm_4": _Small(lambda s, y: s.mods[0](y), [gn4]),
        "instancenorm_2d": _Small(lambda s, y: s.mods[0](y), [in2]),
        "pad_reflect": _Small(lambda s, y: F.pad(y, (1, 2, 0, 1), mode="reflect")),
        "pad_replicate": _Small(lambda s, y: F.pad(y, (2, 1, 1, 3), mode="replicate")),
        "pad_constant": _Small(lambda s, y: F.pad(y, (0, 1, 1, 0, 2, 1), value=0.5)),
        "reduce_sum": _Small(lambda s, y: y.sum(dim=-1, keepdim=True) * y),
        "reduce_l2": _Small(lambda s, y: y / torch.linalg.vector_norm(y, dim=1, keepdim=True)),
        "expand": _Small(lambda s, y: y.mean(dim=-1, keepdim=True).expand(-1, -1, -1, 12) + y),
        # resampling and indexing (upsample_nearest_neighbor, upsample_bilinear,
        # gather, gather_nd; NeuralNetwork upsample, gather, gatherND)
        "nearest_x2": _Small(lambda s, y: F.interpolate(y, scale_factor=2, mode="nearest")),
        "nearest_to_13x17": _Small(lambda s, y: F.interpolate(y, size=(13, 17), mode="nearest")),
        "bilinear_x2": _Small(lambda s, y: F.interpolate(y, scale_factor=2, mode="bilinear", align_corners=False)),
        "bilinear_to_13x17": _Small(lambda s, y: F.interpolate(y, size=(13, 17), mode="bilinear",
                                                               align_corners=False)),
        "bilinear_align_corners": _Small(lambda s, y: F.interpolate(y, size=(13, 17), mode="bilinear",
                                                                    align_corners=True)),
        "index_select": _Small(lambda s, y: torch.index_select(y, 2, torch.tensor([2, 0, 9, 3, 3])) * 2),
        "gather_2d_indices": _Small(lambda s, y: y[:, :, torch.tensor([[2, 0, 9], [3, 3, 1]])] + 1),
        "advanced_indexing": _Small(lambda s, y: y[0, :, torch.tensor([0, 4, 9, 2]), torch.tensor([11, 0, 3, 3])] - 1),
    }


def nn_builder_cases():
    """NeuralNetwork layers coremltools' PyTorch frontend does not emit but
    mconv does (layerNormalization, constantPad, padding, tile, reduceSum,
    reduceL2, batchnorm with instanceNormalization), each built with
    coremltools' NeuralNetworkBuilder and compared with PyTorch's functional
    op: (name, build(builder), torch fn, input shape)."""
    F = torch.nn.functional
    rng = np.random.default_rng(3)
    g, b = (rng.random((4, 5)) + 0.5).astype(np.float32), rng.standard_normal((4, 5)).astype(np.float32)
    gc, bc = (rng.random(3) + 0.5).astype(np.float32), rng.standard_normal(3).astype(np.float32)
    return [
        ("layerNormalization", lambda nb: nb.add_layer_normalization("l", "x", "y", [4, 5], g, b, eps=1e-3),
         lambda x: F.layer_norm(x, [4, 5], torch.from_numpy(g), torch.from_numpy(b), eps=1e-3)),
        ("constantPad", lambda nb: nb.add_constant_pad("l", ["x"], "y", value=0.5, pad_amounts=[0, 1, 2, 0, 1, 1, 0, 3]),
         lambda x: F.pad(x, (0, 3, 1, 1, 2, 0, 0, 1), value=0.5)),
        ("padding reflection", lambda nb: nb.add_padding("l", left=1, right=2, top=0, bottom=3, input_name="x",
                                                         output_name="y", padding_type="reflection"),
         lambda x: F.pad(x, (1, 2, 0, 3), mode="reflect")),
        ("padding replication", lambda nb: nb.add_padding("l", left=2, right=0, top=1, bottom=1, input_name="x",
                                                          output_name="y", padding_type="replication"),
         lambda x: F.pad(x, (2, 0, 1, 1), mode="replicate")),
        ("tile", lambda nb: nb.add_tile("l", "x", "y", reps=[1, 2, 1, 3]), lambda x: x.repeat(1, 2, 1, 3)),
        ("reduceSum", lambda nb: nb.add_reduce_sum("l", "x", "y", axes=[1, 3], keepdims=True),
         lambda x: x.sum(dim=(1, 3), keepdim=True)),
        ("reduceL2", lambda nb: nb.add_reduce_l2("l", "x", "y", axes=[2], keepdims=False),
         lambda x: torch.linalg.vector_norm(x, dim=2)),
        ("batchnorm instanceNormalization", lambda nb: nb.add_batchnorm(
            "l", 3, gc, bc, input_name="x", output_name="y", compute_mean_var=True, instance_normalization=True,
            epsilon=1e-3),
         lambda x: F.instance_norm(x, weight=torch.from_numpy(gc), bias=torch.from_numpy(bc), eps=1e-3)),
    ]


def run_nn_builder_cases():
    """Each nn_builder_cases layer on a [1, 3, 4, 5] input: the interpreter
    on coremltools' spec vs PyTorch, within TOL. Returns (passed, failed)."""
    import coremltools as ct
    from coremltools.models import datatypes
    from coremltools.models.neural_network import NeuralNetworkBuilder
    passed = failed = 0
    x = torch.randn(1, 3, 4, 5, generator=torch.Generator().manual_seed(5))
    for name, build, fn in nn_builder_cases():
        want = fn(x).numpy().astype(np.float64)
        nb = NeuralNetworkBuilder([("x", datatypes.Array(*x.shape))], [("y", None)],
                                  disable_rank5_shape_mapping=True)
        build(nb)
        m = coreml_interp.NNModel(nb.spec, nb.spec.neuralNetwork)
        try:
            got = m.run({"x": x.numpy()})["y"].astype(np.float64)
            err = float(np.abs(got - want).max()) / max(1.0, float(np.abs(want).max())) \
                if got.shape == want.shape else float("inf")
        except Exception as e:  # the interpreter refusing is a failure too
            err = float("nan")
            print(f"  interpreter: {type(e).__name__}: {e}")
        ok = err <= TOL
        passed += ok
        failed += not ok
        print(f"{'NN builder':26} {name:32} {err:10.1e} {'pass' if ok else 'FAIL'}", flush=True)
    del ct
    return passed, failed


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", action="store_true",
                    help="the small single-op modules (small_modules) and NeuralNetworkBuilder layers "
                         "(nn_builder_cases) instead of the zoo")
    ap.add_argument("--models", nargs="*", default=DEFAULT)
    ap.add_argument("--formats", nargs="*", default=["mlprogram", "neuralnetwork", "mlprogram-fp16"],
                    help="mlprogram (fp32), neuralnetwork, mlprogram-fp16 (compute_precision=FLOAT16)")
    args = ap.parse_args(argv)
    src = dict(export_fixtures.ZOO)
    passed = failed = 0
    small = small_modules() if args.small else {}
    if args.small:
        args.models = list(small)
        passed, failed = run_nn_builder_cases()
    rows = []
    kinds = {}
    print(f"{'model':26} {'format':14} {'converted':9} {'err/scale':>10} {'scale':>8} {'ops':>5} result  time")
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models:
            try:
                if name in small:
                    torch.manual_seed(export_fixtures.seed_for(name))
                    model = small[name]
                    x = torch.randn(1, 3, 10, 12, generator=torch.Generator().manual_seed(7))
                else:
                    model, x = export_fixtures.zoo_model(name, src.get(name, "timm"))
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
