"""Check coreml_interp.py's op semantics against ONNX Runtime, op by op.

xcheck_coreml_numerics.py trusts the interpreter, and the golden fixtures
exercise only part of it; validate_coreml_interp.py (by hand, needs torch)
checks it on whole models. This runs in the crosscheck (numpy, onnx,
onnxruntime, coremltools): each case evaluates one MIL op (or one
NeuralNetwork layer) of the interpreter on a seeded random input and the
ONNX op of the same meaning in ONNX Runtime, with the conventions spelled
out (MIL conv pad order h_before,h_after,w_before,w_after vs ONNX's
begins-then-ends; resize sampling modes vs coordinate_transformation_mode;
pad modes; ceil-mode pooling with and without padding in the average),
and they must agree within 1e-5 (relative to max(1, |expected|)).
Prints 'N passed, N failed' last; exits non-zero on any failure.
"""
import math
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from coreml_interp import MIL_OPS, _Args  # noqa: E402
from coreml_interp_nn import NN_LAYERS  # noqa: E402

TOL = 1e-5
passed = failed = 0
rng = np.random.default_rng(12)


def ort_run(op, inputs, attrs=None, consts=None, opset=20, n_out=1):
    """ONNX Runtime's result for one node OP on INPUTS (name -> array);
    CONSTS are initializers."""
    consts = consts or {}
    names = list(inputs) + list(consts)
    outs = [f"y{i}" for i in range(n_out)]
    node = helper.make_node(op, names, outs, **(attrs or {}))
    g = helper.make_graph(
        [node], "g",
        [helper.make_tensor_value_info(k, helper.np_dtype_to_tensor_dtype(v.dtype), v.shape) for k, v in inputs.items()],
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outs],
        [onnx.numpy_helper.from_array(v, k) for k, v in consts.items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 10
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
    res = sess.run(None, inputs)
    return res if n_out > 1 else res[0]


def mil(op, **kw):
    """The interpreter's MIL op OP on keyword inputs (fp32 device mode)."""
    args = {k: [v if isinstance(v, str) else np.asarray(v)] for k, v in kw.items()}
    return MIL_OPS[op](_Args(args, np.float32), None)


def check(what, got, want):
    global passed, failed
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    if got.shape != want.shape:
        ok, detail = False, f"shape {got.shape} != {want.shape}"
    else:
        err = float(np.abs(got - want).max()) / max(1.0, float(np.abs(want).max())) if want.size else 0.0
        ok, detail = err <= TOL, f"err {err:.1e}"
    passed += ok
    failed += not ok
    print(("ok   " if ok else "FAIL ") + what + " " + detail, flush=True)


def r(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def conv_cases():
    x = r(1, 4, 9, 8)
    w = r(6, 2, 3, 3)
    b = r(6)
    # MIL pad = [h_before, h_after, w_before, w_after]; ONNX pads = [h_b, w_b, h_a, w_a]
    got = mil("conv", x=x, weight=w, bias=b, strides=[2, 1], pad_type="custom", pad=[1, 2, 0, 1],
              dilations=[1, 2], groups=2)
    want = ort_run("Conv", {"x": x}, dict(strides=[2, 1], pads=[1, 0, 2, 1], dilations=[1, 2], group=2),
                   {"w": w, "b": b})
    check("conv custom pad order, groups 2, stride/dilation", got, want)
    w2 = r(4, 1, 3, 3)
    got = mil("conv", x=x, weight=w2, strides=[2, 2], pad_type="same", pad=[0] * 4, dilations=[1, 1], groups=4)
    want = ort_run("Conv", {"x": x}, dict(strides=[2, 2], auto_pad="SAME_UPPER", group=4), {"w": w2})
    check("conv depthwise pad_type same (extra pad after)", got, want)
    w3 = r(5, 4, 1, 1)
    got = mil("conv", x=x, weight=w3, strides=[1, 1], pad_type="valid", pad=[0] * 4, dilations=[1, 1], groups=1)
    check("conv 1x1 valid", got, ort_run("Conv", {"x": x}, {}, {"w": w3}))


def pool_cases():
    x = r(1, 3, 7, 8)
    for ceil in (False, True):
        got = mil("max_pool", x=x, kernel_sizes=[3, 3], strides=[2, 2], pad_type="custom", pad=[1, 1, 1, 1],
                  ceil_mode=ceil)
        want = ort_run("MaxPool", {"x": x}, dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
                                                 ceil_mode=int(ceil)))
        check(f"max_pool pad 1 ceil_mode={ceil}", got, want)
        for excl in (False, True):
            got = mil("avg_pool", x=x, kernel_sizes=[3, 3], strides=[2, 2], pad_type="custom", pad=[1, 1, 1, 1],
                      ceil_mode=ceil, exclude_padding_from_average=excl)
            want = ort_run("AveragePool", {"x": x}, dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
                                                         ceil_mode=int(ceil), count_include_pad=int(not excl)))
            check(f"avg_pool pad 1 ceil_mode={ceil} exclude_padding={excl}", got, want)


