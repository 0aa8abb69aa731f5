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
"""
import json
import math
import os
import struct
import sys

import numpy as np

# MIL DataType enum (MIL.proto) -> numpy dtype.
MIL_DTYPES = {1: np.bool_, 2: np.object_, 10: np.float16, 11: np.float32, 12: np.float64, 21: np.int8, 22: np.int16,
              23: np.int32, 24: np.int64, 31: np.uint8, 32: np.uint16, 33: np.uint32, 34: np.uint64}
# MIL blob storage v2 dtype codes (milstorage) -> numpy dtype.
BLOB_DTYPES = {1: np.float16, 2: np.float32, 3: np.uint8, 4: np.int8, 6: np.int16, 7: np.uint16, 8: np.int32,
               9: np.uint32}
CAST_DTYPES = {"fp16": np.float16, "fp32": np.float32, "fp64": np.float64, "int8": np.int8, "uint8": np.uint8,
               "int16": np.int16, "uint16": np.uint16, "int32": np.int32, "int64": np.int64, "bool": np.bool_}


class InterpError(Exception):
    pass


def _erf(x):
    """Elementwise erf (math.erf is exact to double precision)."""
    return np.vectorize(math.erf, otypes=[np.float64])(x).astype(x.dtype)


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
    out = {}
    for i in spec.description.input:
        t = i.type.WhichOneof("Type")
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


def _pads(pad_type, pad, in_sizes, kernel, strides, dilations, ceil_mode=False):
    """(before, after) per spatial dim for a conv/pool window."""
    n = len(in_sizes)
    if pad_type == "valid":
        return [(0, 0)] * n
    if pad_type == "custom":
        return [(pad[2 * i], pad[2 * i + 1]) for i in range(n)]
    if pad_type in ("same", "same_lower"):
        out = []
        for i in range(n):
            o = -(-in_sizes[i] // strides[i])
            eff = (kernel[i] - 1) * dilations[i] + 1
            total = max((o - 1) * strides[i] + eff - in_sizes[i], 0)
            lo = total // 2 if pad_type == "same" else total - total // 2
            out.append((lo, total - lo))
        return out
    raise InterpError(f"pad_type {pad_type!r}")


def _windows(xp, kernel, strides, dilations, out_sizes):
    """Yields (kernel index tuple, strided view of XP [N, C, *out]) for every
    kernel position (2-D and 1-D spatial)."""
    if len(kernel) == 1:
        for i in range(kernel[0]):
            s = i * dilations[0]
            yield (i,), xp[:, :, s:s + (out_sizes[0] - 1) * strides[0] + 1:strides[0]]
        return
    if len(kernel) != 2:
        raise InterpError(f"{len(kernel)}-D windows not supported")
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            si, sj = i * dilations[0], j * dilations[1]
            yield (i, j), xp[:, :, si:si + (out_sizes[0] - 1) * strides[0] + 1:strides[0],
                             sj:sj + (out_sizes[1] - 1) * strides[1] + 1:strides[1]]


def conv2d(x, w, b, strides, pads, dilations, groups):
    """Cross-correlation, x [N, Cin, *S], w [Cout, Cin/groups, *K]."""
    n, cin = x.shape[:2]
    cout, cg = w.shape[:2]
    k = w.shape[2:]
    xp = np.pad(x, [(0, 0), (0, 0)] + list(pads))
    outs = [(xp.shape[2 + i] - (k[i] - 1) * dilations[i] - 1) // strides[i] + 1 for i in range(len(k))]
    if cg * groups != cin:
        raise InterpError(f"conv: weight {w.shape} with groups {groups} for {cin} input channels")
    og = cout // groups
    y = np.zeros((n, cout) + tuple(outs), dtype=x.dtype)
    depthwise = cg == 1 and og == 1
    for idx, view in _windows(xp, k, strides, dilations, outs):
        wk = w[(slice(None), slice(None)) + idx]  # [Cout, Cg]
        if depthwise:
            y += view * wk[:, 0].reshape((1, cout) + (1,) * len(k))
        elif groups == 1:
            y += np.einsum("oc,nc...->no...", wk, view, optimize=True)
        else:
            v = view.reshape((n, groups, cg, -1))
            y += np.matmul(wk.reshape(groups, og, cg)[None], v).reshape(y.shape)
    if b is not None:
        y += b.reshape((1, cout) + (1,) * len(k))
    return y


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


def pool(x, kind, k, strides, pads, ceil_mode, exclude_pad):
    nsp = len(k)
    outs, extra = [], []
    for i in range(nsp):
        span = x.shape[2 + i] + pads[i][0] + pads[i][1] - k[i]
        o = (-(-span // strides[i]) if ceil_mode else span // strides[i]) + 1
        if ceil_mode and (o - 1) * strides[i] >= x.shape[2 + i] + pads[i][0]:
            o -= 1  # PyTorch's rule: the last window starts inside input or left pad
        outs.append(o)
        extra.append(max((o - 1) * strides[i] + k[i] - (x.shape[2 + i] + pads[i][0] + pads[i][1]), 0))
    full = [(pads[i][0], pads[i][1] + extra[i]) for i in range(nsp)]
    fill = -np.inf if kind == "max" else 0
    xp = np.pad(x, [(0, 0), (0, 0)] + full, constant_values=fill)
    if kind == "max":
        y = np.full(x.shape[:2] + tuple(outs), -np.inf, dtype=x.dtype)
        for _, v in _windows(xp, k, strides, [1] * nsp, outs):
            y = np.maximum(y, v)
        return y
    y = np.zeros(x.shape[:2] + tuple(outs), dtype=x.dtype)
    for _, v in _windows(xp, k, strides, [1] * nsp, outs):
        y += v
    # divisor: real elements (exclude_pad) or elements inside the padded
    # input (the ceil-mode overhang is never counted).
    ones = np.pad(np.ones((1, 1) + x.shape[2:], dtype=x.dtype), [(0, 0), (0, 0)] + full)
    if not exclude_pad:
        ones = np.pad(np.ones((1, 1) + tuple(x.shape[2 + i] + pads[i][0] + pads[i][1] for i in range(nsp)),
                              dtype=x.dtype), [(0, 0), (0, 0)] + [(0, e) for e in extra])
    cnt = np.zeros((1, 1) + tuple(outs), dtype=x.dtype)
    for _, v in _windows(ones, k, strides, [1] * nsp, outs):
        cnt += v
    return y / cnt


def _axes(a, k, rank):
    ax = a.ints(k)
    return None if ax is None else tuple(sorted(t % rank for t in ax))


def _reduce(fn):
    def f(a, outs):
        x = a["x"]
        ax = _axes(a, "axes", x.ndim) if "axes" in a else None
        return fn(x, axis=ax, keepdims=a.b("keep_dims", False))
    return f


def _norm(x, axes, eps):
    m = x.mean(axis=axes, keepdims=True)
    v = ((x - m) ** 2).mean(axis=axes, keepdims=True)
    return (x - m) / np.sqrt(v + eps)


def _batch_norm(a, outs):
    x = a["x"]
    sh = (1, -1) + (1,) * (x.ndim - 2)
    y = (x - a["mean"].reshape(sh)) / np.sqrt(a["variance"].reshape(sh) + a.f("epsilon", 1e-5))
    if "gamma" in a:
        y = y * a["gamma"].reshape(sh)
    if "beta" in a:
        y = y + a["beta"].reshape(sh)
    return y


def _instance_norm(a, outs):
    x = a["x"]
    y = _norm(x, tuple(range(2, x.ndim)), a.f("epsilon", 1e-5))
    sh = (1, -1) + (1,) * (x.ndim - 2)
    if "gamma" in a:
        y = y * a["gamma"].reshape(sh)
    if "beta" in a:
        y = y + a["beta"].reshape(sh)
    return y


def _layer_norm(a, outs):
    x = a["x"]
    axes = _axes(a, "axes", x.ndim)
    if axes is None:
        axes = tuple(range(x.ndim))
    y = _norm(x, axes, a.f("epsilon", 1e-5))
    sh = [x.shape[i] if i in axes else 1 for i in range(x.ndim)]
    if "gamma" in a:
        y = y * a["gamma"].reshape(sh)
    if "beta" in a:
        y = y + a["beta"].reshape(sh)
    return y


def _gelu(x, mode):
    if mode == "TANH_APPROXIMATION":
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    if mode == "SIGMOID_APPROXIMATION":
        return x / (1 + np.exp(-1.702 * x))
    return 0.5 * x * (1 + _erf(x / math.sqrt(2)))


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


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


def _grid(xin, xout, mode):
    """Sample positions (float) for a 1-D bilinear resize (MIL docs)."""
    i = np.arange(xout, dtype=np.float64)
    if mode in ("STRICT_ALIGN_CORNERS", "ALIGN_CORNERS"):
        if xout == 1:
            g = np.array([(xin - 1) / 2 if mode == "ALIGN_CORNERS" else 0.0])
        else:
            g = i * (xin - 1) / (xout - 1)
    elif mode == "DEFAULT":
        g = i * ((xin - xin / xout) / (xout - 1)) if xout > 1 else np.zeros(1)
    elif mode == "OFFSET_CORNERS":
        delta = max(1, xin - 1) / xout
        g = 0.5 * delta + i * delta
    elif mode == "UNALIGN_CORNERS":
        s = xin / xout
        g = i * s + 0.5 * s - 0.5
    else:
        raise InterpError(f"sampling mode {mode!r}")
    return np.clip(g, 0, xin - 1)


def _bilinear(x, ho, wo, mode):
    def axis(v, n_out, ax):
        n_in = v.shape[ax]
        g = _grid(n_in, n_out, mode)
        lo = np.floor(g).astype(np.int64)
        hi = np.minimum(lo + 1, n_in - 1)
        t = (g - lo).astype(v.dtype)
        sh = [1] * v.ndim
        sh[ax] = n_out
        t = t.reshape(sh)
        return np.take(v, lo, axis=ax) * (1 - t) + np.take(v, hi, axis=ax) * t
    return axis(axis(x, ho, x.ndim - 2), wo, x.ndim - 1)


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


def _nearest(x, ho, wo):
    hi = np.minimum(np.floor(np.arange(ho) * (x.shape[-2] / ho)).astype(np.int64), x.shape[-2] - 1)
    wi = np.minimum(np.floor(np.arange(wo) * (x.shape[-1] / wo)).astype(np.int64), x.shape[-1] - 1)
    return np.take(np.take(x, hi, axis=-2), wi, axis=-1)


def _upsample_nn(a, outs):
    x = a["x"]
    sh, sw = a.f("scale_factor_height", 1), a.f("scale_factor_width", 1)
    return _nearest(x, int(math.floor(x.shape[-2] * sh)), int(math.floor(x.shape[-1] * sw)))


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


# ---------------------------------------------------------- NeuralNetwork

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
            put(k, v)
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
    modes = {0: "STRICT_ALIGN_CORNERS", 1: "ALIGN_CORNERS", 2: "UNALIGN_CORNERS", 3: "ROI_ALIGN_MODE"}
    mode = modes.get(p.mode.samplingMethod, "STRICT_ALIGN_CORNERS")
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
