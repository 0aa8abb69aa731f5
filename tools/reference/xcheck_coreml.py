"""Cross-check mconv's Core ML output with coremltools (Apple's own Python
package, pinned in requirements.txt).

Makes Core ML files with mconv, then:
  * every .mlpackage loads with coremltools.models.MLModel(path) (spec only:
    Linux has no Core ML runtime) and its ML program is rebuilt op by op with
    coremltools' milproto loader, which runs MIL type inference and checks
    each op's declared output type against it;
  * every .mlmodel loads with coremltools.models.utils.load_spec and is a
    specification-version-4 NeuralNetwork whose layers carry consistent
    weight counts.
The files come from `go test ./coreml` with MCONV_COREML_OUT set (hand-built
models covering every mapped op; every golden fixture after mconv's passes;
with MCONV_FULL_MODELS set, the full-size models after the passes; with
MCONV_ZOO set, by hand, every file of the benchmark zoo after the passes:
216 files, a few GB in the temporary folder) and from
`mconv to-coreml` on every golden fixture file as exported (train and deploy
form, fp32 and fp16, both formats) and on the normalization / padding
fixtures of coreml/testdata/normpad.
Prints 'N passed, N failed'; exits non-zero on any failure.
"""
import glob
import os
import subprocess
import sys
import tempfile
import traceback

import coremltools as ct
from coremltools.converters.mil.frontend.milproto.load import load as milproto_load

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
passed = failed = 0


def image_like(path):
    """Whether the model's single input is an image tensor [N,3,H,W]."""
    import onnx
    m = onnx.load(path, load_external_data=False)
    inits = {i.name for i in m.graph.initializer}
    feeds = [i for i in m.graph.input if i.name not in inits]
    if len(feeds) != 1:
        return False
    dims = feeds[0].type.tensor_type.shape.dim
    return len(dims) == 4 and dims[1].HasField("dim_value") and dims[1].dim_value == 3