def norm_cases():
    x = r(2, 5, 4, 3)
    g, b = r(3), r(3)
    got = mil("layer_norm", x=x, axes=[-1], gamma=g, beta=b, epsilon=1e-5)
    check("layer_norm last axis", got, ort_run("LayerNormalization", {"x": x}, dict(axis=-1, epsilon=1e-5),
                                               {"g": g, "b": b}))
    g2, b2 = r(4, 3), r(4, 3)
    got = mil("layer_norm", x=x, axes=[2, 3], gamma=g2, beta=b2, epsilon=1e-5)
    check("layer_norm last two axes", got, ort_run("LayerNormalization", {"x": x}, dict(axis=2, epsilon=1e-5),
                                                   {"g": g2, "b": b2}))
    gc, bc = r(5), r(5)
    got = mil("instance_norm", x=x, gamma=gc, beta=bc, epsilon=1e-5)
    check("instance_norm", got, ort_run("InstanceNormalization", {"x": x}, dict(epsilon=1e-5), {"g": gc, "b": bc}))
    x3 = r(2, 5, 7)
    check("instance_norm rank 3", mil("instance_norm", x=x3, gamma=gc, beta=bc, epsilon=1e-3),
          ort_run("InstanceNormalization", {"x": x3}, dict(epsilon=1e-3), {"g": gc, "b": bc}))
    for op, onnx_op in (("reduce_sum", "ReduceSum"), ("reduce_l2_norm", "ReduceL2")):
        check(f"{op} axes [1, 3] keep_dims", mil(op, x=x, axes=[1, 3], keep_dims=True),
              ort_run(onnx_op, {"x": x}, dict(keepdims=1), {"a": np.array([1, 3], np.int64)}, opset=18))
    check("tile", mil("tile", x=x, reps=[1, 2, 3, 1]), ort_run("Tile", {"x": x}, {}, {"r": np.array([1, 2, 3, 1],
                                                                                                        np.int64)}))
    m, v = r(5), np.abs(r(5)) + 0.1
    got = mil("batch_norm", x=x, mean=m, variance=v, gamma=gc, beta=bc, epsilon=1e-3)
    check("batch_norm", got, ort_run("BatchNormalization", {"x": x}, dict(epsilon=1e-3),
                                     {"g": gc, "b": bc, "m": m, "v": v}))


def resize_cases():
    x = r(1, 2, 5, 4)
    sizes = np.array([1, 2, 10, 8], np.int64)
    for ac, mode in ((True, "align_corners"), (False, "half_pixel")):
        got = mil("upsample_bilinear", x=x, scale_factor_height=2.0, scale_factor_width=2.0, align_corners=ac)
        want = ort_run("Resize", {"x": x}, dict(mode="linear", coordinate_transformation_mode=mode),
                       {"roi": np.zeros(0, np.float32), "scales": np.zeros(0, np.float32), "sizes": sizes})
        check(f"upsample_bilinear align_corners={ac} vs Resize {mode}", got, want)
    sizes2 = np.array([1, 2, 7, 9], np.int64)
    for sm, mode in (("STRICT_ALIGN_CORNERS", "align_corners"), ("UNALIGN_CORNERS", "half_pixel"),
                     ("DEFAULT", "asymmetric")):
        got = mil("resize_bilinear", x=x, target_size_height=7, target_size_width=9, sampling_mode=sm)
        want = ort_run("Resize", {"x": x}, dict(mode="linear", coordinate_transformation_mode=mode),
                       {"roi": np.zeros(0, np.float32), "scales": np.zeros(0, np.float32), "sizes": sizes2})
        check(f"resize_bilinear {sm} vs Resize {mode}", got, want)
    for sm, mode in (("UNALIGN_CORNERS", "half_pixel"), ("STRICT_ALIGN_CORNERS", "align_corners")):
        got = mil("resize", x=x, shape=np.array([0, 7, 9], np.int32), resized_dims=np.uint32(2),
                  interpolation_mode="LINEAR", sampling_mode=sm)
        want = ort_run("Resize", {"x": x}, dict(mode="linear", coordinate_transformation_mode=mode),
                       {"roi": np.zeros(0, np.float32), "scales": np.zeros(0, np.float32), "sizes": sizes2})
        check(f"resize (iOS17) LINEAR {sm} vs Resize {mode}", got, want)
    got = mil("upsample_nearest_neighbor", x=x, scale_factor_height=2.0, scale_factor_width=3.0)
    want = ort_run("Resize", {"x": x}, dict(mode="nearest", coordinate_transformation_mode="asymmetric",
                                            nearest_mode="floor"),
                   {"roi": np.zeros(0, np.float32), "scales": np.array([1, 1, 2, 3], np.float32)})
    check("upsample_nearest_neighbor x2,x3 vs Resize nearest asymmetric floor", got, want)
    # mconv's lowering of a nearest Resize by a fractional factor (GhostNetV3: 3x3 -> 7x7)
    got = mil("resize_nearest_neighbor", x=x, target_size_height=11, target_size_width=7)
    want = ort_run("Resize", {"x": x}, dict(mode="nearest", coordinate_transformation_mode="asymmetric",
                                            nearest_mode="floor"),
                   {"roi": np.zeros(0, np.float32), "scales": np.zeros(0, np.float32),
                    "sizes": np.array([1, 2, 11, 7], np.int64)})
    check("resize_nearest_neighbor 5x4 -> 11x7 vs Resize nearest asymmetric floor (sizes)", got, want)


