#!/usr/bin/env python3
"""Export mconv's golden fixtures: small training-form networks built from
timm's own block classes, as PyTorch's two ONNX exporters emit them.

    python tools/reference/export_fixtures.py            # regenerate testdata/golden
    python tools/reference/export_fixtures.py --only repvgg_ident
    python tools/reference/export_fixtures.py --list
    python tools/reference/export_fixtures.py --full     # full-size models into .cache/full
    python tools/reference/export_fixtures.py --zoo      # the benchmark zoo into .cache/zoo (both exporters)

Layout written for every fixture NAME and exporter EXP (torchscript | dynamo):

    testdata/golden/NAME/EXP/model.onnx                  training form (every BN kept)
    testdata/golden/NAME/EXP/test_data_set_0/input_0.pb  input (TensorProto named after the graph input)
    testdata/golden/NAME/EXP/test_data_set_0/output_0.pb PyTorch output of the training form
    testdata/golden/NAME/EXP/deploy.onnx                 same network after reparameterization + conv-BN folding
    testdata/golden/NAME/EXP/deploy_data_set_0/input_0.pb  the same input values
    testdata/golden/NAME/EXP/deploy_data_set_0/output_0.pb PyTorch output of the deploy form
    testdata/golden/NAME/EXP/meta.json                   versions, blocks, exporter, opset, op histograms

model.onnx + test_data_set_0 is the standard ONNX backend-test layout; the
deploy pair uses deploy_data_set_0 so the two never mix. meta.json says which
data set belongs to which model ("files").

Before anything is written, ONNX Runtime must reproduce the PyTorch output of
every exported file (max |ort - torch| <= 1e-4 * max|torch| + 1e-6) and the
deploy form must match the training form in PyTorch; otherwise the script
fails loudly and writes nothing for that fixture.

Determinism: every fixture seeds torch from its own name (crc32), so the same
code and versions give the same bytes. The dynamo exporter's per-node
"pkg.torch.onnx.stack_trace" metadata (absolute paths of the Python install)
is removed; everything else is the exporter's output unchanged.

TorchScript exporter: opset 17, do_constant_folding=False (BN nodes kept).
Dynamo exporter: opset 18, optimize=False (BN nodes kept).
"""
import argparse
import contextlib
import copy
import io
import json
import os
import shutil
import sys
import tempfile
import warnings
import zlib
from collections import Counter
from functools import partial

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper

import timm
from timm.layers import ConvNormAct, get_attn
from timm.layers.norm_act import BatchNormAct2d
from timm.models import byobnet, efficientnet, fastvit, repvit
from timm.models._efficientnet_blocks import InvertedResidual, SqueezeExcite
from timm.models._efficientnet_builder import decode_arch_def, round_channels
from timm.utils import reparameterize_model

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DEFAULT_OUT = os.path.join(REPO, "testdata", "golden")
DEFAULT_FULL_OUT = os.path.join(REPO, ".cache", "full")
DEFAULT_ZOO_OUT = os.path.join(REPO, ".cache", "zoo")

RTOL = 1e-4  # ORT vs PyTorch, relative to the largest magnitude of the output
ATOL = 1e-6
DEPLOY_RTOL = 1e-4  # deploy vs training form in PyTorch, same scale rule

EXPORTERS = {
    "torchscript": dict(opset=17, options="torch.onnx.export(dynamo=False, opset_version=17, do_constant_folding=False)"),
    "dynamo": dict(opset=18, options="torch.onnx.export(dynamo=True, opset_version=18, optimize=False)"),
}


# ---------------------------------------------------------------------------
# Networks built from timm's blocks (and plain torch where timm has none)
# ---------------------------------------------------------------------------

def mobileone_dw(c, stride, se=False, branches=4):
    layers = byobnet.LayerFn(attn=get_attn("se")) if se else None
    return byobnet.MobileOneBlock(c, c, kernel_size=3, stride=stride, group_size=1,
                                  num_conv_branches=branches, layers=layers)


def mobileone_pw(cin, cout, se=False, branches=4):
    layers = byobnet.LayerFn(attn=get_attn("se")) if se else None
    return byobnet.MobileOneBlock(cin, cout, kernel_size=1, stride=1, group_size=0,
                                  num_conv_branches=branches, layers=layers)


def mobileone_net():
    cfg = byobnet.ByoModelCfg(
        blocks=byobnet._mobileone_bcfg(d=(1, 2, 1), wf=(0.25, 0.25, 0.25), se_blocks=(0, 0, 1), num_conv_branches=4),
        stem_type="one", stem_chs=16)
    return byobnet.ByobNet(cfg, num_classes=10)


def repvgg_net():
    cfg = byobnet.ByoModelCfg(
        blocks=byobnet._rep_vgg_bcfg(d=(1, 2, 2), wf=(0.25, 0.25, 0.25), groups=2),
        stem_type="rep", stem_chs=16)
    return byobnet.ByobNet(cfg, num_classes=10)


class RepVitHead(nn.Module):
    """RepVit.forward_head: mean over H,W, then the distillation classifier
    (two NormLinear heads averaged)."""

    def __init__(self, c, classes):
        super().__init__()
        self.head = repvit.RepVitClassifier(c, classes, distillation=True)

    def forward(self, x):
        return self.head(x.mean((2, 3)))


