"""NeuralNetwork (.mlmodel, specification version 4) layers for
coreml_interp.py: NNModel evaluates a spec's layers in order, each by the
semantics documented in NeuralNetwork.proto (and, where that is silent, as
coremltools' NeuralNetwork backend emits them)."""
import math

import numpy as np

from coreml_kernels import (InterpError, _bilinear, _erf, _gelu, _nearest, _norm, _pads, _sigmoid, _softmax,
                            conv2d, pool)

def _weights(wp, shape=None):
    """A WeightParams as float32 (fp16 and raw fp32 storage decoded)."""
    if len(wp.floatValue):
        arr = np.array(wp.floatValue, dtype=np.float32)
    elif len(wp.float16Value):
        arr = np.frombuffer(wp.float16Value, dtype=np.float16).astype(np.float32)
    elif len(wp.rawValue):
        arr = np.frombuffer(wp.rawValue, dtype=np.float32).copy()
    else:
        arr = np.zeros(0, np.float32)
    return arr if shape is None else arr.reshape(shape)


def _edge_pads(valid, n=2):
    amts = valid.paddingAmounts.borderAmounts
    if len(amts) == 0:
        return [(0, 0)] * n
    return [(int(e.startEdgeSize), int(e.endEdgeSize)) for e in amts]


class NNModel:
    def __init__(self, spec, nn):
        self.spec = spec
        self.nn = nn
        self.outputs = [o.name for o in spec.description.output]

    def operations(self):
        return list(self.nn.layers)

    def preprocess(self, name, x):
        """NeuralNetwork image preprocessing (NeuralNetworkImageScaler) of
        input name: y[c] = channelScale * x[c] + bias[c], the biases taken
        in the image's channel order (RGB: red, green, blue; BGR: blue,
        green, red)."""
        inputs = {i.name: i for i in self.spec.description.input}
        for p in self.nn.preprocessing:
            if (p.featureName or next(iter(inputs))) != name or p.WhichOneof("preprocessor") != "scaler":
                continue
            s = p.scaler
            t = inputs[name].type
            if t.WhichOneof("Type") != "imageType":
                raise InterpError(f"input {name}: image preprocessing on a non-image input")
            bias = [s.redBias, s.greenBias, s.blueBias]
            if t.imageType.colorSpace == 30:  # BGR
                bias = bias[::-1]
            return x * s.channelScale + np.asarray(bias, dtype=x.dtype).reshape(1, 3, 1, 1)
        return x

    def run(self, feeds, mode="device", fp16=False, trace=None):
        ftype = np.float64 if mode == "float64" else np.float32
        rnd = fp16 and mode != "float64"

        def put(name, v):
            v = np.asarray(v)
            if np.issubdtype(v.dtype, np.floating):
                v = v.astype(ftype)
                if rnd:
                    v = v.astype(np.float16).astype(np.float32)
            env[name] = v
            return v

        env = {}
        for k, v in feeds.items():
            put(k, self.preprocess(k, np.asarray(v, dtype=ftype)))
        for layer in self.nn.layers:
            kind = layer.WhichOneof("layer")
            fn = NN_LAYERS.get(kind)
            if fn is None:
                raise InterpError(f"layer {layer.name!r} ({kind}): not implemented by the interpreter")
            xs = [env[i] for i in layer.input]
            try:
                res = fn(getattr(layer, kind), xs, ftype)
            except InterpError:
                raise
            except Exception as e:
                raise InterpError(f"layer {layer.name!r} ({kind}): {type(e).__name__}: {e}") from e
            res = list(res) if isinstance(res, (tuple, list)) else [res]
            for o, v in zip(layer.output, res):
                v = put(o, v)
                if trace is not None:
                    trace.append((kind, layer.name, o, v))
        return {n: env[n] for n in self.outputs}