def misc_cases():
    x = r(1, 3, 5, 6)
    for mode, onnx_mode in (("constant", "constant"), ("reflect", "reflect"), ("replicate", "edge")):
        got = mil("pad", x=x, pad=[1, 2, 3, 0], mode=mode, constant_val=0.5)
        consts = {"p": np.array([0, 0, 1, 3, 0, 0, 2, 0], np.int64)}
        if mode == "constant":
            consts["c"] = np.array(0.5, np.float32)
        check(f"pad {mode} (last two dims, pairs per dim)", got, ort_run("Pad", {"x": x}, dict(mode=onnx_mode),
                                                                       consts))
    t = r(4, 5, 6)
    idx = np.array([[[0, 1], [3, 4]], [[2, 0], [1, 2]]], np.int64)
    check("gather_nd", mil("gather_nd", x=t, indices=idx.astype(np.int32)),
          ort_run("GatherND", {"x": t}, {}, {"i": idx}))
    gi = np.array([[2, 0], [-1, 1]], np.int64)
    check("gather axis 1, negative index", mil("gather", x=t, indices=gi.astype(np.int32), axis=1),
          ort_run("Gather", {"x": t}, dict(axis=1), {"i": gi}))
    for mode, approx in (("EXACT", "none"), ("TANH_APPROXIMATION", "tanh")):
        check(f"gelu {mode}", mil("gelu", x=x, mode=mode), ort_run("Gelu", {"x": x}, dict(approximate=approx)))
    check("sigmoid_hard", mil("sigmoid_hard", x=x, alpha=1 / 6, beta=0.5),
          ort_run("HardSigmoid", {"x": x}, dict(alpha=1 / 6, beta=0.5)))
    check("erf", mil("erf", x=x), ort_run("Erf", {"x": x}))
    check("softmax axis 1", mil("softmax", x=x, axis=1), ort_run("Softmax", {"x": x}, dict(axis=1)))
    a, bm = r(2, 3, 4), r(2, 5, 4)
    check("matmul transpose_y", mil("matmul", x=a, y=bm, transpose_x=False, transpose_y=True),
          ort_run("MatMul", {"a": a, "b": np.swapaxes(bm, -1, -2).copy()}))
    got = mil("slice_by_index", x=x, begin=[0, 1, 4, 0], end=[1, 3, 0, 6], stride=[1, 1, -2, 2],
              begin_mask=[False] * 4, end_mask=[True, False, True, True], squeeze_mask=[False] * 4)
    want = ort_run("Slice", {"x": x}, {}, {"s": np.array([1, 4, 0], np.int64),
                                           "e": np.array([3, -(2 ** 62), 6], np.int64),
                                           "a": np.array([1, 2, 3], np.int64), "t": np.array([1, -2, 2], np.int64)})
    check("slice_by_index masks and negative stride", got, want)
    q, k, v = r(1, 2, 5, 4), r(1, 2, 6, 4), r(1, 2, 6, 3)
    sc = np.matmul(q, np.swapaxes(k, -1, -2)) / 2.0  # sqrt(E) = 2
    e = np.exp(sc - sc.max(-1, keepdims=True))
    check("scaled_dot_product_attention (numpy, from the MIL doc)", mil("scaled_dot_product_attention", query=q,
                                                                       key=k, value=v),
          np.matmul(e / e.sum(-1, keepdims=True), v))
    v1, v2 = r(1, 2, 3), r(1, 2, 3)
    got = MIL_OPS["concat"](_Args({"values": [v1, v2], "axis": [np.int32(1)], "interleave": [np.bool_(True)]},
                                  np.float32), None)
    want = np.stack([v1, v2], axis=2).reshape(1, 4, 3)  # channel order a0 b0 a1 b1 (MIL doc)
    check("concat interleave", got, want)


