"""Compare mconv's Core ML conversion with coremltools' own PyTorch -> ML
Program conversion, one model per family (run by hand; needs torch, timm,
torchvision and coremltools==9.0 in one environment, see requirements-export.txt
plus coremltools):

    python tools/reference/compare_coreml_torch.py [--out DIR]

For each model: timm (torchvision for ShuffleNetV2) with random weights is
exported to ONNX in its training form (TorchScript exporter, opset 17, every
BatchNorm kept) together with a data set computed by PyTorch; then
`go test ./coreml -run TestFullModelsRoundTrip` runs mconv's passes on it,
converts it to ML Program and NeuralNetwork (fp32/fp16), checks the Go
round trip against PyTorch's output and writes the .mlpackage files.
Separately, the reparameterized PyTorch model (timm.utils.reparameterize_model,
then every Conv2d+BatchNorm2d folded by coremltools' own passes) is traced and
converted by coremltools.convert(convert_to="mlprogram", iOS15).
Both programs are loaded with the milproto loader and compared: number of
conv ops and the shape of every conv weight (as a sorted multiset and in
program order). Prints one line per model and 'N passed, N failed'.
"""
import argparse
import collections
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import torch
import timm
import torchvision
from onnx import numpy_helper
from timm.utils.model import reparameterize_model

import coremltools as ct
from coremltools.converters.mil.frontend.milproto.load import load as milproto_load

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
MODELS = {
    "mobilenetv2": "mobilenetv2_100",
    "mobilenetv3": "mobilenetv3_large_100",
    "repvgg": "repvgg_a0",
    "mobileone": "mobileone_s0",
    "repvit": "repvit_m0_9",
    "fastvit": "fastvit_t8",
    "shufflenetv2": "torchvision:shufflenet_v2_x1_0",
}


def make(name):
    if name.startswith("torchvision:"):
        return getattr(torchvision.models, name.split(":")[1])(weights=None).eval()
    return timm.create_model(name, pretrained=False).eval()


def conv_shapes(prog):
    fn = prog.functions["main"]
    out = []

    def walk(block):
        for op in block.operations:
            if op.op_type == "conv":
                out.append(tuple(int(d) for d in op.weight.shape))
            for b in op.blocks:
                walk(b)

    walk(fn)
    return out


def load_program(path):
    spec = ct.utils.load_spec(path)
    return milproto_load(spec, spec.specificationVersion, os.path.join(path, "Data", "com.apple.CoreML", "weights"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=None, help="work folder (default: a temporary one)")
    args = ap.parse_args()
    work = args.out or tempfile.mkdtemp(prefix="mconv-coreml-torch-")
    onnx_dir, ml_dir = os.path.join(work, "onnx"), os.path.join(work, "coreml")
    os.makedirs(onnx_dir, exist_ok=True)
    os.makedirs(ml_dir, exist_ok=True)
    torch.manual_seed(0)
    x = torch.randn(1, 3, 224, 224)
    theirs = {}
    for fam, name in MODELS.items():
        d = os.path.join(onnx_dir, fam)
        path = os.path.join(ml_dir, "coremltools_" + fam + ".mlpackage")
        if os.path.exists(os.path.join(d, "train.onnx")) and os.path.exists(path):
            theirs[fam] = conv_shapes(load_program(path))  # reuse a previous run in --out
            continue
        m = make(name)
        with torch.no_grad():
            y = m(x).numpy()
        os.makedirs(os.path.join(d, "train_data_set_0"), exist_ok=True)
        torch.onnx.export(m, (x,), os.path.join(d, "train.onnx"), dynamo=False, opset_version=17,
                          do_constant_folding=False, input_names=["input"], output_names=["output"])
        onnx.save_tensor(numpy_helper.from_array(x.numpy(), "input"), os.path.join(d, "train_data_set_0", "input_0.pb"))
        onnx.save_tensor(numpy_helper.from_array(y, "output"), os.path.join(d, "train_data_set_0", "output_0.pb"))
        dep = reparameterize_model(m).eval() if not name.startswith("torchvision:") else m
        errors = []
        # coremltools' TorchScript frontend first; its torch.export frontend
        # when that fails (torch 2.15 is newer than coremltools 9.0 tests).
        for how in ("jit.trace", "torch.export"):
            try:
                if how == "jit.trace":
                    src = torch.jit.trace(dep, x)
                    inputs = [ct.TensorType(name="input", shape=x.shape)]
                else:
                    src = torch.export.export(dep, (x,)).run_decompositions({})
                    inputs = None
                mlm = ct.convert(src, inputs=inputs, convert_to="mlprogram", minimum_deployment_target=ct.target.iOS15,
                                 compute_precision=ct.precision.FLOAT32, skip_model_load=True)
                mlm.save(path)
                theirs[fam] = conv_shapes(load_program(path))
                break
            except Exception as e:  # coremltools failing is reported, not counted against mconv
                errors.append(f"{how}: {type(e).__name__}: {(str(e).splitlines() or [''])[0][:160]}")
        else:
            theirs[fam] = "; ".join(errors)
    env = dict(os.environ, MCONV_FULL_MODELS=onnx_dir, MCONV_COREML_OUT=ml_dir)
    r = subprocess.run(["go", "test", "./coreml", "-run", "TestFullModelsRoundTrip", "-count=1", "-v", "-timeout", "30m"],
                       cwd=ROOT, env=env, capture_output=True, text=True)
    print(r.stdout[-4000:])
    passed = failed = 0
    if r.returncode != 0:
        print("FAIL go round trip against PyTorch\n" + r.stderr[-2000:])
        failed += 1
    for fam in MODELS:
        path = os.path.join(ml_dir, f"full_{fam}_train_fused_fp32.mlpackage")
        try:
            ours = conv_shapes(load_program(path))
        except Exception as e:
            print(f"FAIL {fam}: loading mconv's package: {e}")
            failed += 1
            continue
        t = theirs[fam]
        if isinstance(t, str):
            print(f"{fam}: mconv {len(ours)} conv ops; coremltools could not convert the PyTorch model ({t}): not compared")
            continue
        same_multiset = collections.Counter(ours) == collections.Counter(t)
        same_order = ours == t
        line = f"{fam}: conv ops mconv {len(ours)}, coremltools {len(t)}; weight shapes " + \
            ("identical in order" if same_order else "same multiset, different order" if same_multiset else "DIFFER")
        if not same_multiset:
            diff = (collections.Counter(ours) - collections.Counter(t), collections.Counter(t) - collections.Counter(ours))
            line += f" (only mconv: {dict(diff[0])}; only coremltools: {dict(diff[1])})"
        print(line)
        if len(ours) == len(t) and same_multiset:
            passed += 1
        else:
            failed += 1
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
