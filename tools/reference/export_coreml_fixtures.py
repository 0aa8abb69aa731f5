"""Small ONNX fixtures for mconv's Core ML normalization and padding
lowerings (coreml/testdata/normpad): LayerNorm (channels-last as timm's
LayerNorm2d, and without bias), GroupNorm with 1 group (MobileViTv2, SHViT)
and 4 groups, InstanceNorm 2-D and 1-D, F.pad in reflect, replicate and
constant mode with a negative (cropping) pad, and F.normalize with a
broadcast sum (ReduceL2, ReduceSum, Expand). Each is exported by both
exporters (TorchScript opset 17 without constant folding: the pads of
F.pad stay Shape/Slice/Concat chains; dynamo opset 18) with PyTorch's
output as test_data_set_0, after checking that ONNX Runtime agrees with
PyTorch. Needs the export venv (torch):

    tools/reference/.venv/export/bin/python tools/reference/export_coreml_fixtures.py
"""
import json
import os
import shutil
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import export_fixtures as ef  # noqa: E402

OUT = os.path.join(HERE, "..", "..", "coreml", "testdata", "normpad")


def _affine(m):
    """Non-trivial weights and biases for a norm layer (PyTorch starts at 1
    and 0)."""
    with torch.no_grad():
        if getattr(m, "weight", None) is not None:
            m.weight.uniform_(0.5, 1.5)
        if getattr(m, "bias", None) is not None:
            m.bias.normal_(0, 0.3)
    return m