def repvit_net():
    return repvit.RepVit(img_size=64, embed_dim=(16, 32), depth=(2, 2), mlp_ratio=2, num_classes=10,
                         distillation=True)


def fastvit_net():
    return fastvit.FastVit(layers=(1, 1), embed_dims=(16, 32), mlp_ratios=(2, 2),
                           token_mixers=("repmixer", "repmixer"), downsamples=(False, True), num_classes=10)


def mnv3_se():
    # timm's MobileNetV3 SE: ReLU inside, hard-sigmoid gate, channels rounded to 8.
    return partial(SqueezeExcite, gate_layer="hard_sigmoid", force_act_layer=nn.ReLU, rd_round_fn=round_channels)


def mnv3_ir(cin, cout, k, stride, exp, se=True, act=nn.Hardswish):
    return InvertedResidual(cin, cout, dw_kernel_size=k, stride=stride, exp_ratio=exp, act_layer=act,
                            se_layer=mnv3_se() if se else None)


class MobileNetV3Small(nn.Module):
    """A MobileNetV3-shaped network from timm's blocks; the head flattens with
    x.view(x.size(0), -1) as many user models and the torchvision one do."""

    def __init__(self, classes=10):
        super().__init__()
        self.stem = ConvNormAct(3, 16, 3, stride=2, act_layer=nn.Hardswish)
        self.blocks = nn.Sequential(
            mnv3_ir(16, 16, 3, 2, 1, se=True, act=nn.ReLU),
            mnv3_ir(16, 24, 3, 2, 4, se=False, act=nn.ReLU),
            mnv3_ir(24, 24, 3, 1, 3, se=False, act=nn.ReLU),
            mnv3_ir(24, 40, 5, 2, 4, se=True),
            mnv3_ir(40, 40, 5, 1, 3, se=True),
        )
        self.conv = ConvNormAct(40, 96, 1, act_layer=nn.Hardswish)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.conv_head = nn.Conv2d(96, 128, 1)
        self.act = nn.Hardswish()
        self.classifier = nn.Linear(128, 10)

    def forward(self, x):
        x = self.conv(self.blocks(self.stem(x)))
        x = self.act(self.conv_head(self.pool(x)))
        x = x.view(x.size(0), -1)
        return self.classifier(x)


class MNV3Head(nn.Module):
    """MobileNetV3 head alone: pool, 1x1 conv, HardSwish, view-flatten, Linear."""

    def __init__(self, c=40, hidden=64, classes=10):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.conv_head = nn.Conv2d(c, hidden, 1)
        self.act = nn.Hardswish()
        self.classifier = nn.Linear(hidden, classes)

    def forward(self, x):
        x = self.act(self.conv_head(self.pool(x)))
        x = x.view(x.size(0), -1)
        return self.classifier(x)


def efficientnet_net():
    """A small EfficientNet from timm's own EfficientNet class and block
    decoder: SiLU everywhere (exported as Sigmoid + Mul), depthwise-separable
    and inverted-residual blocks with SE (SiLU inside, sigmoid gate), pooled
    head. Same block kinds as efficientnet_b0, narrower and shallower."""
    arch_def = [
        ["ds_r1_k3_s1_e1_c16_se0.25"],
        ["ir_r2_k3_s2_e6_c24_se0.25"],
        ["ir_r1_k5_s2_e6_c40_se0.25"],
    ]
    return efficientnet.EfficientNet(block_args=decode_arch_def(arch_def), num_classes=10, stem_size=16,
                                     num_features=128, act_layer=nn.SiLU)


def conv_bn(cin, cout, k, stride=1, groups=1, pad=None):
    if pad is None:
        pad = k // 2 if isinstance(k, int) else (k[0] // 2, k[1] // 2)
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, pad, groups=groups, bias=False), nn.BatchNorm2d(cout))


