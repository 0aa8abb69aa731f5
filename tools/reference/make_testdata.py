#!/usr/bin/env python3
"""Make testdata/repvgg_mobileone_tiny.onnx: a tiny training-form
RepVGG/MobileOne-style network (multi-branch Conv+BatchNorm blocks, 8
channels) built from plain torch.nn modules, exported the way PyTorch users
do it: TorchScript exporter, opset 17, do_constant_folding=False, eval mode.

Usage: python make_testdata.py OUT.onnx   (needs torch; see README)
"""
import sys

import torch
import torch.nn as nn


def conv_bn(cin, cout, k, stride=1, groups=1):
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
    )


class RepVGGBlock(nn.Module):
    """3x3 conv-BN + 1x1 conv-BN (+ identity BN when shapes allow), ReLU."""

    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.dense = conv_bn(cin, cout, 3, stride)
        self.one = conv_bn(cin, cout, 1, stride)
        self.identity = nn.BatchNorm2d(cout) if cin == cout and stride == 1 else None
        self.act = nn.ReLU()

    def forward(self, x):
        y = self.dense(x) + self.one(x)
        if self.identity is not None:
            y = y + self.identity(x)
        return self.act(y)


class MobileOneBlock(nn.Module):
    """MobileOne: k over-parameterized depthwise 3x3 conv-BN branches + a 1x1
    depthwise scale branch + identity BN, ReLU; then k pointwise 1x1 conv-BN
    branches + identity BN, ReLU."""

    def __init__(self, c, k=2):
        super().__init__()
        self.dw = nn.ModuleList([conv_bn(c, c, 3, groups=c) for _ in range(k)])
        self.dw_scale = conv_bn(c, c, 1, groups=c)
        self.dw_id = nn.BatchNorm2d(c)
        self.pw = nn.ModuleList([conv_bn(c, c, 1) for _ in range(k)])
        self.pw_id = nn.BatchNorm2d(c)
        self.act = nn.ReLU()

    def forward(self, x):
        y = self.dw_scale(x) + self.dw_id(x)
        for b in self.dw:
            y = y + b(x)
        x = self.act(y)
        y = self.pw_id(x)
        for b in self.pw:
            y = y + b(x)
        return self.act(y)


class Tiny(nn.Module):
    def __init__(self, c=8, classes=10):
        super().__init__()
        self.stem = RepVGGBlock(3, c, stride=2)
        self.stage = RepVGGBlock(c, c)
        self.mobileone = MobileOneBlock(c)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c, classes)

    def forward(self, x):
        x = self.mobileone(self.stage(self.stem(x)))
        return self.fc(torch.flatten(self.pool(x), 1))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "repvgg_mobileone_tiny.onnx"
    torch.manual_seed(0)
    m = Tiny().eval()
    # Non-trivial BatchNorm statistics, as after training.
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, nn.BatchNorm2d):
                mod.running_mean.uniform_(-0.5, 0.5)
                mod.running_var.uniform_(0.5, 1.5)
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.2, 0.2)
    x = torch.randn(1, 3, 32, 32)
    kwargs = dict(opset_version=17, do_constant_folding=False, input_names=["input"], output_names=["logits"],
                  dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    try:
        torch.onnx.export(m, (x,), out, dynamo=False, **kwargs)
    except TypeError:  # older torch without the dynamo switch
        torch.onnx.export(m, (x,), out, **kwargs)


if __name__ == "__main__":
    main()
