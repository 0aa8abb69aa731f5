"""A NumPy interpreter of Core ML models, independent of mconv's Go code.

Reads an ML Program (.mlpackage) or a NeuralNetwork (.mlmodel) through
coremltools (`coremltools.models.utils.load_spec` gives the Model proto; the
ML program's weights are read here from weights/weight.bin, MIL blob storage
version 2) and evaluates every op by its documented MIL / NeuralNetwork
semantics (coremltools' op definitions in converters/mil/mil/ops/defs and the
NeuralNetwork.proto comments). Linux has no Core ML runtime; this is what
lets the project check the numbers a Core ML file computes without a Mac.

Precision modes (run(..., mode=)):
  "device"  every value is computed in float32 and every value the program
            types as fp16 is rounded to float16, as a device computes
            (for a NeuralNetwork: with fp16=True every layer output is
            rounded, as the GPU/Neural Engine run them);
  "float64" everything is computed in float64 with no rounding: the reference
            that locates the first op whose device-mode output diverges.

    python coreml_interp.py MODEL.mlpackage|MODEL.mlmodel [--fp16]
        runs the model on a seeded random input and prints output statistics.

The NeuralNetwork layers live in coreml_interp_nn.py, the numeric kernels
both share in coreml_kernels.py.
"""
import json
import math
import os
import struct
import sys

import numpy as np

from coreml_interp_nn import NN_LAYERS, NNModel  # noqa: F401 (re-exported)
from coreml_kernels import (InterpError, _bilinear, _erf, _gelu, _linear_axis, _nearest, _norm, _pads,  # noqa: F401
                            _sigmoid, _softmax, _windows, conv2d, pool)

# MIL DataType enum (MIL.proto) -> numpy dtype.
MIL_DTYPES = {1: np.bool_, 2: np.object_, 10: np.float16, 11: np.float32, 12: np.float64, 21: np.int8, 22: np.int16,
              23: np.int32, 24: np.int64, 31: np.uint8, 32: np.uint16, 33: np.uint32, 34: np.uint64}
# MIL blob storage v2 dtype codes (milstorage) -> numpy dtype.
BLOB_DTYPES = {1: np.float16, 2: np.float32, 3: np.uint8, 4: np.int8, 6: np.int16, 7: np.uint16, 8: np.int32,
               9: np.uint32}
CAST_DTYPES = {"fp16": np.float16, "fp32": np.float32, "fp64": np.float64, "int8": np.int8, "uint8": np.uint8,
               "int16": np.int16, "uint16": np.uint16, "int32": np.int32, "int64": np.int64, "bool": np.bool_}


def load(path):
    """A Model for PATH: .mlpackage (ML Program) or .mlmodel."""
    import coremltools as ct
    spec = ct.models.utils.load_spec(path)
    kind = spec.WhichOneof("Type")
    weights = None
    if os.path.isdir(path):
        weights = os.path.join(path, "Data", "com.apple.CoreML", "weights")
    if kind == "mlProgram":
        return MILProgram(spec, weights)
    if kind in ("neuralNetwork", "neuralNetworkClassifier", "neuralNetworkRegressor"):
        return NNModel(spec, getattr(spec, kind))
    raise InterpError(f"model type {kind} not supported")


def input_shapes(spec):
    """Input name -> shape. An image input (ImageFeatureType, RGB or BGR) is
    fed as a float [1, 3, H, W] array of pixel values in the image's channel
    order, as Core ML hands it to the model."""
    out = {}
    for i in spec.description.input:
        t = i.type.WhichOneof("Type")
        if t == "imageType":
            it = i.type.imageType
            if it.colorSpace not in (20, 30):  # RGB, BGR
                raise InterpError(f"input {i.name}: image color space {it.colorSpace} not supported")
            out[i.name] = (1, 3, int(it.height), int(it.width))
            continue
        if t != "multiArrayType":
            raise InterpError(f"input {i.name}: {t} not supported")
        out[i.name] = tuple(int(d) for d in i.type.multiArrayType.shape)
    return out


