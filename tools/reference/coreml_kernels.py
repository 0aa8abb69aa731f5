"""Numeric kernels shared by coreml_interp.py (ML Program ops) and
coreml_interp_nn.py (NeuralNetwork layers): windowed convolution and
pooling, normalization, activations and resampling, each as documented for
MIL (coremltools converters/mil/mil/ops/defs)."""
import math

import numpy as np

class InterpError(Exception):
    pass


def _erf(x):
    """Elementwise erf (math.erf is exact to double precision)."""
    return np.vectorize(math.erf, otypes=[np.float64])(x).astype(x.dtype)


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


def _norm(x, axes, eps):
    m = x.mean(axis=axes, keepdims=True)
    v = ((x - m) ** 2).mean(axis=axes, keepdims=True)
    return (x - m) / np.sqrt(v + eps)


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


def _linear_axis(v, n_out, ax, mode):
    """1-D linear interpolation of V along AX to N_OUT samples (grid MODE)."""
    n_in = v.shape[ax]
    g = _grid(n_in, n_out, mode)
    lo = np.floor(g).astype(np.int64)
    hi = np.minimum(lo + 1, n_in - 1)
    t = (g - lo).astype(v.dtype)
    sh = [1] * v.ndim
    sh[ax] = n_out
    t = t.reshape(sh)
    return np.take(v, lo, axis=ax) * (1 - t) + np.take(v, hi, axis=ax) * t


def _bilinear(x, ho, wo, mode):
    return _linear_axis(_linear_axis(x, ho, x.ndim - 2, mode), wo, x.ndim - 1, mode)


def _nearest(x, ho, wo):
    hi = np.minimum(np.floor(np.arange(ho) * (x.shape[-2] / ho)).astype(np.int64), x.shape[-2] - 1)
    wi = np.minimum(np.floor(np.arange(wo) * (x.shape[-1] / wo)).astype(np.int64), x.shape[-1] - 1)
    return np.take(np.take(x, hi, axis=-2), wi, axis=-1)