def _nn_conv(p, xs, ft):
    x = xs[0]
    if p.isDeconvolution:
        raise InterpError("deconvolution not supported")
    k = [int(t) for t in p.kernelSize] or [3, 3]
    strides = [int(t) for t in p.stride] or [1, 1]
    dil = [int(t) for t in p.dilationFactor] or [1, 1]
    g = int(p.nGroups) or 1
    w = _weights(p.weights, (int(p.outputChannels), int(p.kernelChannels), k[0], k[1])).astype(ft)
    b = _weights(p.bias).astype(ft) if p.hasBias else None
    if p.WhichOneof("ConvolutionPaddingType") == "valid":
        pads = _edge_pads(p.valid)
    else:
        mode = p.same.asymmetryMode  # 0 BOTTOM_RIGHT_HEAVY, 1 TOP_LEFT_HEAVY
        pads = _pads("same" if mode == 0 else "same_lower", None, list(x.shape[-2:]), k, strides, dil)
    squeeze = x.ndim == 3
    if squeeze:
        x = x[None]
    y = conv2d(x, w, b, strides, pads, dil, g)
    return y[0] if squeeze else y


def _nn_pool(p, xs, ft):
    x = xs[0]
    kind = "max" if p.type == 0 else ("avg" if p.type == 1 else None)
    if kind is None:
        raise InterpError("L2 pooling not supported")
    if p.globalPooling:
        return x.max(axis=(-2, -1), keepdims=True) if kind == "max" else x.mean(axis=(-2, -1), keepdims=True)
    k = [int(t) for t in p.kernelSize] or [3, 3]
    st = [int(t) for t in p.stride] or [1, 1]
    which = p.WhichOneof("PoolingPaddingType")
    if which == "valid":
        pads, ceil = _edge_pads(p.valid), False
    elif which == "same":
        pads, ceil = _pads("same", None, list(x.shape[-2:]), k, st, [1, 1]), False
    else:
        e = p.includeLastPixel.paddingAmounts
        pads, ceil = [(int(e[0]), int(e[0])), (int(e[1]), int(e[1]))] if len(e) else [(0, 0), (0, 0)], True
    squeeze = x.ndim == 3
    if squeeze:
        x = x[None]
    y = pool(x, kind, k, st, pads, ceil, p.avgPoolExcludePadding)
    return y[0] if squeeze else y


def _nn_activation(p, xs, ft):
    x = xs[0]
    t = p.WhichOneof("NonlinearityType")
    q = getattr(p, t)
    if t == "ReLU":
        return np.maximum(x, 0)
    if t == "leakyReLU":
        return np.where(x >= 0, x, q.alpha * x)
    if t == "sigmoid":
        return _sigmoid(x)
    if t == "sigmoidHard":
        return np.minimum(np.maximum(q.alpha * x + q.beta, 0), 1)
    if t == "tanh":
        return np.tanh(x)
    if t == "linear":
        return q.alpha * x + q.beta
    if t == "thresholdedReLU":
        return np.where(x > q.alpha, x, 0)
    if t == "PReLU":
        a = _weights(q.alpha).astype(ft)
        a = a.reshape((-1,) + (1,) * 2) if x.ndim >= 3 and a.size > 1 else a
        return np.where(x >= 0, x, a * x)
    if t == "ELU":
        return np.where(x > 0, x, q.alpha * (np.exp(x) - 1))
    if t == "softplus":
        return np.logaddexp(0, x)
    if t == "softsign":
        return x / (1 + np.abs(x))
    if t == "scaledTanh":
        return q.alpha * np.tanh(q.beta * x)
    raise InterpError(f"activation {t} not supported")


def _nn_add_mul(op):
    def f(p, xs, ft):
        if len(xs) == 1:
            return op(xs[0], np.asarray(p.alpha, ft))
        y = xs[0]
        for v in xs[1:]:
            y = op(y, v)
        return y
    return f


