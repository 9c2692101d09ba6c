"""Convolution: conv1d/2d/3d and conv_transpose1d/2d/3d as im2col + one GEMM, plus unfold/fold
(pad is in padding.py).

The input is zero-padded (when the conv pads) and an ``as_strided`` view of it is copied once
into the im2col matrix, a row per (input channel, kernel offset) and a column per (batch item,
output position); the weight (O, C, *K) is already the GEMM's left factor. Three ops close under
differentiation, so gradients of any order are GEMMs too:

* ``conv(x, w)``                 d/dx = conv_transpose(g, w), d/dw = conv_weight_grad(x, g)
* ``conv_transpose(x, w)``       d/dx = conv(g, w),           d/dw = conv_weight_grad(g, x)
* ``conv_weight_grad(x, g)``     d/dx = conv_transpose(g, G), d/dg = conv(x, G)

A stride-1 transposed convolution is a plain convolution of the padded input with the flipped
kernel; a strided one is a GEMM followed by col2im, one strided add per kernel offset.
"""
from __future__ import annotations

import math

from ..autograd.function import Op
from .._tensor import Tensor
from ._registry import export

_NAMES = {1: "1D", 2: "2D", 3: "3D"}


def _tuple(value, n: int, name: str = "") -> tuple:
    if isinstance(value, (tuple, list)):
        if len(value) == 1 and n > 1:
            return tuple(int(value[0]) for _ in range(n))
        if len(value) != n:
            raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} "
                               f"values to match the convolution dimensions, but got "
                               f"{name}={list(value)}")
        return tuple(int(v) for v in value)
    return (int(value),) * n


class _Geom:
    """A convolution's geometry: per spatial dim stride, (low, high) padding, dilation."""

    __slots__ = ("stride", "pads", "dilation", "groups")

    def __init__(self, stride, pads, dilation, groups):
        self.stride, self.pads, self.dilation, self.groups = stride, pads, dilation, groups

    def out_size(self, size, kernel) -> tuple:
        return tuple((s + lo + hi - d * (k - 1) - 1) // st + 1 for s, (lo, hi), d, k, st in
                     zip(size, self.pads, self.dilation, kernel, self.stride))


# -- array kernels -------------------------------------------------------------------------------
# Convolution is one GEMM in "channel-major" layout: the im2col matrix has a row per
# (input channel, kernel offset) and a column per (batch item, output position), so the weight
# (O, C, *K) is already the left factor, and the product (O, B*L) becomes (B, O, *out) by
# moving whole rows of L contiguous outputs, never one element at a time.
def _padded(xp, x, pads):
    """``x`` (B, C, *S) zero-padded by ``pads`` ((low, high) per spatial dim; negative crops)."""
    if all(lo == 0 and hi == 0 for lo, hi in pads):
        return x
    src, dst, full = [slice(None)] * 2, [slice(None)] * 2, list(x.shape[:2])
    for size, (lo, hi) in zip(x.shape[2:], pads):
        first, last = max(0, -lo), size - max(0, -hi)
        full.append(max(size + lo + hi, 0))
        if last <= first:
            return xp.zeros(tuple(full), dtype=x.dtype)
        src.append(slice(first, last))
        dst.append(slice(max(0, lo), max(0, lo) + last - first))
    buf = xp.zeros(tuple(full), dtype=x.dtype)
    buf[tuple(dst)] = x[tuple(src)]
    return buf


def _im2col(backend, buf, kernel, out, stride, dilation, groups):
    """Receptive fields of ``buf`` (B, C, *S) as (groups, C/g*K, B*prod(out)) columns."""
    xp = backend.xp
    batch, channels = buf.shape[:2]
    cg = channels // groups
    sb, sc, *ss = buf.strides
    shape = (groups, cg) + tuple(kernel) + (batch,) + tuple(out)
    strides = ((cg * sc, sc) + tuple(s * d for s, d in zip(ss, dilation)) + (sb,) +
               tuple(s * st for s, st in zip(ss, stride)))
    windows = backend.as_strided(buf, shape, strides)
    return xp.ascontiguousarray(windows).reshape(groups, cg * math.prod(kernel),
                                                 batch * math.prod(out))