# ---------------------------------------------------------------- ML Program

class BlobFile:
    """weights/weight.bin: MIL blob storage version 2 (64-byte header, then
    per blob a 64-byte metadata record: sentinel 0xDEADBEEF, dtype u32,
    sizeInBytes u64, data offset u64)."""

    def __init__(self, path):
        with open(path, "rb") as f:
            self.data = f.read()
        count, version = struct.unpack_from("<II", self.data, 0)
        if version != 2:
            raise InterpError(f"{path}: blob storage version {version}, want 2")

    def read(self, offset, shape):
        sentinel, dt, size, off = struct.unpack_from("<IIQQ", self.data, offset)
        if sentinel != 0xDEADBEEF:
            raise InterpError(f"blob at {offset}: bad sentinel {sentinel:#x}")
        if dt not in BLOB_DTYPES:
            raise InterpError(f"blob at {offset}: dtype code {dt} not supported")
        arr = np.frombuffer(self.data, dtype=BLOB_DTYPES[dt], count=size // np.dtype(BLOB_DTYPES[dt]).itemsize,
                            offset=off)
        return arr.reshape(shape).copy()


def _tensor_type(vt):
    if vt.WhichOneof("type") != "tensorType":
        raise InterpError(f"value type {vt.WhichOneof('type')} not supported")
    tt = vt.tensorType
    dims = []
    for d in tt.dimensions:
        if d.WhichOneof("dimension") != "constant":
            dims.append(None)
        else:
            dims.append(int(d.constant.size))
    return MIL_DTYPES[tt.dataType], dims


class MILProgram:
    def __init__(self, spec, weights_dir):
        self.spec = spec
        prog = spec.mlProgram
        fn = prog.functions["main"]
        self.opset = fn.opset
        self.block = fn.block_specializations[fn.opset]
        self.inputs = [(i.name, _tensor_type(i.type)) for i in fn.inputs]
        self.outputs = list(self.block.outputs)
        self.weights_dir = weights_dir
        self._blobs = {}

    def _blob(self, file_name):
        name = file_name.replace("@model_path/weights/", "")
        if name not in self._blobs:
            if self.weights_dir is None:
                raise InterpError("blob value without a weights folder")
            self._blobs[name] = BlobFile(os.path.join(self.weights_dir, name))
        return self._blobs[name]

    def value(self, v):
        """A numpy array (or str) for a MIL Value."""
        dt, dims = _tensor_type(v.type)
        which = v.WhichOneof("value")
        if which == "blobFileValue":
            return self._blob(v.blobFileValue.fileName).read(v.blobFileValue.offset, dims).astype(dt)
        if which != "immediateValue":
            raise InterpError(f"value kind {which} not supported")
        t = v.immediateValue.tensor
        kind = t.WhichOneof("value")
        if kind == "strings":
            vals = list(t.strings.values)
            return vals[0] if len(dims) == 0 else np.array(vals, dtype=object).reshape(dims)
        if kind == "bytes":
            arr = np.frombuffer(t.bytes.values, dtype=dt)
        elif kind is None:
            arr = np.zeros(0, dt)
        else:
            arr = np.array(list(getattr(t, kind).values)).astype(dt)
        return arr.reshape(dims)

    def operations(self):
        return list(self.block.operations)

    def run(self, feeds, mode="device", trace=None):
        """Evaluates the program. feeds: input name -> array. trace, when a
        list, receives (op type, op name, output name, value) per output."""
        env = {}
        ftype = np.float64 if mode == "float64" else np.float32
        for name, (dt, dims) in self.inputs:
            x = np.asarray(feeds[name])
            env[name] = _to(x, dt, mode)
        for op in self.block.operations:
            if op.blocks:
                raise InterpError(f"op {op.type}: nested blocks not supported")
            name = op.attributes["name"].immediateValue.tensor.strings.values[0] if "name" in op.attributes else ""
            if op.type == "const":
                outs = [self.value(op.attributes["val"])]
            else:
                args = {}
                for k, arg in op.inputs.items():
                    vals = []
                    for b in arg.arguments:
                        if b.WhichOneof("binding") == "name":
                            vals.append(env[b.name])
                        else:
                            vals.append(self.value(b.value))
                    args[k] = vals
                fn = MIL_OPS.get(op.type)
                if fn is None:
                    raise InterpError(f"op {name!r} ({op.type}): not implemented by the interpreter")
                try:
                    res = fn(_Args(args, ftype), [_tensor_type(o.type) for o in op.outputs])
                except InterpError:
                    raise
                except Exception as e:
                    raise InterpError(f"op {name!r} ({op.type}): {type(e).__name__}: {e}") from e
                outs = list(res) if isinstance(res, (tuple, list)) else [res]
            if len(outs) != len(op.outputs):
                raise InterpError(f"op {name!r} ({op.type}): {len(outs)} results for {len(op.outputs)} outputs")
            for o, val in zip(op.outputs, outs):
                dt, dims = _tensor_type(o.type)
                if not isinstance(val, str) and dt is not np.object_:
                    val = _to(np.asarray(val), dt, mode)
                    if any(d is not None and d != s for d, s in zip(dims, val.shape)) or len(dims) != val.ndim:
                        raise InterpError(f"op {name!r} ({op.type}): output {o.name} shape {val.shape}, "
                                          f"declared {dims}")
                env[o.name] = val
                if trace is not None and op.type != "const":
                    trace.append((op.type, name, o.name, val))
        return {n: env[n] for n in self.outputs}