def _nn_batchnorm(p, xs, ft):
    x = xs[0]
    c = int(p.channels)
    sh = (1, c, 1, 1) if x.ndim == 4 else (c, 1, 1)
    g, b = _weights(p.gamma).astype(ft).reshape(sh), _weights(p.beta).astype(ft).reshape(sh)
    if p.instanceNormalization:
        return _norm(x, (-2, -1), p.epsilon) * g + b
    m, v = _weights(p.mean).astype(ft).reshape(sh), _weights(p.variance).astype(ft).reshape(sh)
    return (x - m) / np.sqrt(v + np.asarray(p.epsilon, ft)) * g + b


def _nn_inner(p, xs, ft):
    x = xs[0]
    w = _weights(p.weights, (int(p.outputChannels), int(p.inputChannels))).astype(ft)
    if x.ndim >= 3 and x.shape[-1] == 1 and x.shape[-2] == 1 and x.shape[-3] == p.inputChannels:
        y = np.matmul(x[..., 0, 0], w.T)
        if p.hasBias:
            y = y + _weights(p.bias).astype(ft)
        return y[..., None, None]
    y = np.matmul(x, w.T)
    return y + _weights(p.bias).astype(ft) if p.hasBias else y


def _nn_batched_matmul(p, xs, ft):
    x = xs[0]
    if len(xs) == 2:
        a, b = xs
        if p.transposeA:
            a = np.swapaxes(a, -1, -2)
        if p.transposeB:
            b = np.swapaxes(b, -1, -2)
        return np.matmul(a, b)
    if p.transposeA:
        x = np.swapaxes(x, -1, -2)
    w = _weights(p.weights, (int(p.weightMatrixFirstDimension), int(p.weightMatrixSecondDimension))).astype(ft)
    y = np.matmul(x, w)
    return y + _weights(p.bias).astype(ft) if p.hasBias else y


def _nn_reduce(fn):
    def f(p, xs, ft):
        x = xs[0]
        if p.reduceAll:
            return fn(x, axis=None, keepdims=p.keepDims).reshape((1,) * x.ndim if p.keepDims else (1,))
        return fn(x, axis=tuple(int(a) % x.ndim for a in p.axes), keepdims=p.keepDims)
    return f


def _nn_slice_static(p, xs, ft):
    x = xs[0]
    idx = []
    for i in range(x.ndim):
        b = None if p.beginMasks[i] else int(p.beginIds[i])
        e = None if p.endMasks[i] else int(p.endIds[i])
        if len(p.squeezeMasks) and p.squeezeMasks[i]:
            idx.append(int(p.beginIds[i]))
        else:
            idx.append(slice(b, e, int(p.strides[i])))
    return x[tuple(idx)]