def _weight_matrix(w, groups):
    """(O, C/g, *K) -> (g, O/g, C/g*K), matching _im2col's row order (a view when it can be)."""
    return w.reshape(groups, w.shape[0] // groups, -1)


def _from_cols(xp, y, batch, out):
    """GEMM result (g, O/g, B*prod(out)) -> contiguous (B, O, *out)."""
    groups, og, _ = y.shape
    y = y.reshape(groups, og, batch, math.prod(out)).transpose(2, 0, 1, 3)
    return xp.ascontiguousarray(y).reshape((batch, groups * og) + tuple(out))


def _to_cols(xp, g, groups):
    """(B, O, *out) -> contiguous (g, O/g, B*prod(out)), the inverse of _from_cols."""
    batch, o = g.shape[:2]
    positions = math.prod(g.shape[2:])
    g = g.reshape(batch, groups, o // groups, positions).transpose(1, 2, 0, 3)
    return xp.ascontiguousarray(g).reshape(groups, o // groups, batch * positions)


def _matmul(a, b):
    if a.shape[0] == 1:
        return (a[0] @ b[0])[None]
    return a @ b


def _conv_forward(backend, x, w, b, geom):
    xp = backend.xp
    kernel = w.shape[2:]
    out = geom.out_size(x.shape[2:], kernel)
    cols = _im2col(backend, _padded(xp, x, geom.pads), kernel, out, geom.stride,
                   geom.dilation, geom.groups)
    y = _matmul(_weight_matrix(w, geom.groups), cols)
    if b is not None:
        y += b.reshape(geom.groups, -1, 1)
    return _from_cols(xp, y, x.shape[0], out), cols


def _conv_weight_grad(backend, x, g, geom, kernel, cols=None):
    """d conv / d weight: (O, C/g, *K) from input ``x`` and output gradient ``g``."""
    groups = geom.groups
    if cols is None:
        cols = _im2col(backend, _padded(backend.xp, x, geom.pads), kernel, g.shape[2:],
                       geom.stride, geom.dilation, groups)
    gw = _matmul(_to_cols(backend.xp, g, groups), cols.transpose(0, 2, 1))
    return gw.reshape((g.shape[1], x.shape[1] // groups) + tuple(kernel))


def _transpose_weight(xp, w, groups):
    """conv_transpose weight (C_in, C_out/g, *K) -> the equivalent conv weight, flipped."""
    cin, cog, *kernel = w.shape
    nd = len(kernel)
    w = w.reshape((groups, cin // groups, cog) + tuple(kernel)).swapaxes(1, 2)
    w = w.reshape((groups * cog, cin // groups) + tuple(kernel))
    return w[(slice(None), slice(None)) + (slice(None, None, -1),) * nd]


def _conv_transpose_forward(backend, x, w, b, geom, out_size):
    """Transposed convolution of x (B, C_in, *I) with w (C_in, C_out/g, *K) to ``out_size``."""
    xp = backend.xp
    kernel = w.shape[2:]
    if all(s == 1 for s in geom.stride):
        pads = tuple((d * (k - 1) - lo, o + lo - i) for (lo, hi), d, k, o, i in
                     zip(geom.pads, geom.dilation, kernel, out_size, x.shape[2:]))
        cols = _im2col(backend, _padded(xp, x, pads), kernel, out_size, (1,) * len(kernel),
                       geom.dilation, geom.groups)
        y = _matmul(_weight_matrix(_transpose_weight(xp, w, geom.groups), geom.groups), cols)
        y = _from_cols(xp, y, x.shape[0], out_size)
    else:
        y = _col2im_transpose(backend, x, w, geom, out_size)
    if b is not None:
        y += b.reshape((-1,) + (1,) * len(out_size))
    return y


def _col2im_transpose(backend, x, w, geom, out_size):
    """Strided transposed convolution: one GEMM to per-offset contributions, then one strided
    add per kernel offset into the (padded) output."""
    xp = backend.xp
    groups = geom.groups
    batch, cin, *size = x.shape
    _, cog, *kernel = w.shape
    nd = len(kernel)
    xrows = xp.ascontiguousarray(xp.moveaxis(x, 1, -1))
    xrows = xrows.reshape(batch * math.prod(size), groups, cin // groups).swapaxes(0, 1)
    wmat = w.reshape((groups, cin // groups, cog) + tuple(kernel))
    wmat = wmat.transpose((0, 1) + tuple(range(3, 3 + nd)) + (2,)).reshape(groups, cin // groups,
                                                                           -1)
    contrib = _matmul(xrows, wmat)  # (g, B*prod(I), K*C_out/g)
    contrib = contrib.reshape((groups, batch) + tuple(size) + tuple(kernel) + (cog,))
    full = tuple(o + lo + hi for o, (lo, hi) in zip(out_size, geom.pads))
    acc = xp.zeros((batch,) + full + (groups, cog), dtype=x.dtype)
    for offset in _offsets(kernel):
        dst = [slice(None)]
        for i, k in enumerate(offset):
            start = k * geom.dilation[i]
            stop = min(start + (size[i] - 1) * geom.stride[i] + 1, full[i])
            dst.append(slice(start, stop, geom.stride[i]))
        n = tuple(len(range(s.start, s.stop, s.step)) for s in dst[1:])
        src = contrib[(slice(None), slice(None)) + tuple(slice(0, c) for c in n) + offset]
        acc[tuple(dst)] += xp.moveaxis(src, 0, -2)
    crop = (slice(None),) + tuple(slice(lo, lo + o) for o, (lo, hi) in zip(out_size, geom.pads))
    acc = acc[crop].reshape((batch,) + tuple(out_size) + (groups * cog,))
    return xp.ascontiguousarray(xp.moveaxis(acc, -1, 1))


def _offsets(kernel):
    if not kernel:
        return [()]
    return [(k,) + rest for k in range(kernel[0]) for rest in _offsets(kernel[1:])]


# -- ops -----------------------------------------------------------------------------------------
class ConvolutionOp(Op):
    """conv(x, w, b). Saves the im2col rows for the weight gradient."""

    _backward_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, geom):
        y, cols = _conv_forward(ctx.backend, x, w, b, geom)
        ctx.geom = geom
        if ctx.needs_input_grad:
            ctx.save_for_backward(x, w)
            ctx.cols = cols if ctx.needs_input_grad[1] else None
            ctx.in_size = x.shape[2:]
            ctx.has_bias = b is not None
        return y

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        need_x, need_w = ctx.needs_input_grad[:2]
        gx = gw = gb = None
        if need_x:
            gx = ConvTransposeOp.apply(grad, w, None, ctx.geom, ctx.in_size)
        if need_w:
            gw = ConvWeightGradOp.apply(x, grad, ctx.geom, tuple(w.shape[2:]), cols=ctx.cols)
            ctx.cols = None
        if ctx.has_bias and ctx.needs_input_grad[2]:
            gb = grad.sum((0,) + tuple(range(2, grad.ndim)))
        return gx, gw, gb, None


class ConvTransposeOp(Op):
    """conv_transpose(x, w, b) to an explicit output size."""

    _backward_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, geom, out_size):
        ctx.geom = geom
        if ctx.needs_input_grad:
            ctx.save_for_backward(x, w)
            ctx.has_bias = b is not None
        return _conv_transpose_forward(ctx.backend, x, w, b, geom,
                                       out_size)

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        need_x, need_w = ctx.needs_input_grad[:2]
        gx = gw = gb = None
        if need_x:
            gx = ConvolutionOp.apply(grad, w, None, ctx.geom)
        if need_w:
            gw = ConvWeightGradOp.apply(grad, x, ctx.geom, tuple(w.shape[2:]))
        if ctx.has_bias and ctx.needs_input_grad[2]:
            gb = grad.sum((0,) + tuple(range(2, grad.ndim)))
        return gx, gw, gb, None, None


class ConvWeightGradOp(Op):
    """The weight gradient of conv(x, w) for output gradient g: bilinear in (x, g)."""

    @staticmethod
    def forward(ctx, x, g, geom, kernel, cols=None):
        ctx.geom = geom
        if ctx.needs_input_grad:
            ctx.save_for_backward(x, g)
            ctx.in_size = x.shape[2:]
        return _conv_weight_grad(ctx.backend, x, g, geom, kernel, cols)

    @staticmethod
    def backward(ctx, grad):
        x, g = ctx.saved_tensors
        need_x, need_g = ctx.needs_input_grad[:2]
        gx = gg = None
        if need_x:
            gx = ConvTransposeOp.apply(g, grad, None, ctx.geom, ctx.in_size)
        if need_g:
            gg = ConvolutionOp.apply(x, grad, None, ctx.geom)
        return gx, gg, None, None


# -- argument checks -----------------------------------------------------------------------------
def _dims(shape) -> str:
    return f"[{', '.join(str(s) for s in shape)}]"


def _check_input(name: str, input, weight, nd: int, groups: int, transposed: bool):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}() argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                           f"{name}, but got input of size: {_dims(input.shape)}")
    if weight.ndim != nd + 2:
        raise RuntimeError("weight should have at least three dimensions" if weight.ndim < 3
                           else f"Expected {nd + 2}-dimensional weight for {nd + 2}-dimensional "
                           f"input {_dims(input.shape)}, but got {weight.ndim}-dimensional "
                           f"weight of size {_dims(weight.shape)} instead")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    shape = input.shape if input.ndim == nd + 2 else (1,) + tuple(input.shape)
    channels = weight.shape[0] if transposed else weight.shape[1] * groups
    if shape[1] != channels:
        head = "Given transposed=1, weight" if transposed else f"Given groups={groups}, weight"
        raise RuntimeError(f"{head} of size {_dims(weight.shape)}, expected input"
                           f"{_dims(shape)} to have {channels} channels, but got {shape[1]} "
                           f"channels instead")
    if weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size {_dims(weight.shape)} "
                           f"instead")


def _check_bias(weight, bias, out_channels: int):
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != out_channels):
        raise RuntimeError(f"Given weight of size {_dims(weight.shape)}, expected bias to be "
                           f"1-dimensional with {out_channels} elements, but got bias of size "
                           f"{_dims(bias.shape)} instead")


def _check_positive(stride, dilation):
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")


def _same_pads(kernel, dilation) -> tuple:
    pads = []
    for k, d in zip(kernel, dilation):
        total = d * (k - 1)
        pads.append((total // 2, total - total // 2))
    return tuple(pads)


def _conv(name, nd, input, weight, bias, stride, padding, dilation, groups) -> Tensor:
    _check_input(name, input, weight, nd, groups, False)
    stride = _tuple(stride, nd, "stride")
    dilation = _tuple(dilation, nd, "dilation")
    _check_positive(stride, dilation)
    kernel = tuple(weight.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            pads = ((0, 0),) * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            pads = _same_pads(kernel, dilation)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        pad = _tuple(padding, nd, "padding")
        if any(p < 0 for p in pad):
            raise RuntimeError("negative padding is not supported")
        pads = tuple((p, p) for p in pad)
    _check_bias(weight, bias, weight.shape[0])
    batched = input.ndim == nd + 2
    x = input if batched else input.unsqueeze(0)
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(x.shape[2:], pads))
    reach = tuple(d * (k - 1) + 1 for d, k in zip(dilation, kernel))
    if any(p < r for p, r in zip(padded, reach)):
        raise RuntimeError(f"Calculated padded input size per channel: "
                           f"({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(map(str, reach))}). Kernel size can't be greater "
                           f"than actual input size")
    if weight.dtype is not x.dtype:
        raise RuntimeError(f"Input type ({_type_name(x)}) and weight type ({_type_name(weight)})"
                           f" should be the same")
    out = ConvolutionOp.apply(x, weight, bias, _Geom(stride, pads, dilation, groups))
    return out if batched else out.squeeze(0)


def _type_name(t) -> str:
    return {"float32": "float", "float64": "double", "float16": "c10::Half",
            "bfloat16": "c10::BFloat16"}.get(t.dtype.name, t.dtype.name)


def _conv_transpose(name, nd, input, weight, bias, stride, padding, output_padding, groups,
                    dilation, output_size=None) -> Tensor:
    _check_input(name, input, weight, nd, groups, True)
    stride = _tuple(stride, nd, "stride")
    dilation = _tuple(dilation, nd, "dilation")
    _check_positive(stride, dilation)
    pad = _tuple(padding, nd, "padding")
    if any(p < 0 for p in pad):
        raise RuntimeError("negative padding is not supported")
    out_pad = _tuple(output_padding, nd, "output_padding")
    for op, s, d in zip(out_pad, stride, dilation):
        if op >= s and op >= d:
            axes = ("height", "width") if nd == 2 else ("depth", "height", "width")[-nd:]
            if nd == 1:
                axes = ("width",)
            raise RuntimeError(
                "output padding must be smaller than either stride or dilation, but got "
                + " ".join(f"output_padding_{a}: {v}" for a, v in zip(axes, out_pad)) + " "
                + " ".join(f"stride_{a}: {v}" for a, v in zip(axes, stride)) + " "
                + " ".join(f"dilation_{a}: {v}" for a, v in zip(axes, dilation)))
    kernel = tuple(weight.shape[2:])
    out_channels = weight.shape[1] * groups
    _check_bias(weight, bias, out_channels)
    batched = input.ndim == nd + 2
    x = input if batched else input.unsqueeze(0)
    size = tuple((i - 1) * s - 2 * p + d * (k - 1) + op + 1 for i, s, p, d, k, op in
                 zip(x.shape[2:], stride, pad, dilation, kernel, out_pad))
    if any(s <= 0 for s in size):
        raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, x.shape[2:]))})"
                           f". Calculated output size per channel: "
                           f"({' x '.join(map(str, size))}). Output size is too small")
    geom = _Geom(stride, tuple((p, p) for p in pad), dilation, groups)
    out = ConvTransposeOp.apply(x, weight, bias, geom, size)
    return out if batched else out.squeeze(0)


# -- public functions ----------------------------------------------------------------------------
@export(nn=True, method=False)
def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """1-D convolution over (N, C, L) or (C, L); ``padding`` may be 'valid' or 'same'."""
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


@export(nn=True, method=False)
def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """2-D convolution over (N, C, H, W) or (C, H, W); ``padding`` may be 'valid' or 'same'."""
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


@export(nn=True, method=False)
def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """3-D convolution over (N, C, D, H, W) or (C, D, H, W)."""
    return _conv("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


@export(nn=True, method=False)
def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """Transposed 1-D convolution; ``weight`` is (C_in, C_out/groups, K)."""
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


@export(nn=True, method=False)
def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """Transposed 2-D convolution; ``weight`` is (C_in, C_out/groups, kH, kW)."""
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


@export(nn=True, method=False)
def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """Transposed 3-D convolution; ``weight`` is (C_in, C_out/groups, kD, kH, kW)."""
    return _conv_transpose("conv_transpose3d", 3, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


# -- unfold / fold -------------------------------------------------------------------------------
def _patch_weight(like: Tensor, channels: int, kernel: tuple) -> Tensor:
    """One-hot conv weight (C*K, 1, *kernel): output channel c*K + k copies offset k of c."""
    xp = like._device.backend.xp
    count = math.prod(kernel)
    eye = xp.eye(count, dtype=like._data.dtype).reshape((count, 1) + kernel)
    return Tensor._make(xp.tile(eye, (channels, 1) + (1,) * len(kernel)), like._device)


@export(nn=True, method=False, function=False)
def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sliding local blocks of (N, C, H, W) as columns: (N, C*kH*kW, L)."""
    if input.ndim not in (3, 4):
        raise NotImplementedError(f"Input Error: Only 3D or 4D input Tensors are supported (got "
                                  f"{input.ndim}D)")
    kernel = _tuple(kernel_size, 2, "kernel_size")
    batched = input.ndim == 4
    x = input if batched else input.unsqueeze(0)
    channels = x.shape[1]
    pad_ = _tuple(padding, 2, "padding")
    geom = _Geom(_tuple(stride, 2, "stride"), tuple((p, p) for p in pad_),
                 _tuple(dilation, 2, "dilation"), channels)
    cols = ConvolutionOp.apply(x, _patch_weight(x, channels, kernel), None, geom)
    cols = cols.reshape(x.shape[0], channels * math.prod(kernel), -1)
    return cols if batched else cols.squeeze(0)


@export(nn=True, method=False, function=False)
def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sums columns (N, C*kH*kW, L) back into (N, C, *output_size); unfold's adjoint."""
    if input.ndim not in (2, 3):
        raise NotImplementedError(f"Input Error: Only unbatched (2D) or batched (3D) input "
                                  f"Tensors are supported (got {input.ndim}D)")
    kernel = _tuple(kernel_size, 2, "kernel_size")
    out_size = _tuple(output_size, 2, "output_size")
    batched = input.ndim == 3
    x = input if batched else input.unsqueeze(0)
    count = math.prod(kernel)
    if x.shape[1] % count:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product "
                           f"of kernel_size, but got input.size(1)={x.shape[1]} and "
                           f"kernel_size=({kernel[0]}, {kernel[1]})")
    channels = x.shape[1] // count
    pad_ = _tuple(padding, 2, "padding")
    geom = _Geom(_tuple(stride, 2, "stride"), tuple((p, p) for p in pad_),
                 _tuple(dilation, 2, "dilation"), channels)
    blocks = geom.out_size(out_size, kernel)
    if math.prod(blocks) != x.shape[2]:
        raise RuntimeError(f"Given output_size=({out_size[0]}, {out_size[1]}), kernel_size="
                           f"({kernel[0]}, {kernel[1]}), dilation={list(geom.dilation)}, "
                           f"padding={list(pad_)}, stride={list(geom.stride)}, expected size of "
                           f"input's dimension 2 to match the calculated number of sliding "
                           f"blocks {blocks[0]} * {blocks[1]} = {math.prod(blocks)}, but got "
                           f"input.size(2)={x.shape[2]}.")
    cols = x.reshape((x.shape[0], x.shape[1]) + blocks)
    out = ConvTransposeOp.apply(cols, _patch_weight(x, channels, kernel), None, geom, out_size)
    return out if batched else out.squeeze(0)