def _to(x, dt, mode):
    """X as the MIL type DT: floats are rounded to DT's precision in device
    mode (fp16 values to float16) and kept as float64 in float64 mode."""
    if np.issubdtype(dt, np.floating):
        if mode == "float64":
            return x.astype(np.float64)
        if dt == np.float16:
            return x.astype(np.float16).astype(np.float32)
        return x.astype(np.float32)
    return x.astype(dt)


class _Args:
    """An op's inputs: a[name] is the single value, a.list(name) all of a
    variadic input, a.get(name, default) for optional ones."""

    def __init__(self, args, ftype):
        self.args = args
        self.ftype = ftype

    def __contains__(self, k):
        return k in self.args

    def __getitem__(self, k):
        v = self.args[k][0]
        if isinstance(v, np.ndarray) and np.issubdtype(v.dtype, np.floating):
            return v.astype(self.ftype)
        return v

    def get(self, k, default=None):
        return self[k] if k in self.args else default

    def list(self, k):
        return [v.astype(self.ftype) if np.issubdtype(v.dtype, np.floating) else v for v in self.args[k]]

    def s(self, k, default=None):
        v = self.get(k, default)
        return v if v is None or isinstance(v, str) else str(np.asarray(v).reshape(-1)[0])

    def i(self, k, default=None):
        v = self.get(k, default)
        return None if v is None else int(np.asarray(v).reshape(-1)[0])

    def f(self, k, default=None):
        v = self.get(k, default)
        return None if v is None else float(np.asarray(v).reshape(-1)[0])

    def b(self, k, default=False):
        v = self.get(k, default)
        return bool(np.asarray(v).reshape(-1)[0])

    def ints(self, k, default=None):
        v = self.get(k, default)
        return None if v is None else [int(t) for t in np.asarray(v).reshape(-1)]


def _conv(a, outs):
    x, w = a["x"], a["weight"]
    k = list(w.shape[2:])
    nsp = len(k)
    strides = a.ints("strides") or [1] * nsp
    dil = a.ints("dilations") or [1] * nsp
    pads = _pads(a.s("pad_type", "valid"), a.ints("pad") or [0] * 2 * nsp, list(x.shape[2:]), k, strides, dil)
    return conv2d(x, w, a.get("bias"), strides, pads, dil, a.i("groups", 1))