def _nn_split_nd(p, xs, ft):
    x = xs[0]
    ax = int(p.axis) % x.ndim
    sizes = [int(s) for s in p.splitSizes] or [x.shape[ax] // int(p.numSplits)] * int(p.numSplits)
    return np.split(x, np.cumsum(sizes)[:-1], axis=ax)


def _nn_load_constant_nd(p, xs, ft):
    return _weights(p.data, tuple(int(s) for s in p.shape)).astype(ft)


def _nn_unary(p, xs, ft):
    x = xs[0]
    t = p.type
    # SQRT=0 RSQRT=1 INVERSE=2 POWER=3 EXP=4 LOG=5 ABS=6 THRESHOLD=7
    alpha = p.alpha
    eps = p.epsilon if p.epsilon != 0 else 1e-6
    if t == 0:
        y = np.sqrt(x)
    elif t == 1:
        y = 1 / np.sqrt(x + eps)
    elif t == 2:
        y = 1 / (x + eps)
    elif t == 3:
        y = np.power(x, alpha)
    elif t == 4:
        y = np.exp(x)
    elif t == 5:
        y = np.log(x + eps)
    elif t == 6:
        y = np.abs(x)
    elif t == 7:
        y = np.maximum(x, alpha)
    else:
        raise InterpError(f"unary function type {t}")
    return y * (p.scale if p.scale != 0 else 1) + p.shift


def _nn_upsample(p, xs, ft):
    x = xs[0]
    sf = [int(s) for s in p.scalingFactor] or [1, 1]
    fsf = [float(s) for s in p.fractionalScalingFactor]
    if fsf:
        sf_h, sf_w = fsf
    else:
        sf_h, sf_w = sf
    ho, wo = int(math.floor(x.shape[-2] * sf_h)), int(math.floor(x.shape[-1] * sf_w))
    if p.mode == 0:  # NN
        return _nearest(x, ho, wo)
    # BILINEAR: linearUpsampleMode DEFAULT=0 ALIGN_CORNERS_TRUE=1 ALIGN_CORNERS_FALSE=2
    mode = {0: "DEFAULT", 1: "STRICT_ALIGN_CORNERS", 2: "UNALIGN_CORNERS"}[p.linearUpsampleMode]
    return _bilinear(x, ho, wo, mode)


def _nn_resize_bilinear(p, xs, ft):
    x = xs[0]
    # SamplingMode.Method, as coremltools' backend maps MIL's sampling modes:
    # STRICT_ALIGN_ENDPOINTS_MODE, ALIGN_ENDPOINTS_MODE, UPSAMPLE_MODE (MIL
    # DEFAULT), ROI_ALIGN_MODE (MIL OFFSET_CORNERS)
    modes = {0: "STRICT_ALIGN_CORNERS", 1: "ALIGN_CORNERS", 2: "DEFAULT", 3: "OFFSET_CORNERS"}
    mode = modes[p.mode.samplingMethod]
    return _bilinear(x, int(p.targetSize[0]), int(p.targetSize[1]), mode)


def _nn_padding(p, xs, ft):
    x = xs[0]
    e = p.paddingAmounts.borderAmounts
    widths = [(0, 0)] * (x.ndim - 2) + [(int(e[0].startEdgeSize), int(e[0].endEdgeSize)),
                                        (int(e[1].startEdgeSize), int(e[1].endEdgeSize))]
    t = p.WhichOneof("PaddingType")
    if t == "constant":
        return np.pad(x, widths, constant_values=p.constant.value)
    return np.pad(x, widths, mode="reflect" if t == "reflection" else "edge")


def _nn_constant_pad(p, xs, ft):
    x = xs[0]
    a = [int(t) for t in p.padAmounts]
    widths = [(a[2 * i], a[2 * i + 1]) for i in range(x.ndim)]
    if p.padToGivenOutputSizeMode:
        raise InterpError("padToGivenOutputSizeMode not supported")
    return np.pad(x, widths, constant_values=p.value)


def _nn_layer_norm(p, xs, ft):
    x = xs[0]
    shp = tuple(int(s) for s in p.normalizedShape)
    axes = tuple(range(x.ndim - len(shp), x.ndim))
    return _norm(x, axes, p.eps) * _weights(p.gamma, shp).astype(ft) + _weights(p.beta, shp).astype(ft)


def _nn_mvn(p, xs, ft):
    """MVN: (x - mean) / sqrt(var + epsilon) over the last 2 (or 3) dims.
    NeuralNetwork.proto does not say where epsilon goes; inside the square
    root is what coremltools' NeuralNetwork backend assumes when it lowers
    layer_norm to mvn (validate_coreml_interp.py, InceptionNeXt)."""
    x = xs[0]
    axes = (-3, -2, -1) if p.acrossChannels else (-2, -1)
    m = x.mean(axis=axes, keepdims=True)
    if not p.normalizeVariance:
        return x - m
    v = ((x - m) ** 2).mean(axis=axes, keepdims=True)
    return (x - m) / np.sqrt(v + p.epsilon)


def _nn_gather(p, xs, ft):
    x, idx = xs[0], xs[1].astype(np.int64)
    ax = int(p.axis) % x.ndim
    return np.take(x, np.where(idx < 0, idx + x.shape[ax], idx), axis=ax)


def _nn_gather_nd(p, xs, ft):
    x, idx = xs[0], xs[1].astype(np.int64)
    k = idx.shape[-1]
    flat = idx.reshape(-1, k)
    return x[tuple(flat[:, j] for j in range(k))].reshape(idx.shape[:-1] + x.shape[k:])


def _nn_flatten(p, xs, ft):
    x = xs[0]
    if p.mode == 1:  # CHANNEL_LAST
        x = np.moveaxis(x, -3, -1)
    return x.reshape(x.shape[:-3] + (-1, 1, 1))


def _nn_concat(p, xs, ft):
    return np.concatenate(xs, axis=-3)


def _nn_bias(p, xs, ft):
    b = _weights(p.bias, tuple(int(s) for s in p.shape)).astype(ft)
    return xs[0] + (b.reshape(-1, 1, 1) if b.ndim == 1 else b)


def _nn_scale(p, xs, ft):
    s = _weights(p.scale, tuple(int(t) for t in p.shapeScale)).astype(ft)
    y = xs[0] * (s.reshape(-1, 1, 1) if s.ndim == 1 else s)
    if p.hasBias:
        b = _weights(p.bias, tuple(int(t) for t in p.shapeBias)).astype(ft)
        y = y + (b.reshape(-1, 1, 1) if b.ndim == 1 else b)
    return y


def _nn_slice(p, xs, ft):
    """SliceLayerParams: numpy [startIndex:endIndex:stride] along channel,
    height or width (axis 0/1/2 of the last three dims)."""
    x = xs[0]
    ax = x.ndim - 3 + int(p.axis)
    idx = [slice(None)] * x.ndim
    idx[ax] = slice(int(p.startIndex), int(p.endIndex), int(p.stride) or 1)
    return x[tuple(idx)]


NN_LAYERS = {
    "convolution": _nn_conv,
    "pooling": _nn_pool,
    "activation": _nn_activation,
    "innerProduct": _nn_inner,
    "batchnorm": _nn_batchnorm,
    "add": _nn_add_mul(np.add),
    "multiply": _nn_add_mul(np.multiply),
    "addBroadcastable": lambda p, xs, ft: xs[0] + xs[1],
    "multiplyBroadcastable": lambda p, xs, ft: xs[0] * xs[1],
    "subtractBroadcastable": lambda p, xs, ft: xs[0] - xs[1],
    "divideBroadcastable": lambda p, xs, ft: xs[0] / xs[1],
    "maxBroadcastable": lambda p, xs, ft: np.maximum(xs[0], xs[1]),
    "minBroadcastable": lambda p, xs, ft: np.minimum(xs[0], xs[1]),
    "powBroadcastable": lambda p, xs, ft: np.power(xs[0], xs[1]),
    "modBroadcastable": lambda p, xs, ft: np.mod(xs[0], xs[1]),
    "floorDivBroadcastable": lambda p, xs, ft: np.floor_divide(xs[0], xs[1]),
    "loadConstantND": _nn_load_constant_nd,
    "loadConstant": lambda p, xs, ft: _weights(p.data, tuple(int(s) for s in p.shape)).astype(ft),
    "softmax": lambda p, xs, ft: _softmax(xs[0], -3),
    "softmaxND": lambda p, xs, ft: _softmax(xs[0], int(p.axis)),
    "concat": _nn_concat,
    "concatND": lambda p, xs, ft: (np.stack(xs, axis=int(p.axis) + 1 if p.axis >= 0 else int(p.axis))
                                   .reshape(tuple(s * (len(xs) if i == int(p.axis) % xs[0].ndim else 1)
                                                  for i, s in enumerate(xs[0].shape)))
                                   if getattr(p, "interleave", False) else np.concatenate(xs, axis=int(p.axis))),
    "transpose": lambda p, xs, ft: np.transpose(xs[0], [int(a) for a in p.axes]),
    "permute": lambda p, xs, ft: np.transpose(xs[0], [int(a) for a in p.axis]) if xs[0].ndim == 4
    else np.transpose(xs[0], [int(a) - 1 for a in p.axis[1:]]),
    "reshapeStatic": lambda p, xs, ft: xs[0].reshape([int(s) for s in p.targetShape]),
    "rankPreservingReshape": lambda p, xs, ft: xs[0].reshape([xs[0].shape[i] if d == 0 else int(d)
                                                              for i, d in enumerate(p.targetShape)]),
    "reshape": lambda p, xs, ft: xs[0].reshape(xs[0].shape[:-3] + tuple(int(s) for s in p.targetShape[-3:])),
    "flatten": _nn_flatten,
    "flattenTo2D": lambda p, xs, ft: xs[0].reshape(int(np.prod(xs[0].shape[:int(p.axis) % xs[0].ndim])), -1),
    "squeeze": lambda p, xs, ft: np.squeeze(xs[0]) if p.squeezeAll
    else np.squeeze(xs[0], axis=tuple(int(a) % xs[0].ndim for a in p.axes)),
    "expandDims": lambda p, xs, ft: np.expand_dims(xs[0], tuple(sorted(int(a) % (xs[0].ndim + len(p.axes))
                                                                      for a in p.axes))),
    "sliceStatic": _nn_slice_static,
    "splitND": _nn_split_nd,
    "split": lambda p, xs, ft: np.split(xs[0], int(p.nOutputs), axis=-3),
    "clip": lambda p, xs, ft: np.minimum(np.maximum(xs[0], p.minVal), p.maxVal),
    "gelu": lambda p, xs, ft: _gelu(xs[0], {0: "EXACT", 1: "TANH_APPROXIMATION", 2: "SIGMOID_APPROXIMATION"}[p.mode]),
    "erf": lambda p, xs, ft: _erf(xs[0]),
    "unary": _nn_unary,
    "batchedMatmul": _nn_batched_matmul,
    "reduceMean": _nn_reduce(np.mean),
    "reduceSum": _nn_reduce(np.sum),
    "reduceMax": _nn_reduce(np.max),
    "reduceMin": _nn_reduce(np.min),
    "reduceProd": _nn_reduce(np.prod),
    "reduceSumSquare": _nn_reduce(lambda x, **k: np.sum(x * x, **k)),
    "reduceL2": _nn_reduce(lambda x, **k: np.sqrt(np.sum(x * x, **k))),
    "upsample": _nn_upsample,
    "resizeBilinear": _nn_resize_bilinear,
    "padding": _nn_padding,
    "constantPad": _nn_constant_pad,
    "layerNormalization": _nn_layer_norm,
    "mvn": _nn_mvn,
    "gather": _nn_gather,
    "gatherND": _nn_gather_nd,
    "bias": _nn_bias,
    "scale": _nn_scale,
    "tile": lambda p, xs, ft: np.tile(xs[0], [int(r) for r in p.reps]),
    "exp2": lambda p, xs, ft: np.exp2(xs[0]),
    "sqrt": lambda p, xs, ft: np.sqrt(xs[0]),
    "tanh": lambda p, xs, ft: np.tanh(xs[0]),
    "sigmoid": lambda p, xs, ft: _sigmoid(xs[0]),
    "clampedReLU": lambda p, xs, ft: np.minimum(np.where(xs[0] >= 0, xs[0], p.alpha * xs[0]), p.beta),
    "broadcastToStatic": lambda p, xs, ft: np.broadcast_to(xs[0], [int(s) for s in p.targetShape]).copy(),
    "fillStatic": lambda p, xs, ft: np.full([int(s) for s in p.targetShape], p.value, dtype=ft),
    "stack": lambda p, xs, ft: np.stack(xs, axis=int(p.axis)),
    "sliceBySize": lambda p, xs, ft: np.take(xs[0], np.arange(int(np.asarray(xs[1]).reshape(-1)[0]),
                                                              int(np.asarray(xs[1]).reshape(-1)[0]) + int(p.size)),
                                             axis=int(p.axis)),
    "copy": lambda p, xs, ft: xs[0],
    "slice": _nn_slice,
}