class Norms(nn.Module):
    """conv, LayerNorm over channels (permute, as timm LayerNorm2d),
    GroupNorm(1, C), GroupNorm(4, C), InstanceNorm2d(affine), InstanceNorm1d
    on [N, C, H*W], LayerNorm over W without bias; each stage's input is
    multiplied by the conv output, the result sums every stage."""

    def __init__(self, c=8, w=12):
        super().__init__()
        self.conv = nn.Conv2d(3, c, 3, padding=1)
        self.ln = _affine(nn.LayerNorm(c, eps=1e-6))
        self.gn1 = _affine(nn.GroupNorm(1, c))
        self.gn4 = _affine(nn.GroupNorm(4, c, eps=1e-3))
        self.in2 = _affine(nn.InstanceNorm2d(c, affine=True))
        self.in1 = _affine(nn.InstanceNorm1d(c, affine=True))
        self.ln_nb = _affine(nn.LayerNorm(w, bias=False))

    def forward(self, x):
        x = self.conv(x) * 3
        a = self.ln(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        b = self.gn1(a * x) * 1.5
        c = self.gn4(b * x) + 0.25
        d = self.in2(c * x)
        n, ch, h, w = x.shape
        e = self.in1((d * x).reshape(n, ch, h * w)).reshape(n, ch, h, w)
        f = self.ln_nb(e * x)
        # every stage's output counts in the result (a later norm would
        # cancel a per-channel scale error of an earlier one)
        return a + b + c + d + e + f


class Pads(nn.Module):
    """F.pad: reflect, replicate, constant 0.5, and constant with negative
    amounts (a crop), between convolutions."""

    def __init__(self, c=8):
        super().__init__()
        self.conv = nn.Conv2d(3, c, 3, padding=1)
        self.conv2 = nn.Conv2d(c, c, 3)

    def forward(self, x):
        x = self.conv(x)
        x = F.pad(x, (1, 2, 0, 1), mode="reflect")
        x = F.pad(x, (2, 1, 1, 3), mode="replicate")
        x = F.pad(x, (0, 1, 1, 0), value=0.5)
        x = self.conv2(x)
        return F.pad(x, (-1, 0, 2, -3))


class L2Normalize(nn.Module):
    """F.normalize over channels (ReduceL2, Clip, Expand, Div) after a conv,
    and a sum over the last axis broadcast back (ReduceSum, Expand)."""

    def __init__(self, c=8):
        super().__init__()
        self.conv = nn.Conv2d(3, c, 3, padding=1)

    def forward(self, x):
        x = self.conv(x)
        y = F.normalize(x, dim=1) * 2
        return y + x.sum(dim=-1, keepdim=True).expand_as(x)


FIXTURES = {
    "norms": (Norms, (1, 3, 10, 12)),
    "pads": (Pads, (1, 3, 10, 12)),
    "l2normalize": (L2Normalize, (1, 3, 10, 12)),
}


def onnx_graph(nodes, x_shape, inits, opset):
    """A one-input model of NODES (input x, output y) with initializers."""
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                          [numpy_helper.from_array(v, k) for k, v in inits.items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 10
    return m


def onnx_fixtures(rng):
    """ONNX graphs PyTorch does not export (GroupNormalization in both
    opsets' scale forms, LayerNormalization with broadcast parameters,
    Pad with axes, edge mode and channel padding): expected outputs from
    ONNX Runtime. name -> (model, x)."""
    f32 = lambda *s: rng.standard_normal(s).astype(np.float32)  # noqa: E731
    pos = lambda *s: (rng.random(s) + 0.5).astype(np.float32)  # noqa: E731
    out = {}
    x = f32(1, 6, 4, 5)
    out["groupnorm18"] = (onnx_graph([helper.make_node("GroupNormalization", ["x", "s", "b"], ["y"], num_groups=3,
                                                       epsilon=1e-4)], x.shape, {"s": pos(3), "b": f32(3)}, 18), x)
    out["groupnorm21"] = (onnx_graph([helper.make_node("GroupNormalization", ["x", "s", "b"], ["y"], num_groups=2)],
                                     x.shape, {"s": pos(6), "b": f32(6)}, 21), x)
    x3 = f32(2, 3, 4, 5)
    out["layernorm_axis2_bcast"] = (onnx_graph(
        [helper.make_node("LayerNormalization", ["x", "s", "b"], ["y"], axis=2, epsilon=1e-3)], x3.shape,
        {"s": pos(1, 5), "b": f32(4, 1)}, 17), x3)
    out["pad_edge_axes"] = (onnx_graph(
        [helper.make_node("Pad", ["x", "p", "", "a"], ["y"], mode="edge")], x.shape,
        {"p": np.array([3, 1, 0, 2], np.int64), "a": np.array([-1, 2], np.int64)}, 18), x)
    out["pad_channels"] = (onnx_graph(
        [helper.make_node("Pad", ["x", "p", "c"], ["y"], mode="constant")], x.shape,
        {"p": np.array([0, 2, -1, 1, 0, -1, 0, 0], np.int64), "c": np.array(-0.75, np.float32)}, 13), x)
    out["lpnorm_axis1"] = (onnx_graph([helper.make_node("LpNormalization", ["x"], ["y"], axis=1, p=2)], x.shape, {}, 17),
                           x)
    return out


def main():
    torch.set_num_threads(1)
    failed = 0
    for name, (mk, shape) in FIXTURES.items():
        torch.manual_seed(ef.seed_for(name))
        gen = torch.Generator().manual_seed(ef.seed_for(name))
        model = mk().eval()
        x = torch.randn(shape, generator=gen)
        with torch.no_grad():
            y = model(x).numpy()
        for exp in ("torchscript", "dynamo"):
            proto = ef.export(model, x, exp)
            onnx.checker.check_model(proto)
            got = ef.ort_run(proto, x.numpy())[0]
            ok, err, scale = ef.close(got, y, ef.RTOL)
            hist = ef.op_histogram(proto)
            print(f"{'ok  ' if ok else 'FAIL'} {name}/{exp}: ort vs torch {err:.1e} (scale {scale:.1e}); {hist}")
            if not ok:
                failed += 1
                continue
            d = os.path.join(OUT, name, exp)
            if os.path.isdir(d):
                shutil.rmtree(d)
            os.makedirs(d)
            onnx.save(proto, os.path.join(d, "model.onnx"))
            ef.write_set(os.path.join(d, "test_data_set_0"), proto.graph.input[0].name, x.numpy(),
                         [o.name for o in proto.graph.output], [y])
            with open(os.path.join(d, "meta.json"), "w") as f:
                json.dump({"name": name, "exporter": exp, "description": mk.__doc__.split("\n\n")[0].strip(),
                           "input_shape": list(shape), "op_histogram": hist, "seed": ef.seed_for(name),
                           "versions": ef.versions(), "ort_vs_torch_max_abs": float(f"{err:.1e}")}, f, indent=1,
                          sort_keys=True)
                f.write("\n")
    rng = np.random.default_rng(20261202)
    for name, (proto, x) in onnx_fixtures(rng).items():
        y = ef.ort_run(proto, x)[0]
        proto.graph.output[0].CopyFrom(helper.make_tensor_value_info("y", TensorProto.FLOAT, y.shape))
        try:
            onnx.checker.check_model(proto)
        except onnx.checker.ValidationError as e:
            if "deprecated" not in str(e):  # GroupNormalization-18 is deprecated, and still run by ORT
                raise
        d = os.path.join(OUT, "onnx_" + name)
        if os.path.isdir(d):
            shutil.rmtree(d)
        os.makedirs(d)
        onnx.save(proto, os.path.join(d, "model.onnx"))
        ef.write_set(os.path.join(d, "test_data_set_0"), "x", x, ["y"], [y])
        print(f"ok   onnx_{name}: {ef.op_histogram(proto)}, output {list(y.shape)} from ONNX Runtime")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