def nn_cases():
    from coremltools.proto import NeuralNetwork_pb2 as nnpb
    x = r(1, 4, 9, 8)
    w = r(6, 2, 3, 3)
    p = nnpb.ConvolutionLayerParams(outputChannels=6, kernelChannels=2, nGroups=2, kernelSize=[3, 3], stride=[2, 1],
                                    dilationFactor=[1, 2])
    p.valid.paddingAmounts.borderAmounts.add(startEdgeSize=1, endEdgeSize=2)
    p.valid.paddingAmounts.borderAmounts.add(startEdgeSize=0, endEdgeSize=1)
    p.weights.floatValue.extend(w.reshape(-1).tolist())
    got = NN_LAYERS["convolution"](p, [x], np.float32)
    want = ort_run("Conv", {"x": x}, dict(strides=[2, 1], pads=[1, 0, 2, 1], dilations=[1, 2], group=2), {"w": w})
    check("NN convolution valid paddingAmounts [H, W] (start, end)", got, want)
    pp = nnpb.PoolingLayerParams(type=1, kernelSize=[3, 3], stride=[2, 2], avgPoolExcludePadding=True)
    pp.valid.paddingAmounts.borderAmounts.add(startEdgeSize=1, endEdgeSize=1)
    pp.valid.paddingAmounts.borderAmounts.add(startEdgeSize=1, endEdgeSize=1)
    got = NN_LAYERS["pooling"](pp, [x], np.float32)
    want = ort_run("AveragePool", {"x": x}, dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
                                                 count_include_pad=0))
    check("NN pooling average exclude padding", got, want)
    up = nnpb.UpsampleLayerParams(scalingFactor=[2, 2], mode=1, linearUpsampleMode=1)
    got = NN_LAYERS["upsample"](up, [x], np.float32)
    want = ort_run("Resize", {"x": x}, dict(mode="linear", coordinate_transformation_mode="align_corners"),
                   {"roi": np.zeros(0, np.float32), "scales": np.array([1, 1, 2, 2], np.float32)})
    check("NN upsample bilinear ALIGN_CORNERS_TRUE", got, want)
    for method, mode in ((0, "align_corners"), (2, "asymmetric")):
        rb = nnpb.ResizeBilinearLayerParams(targetSize=[13, 11])
        rb.mode.samplingMethod = method
        want = ort_run("Resize", {"x": x}, dict(mode="linear", coordinate_transformation_mode=mode),
                       {"roi": np.zeros(0, np.float32), "scales": np.zeros(0, np.float32),
                        "sizes": np.array([1, 4, 13, 11], np.int64)})
        check(f"NN resizeBilinear samplingMethod {method} vs Resize {mode}",
              NN_LAYERS["resizeBilinear"](rb, [x], np.float32), want)
    un = nnpb.UpsampleLayerParams(scalingFactor=[2, 3], mode=0)
    want = ort_run("Resize", {"x": x}, dict(mode="nearest", coordinate_transformation_mode="asymmetric",
                                            nearest_mode="floor"),
                   {"roi": np.zeros(0, np.float32), "scales": np.array([1, 1, 2, 3], np.float32)})
    check("NN upsample NN x2,x3 vs Resize nearest asymmetric floor", NN_LAYERS["upsample"](un, [x], np.float32), want)
    def frac(o, i):  # the float32 factor whose floor(i * factor) is o (mconv's upsampleScale rule)
        f = np.float32(o / i)
        return f if math.floor(float(f) * i) == o else np.nextafter(f, np.float32(np.inf))
    uf = nnpb.UpsampleLayerParams(fractionalScalingFactor=[frac(13, 9), frac(11, 8)], mode=1, linearUpsampleMode=2)
    want = ort_run("Resize", {"x": x}, dict(mode="linear", coordinate_transformation_mode="half_pixel"),
                   {"roi": np.zeros(0, np.float32), "scales": np.zeros(0, np.float32),
                    "sizes": np.array([1, 4, 13, 11], np.int64)})
    check("NN upsample bilinear ALIGN_CORNERS_FALSE fractional 9x8 -> 13x11 vs Resize half_pixel (sizes)",
          NN_LAYERS["upsample"](uf, [x], np.float32), want)
    gi = np.array([[2, 0, 8], [-1, 3, 1]], np.int64)
    check("NN gather axis 2, float indices", NN_LAYERS["gather"](nnpb.GatherLayerParams(axis=2),
                                                                 [x, gi.astype(np.float32)], np.float32),
          ort_run("Gather", {"x": x}, dict(axis=2), {"i": gi}))
    ni = np.array([[0, 3, 1], [0, 0, 8]], np.int64)
    check("NN gatherND, float indices", NN_LAYERS["gatherND"](nnpb.GatherNDLayerParams(),
                                                              [x, ni.astype(np.float32)], np.float32),
          ort_run("GatherND", {"x": x}, {}, {"i": ni}))
    for kind, mode in (("reflection", "reflect"), ("replication", "edge"), ("constant", "constant")):
        pl = nnpb.PaddingLayerParams()
        getattr(pl, kind).SetInParent()
        pl.paddingAmounts.borderAmounts.add(startEdgeSize=2, endEdgeSize=1)
        pl.paddingAmounts.borderAmounts.add(startEdgeSize=0, endEdgeSize=3)
        want = ort_run("Pad", {"x": x}, dict(mode=mode), {"p": np.array([0, 0, 2, 0, 0, 0, 1, 3], np.int64)})
        check(f"NN padding {kind} [H, W] (start, end)", NN_LAYERS["padding"](pl, [x], np.float32), want)
    g, b = r(9, 8), r(9, 8)
    ln = nnpb.LayerNormalizationLayerParams(normalizedShape=[9, 8], eps=1e-5)
    ln.gamma.floatValue.extend(g.reshape(-1).tolist())
    ln.beta.floatValue.extend(b.reshape(-1).tolist())
    check("NN layerNormalization over normalizedShape", NN_LAYERS["layerNormalization"](ln, [x], np.float32),
          ort_run("LayerNormalization", {"x": x}, dict(axis=2, epsilon=1e-5), {"g": g, "b": b}))
    cp = nnpb.ConstantPaddingLayerParams(value=-0.5, padAmounts=[0, 1, 2, 0, 1, 1, 0, 3])
    check("NN constantPad (begin, end) per axis", NN_LAYERS["constantPad"](cp, [x], np.float32),
          ort_run("Pad", {"x": x}, dict(mode="constant"), {"p": np.array([0, 2, 1, 0, 1, 0, 1, 3], np.int64),
                                                            "c": np.array(-0.5, np.float32)}))
    gc, bc = r(4), r(4)
    bn = nnpb.BatchnormLayerParams(channels=4, computeMeanVar=True, instanceNormalization=True, epsilon=1e-3)
    bn.gamma.floatValue.extend(gc.tolist())
    bn.beta.floatValue.extend(bc.tolist())
    check("NN batchnorm instanceNormalization", NN_LAYERS["batchnorm"](bn, [x], np.float32),
          ort_run("InstanceNormalization", {"x": x}, dict(epsilon=1e-3), {"g": gc, "b": bc}))
    check("NN tile", NN_LAYERS["tile"](nnpb.TileLayerParams(reps=[1, 2, 1, 3]), [x], np.float32),
          ort_run("Tile", {"x": x}, {}, {"r": np.array([1, 2, 1, 3], np.int64)}))
    for kind, op in (("reduceSum", "ReduceSum"), ("reduceL2", "ReduceL2")):
        p = getattr(nnpb, kind[0].upper() + kind[1:] + "LayerParams")(axes=[1, -1], keepDims=True)
        check(f"NN {kind} axes [1, -1] keepDims", NN_LAYERS[kind](p, [x], np.float32),
              ort_run(op, {"x": x}, dict(keepdims=1), {"a": np.array([1, -1], np.int64)}, opset=18))


def main():
    for f in (conv_cases, pool_cases, norm_cases, resize_cases, misc_cases, nn_cases):
        try:
            f()
        except Exception as e:
            global failed
            failed += 1
            print(f"FAIL {f.__name__}: {type(e).__name__}: {e}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