def channel_shuffle(x, groups):
    # torchvision / ShuffleNetV2 formulation: view -> transpose -> view.
    n, c, h, w = x.size()
    x = x.view(n, groups, c // groups, h, w)
    x = torch.transpose(x, 1, 2).contiguous()
    return x.view(n, -1, h, w)


class ShuffleUnit(nn.Module):
    """ShuffleNetV2 unit (torchvision's InvertedResidual), plain torch ops:
    stride 1 splits channels (chunk) and concatenates, stride 2 runs two
    branches; both end with a channel shuffle of 2 groups."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.stride = stride
        bf = cout // 2
        if stride > 1:
            self.branch1 = nn.Sequential(conv_bn(cin, cin, 3, stride, groups=cin), conv_bn(cin, bf, 1), nn.ReLU())
        else:
            self.branch1 = nn.Sequential()
        b2in = cin if stride > 1 else bf
        self.branch2 = nn.Sequential(conv_bn(b2in, bf, 1), nn.ReLU(), conv_bn(bf, bf, 3, stride, groups=bf),
                                     conv_bn(bf, bf, 1), nn.ReLU())

    def forward(self, x):
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = torch.cat((x1, self.branch2(x2)), dim=1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2)


class ShuffleNetSmall(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = nn.Sequential(conv_bn(3, 16, 3, 2), nn.ReLU())
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.stages = nn.Sequential(ShuffleUnit(16, 32, 2), ShuffleUnit(32, 32, 1), ShuffleUnit(32, 64, 2),
                                    ShuffleUnit(64, 64, 1))
        self.conv5 = nn.Sequential(conv_bn(64, 128, 1), nn.ReLU())
        self.fc = nn.Linear(128, classes)

    def forward(self, x):
        x = self.conv5(self.stages(self.maxpool(self.conv1(x))))
        x = x.mean([2, 3])
        return self.fc(x)


class ACBlock(nn.Module):
    """ACNet asymmetric convolution block: 3x3-BN + 1x3-BN + 3x1-BN summed,
    then ReLU. reparameterize() folds the 1x3 and 3x1 kernels into the
    centre row / column of the 3x3 one."""

    def __init__(self, cin, cout, stride=1, act=True):
        super().__init__()
        self.square = conv_bn(cin, cout, 3, stride)
        self.hor = conv_bn(cin, cout, (1, 3), stride, pad=(0, 1))
        self.ver = conv_bn(cin, cout, (3, 1), stride, pad=(1, 0))
        self.act = nn.ReLU() if act else nn.Identity()
        self.fused = None
        self.stride = stride

    def forward(self, x):
        if self.fused is not None:
            return self.act(self.fused(x))
        return self.act(self.square(x) + self.hor(x) + self.ver(x))

    @torch.no_grad()
    def reparameterize(self):
        k = torch.zeros_like(self.square[0].weight)
        b = torch.zeros(k.shape[0])
        for branch in (self.square, self.hor, self.ver):
            conv, bn = branch
            s = bn.weight / torch.sqrt(bn.running_var + bn.eps)
            w = conv.weight * s[:, None, None, None]
            kh, kw = w.shape[2:]
            t, l = (3 - kh) // 2, (3 - kw) // 2
            k[:, :, t:t + kh, l:l + kw] += w
            b += bn.bias - bn.running_mean * s
        self.fused = nn.Conv2d(k.shape[1], k.shape[0], 3, self.stride, 1, bias=True)
        self.fused.weight.copy_(k)
        self.fused.bias.copy_(b)
        del self.square, self.hor, self.ver


class ACNetSmall(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.features = nn.Sequential(ACBlock(3, 16, 2), ACBlock(16, 16), ACBlock(16, 32, 2), ACBlock(32, 32),
                                      ACBlock(32, 64, 2))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


class Chain(nn.Sequential):
    """Blocks applied one after the other (a named nn.Sequential)."""


# name -> (family, description, builder, input shape[, options]); options:
# dynamic_batch exports axis 0 of the input and output as the symbol "batch".
FIXTURES = {
    # MobileOne (timm.models.byobnet.MobileOneBlock)
    "mobileone_dw_s1": ("mobileone", "depthwise MobileOneBlock k=3, 4 conv branches + 1x1 scale branch + identity BN, stride 1",
                        lambda: mobileone_dw(16, 1), (1, 16, 16, 16)),
    "mobileone_dw_s2": ("mobileone", "depthwise MobileOneBlock k=3, 4 conv branches + scale branch, stride 2 (no identity)",
                        lambda: mobileone_dw(16, 2), (1, 16, 16, 16)),
    "mobileone_dwpw_s1": ("mobileone", "depthwise + pointwise MobileOneBlock pair, k=4 branches, identity BN on both",
                          lambda: Chain(mobileone_dw(16, 1), mobileone_pw(16, 16)), (1, 16, 16, 16)),
    "mobileone_dwpw_s2": ("mobileone", "depthwise stride 2 + pointwise 16->32 MobileOneBlock pair, k=4 branches",
                          lambda: Chain(mobileone_dw(16, 2), mobileone_pw(16, 32)), (1, 16, 16, 16)),
    "mobileone_se": ("mobileone", "MobileOneBlock pair with SE attention (timm SEModule), k=4 branches, identity BN",
                     lambda: Chain(mobileone_dw(16, 1, se=True), mobileone_pw(16, 16, se=True)), (1, 16, 16, 16)),
    "mobileone_net": ("mobileone", "whole small ByobNet with MobileOne stem and dw/pw stages (k=4, SE in last stage), classifier",
                      mobileone_net, (1, 3, 64, 64)),
    # RepVGG (timm.models.byobnet.RepVggBlock)
    "repvgg_ident": ("repvgg", "RepVggBlock 3x3-BN + 1x1-BN + identity BN, groups 1",
                     lambda: byobnet.RepVggBlock(16, 16), (1, 16, 16, 16)),
    "repvgg_noident": ("repvgg", "RepVggBlock 16->32 stride 2 (no identity), groups 1",
                       lambda: byobnet.RepVggBlock(16, 32, stride=2), (1, 16, 16, 16)),
    "repvgg_g2_ident": ("repvgg", "RepVggBlock with identity BN, groups 2",
                        lambda: byobnet.RepVggBlock(16, 16, group_size=8), (1, 16, 16, 16)),
    "repvgg_g2_noident": ("repvgg", "RepVggBlock 16->32 (no identity), groups 2",
                          lambda: byobnet.RepVggBlock(16, 32, group_size=8), (1, 16, 16, 16)),
    "repvgg_net": ("repvgg", "whole small ByobNet with RepVGG stem and stages (alternate blocks groups 2), classifier",
                   repvgg_net, (1, 3, 64, 64)),
    # RepViT (timm.models.repvit)
    "repvit_repvggdw": ("repvit", "RepVggDw: BN(dw3x3-BN + dw1x1 with bias + identity)",
                        lambda: repvit.RepVggDw(16, 3), (1, 16, 16, 16)),
    "repvit_block_se": ("repvit", "RepViTBlock with SqueezeExcite and ConvMlp residual (GELU)",
                        lambda: repvit.RepViTBlock(16, 2, 3, use_se=True, act_layer=nn.GELU), (1, 16, 16, 16)),
    "repvit_block": ("repvit", "RepViTBlock without SE, ConvMlp residual (GELU)",
                     lambda: repvit.RepViTBlock(16, 2, 3, use_se=False, act_layer=nn.GELU), (1, 16, 16, 16)),
    "repvit_head": ("repvit", "RepVit head: mean over H,W then two NormLinear (BN1d + Linear) heads averaged",
                    lambda: RepVitHead(32, 10), (1, 32, 4, 4)),
    "repvit_net": ("repvit", "whole small RepVit (stem, downsample, blocks with alternating SE, distillation head)",
                   repvit_net, (1, 3, 64, 64)),
    # FastViT (timm.models.fastvit)
    "fastvit_repmixer": ("fastvit", "RepMixer: x + layer_scale * (mixer(x) - norm(x)) with MobileOneBlocks",
                         lambda: fastvit.RepMixer(16, 3), (1, 16, 16, 16)),
    "fastvit_repmixer_block": ("fastvit", "RepMixerBlock: RepMixer + ConvMlp (dw7x7-BN, 1x1, GELU, 1x1) with layer scale",
                               lambda: fastvit.RepMixerBlock(16, 3, mlp_ratio=2), (1, 16, 16, 16)),
    "fastvit_lkconv": ("fastvit", "ReparamLargeKernelConv: dw 7x7-BN + dw 3x3-BN, stride 2",
                       lambda: fastvit.ReparamLargeKernelConv(16, 16, 7, 2, group_size=1, small_kernel=3),
                       (1, 16, 16, 16)),
    "fastvit_mobileone_se": ("fastvit", "FastViT MobileOneBlock with SE (final_conv shape: 16->32, groups 16, GELU)",
                             lambda: fastvit.MobileOneBlock(16, 32, 3, 1, group_size=1, use_se=True),
                             (1, 16, 8, 8)),
    "fastvit_net": ("fastvit", "whole small FastVit (MobileOne stem, RepMixer stages, large-kernel patch embed, SE final conv)",
                    fastvit_net, (1, 3, 64, 64)),
    # MobileNetV3 (timm.models._efficientnet_blocks)
    "mnv3_ir_se": ("mobilenetv3", "InvertedResidual with SqueezeExcite (hard-sigmoid gate) and HardSwish, residual",
                   lambda: mnv3_ir(16, 16, 3, 1, 3), (1, 16, 16, 16)),
    "mnv3_ir_se_s2": ("mobilenetv3", "InvertedResidual 16->24 dw5x5 stride 2 with SqueezeExcite and HardSwish",
                      lambda: mnv3_ir(16, 24, 5, 2, 4), (1, 16, 16, 16)),
    "mnv3_head": ("mobilenetv3", "head: pool, 1x1 conv, HardSwish, x.view(x.size(0), -1), Linear",
                  lambda: MNV3Head(), (1, 40, 4, 4)),
    "mnv3_net": ("mobilenetv3", "whole small MobileNetV3-shaped net from timm blocks, head flattened with view",
                 MobileNetV3Small, (1, 3, 64, 64)),
    "mnv3_net_dynbatch": ("mobilenetv3", "mnv3_net exported with a symbolic batch axis (view(x.size(0), -1) "
                          "keeps a Shape chain), batch 2 in the data set",
                          MobileNetV3Small, (2, 3, 64, 64), {"dynamic_batch": True}),
    # EfficientNet (timm.models.efficientnet)
    "efficientnet_ir_se": ("efficientnet", "InvertedResidual 16->16 dw3x3 with SqueezeExcite (SiLU, sigmoid gate) and SiLU, residual",
                           lambda: InvertedResidual(16, 16, dw_kernel_size=3, exp_ratio=4, act_layer=nn.SiLU,
                                                    se_layer=partial(SqueezeExcite, rd_ratio=0.25)),
                           (1, 16, 16, 16)),
    "efficientnet_net": ("efficientnet", "whole small EfficientNet (timm EfficientNet class, ds/ir blocks with SE, SiLU)",
                         efficientnet_net, (1, 3, 64, 64)),
    # ShuffleNetV2 (plain torch)
    "shufflenet_unit_s1": ("shufflenetv2", "ShuffleNetV2 unit stride 1: chunk split, branch, concat, channel shuffle",
                           lambda: ShuffleUnit(32, 32, 1), (1, 32, 16, 16)),
    "shufflenet_unit_s2": ("shufflenetv2", "ShuffleNetV2 unit stride 2: two branches, concat, channel shuffle",
                           lambda: ShuffleUnit(16, 32, 2), (1, 16, 16, 16)),
    "shufflenet_net": ("shufflenetv2", "whole small ShuffleNetV2 with classifier",
                       ShuffleNetSmall, (1, 3, 64, 64)),
    "shufflenet_unit_dynbatch": ("shufflenetv2", "ShuffleNetV2 unit stride 1 exported with a symbolic batch axis "
                                 "(channel shuffle view(n, ...) from Shape)",
                                 lambda: ShuffleUnit(32, 32, 1), (2, 32, 8, 8), {"dynamic_batch": True}),
    # ACNet (plain torch)
    "acnet_block": ("acnet", "ACNet block 3x3-BN + 1x3-BN + 3x1-BN, ReLU",
                    lambda: ACBlock(16, 16), (1, 16, 16, 16)),
    "acnet_net": ("acnet", "whole small ACNet-style network with classifier",
                  ACNetSmall, (1, 3, 64, 64)),
}

# Full-size timm models for benchmarks (--full): never committed.
FULL_MODELS = ["mobileone_s0", "repvgg_a0", "repvit_m0_9", "mobilenetv3_large_100", "mobilenetv2_100", "fastvit_t8",
               "efficientnet_b0"]


# ---------------------------------------------------------------------------
# Weights, BN statistics, deploy form
# ---------------------------------------------------------------------------

def seed_for(name):
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


@torch.no_grad()
def randomize(model, gen):
    """Non-trivial affine parameters: timm initialises some BN gammas and
    layer scales to 0 or 1e-5, which would make branches vanish."""
    for name, m in model.named_modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.affine:
            m.weight.copy_(torch.rand(m.weight.shape, generator=gen) + 0.5)
            m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.2)
    for name, p in model.named_parameters():
        if name.endswith("layer_scale.gamma") or name.endswith("layer_scale_1") or name.endswith("layer_scale_2"):
            p.copy_(torch.rand(p.shape, generator=gen) * 0.5 + 0.5)
        elif name.endswith("bias") and p.dim() == 1 and not torch.any(p != 0):
            # zero-initialised conv/linear biases: make them count
            p.copy_(torch.randn(p.shape, generator=gen) * 0.1)


@torch.no_grad()
def calibrate_bn(model, shape, gen, batches=4, batch=8):
    """Real running statistics: a few train-mode batches with cumulative
    averaging (momentum=None), then back to the default momentum."""
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    saved = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
    model.train()
    for _ in range(batches):
        x = torch.randn((batch,) + tuple(shape[1:]), generator=gen) * 1.5 + 0.2
        model(x)
    for m, mom in zip(bns, saved):
        m.momentum = mom
    model.eval()


@torch.no_grad()
def fold_conv_bn(module):
    """Folds every Conv2d immediately followed (as the next registered child)
    by a BatchNorm2d, the layout of timm's ConvNormAct, InvertedResidual and
    nn.Sequential(conv, bn): W' = W * s[o], b' = beta + (b - mean) * s with
    s = gamma / sqrt(var + eps). A BatchNormAct2d leaves its activation."""
    for m in list(module.modules()):
        names = list(m._modules.keys())
        for a, b in zip(names, names[1:]):
            conv, bn = m._modules[a], m._modules[b]
            if isinstance(conv, nn.Conv2d) and type(bn) in (nn.BatchNorm2d, BatchNormAct2d):
                fused = torch.nn.utils.fusion.fuse_conv_bn_eval(conv, bn)
                m._modules[a] = fused
                if isinstance(bn, BatchNormAct2d):
                    m._modules[b] = nn.Sequential(bn.drop, bn.act)
                else:
                    m._modules[b] = nn.Identity()
    return module


def deploy_form(model):
    # reparameterize_model only visits children, so a bare block is fused here
    d = copy.deepcopy(model)
    if hasattr(d, "fuse"):
        d = d.fuse()
    elif hasattr(d, "reparameterize"):
        d.reparameterize()
    elif hasattr(d, "switch_to_deploy"):
        d.switch_to_deploy()
    d = reparameterize_model(d, inplace=True)  # fuse()/reparameterize() of timm blocks and ours
    fold_conv_bn(d)
    return d.eval()


def block_classes(model):
    out = set()
    for m in model.modules():
        t = type(m)
        mod = t.__module__
        if mod.startswith("timm.") or mod == "__main__" or mod.endswith("export_fixtures"):
            if mod in ("__main__",) or mod.endswith("export_fixtures"):
                mod = "export_fixtures"
            if t.__name__ in ("Chain",):
                continue
            out.add(f"{mod}.{t.__name__}")
    return sorted(out)


# ---------------------------------------------------------------------------
# Export and checks
# ---------------------------------------------------------------------------

@contextlib.contextmanager
def quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
            try:
                yield
            except Exception:
                sys.stderr.write(buf.getvalue())
                raise


def strip_stack_traces(proto):
    def clean(graph):
        for n in graph.node:
            keep = [p for p in n.metadata_props if p.key != "pkg.torch.onnx.stack_trace"]
            del n.metadata_props[:]
            n.metadata_props.extend(keep)
            for a in n.attribute:
                if a.g is not None and a.HasField("g"):
                    clean(a.g)
                for g in a.graphs:
                    clean(g)
    clean(proto.graph)


def export(model, x, exporter, constant_folding=False, dynamic_batch=False):
    """Returns the ModelProto of model exported by exporter, all tensors inline."""
    if exporter == "torchscript":
        f = io.BytesIO()
        axes = {"input": {0: "batch"}, "output": {0: "batch"}} if dynamic_batch else None
        with quiet():
            torch.onnx.export(model, (x,), f, dynamo=False, opset_version=17,
                              do_constant_folding=constant_folding,
                              input_names=["input"], output_names=["output"], dynamic_axes=axes)
        return onnx.load_from_string(f.getvalue())
    if exporter == "dynamo":
        shapes = ({0: torch.export.Dim("batch", min=1, max=1024)},) if dynamic_batch else None
        with quiet():
            prog = torch.onnx.export(model, (x,), dynamo=True, opset_version=18, optimize=False, verbose=False,
                                     dynamic_shapes=shapes)
        proto = prog.model_proto
        strip_stack_traces(proto)
        # round-trip through bytes: a plain, self-contained ModelProto
        return onnx.load_from_string(proto.SerializeToString())
    raise ValueError(exporter)


def ort_run(proto, x):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(proto.SerializeToString(), so, providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()
    if len(inp) != 1:
        raise RuntimeError(f"expected one graph input, have {[i.name for i in inp]}")
    return sess.run(None, {inp[0].name: x})


def close(got, want, rtol, atol=ATOL):
    err = float(np.max(np.abs(got.astype(np.float64) - want.astype(np.float64)))) if want.size else 0.0
    scale = float(np.max(np.abs(want))) if want.size else 0.0
    return err <= atol + rtol * scale and got.shape == want.shape and np.all(np.isfinite(got)), err, scale


def op_histogram(proto):
    c = Counter()
    for n in proto.graph.node:
        c[(n.domain + "." if n.domain else "") + n.op_type] += 1
    return dict(sorted(c.items()))


def versions():
    import onnxscript
    return {"torch": torch.__version__, "timm": timm.__version__, "onnx": onnx.__version__,
            "onnxruntime": ort.__version__, "onnxscript": onnxscript.__version__}


def write_set(d, in_name, x, out_names, outs):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "input_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(x, in_name).SerializeToString())
    for i, (n, y) in enumerate(zip(out_names, outs)):
        with open(os.path.join(d, f"output_{i}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(y, n).SerializeToString())


def fixture(name):
    e = FIXTURES[name]
    return e[0], e[1], e[2], e[3], (e[4] if len(e) > 4 else {})


def build(name):
    family, desc, builder, shape, _ = fixture(name)
    torch.manual_seed(seed_for(name))
    gen = torch.Generator().manual_seed(seed_for(name))
    model = builder()
    randomize(model, gen)
    calibrate_bn(model, shape, gen)
    x = torch.randn(shape, generator=gen)
    return model, x


def make_fixture(name, out_root, exporters):
    family, desc, builder, shape, opts = fixture(name)
    dynamic = bool(opts.get("dynamic_batch"))
    model, x = build(name)
    blocks = block_classes(model)
    with torch.no_grad():
        y_train = model(x).numpy()
        dep = deploy_form(model)
        y_dep = dep(x).numpy()
    ok, err_td, scale = close(y_dep, y_train, DEPLOY_RTOL)
    if not ok:
        raise RuntimeError(f"{name}: deploy form differs from training form in PyTorch: max abs err {err_td:.3g} "
                           f"(output scale {scale:.3g})")
    xn = x.numpy()
    results = []
    for exp in exporters:
        files = {}
        staged = {}
        for fname, form, m, y, setdir in (("model.onnx", "training", model, y_train, "test_data_set_0"),
                                          ("deploy.onnx", "deploy", dep, y_dep, "deploy_data_set_0")):
            proto = export(m, x, exp, dynamic_batch=dynamic)
            onnx.checker.check_model(proto)
            got = ort_run(proto, xn)
            if len(got) != 1:
                raise RuntimeError(f"{name}/{exp}/{fname}: {len(got)} outputs, want 1")
            ok, err, scale = close(got[0], y, RTOL)
            if not ok:
                raise RuntimeError(f"{name}/{exp}/{fname}: ONNX Runtime differs from PyTorch: max abs err {err:.3g} "
                                   f"(output scale {scale:.3g}, rtol {RTOL})")
            if dynamic:  # the symbolic batch must really work: run batch 3 too
                x3 = torch.randn((3,) + tuple(shape[1:]), generator=torch.Generator().manual_seed(seed_for(name) + 1))
                with torch.no_grad():
                    y3 = m(x3).numpy()
                ok3, err3, scale3 = close(ort_run(proto, x3.numpy())[0], y3, RTOL)
                if not ok3:
                    raise RuntimeError(f"{name}/{exp}/{fname}: batch 3 through the dynamic batch axis: ONNX Runtime "
                                       f"differs from PyTorch by {err3:.3g} (scale {scale3:.3g})")
            hist = op_histogram(proto)
            files[fname] = {"form": form, "data_sets": [setdir], "op_histogram": hist,
                            "input": proto.graph.input[0].name, "output": proto.graph.output[0].name}
            staged[fname] = (proto, setdir, y)
            results.append((exp, fname, err, scale, hist))
        # everything checked: write
        d = os.path.join(out_root, name, exp)
        if os.path.isdir(d):
            shutil.rmtree(d)
        os.makedirs(d)
        for fname, (proto, setdir, y) in staged.items():
            onnx.save(proto, os.path.join(d, fname))
            write_set(os.path.join(d, setdir), proto.graph.input[0].name, xn,
                      [o.name for o in proto.graph.output], [y])
        meta = {
            "name": name,
            "family": family,
            "description": desc,
            "blocks": blocks,
            "exporter": exp,
            "opset": EXPORTERS[exp]["opset"],
            "export_call": EXPORTERS[exp]["options"],
            "versions": versions(),
            "seed": seed_for(name),
            "input_shape": list(shape),
            "dynamic_batch": dynamic,
            "output_shape": list(y_train.shape),
            "files": files,
            "deploy": "timm.utils.reparameterize_model, then every Conv2d+BatchNorm2d pair folded",
            "checks": {
                "onnxruntime_vs_pytorch": f"max|ort-torch| <= {RTOL} * max|torch| + {ATOL} for every file",
                "deploy_vs_training_pytorch_max_abs_diff": float(f"{err_td:.1e}"),
                "training_output_max_abs": float(f"{scale:.3e}"),
            },
        }
        if exp == "dynamo":
            meta["postprocessing"] = "node metadata 'pkg.torch.onnx.stack_trace' removed (absolute paths)"
        with open(os.path.join(d, "meta.json"), "w") as f:
            json.dump(meta, f, indent=1, sort_keys=True)
            f.write("\n")
    return results


def export_full(names, out_root):
    """Full-size timm models, random weights, 224x224: train.onnx keeps every
    BN (TorchScript, opset 17, do_constant_folding=False); deploy.onnx is
    reparameterize_model's output exported with the default constant folding."""
    for name in names:
        d = os.path.join(out_root, name)
        os.makedirs(d, exist_ok=True)
        torch.manual_seed(seed_for(name))
        gen = torch.Generator().manual_seed(seed_for(name))
        model = timm.create_model(name, pretrained=False, num_classes=1000)
        randomize(model, gen)
        calibrate_bn(model, (1, 3, 224, 224), gen, batches=2, batch=4)
        x = torch.randn((1, 3, 224, 224), generator=gen)
        with torch.no_grad():
            y = model(x).numpy()
            dep = reparameterize_model(model).eval()
            yd = dep(x).numpy()
        for fname, m, want, cf in (("train.onnx", model, y, False), ("deploy.onnx", dep, yd, True)):
            proto = export(m, x, "torchscript", constant_folding=cf)
            got = ort_run(proto, x.numpy())[0]
            ok, err, scale = close(got, want, RTOL)
            status = "ok" if ok else "MISMATCH"
            tmp = os.path.join(d, fname + ".tmp")
            onnx.save(proto, tmp)
            os.replace(tmp, os.path.join(d, fname))
            write_set(os.path.join(d, fname.replace(".onnx", "") + "_data_set_0"), proto.graph.input[0].name,
                      x.numpy(), [o.name for o in proto.graph.output], [want])
            print(f"{name}/{fname}: ort vs torch max abs err {err:.2e} (scale {scale:.2e}) {status}; "
                  f"ops {op_histogram(proto)}", flush=True)
            if not ok:
                raise RuntimeError(f"{name}/{fname}: ONNX Runtime differs from PyTorch")


# The benchmark zoo (--zoo): full-size backbones of every mobile family users
# bring, timm's unless marked torchvision. Never committed (tens of MB each).
ZOO = [
    ("mobilenetv1_100", "timm"), ("mobilenetv2_100", "timm"), ("mobilenetv3_large_100", "timm"),
    ("mobilenetv3_small_100", "timm"), ("mobilenetv4_conv_small", "timm"), ("mobilenetv4_hybrid_medium", "timm"),
    ("efficientnet_b0", "timm"), ("lcnet_050", "timm"), ("ghostnet_100", "timm"), ("repghostnet_100", "timm"),
    ("ghostnetv3_100", "timm"), ("shufflenet_v2_x1_0", "torchvision"), ("resnet18", "timm"), ("repvgg_a0", "timm"),
    ("mobileone_s0", "timm"), ("repvit_m0_9", "timm"), ("fastvit_t8", "timm"), ("fastvit_sa12", "timm"),
    ("efficientformerv2_s0", "timm"), ("levit_128s", "timm"), ("efficientvit_b0", "timm"), ("efficientvit_m0", "timm"),
    ("shvit_s1", "timm"), ("mobilevitv2_050", "timm"), ("starnet_s1", "timm"), ("inception_next_atto", "timm"),
    ("hgnetv2_b0", "timm"),
]


def zoo_model(name, source):
    """The model in training form (random weights, BN statistics from data)
    and its input shape (the model's own default resolution)."""
    torch.manual_seed(seed_for(name))
    gen = torch.Generator().manual_seed(seed_for(name))
    if source == "torchvision":
        import torchvision
        model = getattr(torchvision.models, name)()
        shape = (1, 3, 224, 224)
    else:
        model = timm.create_model(name, pretrained=False, num_classes=1000)
        shape = (1,) + tuple(model.pretrained_cfg.get("input_size", (3, 224, 224)))
    randomize(model, gen)
    calibrate_bn(model, shape, gen, batches=2, batch=4)
    x = torch.randn(shape, generator=gen)
    return model, x


def export_zoo(names, out_root, exporters):
    """Every zoo model by each exporter into OUT/NAME/EXPORTER/train.onnx
    (training form, every BN kept) with train_data_set_0 (PyTorch's output);
    ONNX Runtime must reproduce it. OUT/zoo.json lists what was written and
    what failed (and why); a failure does not stop the others."""
    src = dict(ZOO)
    manifest_path = os.path.join(out_root, "zoo.json")
    manifest = {"models": {}}
    if os.path.exists(manifest_path):
        with open(manifest_path) as f:
            manifest = json.load(f)
    manifest["versions"] = versions()
    failed = 0
    for name in names:
        entry = manifest["models"].setdefault(name, {})
        try:
            model, x = zoo_model(name, src.get(name, "timm"))
            with torch.no_grad():
                y = model(x).numpy()
        except Exception as e:
            failed += 1
            entry["error"] = f"build: {type(e).__name__}: {e}"[:500]
            print(f"FAIL {name}: {entry['error']}", flush=True)
            continue
        entry.update({"source": src.get(name, "timm"), "input_shape": list(x.shape),
                      "params": sum(p.numel() for p in model.parameters())})
        entry.pop("error", None)
        for exp in exporters:
            d = os.path.join(out_root, name, exp)
            os.makedirs(d, exist_ok=True)
            try:
                proto = export(model, x, exp)
                got = ort_run(proto, x.numpy())[0]
                ok, err, scale = close(got, y, RTOL)
                if not ok:
                    raise RuntimeError(f"ONNX Runtime differs from PyTorch: max abs err {err:.3g} (scale {scale:.3g})")
                tmp = os.path.join(d, "train.onnx.tmp")
                onnx.save(proto, tmp)
                os.replace(tmp, os.path.join(d, "train.onnx"))
                write_set(os.path.join(d, "train_data_set_0"), proto.graph.input[0].name, x.numpy(),
                          [o.name for o in proto.graph.output], [y])
                entry[exp] = {"ok": True, "ort_err": float(f"{err:.2e}"), "scale": float(f"{scale:.3e}"),
                              "op_histogram": op_histogram(proto)}
                print(f"ok   {name}/{exp}: ort err {err:.1e} (scale {scale:.1e}); {len(proto.graph.node)} nodes",
                      flush=True)
            except Exception as e:
                failed += 1
                entry[exp] = {"ok": False, "error": f"{type(e).__name__}: {e}"[:500]}
                print(f"FAIL {name}/{exp}: {entry[exp]['error']}", flush=True)
        os.makedirs(out_root, exist_ok=True)
        with open(manifest_path + ".tmp", "w") as f:
            json.dump(manifest, f, indent=1, sort_keys=True)
        os.replace(manifest_path + ".tmp", manifest_path)
    print(f"{len(names)} zoo models, {failed} failures")
    return failed


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT, help="fixture folder (default testdata/golden)")
    ap.add_argument("--only", nargs="*", help="fixture names to export (default all)")
    ap.add_argument("--exporters", nargs="*", default=list(EXPORTERS), choices=list(EXPORTERS))
    ap.add_argument("--list", action="store_true", help="list the fixtures and exit")
    ap.add_argument("--full", action="store_true", help="export the full-size timm models instead")
    ap.add_argument("--full-out", default=DEFAULT_FULL_OUT, help="folder for --full (default .cache/full)")
    ap.add_argument("--full-only", nargs="*", help="full-size model names (default all)")
    ap.add_argument("--zoo", action="store_true", help="export the benchmark zoo (full-size, both exporters)")
    ap.add_argument("--zoo-out", default=DEFAULT_ZOO_OUT, help="folder for --zoo (default .cache/zoo)")
    ap.add_argument("--zoo-only", nargs="*", help="zoo model names (default all)")
    args = ap.parse_args(argv)

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)

    if args.list:
        for n in FIXTURES:
            fam, desc, _, shape, _ = fixture(n)
            print(f"{n:24s} {fam:13s} {list(shape)}  {desc}")
        return 0
    if args.full:
        export_full(args.full_only or FULL_MODELS, args.full_out)
        return 0
    if args.zoo:
        names = args.zoo_only or [n for n, _ in ZOO]
        unknown = [n for n in names if n not in dict(ZOO)]
        if unknown:
            ap.error(f"unknown zoo models {unknown}")
        return 1 if export_zoo(names, args.zoo_out, args.exporters) else 0
    names = args.only or list(FIXTURES)
    unknown = [n for n in names if n not in FIXTURES]
    if unknown:
        ap.error(f"unknown fixtures {unknown}")
    failed = 0
    for n in names:
        try:
            res = make_fixture(n, args.out, args.exporters)
        except Exception as e:  # report every fixture, fail at the end
            failed += 1
            print(f"FAIL {n}: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
            continue
        for exp, fname, err, scale, hist in res:
            print(f"ok   {n}/{exp}/{fname}: ort err {err:.1e} (scale {scale:.1e}); "
                  + ", ".join(f"{k}:{v}" for k, v in hist.items()), flush=True)
    print(f"{len(names) - failed} fixtures written, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