def _pool(a, kind):
    x = a["x"]
    k = a.ints("kernel_sizes")
    nsp = len(k)
    strides = a.ints("strides") or [1] * nsp
    ceil_mode = a.b("ceil_mode", False)
    pads = _pads(a.s("pad_type", "valid"), a.ints("pad") or [0] * 2 * nsp, list(x.shape[2:]), k, strides, [1] * nsp)
    return pool(x, kind, k, strides, pads, ceil_mode, a.b("exclude_padding_from_average", False))


def _axes(a, k, rank):
    ax = a.ints(k)
    return None if ax is None else tuple(sorted(t % rank for t in ax))


def _reduce(fn):
    def f(a, outs):
        x = a["x"]
        ax = _axes(a, "axes", x.ndim) if "axes" in a else None
        return fn(x, axis=ax, keepdims=a.b("keep_dims", False))
    return f


def _affine(y, a, sh):
    """Y * gamma + beta, each optional, reshaped to SH."""
    if "gamma" in a:
        y = y * a["gamma"].reshape(sh)
    if "beta" in a:
        y = y + a["beta"].reshape(sh)
    return y


def _batch_norm(a, outs):
    x = a["x"]
    sh = (1, -1) + (1,) * (x.ndim - 2)
    return _affine((x - a["mean"].reshape(sh)) / np.sqrt(a["variance"].reshape(sh) + a.f("epsilon", 1e-5)), a, sh)


def _instance_norm(a, outs):
    x = a["x"]
    return _affine(_norm(x, tuple(range(2, x.ndim)), a.f("epsilon", 1e-5)), a, (1, -1) + (1,) * (x.ndim - 2))


def _layer_norm(a, outs):
    x = a["x"]
    axes = _axes(a, "axes", x.ndim)
    if axes is None:
        axes = tuple(range(x.ndim))
    return _affine(_norm(x, axes, a.f("epsilon", 1e-5)), a, [x.shape[i] if i in axes else 1 for i in range(x.ndim)])


def _matmul(a, outs):
    x, y = a["x"], a["y"]
    if a.b("transpose_x", False) and x.ndim > 1:
        x = np.swapaxes(x, -1, -2)
    if a.b("transpose_y", False) and y.ndim > 1:
        y = np.swapaxes(y, -1, -2)
    return np.matmul(x, y)


def _linear(a, outs):
    y = np.matmul(a["x"], a["weight"].T)
    b = a.get("bias")
    return y if b is None else y + b


def _reshape(a, outs):
    x = a["x"]
    shape = a.ints("shape")
    if len(shape) == x.ndim:
        shape = [x.shape[i] if d == 0 else d for i, d in enumerate(shape)]
    return x.reshape(shape)


def _slice_by_index(a, outs):
    x = a["x"]
    r = x.ndim
    begin = a.ints("begin")
    end = a.ints("end")
    stride = a.ints("stride") or [1] * r
    bm = a.ints("begin_mask") or [0] * r
    em = a.ints("end_mask") or [0] * r
    sm = a.ints("squeeze_mask") or [0] * r
    idx = []
    for i in range(r):
        b = None if bm[i] else begin[i]
        e = None if em[i] else end[i]
        if sm[i]:
            idx.append(begin[i])
        else:
            idx.append(slice(b, e, stride[i]))
    return x[tuple(idx)]


def _slice_by_size(a, outs):
    x = a["x"]
    begin = a.ints("begin")
    size = a.ints("size")
    idx = tuple(slice(b, None if s == -1 else b + s) for b, s in zip(begin, size))
    return x[idx]