def result(ok, what, why=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL", what, why)


def check_package(path):
    m = ct.models.MLModel(path, skip_model_load=True)
    spec = m.get_spec()
    assert spec.WhichOneof("Type") == "mlProgram", "not an ML program"
    weights = os.path.join(path, "Data", "com.apple.CoreML", "weights")
    prog = milproto_load(spec, spec.specificationVersion, weights)
    fn = prog.functions["main"]
    names = [o.name for o in fn.outputs]
    want = [o.name for o in spec.description.output]
    assert names == want, f"outputs {names} != description {want}"
    return sum(1 for op in fn.operations if op.op_type == "conv")


def check_mlmodel(path):
    spec = ct.models.utils.load_spec(path)
    # 4 (iOS13); 5 (iOS14) when a bilinear upsample uses linearUpsampleMode
    ups = [ly.upsample for ly in spec.neuralNetwork.layers if ly.WhichOneof("layer") == "upsample"]
    want = 5 if any(u.mode == 1 and (u.linearUpsampleMode or len(u.fractionalScalingFactor)) for u in ups) else 4
    assert spec.specificationVersion == want, (spec.specificationVersion, want)
    assert spec.WhichOneof("Type") == "neuralNetwork"
    nn = spec.neuralNetwork
    blobs = {i.name for i in spec.description.input}
    for layer in nn.layers:
        for i in layer.input:
            assert i in blobs, f"layer {layer.name} reads undefined blob {i}"
        blobs.update(layer.output)
        kind = layer.WhichOneof("layer")
        if kind == "convolution":
            c = layer.convolution
            n = c.outputChannels * c.kernelChannels * c.kernelSize[0] * c.kernelSize[1]
            w = c.weights
            got = len(w.floatValue) if len(w.floatValue) else len(w.float16Value) // 2
            assert got == n, f"conv {layer.name}: {got} weights, want {n}"
            assert c.WhichOneof("ConvolutionPaddingType") is not None, f"conv {layer.name} has no padding type"
            if c.hasBias:
                b = c.bias
                assert (len(b.floatValue) > 0) == (len(w.floatValue) > 0), f"conv {layer.name}: mixed fp16/fp32"
                nb = len(b.floatValue) if len(b.floatValue) else len(b.float16Value) // 2
                assert nb == c.outputChannels, f"conv {layer.name}: bias {nb}"
        if kind == "pooling":
            assert layer.pooling.WhichOneof("PoolingPaddingType") is not None, f"pool {layer.name} has no padding type"
        if kind == "innerProduct":
            ip = layer.innerProduct
            w = ip.weights
            got = len(w.floatValue) if len(w.floatValue) else len(w.float16Value) // 2
            assert got == ip.inputChannels * ip.outputChannels, f"innerProduct {layer.name}: {got} weights"
    for o in spec.description.output:
        assert o.name in blobs, f"output {o.name} not produced"


IMAGENET_MEAN = (0.485, 0.456, 0.406)


def check_image_input(path):
    """A to-coreml --image-input rgb --preprocess imagenet file: the input is
    an RGB image; a NeuralNetwork's scaler is 1/255 with bias -mean (the
    per-channel 1/std is a layer of the network), an ML Program's scaling is
    in its ops (type-checked by check_package)."""
    if path.endswith(".mlpackage"):
        spec = ct.models.MLModel(path, skip_model_load=True).get_spec()
    else:
        spec = ct.models.utils.load_spec(path)
    t = spec.description.input[0].type
    assert t.WhichOneof("Type") == "imageType", f"input is {t.WhichOneof('Type')}"
    assert t.imageType.colorSpace == ct.proto.FeatureTypes_pb2.ImageFeatureType.RGB, "not RGB"
    if path.endswith(".mlmodel"):
        pp = spec.neuralNetwork.preprocessing
        assert len(pp) == 1, f"{len(pp)} preprocessing entries"
        sc = pp[0].scaler
        assert abs(sc.channelScale - 1 / 255) < 1e-9, sc.channelScale
        for got, m in zip((sc.redBias, sc.greenBias, sc.blueBias), IMAGENET_MEAN):
            assert abs(got + m) < 1e-6, (got, m)


def main():
    out = tempfile.mkdtemp(prefix="mconv-coreml-")
    env = dict(os.environ, MCONV_COREML_OUT=out)
    # Zoo models, fused golden fixtures, and (with MCONV_FULL_MODELS) the
    # fused full-size models.
    subprocess.run(["go", "test", "./coreml", "-run", "TestWriteZoo|TestGoldenRoundTrip|TestFullModelsRoundTrip|TestZooRoundTrip$|TestFeatureNames|TestInputAlsoOutput", "-count=1", "-timeout", "30m"],
                   cwd=ROOT, env=env, check=True)
    golden = sorted(glob.glob(os.path.join(ROOT, "testdata", "golden", "*", "*", "*.onnx")))
    # the normalization / padding fixtures (export_coreml_fixtures.py)
    normpad = os.path.join(ROOT, "coreml", "testdata", "normpad")
    golden += sorted(glob.glob(os.path.join(normpad, "*", "*", "model.onnx")) +
                     glob.glob(os.path.join(normpad, "*", "model.onnx")))
    if golden:
        exe = os.path.join(out, "mconv")
        subprocess.run(["go", "build", "-o", exe, "./cmd/mconv"], cwd=ROOT, check=True)
        for g in golden:
            rel = os.path.relpath(g, os.path.join(ROOT, "testdata", "golden") if not g.startswith(normpad) else
                                  os.path.join(ROOT, "coreml", "testdata"))
            base = os.path.join(out, rel.replace(os.sep, "_")[:-5])
            variants = [([], "_fp32.mlpackage"), (["--fp16"], "_fp16.mlpackage"), ([], "_fp32.mlmodel"), (["--fp16"], "_fp16.mlmodel")]
            if g.endswith("deploy.onnx") and image_like(g):
                # mconv run --image's normalisation inside the Core ML model
                img = ["--image-input", "rgb", "--preprocess", "imagenet"]
                variants += [(img, "_img.mlpackage"), (img, "_img.mlmodel")]
            for args, suffix in variants:
                r = subprocess.run([exe, "to-coreml", g, "-o", base + suffix] + args, capture_output=True, text=True)
                result(r.returncode == 0, f"mconv to-coreml {rel} {suffix}", r.stderr.strip())
    else:
        print("note: no testdata/golden fixtures in this checkout; checking the zoo models only")
    for p in sorted(glob.glob(os.path.join(out, "*.mlpackage"))):
        try:
            check_package(p)
            result(True, p)
        except Exception as e:
            result(False, p, f"{type(e).__name__}: {e}")
    for p in sorted(glob.glob(os.path.join(out, "*.mlmodel"))):
        try:
            check_mlmodel(p)
            result(True, p)
        except Exception as e:
            result(False, p, f"{type(e).__name__}: {e}")
    for p in sorted(glob.glob(os.path.join(out, "*_img.ml*"))):
        try:
            check_image_input(p)
            result(True, p + " (image input)")
        except Exception as e:
            result(False, p + " (image input)", f"{type(e).__name__}: {e}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