def _split(a, outs):
    x = a["x"]
    axis = a.i("axis") % x.ndim
    sizes = a.ints("split_sizes")
    if sizes is None:
        n = a.i("num_splits")
        sizes = [x.shape[axis] // n] * n
    return np.split(x, np.cumsum(sizes)[:-1], axis=axis)


def _concat(a, outs):
    vals = a.list("values")
    axis = a.i("axis")
    if a.b("interleave", False):
        axis = axis % vals[0].ndim
        st = np.stack(vals, axis=axis + 1)
        sh = list(vals[0].shape)
        sh[axis] *= len(vals)
        return st.reshape(sh)
    return np.concatenate(vals, axis=axis)


def _expand_dims(a, outs):
    x = a["x"]
    axes = a.ints("axes")
    r = x.ndim + len(axes)
    for ax in sorted(t % r for t in axes):
        x = np.expand_dims(x, ax)
    return x


def _squeeze(a, outs):
    x = a["x"]
    if "axes" not in a:
        return np.squeeze(x)
    return np.squeeze(x, axis=tuple(t % x.ndim for t in a.ints("axes")))


def _upsample_bilinear(a, outs):
    x = a["x"]
    sh, sw = a.f("scale_factor_height", 1), a.f("scale_factor_width", 1)
    ho, wo = int(math.floor(x.shape[-2] * sh)), int(math.floor(x.shape[-1] * sw))
    ac = a.b("align_corners", True)
    if "half_pixel_centers" in a and not ac:
        mode = "UNALIGN_CORNERS" if a.b("half_pixel_centers") else "DEFAULT"
    else:
        mode = "STRICT_ALIGN_CORNERS" if ac else "UNALIGN_CORNERS"
    return _bilinear(x, ho, wo, mode)


def _resize_bilinear(a, outs):
    x = a["x"]
    return _bilinear(x, a.i("target_size_height", 1), a.i("target_size_width", 1), a.s("sampling_mode", "DEFAULT"))


def _upsample_nn(a, outs):
    x = a["x"]
    sh, sw = a.f("scale_factor_height", 1), a.f("scale_factor_width", 1)
    return _nearest(x, int(math.floor(x.shape[-2] * sh)), int(math.floor(x.shape[-1] * sw)))


def _resize(a, outs):
    """iOS17 resize: the last resized_dims dims take their sizes from the
    tail of shape (0 keeps x's), linear or nearest."""
    x = a["x"]
    shape = a.ints("shape")
    k = a.i("resized_dims")
    mode = a.s("sampling_mode", "DEFAULT")
    interp = a.s("interpolation_mode", "LINEAR")
    for j in range(1, k + 1):
        ax = x.ndim - j
        n = shape[len(shape) - j] or x.shape[ax]
        if interp == "LINEAR":
            x = _linear_axis(x, n, ax, mode)
        elif mode == "DEFAULT":
            idx = np.minimum(np.floor(np.arange(n) * (x.shape[ax] / n)).astype(np.int64), x.shape[ax] - 1)
            x = np.take(x, idx, axis=ax)
        else:
            raise InterpError(f"resize: NEAREST_NEIGHBOR with sampling mode {mode} not supported")
    return x


def _sdpa(a, outs):
    """iOS18 scaled_dot_product_attention: softmax(Q K^T / sqrt(E) + mask) V
    (a bool mask keeps the True positions)."""
    q, k, v = a["query"], a["key"], a["value"]
    s = np.matmul(q, np.swapaxes(k, -1, -2)) / math.sqrt(q.shape[-1])
    m = a.get("attn_mask")
    if m is not None:
        s = np.where(m, s, -np.inf) if m.dtype == np.bool_ else s + m
    return np.matmul(_softmax(s, -1), v)


def _pad(a, outs):
    x = a["x"]
    p = a.ints("pad")
    n = len(p) // 2
    widths = [(0, 0)] * (x.ndim - n) + [(p[2 * i], p[2 * i + 1]) for i in range(n)]
    mode = a.s("mode", "constant")
    if mode == "constant":
        return np.pad(x, widths, constant_values=a.f("constant_val", 0.0))
    return np.pad(x, widths, mode={"reflect": "reflect", "replicate": "edge"}[mode])


def _gather(a, outs):
    x, idx = a["x"], a["indices"].astype(np.int64)
    axis = a.i("axis", 0) % x.ndim
    bd = a.i("batch_dims", 0)
    if bd:
        raise InterpError("gather with batch_dims not supported")
    idx = np.where(idx < 0, idx + x.shape[axis], idx)
    return np.take(x, idx, axis=axis)


def _gather_nd(a, outs):
    x, idx = a["x"], a["indices"].astype(np.int64)
    if a.i("batch_dims", 0):
        raise InterpError("gather_nd with batch_dims not supported")
    k = idx.shape[-1]
    flat = idx.reshape(-1, k)
    res = x[tuple(flat[:, j] for j in range(k))]
    return res.reshape(idx.shape[:-1] + x.shape[k:])


def _gather_along_axis(a, outs):
    x, idx = a["x"], a["indices"].astype(np.int64)
    return np.take_along_axis(x, idx, axis=a.i("axis", 0))


def _cast(a, outs):
    x = a["x"]
    dt = CAST_DTYPES[a.s("dtype")]
    if np.issubdtype(dt, np.integer) and np.issubdtype(np.asarray(x).dtype, np.floating):
        x = np.trunc(x)
    return np.asarray(x).astype(dt)


def _clip(a, outs):
    return np.minimum(np.maximum(a["x"], a.f("alpha")), a.f("beta"))


def _binary(fn):
    return lambda a, outs: fn(a["x"], a["y"])


def _unary(fn):
    return lambda a, outs: fn(a["x"])


def _fill(a, outs):
    return np.full(a.ints("shape"), a.get("value", 0.0))


MIL_OPS = {
    "conv": _conv,
    "linear": _linear,
    "matmul": _matmul,
    "batch_norm": _batch_norm,
    "instance_norm": _instance_norm,
    "layer_norm": _layer_norm,
    "add": _binary(np.add), "sub": _binary(np.subtract), "mul": _binary(np.multiply),
    "real_div": _binary(lambda x, y: x / y), "maximum": _binary(np.maximum), "minimum": _binary(np.minimum),
    "pow": _binary(np.power), "floor_div": _binary(lambda x, y: np.floor_divide(x, y)),
    "mod": _binary(lambda x, y: np.mod(x, y)),
    "equal": _binary(np.equal), "not_equal": _binary(np.not_equal), "greater": _binary(np.greater),
    "greater_equal": _binary(np.greater_equal), "less": _binary(np.less), "less_equal": _binary(np.less_equal),
    "logical_and": _binary(np.logical_and), "logical_or": _binary(np.logical_or),
    "relu": _unary(lambda x: np.maximum(x, 0)),
    "relu6": _unary(lambda x: np.minimum(np.maximum(x, 0), 6)),
    "sigmoid": _unary(_sigmoid),
    "sigmoid_hard": lambda a, o: np.minimum(np.maximum(a.f("alpha", 0.2) * a["x"] + a.f("beta", 0.5), 0), 1),
    "silu": _unary(lambda x: x * _sigmoid(x)),
    "gelu": lambda a, o: _gelu(a["x"], a.s("mode", "EXACT")),
    "erf": _unary(_erf),
    "tanh": _unary(np.tanh),
    "clip": _clip,
    "leaky_relu": lambda a, o: np.where(a["x"] >= 0, a["x"], a.f("alpha", 0.01) * a["x"]),
    "elu": lambda a, o: np.where(a["x"] > 0, a["x"], a.f("alpha", 1.0) * (np.exp(a["x"]) - 1)),
    "prelu": lambda a, o: np.where(a["x"] >= 0, a["x"],
                                   a["alpha"].reshape((1, -1) + (1,) * (a["x"].ndim - 2)) * a["x"]),
    "thresholded_relu": lambda a, o: np.where(a["x"] > a.f("alpha", 1.0), a["x"], 0),
    "softplus": _unary(lambda x: np.logaddexp(0, x)),
    "softsign": _unary(lambda x: x / (1 + np.abs(x))),
    "linear_activation": lambda a, o: a.f("alpha", 1.0) * a["x"] + a.f("beta", 0.0),
    "scaled_tanh": lambda a, o: a.f("alpha", 1.0) * np.tanh(a.f("beta", 1.0) * a["x"]),
    "exp": _unary(np.exp), "exp2": _unary(np.exp2), "log": _unary(np.log), "sqrt": _unary(np.sqrt),
    "rsqrt": lambda a, o: 1 / np.sqrt(a["x"] + a.f("epsilon", 1e-12)),
    "inverse": lambda a, o: 1 / (a["x"] + a.f("epsilon", 1e-4)),
    "abs": _unary(np.abs), "square": _unary(np.square), "floor": _unary(np.floor), "ceil": _unary(np.ceil),
    "round": _unary(np.round), "sign": _unary(np.sign), "sin": _unary(np.sin), "cos": _unary(np.cos),
    "logical_not": _unary(np.logical_not),
    "identity": _unary(lambda x: x),
    "reduce_mean": _reduce(np.mean), "reduce_max": _reduce(np.max), "reduce_min": _reduce(np.min),
    "reduce_sum": _reduce(np.sum), "reduce_prod": _reduce(np.prod),
    "reduce_sum_square": _reduce(lambda x, **k: np.sum(x * x, **k)),
    "reduce_l2_norm": _reduce(lambda x, **k: np.sqrt(np.sum(x * x, **k))),
    "reduce_argmax": lambda a, o: np.argmax(a["x"], axis=a.i("axis", -1)) if not a.b("keep_dims", False)
    else np.expand_dims(np.argmax(a["x"], axis=a.i("axis", -1)), a.i("axis", -1)),
    "avg_pool": lambda a, o: _pool(a, "avg"),
    "max_pool": lambda a, o: _pool(a, "max"),
    "softmax": lambda a, o: _softmax(a["x"], a.i("axis", -1)),
    "concat": _concat,
    "split": _split,
    "reshape": _reshape,
    "transpose": lambda a, o: np.transpose(a["x"], a.ints("perm")),
    "slice_by_index": _slice_by_index,
    "slice_by_size": _slice_by_size,
    "squeeze": _squeeze,
    "expand_dims": _expand_dims,
    "cast": _cast,
    "upsample_nearest_neighbor": _upsample_nn,
    "upsample_bilinear": _upsample_bilinear,
    "resize_bilinear": _resize_bilinear,
    "resize_nearest_neighbor": lambda a, o: _nearest(a["x"], a.i("target_size_height", 1),
                                                     a.i("target_size_width", 1)),
    "pad": _pad,
    "resize": _resize,
    "scaled_dot_product_attention": _sdpa,
    "gather": _gather,
    "gather_nd": _gather_nd,
    "gather_along_axis": _gather_along_axis,
    "tile": lambda a, o: np.tile(a["x"], a.ints("reps")),
    "shape": lambda a, o: np.array(a["x"].shape, dtype=np.int32),
    "fill": _fill,
    "select": lambda a, o: np.where(a["cond"], a["a"], a["b"]),
    "stack": lambda a, o: np.stack(a.list("values"), axis=a.i("axis")),
    "range_1d": lambda a, o: np.arange(a["start"], a["end"], a["step"]),
    "flatten2d": lambda a, o: a["x"].reshape(int(np.prod(a["x"].shape[:a.i("axis", 1) % a["x"].ndim])), -1),
    "pixel_shuffle": lambda a, o: _pixel_shuffle(a["x"], a.i("upscale_factor")),
    "einsum": lambda a, o: np.einsum(a.s("equation"), *a.list("values")),
}


def _pixel_shuffle(x, r):
    n, c, h, w = x.shape
    return x.reshape(n, c // (r * r), r, r, h, w).transpose(0, 1, 4, 2, 5, 3).reshape(n, c // (r * r), h * r, w * r)


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("--fp16", action="store_true", help="NeuralNetwork: round every layer output to fp16")
    args = ap.parse_args(argv)
    m = load(args.model)
    rng = np.random.default_rng(0)
    feeds = {k: rng.standard_normal(s).astype(np.float32) for k, s in input_shapes(m.spec).items()}
    out = m.run(feeds, fp16=args.fp16) if isinstance(m, NNModel) else m.run(feeds)
    for k, v in out.items():
        print(json.dumps({"output": k, "shape": list(v.shape), "min": float(v.min()), "max": float(v.max()),
                          "mean": float(v.mean())}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
