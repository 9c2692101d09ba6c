"""Pooling and resampling: max/avg/adaptive/lp pooling, max_unpool, interpolate, pixel shuffle.

Max pooling reads every window through one ``as_strided`` view and keeps the argmax as a flat
index into each input plane (PyTorch's ``return_indices`` format). Its gradient scatters through
those indices (``_FlatScatter``, by ``bincount`` where windows overlap, by assignment where they
cannot); the scatter and the matching gather are each other's gradient, so double backward works.
Average pooling is a convolution with a ones kernel over planes, and adaptive average pooling and
(bi/tri)linear, bicubic and nearest interpolation are separable: one small matrix per spatial
dim, applied by matmul; their gradients come from the conv and matmul ops.
"""
from __future__ import annotations

import math

import numpy as np

from .. import _dtype
from ..autograd.function import Op
from .._tensor import Tensor
from ._inplace import _type_name
from ._registry import export
from .conv import ConvolutionOp, TakeOp, _Geom, _offsets, _tuple
from .shape import reshape, transpose


# -- flat-index scatter and gather (max pooling's gradient, max_unpool) ---------------------------
class _FlatScatter(Op):
    """values (P, n) placed at ``index`` (P, n) in zeros (P, size); summed where ``accumulate``."""

    @staticmethod
    def forward(ctx, values, index, size, accumulate):
        xp = ctx.xp
        planes = values.shape[0]
        ctx.save_for_backward(index)
        flat = (index + (xp.arange(planes) * size)[:, None]).ravel()
        if accumulate:
            out = xp.bincount(flat, weights=values.ravel(), minlength=planes * size)
            out = out.astype(values.dtype, copy=False)
        else:
            out = xp.zeros(planes * size, dtype=values.dtype)
            out[flat] = values.ravel()
        return out.reshape(planes, size)

    @staticmethod
    def backward(ctx, grad):
        index, = ctx.saved_tensors
        return _FlatGather.apply(grad, index), None, None, None


class _FlatGather(Op):
    """x (P, size) read at ``index`` (P, n)."""

    @staticmethod
    def forward(ctx, x, index):
        ctx.save_for_backward(index)
        ctx.size = x.shape[1]
        return ctx.xp.take_along_axis(x, index, axis=1)

    @staticmethod
    def backward(ctx, grad):
        index, = ctx.saved_tensors
        return _FlatScatter.apply(grad, index, ctx.size, True), None


# -- max pooling -------------------------------------------------------------------------------
def _pool_out(size, k, s, p, d, ceil_mode) -> int:
    span = size + 2 * p - d * (k - 1) - 1
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _window_views(buf, kernel, stride, dilation, out):
    """One strided view of ``buf`` (P, *S) per kernel offset: view k holds every window's
    k-th element."""
    return [buf[(slice(None),) + tuple(slice(o * d, o * d + (n - 1) * s + 1, s)
                                       for o, d, n, s in zip(offset, dilation, out, stride))]
            for offset in _offsets(kernel)]


def _window_max(xp, views, nan_aware, indices):
    """Max over windows given as ``views`` (NaN wins, as in PyTorch), and with ``indices`` the
    kernel offset of each window's first maximum: a few passes over the output, no window
    copy."""
    best = views[0].copy()
    for view in views[1:]:
        xp.maximum(best, view, out=best)
    if not indices:
        return best, None
    mask = xp.empty(best.shape, dtype=bool)
    if len(views) <= 16:
        # Bit k of ``code`` says offset k holds the maximum; a table maps each code to its
        # lowest set bit. Masked copies (copyto with where=) cost ~10x these bit operations.
        code = xp.zeros(best.shape, dtype=xp.uint8 if len(views) <= 8 else xp.uint16)
        for k, view in enumerate(views):
            _max_mask(xp, view, best, nan_aware, mask)
            xp.bitwise_or(code, xp.left_shift(mask.view(xp.uint8), k, dtype=code.dtype),
                          out=code)
        return best, _lowest_bit_table(xp, len(views))[code]
    # Last write wins, so walking the offsets backwards leaves the first maximum.
    where = xp.zeros(best.shape, dtype=xp.int32)
    for k in range(len(views) - 1, -1, -1):
        _max_mask(xp, views[k], best, nan_aware, mask)
        xp.copyto(where, xp.int32(k), where=mask)
    return best, where


def _max_mask(xp, view, best, nan_aware, out):
    """Where ``view`` holds the window maximum ``best`` (NaN counts as equal to NaN)."""
    xp.equal(view, best, out=out)
    if nan_aware:
        out |= view != view


def _lowest_bit_table(xp, bits: int):
    """For every ``bits``-bit code, the index of its lowest set bit."""
    codes = xp.arange(1 << bits, dtype=xp.int64)
    low = xp.maximum(codes & -codes, 1)
    return xp.log2(low).astype(xp.int8)


class _MaxPool(Op):
    """Max over windows of x (P, *S); returns values and flat argmax indices (P, *out)."""

    _backward_name = "MaxPool2DWithIndicesBackward0"

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, dilation, out, indices=True):
        """Values alone when neither the caller nor autograd needs the argmax indices."""
        xp = ctx.xp
        planes, *size = x.shape
        nd = len(size)
        high = tuple(max(0, (o - 1) * s + d * (k - 1) + 1 - n - p) for o, s, d, k, n, p in
                     zip(out, stride, dilation, kernel, size, padding))
        if any(padding) or any(high):
            fill = -xp.inf if x.dtype.kind == "f" else xp.iinfo(x.dtype).min
            buf = xp.full((planes,) + tuple(n + p + h for n, p, h in zip(size, padding, high)),
                          fill, dtype=x.dtype)
            buf[(slice(None),) + tuple(slice(p, p + n) for p, n in zip(padding, size))] = x
        else:
            buf = x
        indices = indices or bool(ctx.needs_input_grad)
        nan_aware = indices and x.dtype.kind == "f" and not xp.isfinite(x.sum())
        views = _window_views(buf, kernel, stride, dilation, out)
        values, which = _window_max(xp, views, nan_aware, indices)
        if not indices:
            return values
        # flat index in the input plane = window origin + the argmax offset's delta
        deltas, origin = [], 0
        for offset in _offsets(kernel):
            delta = 0
            for o, d, n in zip(offset, dilation, size):
                delta = delta * n + o * d
            deltas.append(delta)
        for i in range(nd):
            pos = xp.arange(out[i], dtype=xp.int64) * stride[i] - padding[i]
            origin = origin * size[i] + pos.reshape((-1,) + (1,) * (nd - 1 - i))
        flat = xp.asarray(deltas, dtype=xp.int64)[which]
        flat += origin
        ctx.mark_non_differentiable(flat)
        ctx.overlap = any(s < d * (k - 1) + 1 for s, d, k in zip(stride, dilation, kernel))
        ctx.size = math.prod(size)
        ctx.save_for_backward(flat)
        ctx.in_shape = x.shape
        return values, flat

    @staticmethod
    def backward(ctx, grad, _):
        flat, = ctx.saved_tensors
        planes = grad.shape[0]
        g = _FlatScatter.apply(grad.reshape(planes, -1), flat.reshape(planes, -1), ctx.size,
                               ctx.overlap)
        return g.reshape(ctx.in_shape), None, None, None, None, None


def _check_pool_input(name: str, input, nd: int, message=None):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if input.ndim not in (nd + 1, nd + 2) or any(s == 0 for s in input.shape[-nd - 1:]):
        raise RuntimeError(message or f"{name}: Expected {nd + 1}D or {nd + 2}D (batch mode) "
                           f"tensor with optional 0 dim batch size for input, but got:"
                           f"{list(input.shape)}")


def _pool_geometry(name, input, nd, kernel_size, stride, padding, dilation, ceil_mode):
    kernel = _tuple(kernel_size, nd, "kernel_size")
    stride = kernel if stride is None or (isinstance(stride, (tuple, list)) and
                                          not stride) else _tuple(stride, nd, "stride")
    padding = _tuple(padding, nd, "padding")
    dilation = _tuple(dilation, nd, "dilation")
    if any(k <= 0 for k in kernel):
        raise RuntimeError(f"{name}: kernel_size must be greater than zero, but got "
                           f"{list(kernel)}")
    if any(s <= 0 for s in stride):
        raise RuntimeError(f"{name}: stride must be greater than zero, but got {list(stride)}")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"{name}: dilation must be greater than zero, but got "
                           f"{list(dilation)}")
    for p, k, d in zip(padding, kernel, dilation):
        if p < 0 or p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={p}, kernel_size={k} and dilation={d}")
    size = input.shape[-nd:]
    out = tuple(_pool_out(n, k, s, p, d, ceil_mode) for n, k, s, p, d in
                zip(size, kernel, stride, padding, dilation))
    if any(o <= 0 for o in out):
        shown = "x".join(map(str, input.shape[-nd - 1:]))
        raise RuntimeError(f"Given input size: ({shown}). Calculated output size: "
                           f"({'x'.join(map(str, (input.shape[-nd - 1],) + out))}). Output "
                           f"size is too small")
    return kernel, stride, padding, dilation, out


def _max_pool(name, nd, input, kernel_size, stride, padding, dilation, ceil_mode,
              return_indices):
    message = (f"non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected for input"
               if nd > 1 else None)
    _check_pool_input(name, input, nd, message)
    kernel, stride, padding, dilation, out = _pool_geometry(
        name, input, nd, kernel_size, stride, padding, dilation, ceil_mode)
    lead = tuple(input.shape[:-nd])
    planes = reshape(input, (-1,) + tuple(input.shape[-nd:]))
    result = _MaxPool.apply(planes, kernel, stride, padding, dilation, out,
                            indices=return_indices)
    if not return_indices:
        return reshape(result[0] if isinstance(result, tuple) else result, lead + out)
    values, index = result
    return reshape(values, lead + out), reshape(index, lead + out)


@export(nn=True, method=False)
def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """Max over sliding windows of (N, C, L) or (C, L)."""
    return _max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


@export(nn=True, method=False)
def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """Max over sliding windows of (N, C, H, W) or (C, H, W)."""
    return _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


@export(nn=True, method=False)
def max_pool3d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """Max over sliding windows of (N, C, D, H, W) or (C, D, H, W)."""
    return _max_pool("max_pool3d", 3, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


@export(nn=True, method=False, function=False)
def max_pool1d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = True):
    """max_pool1d that always returns (values, indices)."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


@export(nn=True, method=False, function=False)
def max_pool2d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = True):
    """max_pool2d that always returns (values, indices)."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


@export(nn=True, method=False, function=False)
def max_pool3d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = True):
    """max_pool3d that always returns (values, indices)."""
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


# -- max_unpool --------------------------------------------------------------------------------
def _max_unpool(name, nd, input, indices, kernel_size, stride, padding, output_size):
    kernel = _tuple(kernel_size, nd, "kernel_size")
    stride = kernel if stride is None else _tuple(stride, nd, "stride")
    padding = _tuple(padding, nd, "padding")
    size = tuple(input.shape[-nd:])
    default = tuple((n - 1) * s - 2 * p + k for n, s, p, k in zip(size, stride, padding, kernel))
    if output_size is None:
        out = default
    else:
        out = tuple(output_size)[-nd:]
        if len(tuple(output_size)) not in (nd, input.ndim):
            raise ValueError(f"output_size should be a sequence containing {nd} or "
                             f"{input.ndim} elements, but it has a length of "
                             f"'{len(tuple(output_size))}'")
        for i, (o, d, s) in enumerate(zip(out, default, stride)):
            if not d - s < o < d + s:
                raise ValueError(f'invalid output_size "{tuple(out)}" (dim {i} must be '
                                 f'between {d - s} and {d + s})')
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor "
                           f"({list(input.shape)}) but got indices tensor with shape: "
                           f"{list(indices.shape)}")
    lead = tuple(input.shape[:-nd])
    total = math.prod(out)
    idx = indices._data.reshape(-1, math.prod(size)) if indices.numel() else indices._data
    if idx.size and (idx.min() < 0 or idx.max() >= total):
        raise RuntimeError(f"Found an invalid max index: {int(idx.max())} (output volumes are of "
                           f"size {'x'.join(map(str, out))}")
    planes = reshape(input, (-1, math.prod(size)))
    index = Tensor._make(idx.astype(np.int64, copy=False), input._device)
    result = _FlatScatter.apply(planes, index, total, False)
    return reshape(result, lead + out)


@export(nn=True, method=False, function=False)
def max_unpool1d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """Inverse of max_pool1d: values placed at their indices, zeros elsewhere."""
    return _max_unpool("max_unpool1d", 1, input, indices, kernel_size, stride, padding,
                       output_size)


@export(nn=True, method=False, function=False)
def max_unpool2d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """Inverse of max_pool2d: values placed at their indices, zeros elsewhere."""
    return _max_unpool("max_unpool2d", 2, input, indices, kernel_size, stride, padding,
                       output_size)


@export(nn=True, method=False, function=False)
def max_unpool3d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """Inverse of max_pool3d: values placed at their indices, zeros elsewhere."""
    return _max_unpool("max_unpool3d", 3, input, indices, kernel_size, stride, padding,
                       output_size)


# -- average pooling ---------------------------------------------------------------------------
def _avg_divisor(xp, size, kernel, stride, padding, out, count_include_pad, dtype):
    """Per output position, the number the window sum is divided by (separable per dim)."""
    div = xp.ones((), dtype=dtype)
    for i, (n, k, s, p, o) in enumerate(zip(size, kernel, stride, padding, out)):
        start = xp.arange(o) * s - p
        end = xp.minimum(start + k, n + p)
        if count_include_pad:
            count = end - start
        else:
            count = xp.minimum(end, n) - xp.maximum(start, 0)
        div = div[..., None] * count.astype(dtype) if i else count.astype(dtype)
    return div


def _avg_pool(name, nd, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override):
    _check_pool_input(name, input, nd)
    kernel, stride, padding, _, out = _pool_geometry(name, input, nd, kernel_size, stride,
                                                     padding, 1, ceil_mode)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    integral = not (input.dtype.is_floating_point or input.dtype.is_complex)
    if integral and input.dtype != _dtype.int64:
        kernel_name = "avg_pool3d_out_frame" if nd == 3 else "avg_pool2d"
        raise NotImplementedError(f'"{kernel_name}" not implemented for '
                                  f"'{_type_name(input.dtype)}'")
    size = tuple(input.shape[-nd:])
    lead = tuple(input.shape[:-nd])
    planes = reshape(input, (-1, 1) + size)
    high = tuple((o - 1) * s + k - n - p for o, s, k, n, p in
                 zip(out, stride, kernel, size, padding))
    pads = tuple((p, max(h, 0)) for p, h in zip(padding, high))
    xp = input._device.backend.xp
    ones = Tensor._make(xp.ones((1, 1) + kernel, dtype=input._data.dtype), input._device)
    sums = ConvolutionOp.apply(planes, ones, None, _Geom(stride, pads, (1,) * nd, 1))
    if divisor_override is not None:
        div = divisor_override
    else:
        div = Tensor._make(_avg_divisor(xp, size, kernel, stride, padding, out,
                                        count_include_pad, input._data.dtype), input._device)
    # int64 (the one integer dtype PyTorch pools) divides as C does, rounding toward zero.
    result = sums / div if not integral else (sums.abs() // div) * sums.sign()
    return reshape(result, lead + out)


@export(nn=True, method=False)
def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """Mean over sliding windows of (N, C, L) or (C, L)."""
    return _avg_pool("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, None)


@export(nn=True, method=False, function=False)
def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """Mean over sliding windows of (N, C, H, W) or (C, H, W)."""
    return _avg_pool("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


@export(nn=True, method=False, function=False)
def avg_pool3d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """Mean over sliding windows of (N, C, D, H, W) or (C, D, H, W)."""
    return _avg_pool("avg_pool3d", 3, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


def _lp_pool(nd, input, norm_type, kernel_size, stride, ceil_mode):
    kernel = _tuple(kernel_size, nd, "kernel_size")
    avg = _avg_pool(f"lp_pool{nd}d", nd, input ** norm_type, kernel, stride, 0, ceil_mode,
                    True, None)
    return (avg.sign() * avg.abs() * math.prod(kernel)) ** (1.0 / norm_type)


@export(nn=True, method=False, function=False)
def lp_pool1d(input: Tensor, norm_type: float, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    """Power-average pooling: (sum over the window of x**p) ** (1/p)."""
    return _lp_pool(1, input, norm_type, kernel_size, stride, ceil_mode)


@export(nn=True, method=False, function=False)
def lp_pool2d(input: Tensor, norm_type: float, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    """Power-average pooling: (sum over the window of x**p) ** (1/p)."""
    return _lp_pool(2, input, norm_type, kernel_size, stride, ceil_mode)


# -- adaptive pooling --------------------------------------------------------------------------
def _adaptive_bounds(n: int, o: int):
    starts = [(i * n) // o for i in range(o)]
    ends = [-(-((i + 1) * n) // o) for i in range(o)]
    return starts, ends


def _average_matrix(xp, n: int, o: int, dtype):
    starts, ends = _adaptive_bounds(n, o)
    m = np.zeros((o, n))
    for i, (s, e) in enumerate(zip(starts, ends)):
        m[i, s:e] = 1.0 / (e - s)
    return xp.asarray(m.astype(dtype))


def _output_size(name, input, nd, output_size) -> tuple:
    sizes = _tuple(output_size, nd, "output_size") if not isinstance(output_size, (tuple, list)) \
        else tuple(output_size)
    if len(sizes) != nd:
        raise RuntimeError(f"{name}: internal error: output_size.size() must be {nd}")
    return tuple(input.shape[-nd + i] if s is None else int(s) for i, s in enumerate(sizes))


def _check_adaptive(name, input, nd, colon=""):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{name}(): Expected {nd + 1}D or {nd + 2}D tensor, but got{colon} "
                           f"{list(input.shape)}")


def _apply_separable(x: Tensor, matrices) -> Tensor:
    """Apply one (out, in) matrix along each of the last len(matrices) dims of x."""
    nd = len(matrices)
    for i, m in enumerate(matrices):
        dim = x.ndim - nd + i
        if m is None:
            continue
        mt = Tensor._make(m, x._device)
        if dim == x.ndim - 1:
            x = x @ mt.mT
        else:
            x = transpose(transpose(x, dim, -1) @ mt.mT, dim, -1)
    return x


def _adaptive_avg(name, nd, input, output_size):
    _check_adaptive(name, input, nd)
    out = _output_size(name, input, nd, output_size)
    xp = input._device.backend.xp
    size = input.shape[-nd:]
    mats = [None if n == o else _average_matrix(xp, n, o, input._data.dtype)
            for n, o in zip(size, out)]
    return _apply_separable(input, mats)


@export(nn=True, method=False)
def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """Average pooling to a fixed output length."""
    _check_adaptive("adaptive_avg_pool1d", input, 1)
    return _adaptive_avg("adaptive_avg_pool1d", 1, input, output_size)


@export(nn=True, method=False, function=False)
def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average pooling to a fixed (H, W); ``None`` keeps that input size."""
    return _adaptive_avg("adaptive_avg_pool2d", 2, input, output_size)


@export(nn=True, method=False, function=False)
def adaptive_avg_pool3d(input: Tensor, output_size) -> Tensor:
    """Average pooling to a fixed (D, H, W); ``None`` keeps that input size."""
    return _adaptive_avg("adaptive_avg_pool3d", 3, input, output_size)


class _AdaptiveMax(Op):
    """Max over adaptive windows of x (P, *S): windows padded to the largest size by repeating
    their last element, which leaves the max and the first argmax unchanged."""

    _backward_name = "AdaptiveMaxPool2DBackward0"

    @staticmethod
    def forward(ctx, x, out):
        xp = ctx.xp
        planes, *size = x.shape
        nd = len(size)
        coords = []
        for i, (n, o) in enumerate(zip(size, out)):
            starts, ends = _adaptive_bounds(n, o)
            width = max(e - s for s, e in zip(starts, ends))
            s_ = np.asarray(starts)[:, None]
            idx = np.minimum(s_ + np.arange(width), np.asarray(ends)[:, None] - 1)
            coords.append(idx)
        grids = []
        for i, idx in enumerate(coords):
            shape = [1] * (2 * nd)
            shape[i], shape[nd + i] = idx.shape
            grids.append(xp.asarray(idx.reshape(shape)))
        windows = x[(slice(None),) + tuple(grids)]
        windows = windows.reshape((planes,) + tuple(out) + (-1,))
        arg = windows.argmax(axis=-1)
        values = xp.take_along_axis(windows, arg[..., None], axis=-1)[..., 0]
        flat = xp.zeros(arg.shape, dtype=xp.int64)
        widths = [c.shape[1] for c in coords]
        rem = arg
        for i in range(nd):
            inner = math.prod(widths[i + 1:])
            offset, rem = rem // inner, rem % inner
            table = xp.asarray(coords[i])
            pos = xp.arange(out[i]).reshape((-1,) + (1,) * (nd - 1 - i))
            flat = flat * size[i] + table[pos, offset]
        ctx.mark_non_differentiable(flat)
        ctx.save_for_backward(flat)
        ctx.in_shape = x.shape
        return values, flat

    @staticmethod
    def backward(ctx, grad, _):
        flat, = ctx.saved_tensors
        planes = grad.shape[0]
        g = _FlatScatter.apply(grad.reshape(planes, -1), flat.reshape(planes, -1),
                               math.prod(ctx.in_shape[1:]), True)
        return g.reshape(ctx.in_shape), None


def _adaptive_max(name, nd, input, output_size, return_indices):
    _check_adaptive(name, input, nd, ":")
    out = _output_size(name, input, nd, output_size)
    lead = tuple(input.shape[:-nd])
    planes = reshape(input, (-1,) + tuple(input.shape[-nd:]))
    values, index = _AdaptiveMax.apply(planes, out)
    values = reshape(values, lead + out)
    return (values, reshape(index, lead + out)) if return_indices else values


@export(nn=True, method=False)
def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling to a fixed output length."""
    return _adaptive_max("adaptive_max_pool1d", 1, input, output_size, return_indices)


@export(nn=True, method=False, function=False)
def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling to a fixed (H, W); ``None`` keeps that input size."""
    return _adaptive_max("adaptive_max_pool2d", 2, input, output_size, return_indices)


@export(nn=True, method=False, function=False)
def adaptive_max_pool3d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling to a fixed (D, H, W); ``None`` keeps that input size."""
    return _adaptive_max("adaptive_max_pool3d", 3, input, output_size, return_indices)


@export(nn=True, method=False, function=False)
def adaptive_max_pool1d_with_indices(input: Tensor, output_size, return_indices: bool = True):
    """adaptive_max_pool1d that always returns (values, indices)."""
    return adaptive_max_pool1d(input, output_size, True)


@export(nn=True, method=False, function=False)
def adaptive_max_pool2d_with_indices(input: Tensor, output_size, return_indices: bool = True):
    """adaptive_max_pool2d that always returns (values, indices)."""
    return adaptive_max_pool2d(input, output_size, True)


@export(nn=True, method=False, function=False)
def adaptive_max_pool3d_with_indices(input: Tensor, output_size, return_indices: bool = True):
    """adaptive_max_pool3d that always returns (values, indices)."""
    return adaptive_max_pool3d(input, output_size, True)


# -- interpolation -----------------------------------------------------------------------------
_LINEAR_MODES = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}


def _source(xp, n_in: int, n_out: int, scale, align_corners: bool, cubic: bool = False):
    """Source coordinate of every output position (PyTorch's area_pixel_compute_source_index)."""
    dst = xp.arange(n_out, dtype=np.float64)
    if align_corners:
        return dst * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    src = (dst + 0.5) * scale - 0.5
    return src if cubic else xp.maximum(src, 0.0)


def _cubic_weights(t):
    a = -0.75

    def near(x):
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return (far(t + 1), near(t), near(1 - t), far(2 - t))


def _taps(xp, mode: str, n_in: int, n_out: int, scale, align_corners: bool):
    """[(source index, weight or None)] whose weighted sum gives each output position."""
    if mode in ("nearest", "nearest-exact"):
        s = np.float32(scale)
        dst = xp.arange(n_out, dtype=np.float32)
        src = (dst + np.float32(0.5)) * s if mode == "nearest-exact" else dst * s
        return [(xp.minimum(xp.floor(src).astype(np.int64), n_in - 1), None)]
    if mode == "bicubic":
        src = _source(xp, n_in, n_out, scale, align_corners, cubic=True)
        base = xp.floor(src)
        weights = _cubic_weights(src - base)
        base = base.astype(np.int64)
        return [(xp.clip(base + k - 1, 0, n_in - 1), w) for k, w in enumerate(weights)]
    src = _source(xp, n_in, n_out, scale, align_corners)
    low = xp.floor(src).astype(np.int64)
    low = xp.minimum(low, n_in - 1)
    high = xp.minimum(low + 1, n_in - 1)
    frac = src - low
    return [(low, 1.0 - frac), (high, frac)]


def _resample(x: Tensor, axis: int, taps) -> Tensor:
    out = None
    for index, weight in taps:
        part = TakeOp.apply(x, Tensor._make(index, x._device), axis)
        if weight is not None:
            shape = (-1,) + (1,) * (x.ndim - axis - 1)
            w = Tensor._make(weight.astype(x._data.dtype).reshape(shape), x._device)
            part = part * w
        out = part if out is None else out + part
    return out


def _cubic_filter(x, a: float):
    """Keys' cubic convolution kernel at distance |x| (zero beyond 2)."""
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return np.where(x < 1, near, np.where(x < 2, far, 0.0))


# mode: (half-width of the filter at scale 1, filter of |x|); bicubic uses a = -0.5 here, as PIL
_AA_FILTERS = {
    "bilinear": (1.0, lambda x: np.maximum(1.0 - x, 0.0)),
    "bicubic": (2.0, lambda x: _cubic_filter(x, -0.5)),
    "lanczos": (3.0, lambda x: np.where(x < 3, np.sinc(x) * np.sinc(x / 3), 0.0)),
}


def _antialias_matrix(xp, mode: str, n_in: int, n_out: int, scale: float, dtype):
    """The (n_out, n_in) weights of PyTorch's antialiased resampling along one axis: when
    shrinking, the filter is stretched by the scale so every input pixel contributes; each row is
    normalised to sum to one."""
    half_width, kernel = _AA_FILTERS[mode]
    support = half_width * scale if scale >= 1.0 else half_width
    width = int(math.ceil(support)) * 2 + 1
    invscale = 1.0 / scale if scale >= 1.0 else 1.0
    center = scale * (np.arange(n_out) + 0.5)
    first = np.maximum(np.trunc(center - support + 0.5), 0).astype(np.int64)
    count = np.clip(np.minimum(np.trunc(center + support + 0.5).astype(np.int64), n_in) - first,
                    0, width)
    taps = np.arange(width)
    weights = kernel(np.abs((taps + first[:, None] - center[:, None] + 0.5) * invscale))
    used = taps < count[:, None]
    weights = np.where(used, weights, 0.0)
    total = weights.sum(1, keepdims=True)
    weights = weights / np.where(total == 0, 1.0, total)
    matrix = np.zeros((n_out, n_in))
    rows = np.broadcast_to(np.arange(n_out)[:, None], used.shape)
    matrix[rows[used], (first[:, None] + taps)[used]] = weights[used]
    return xp.asarray(matrix.astype(dtype))


def _check_sizes(in_size: tuple, out: tuple) -> None:
    if all(n > 0 for n in in_size) and all(o > 0 for o in out):
        return
    names = ("D", "H", "W")[-len(in_size):]
    shown_in = ", ".join(f"{k}: {n}" for k, n in zip(names, in_size))
    shown_out = ", ".join(f"{k}: {o}" for k, o in zip(names, out))
    joiner = " and" if len(in_size) == 1 else ""
    raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                       f"({shown_in}){joiner} output ({shown_out})")


_MODE_ERROR = ("Input Error: Only 3D, 4D and 5D input Tensors supported (got {}D) for the modes: "
               "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | "
               "nearest-exact (got {})")


@export(nn=True, method=False, function=False)
def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resize the spatial dims of (N, C, *spatial) to ``size`` or by ``scale_factor``.

    Modes: nearest, nearest-exact, linear, bilinear, bicubic, trilinear, area, and (with
    ``antialias=True``, 4-D input only) lanczos. ``antialias`` applies to bilinear and bicubic
    too: a filter widened by the downscale factor, as PIL's resize does. Antialiasing takes
    float32/float64 input only (PyTorch also takes uint8)."""
    nd = input.ndim - 2
    if mode in ("nearest", "nearest-exact", "area") and align_corners is not None:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    in_size = tuple(input.shape[2:])
    if size is not None:
        out = tuple(int(s) for s in size) if isinstance(size, (tuple, list)) else (int(size),) * nd
        if len(out) != nd:
            raise ValueError(f"Input and output must have the same number of spatial dimensions, "
                             f"but got input with spatial dimensions of {list(in_size)} and "
                             f"output size of {list(out)}. Please provide input tensor in (N, C,"
                             f" d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) "
                             f"format.")
        if recompute_scale_factor:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        factors = None
    elif scale_factor is not None:
        factors = (tuple(float(f) for f in scale_factor) if isinstance(scale_factor, (tuple, list))
                   else (float(scale_factor),) * nd)
        if len(factors) != nd:
            raise ValueError(f"Input and scale_factor must have the same number of spatial "
                             f"dimensions, but got input with spatial dimensions of "
                             f"{list(in_size)} and scale_factor of shape {list(factors)}. Please"
                             f" provide input tensor in (N, C, d1, d2, ...,dK) format and "
                             f"scale_factor in (s1, s2, ...,sK) format.")
        out = tuple(int(math.floor(n * f)) for n, f in zip(in_size, factors))
        if recompute_scale_factor:
            factors = None
    else:
        raise ValueError("either size or scale_factor should be defined")
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input.ndim == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes "
                         "and requires a 4-D tensor as input")
    if mode == "lanczos" and input.ndim == 4:
        if align_corners:
            raise ValueError("Lanczos mode does not support align_corners=True")
        if not antialias:
            raise ValueError("Lanczos mode requires antialias=True")
    if mode in _LINEAR_MODES and _LINEAR_MODES[mode] != nd:
        need = _LINEAR_MODES[mode] + 2
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs {need}D "
                                  f"input")
    known = ("nearest", "nearest-exact", "area", "lanczos") + tuple(_LINEAR_MODES)
    if mode not in known or nd not in (1, 2, 3) or (mode == "lanczos" and nd != 2):
        raise NotImplementedError(_MODE_ERROR.format(input.ndim, mode))
    if mode == "area":
        return _adaptive_avg(f"adaptive_avg_pool{nd}d", nd, input, out)
    _check_sizes(in_size, out)
    scales = (tuple(n / o for n, o in zip(in_size, out)) if factors is None
              else tuple(1.0 / f for f in factors))
    xp = input._device.backend.xp
    if antialias:
        if input.dtype not in (_dtype.float32, _dtype.float64):
            raise NotImplementedError(f'"compute_index_ranges_weights" not implemented for '
                                      f"'{_type_name(input.dtype)}'")
        if align_corners:
            scales = tuple((n - 1) / (o - 1) if o > 1 else 0.0 for n, o in zip(in_size, out))
        return _apply_separable(input, [
            None if n == o and s == 1.0
            else _antialias_matrix(xp, mode, n, o, s, input._data.dtype)
            for n, o, s in zip(in_size, out, scales)])
    x = input
    for i, (n, o, s) in enumerate(zip(in_size, out, scales)):
        if n == o and mode in ("nearest", "nearest-exact") and s == 1.0:
            continue
        x = _resample(x, 2 + i, _taps(xp, mode, n, o, s, bool(align_corners)))
    return x


@export(nn=True, method=False, function=False)
def upsample(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
             align_corners: bool | None = None) -> Tensor:
    """Deprecated alias of interpolate."""
    return interpolate(input, size, scale_factor, mode, align_corners)


@export(nn=True, method=False, function=False)
def upsample_nearest(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated: interpolate(..., mode='nearest')."""
    return interpolate(input, size, scale_factor, mode="nearest")


@export(nn=True, method=False, function=False)
def upsample_bilinear(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated: interpolate(..., mode='bilinear', align_corners=True)."""
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# -- pixel and channel shuffles ----------------------------------------------------------------
@export(nn=True, method=False)
def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r)."""
    r = int(upscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_shuffle expects its input to have at least 3 dimensions, but "
                           f"got input with {input.ndim} dimension(s)")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)={c} "
                           f"is not divisible by {r * r}")
    k = len(lead)
    x = reshape(input, tuple(lead) + (c // (r * r), r, r, h, w))
    x = x.permute(tuple(range(k)) + (k, k + 3, k + 1, k + 4, k + 2))
    return reshape(x, tuple(lead) + (c // (r * r), h * r, w * r))


@export(nn=True, method=False)
def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W)."""
    r = int(downscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle expects its input to have at least 3 dimensions, "
                           f"but got input with {input.ndim} dimension(s)")
    *lead, c, h, w = input.shape
    for name, size, dim in (("height", h, -2), ("width", w, -1)):
        if size % r:
            raise RuntimeError(f"pixel_unshuffle expects {name} to be divisible by "
                               f"downscale_factor, but input.size({dim})={size} is not divisible"
                               f" by {r}")
    k = len(lead)
    x = reshape(input, tuple(lead) + (c, h // r, r, w // r, r))
    x = x.permute(tuple(range(k)) + (k, k + 2, k + 4, k + 1, k + 3))
    return reshape(x, tuple(lead) + (c * r * r, h // r, w // r))


@export(nn=True, method=False, aliases=("native_channel_shuffle",))
def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """(N, C, *) with channels regrouped: (g, C/g) order becomes (C/g, g)."""
    if input.ndim < 3:
        raise RuntimeError(f"channel_shuffle expects input to have at least 3 dimensions, but "
                           f"got input with sizes {list(input.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of "
                           f"groups:{groups}")
    n, c, *rest = input.shape
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels "
                           f"and {groups} groups.")
    x = reshape(input, (n, groups, c // groups) + tuple(rest))
    return reshape(transpose(x, 1, 2), input.shape)


# -- spatial transformers: affine_grid and grid_sample ------------------------------------------
def _base_coords(xp, steps: int, align_corners: bool, dtype):
    if steps <= 1:
        return xp.zeros(max(steps, 1), dtype=dtype)
    lin = np.linspace(-1.0, 1.0, steps)
    if not align_corners:
        lin = lin * (steps - 1) / steps
    return xp.asarray(lin.astype(dtype))


@export(nn=True, method=False, function=False)
def affine_grid(theta: Tensor, size, align_corners: bool | None = None) -> Tensor:
    """Sampling grid (N, H, W, 2) or (N, D, H, W, 3) of the affine maps ``theta`` (N, 2, 3) or
    (N, 3, 4), in normalised [-1, 1] coordinates."""
    if not theta.dtype.is_floating_point:
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = tuple(int(s) for s in size)
    shown = f"torch.Size({list(size)})"
    if len(size) == 4:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (2, 3):
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size "
                             f"{shown}. Got torch.Size({list(theta.shape)}).")
        spatial = size[2:]
    elif len(size) == 5:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (3, 4):
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size "
                             f"{shown}. Got torch.Size({list(theta.shape)}).")
        spatial = size[2:]
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {shown}.")
    if min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {shown}")
    xp = theta._device.backend.xp
    dtype = theta._data.dtype
    axes = [_base_coords(xp, s, bool(align_corners), dtype) for s in spatial]
    mesh = xp.meshgrid(*axes, indexing="ij")  # (D,) H, W order; coordinates are x, y(, z)
    base = xp.stack(list(mesh[::-1]) + [xp.ones_like(mesh[0])], axis=-1)
    base = Tensor._make(base.reshape(1, -1, len(spatial) + 1), theta._device)
    grid = base @ theta.mT
    return reshape(grid, (size[0],) + spatial + (len(spatial),))


def _unnormalize(coord: Tensor, size: int, align_corners: bool) -> Tensor:
    if align_corners:
        return (coord + 1) * ((size - 1) / 2)
    return ((coord + 1) * size - 1) / 2


def _reflect(coord: Tensor, twice_low: int, twice_high: int) -> Tensor:
    """PyTorch's reflect_coordinates, with the fold count taken as a constant."""
    if twice_low == twice_high:
        return coord * 0
    low = twice_low / 2
    span = (twice_high - twice_low) / 2
    dist = (coord - low).abs()
    flips = np.floor(dist._data / span)
    odd = Tensor._make((flips % 2).astype(dist._data.dtype), coord._device)
    extra = dist - Tensor._make((flips * span).astype(dist._data.dtype), coord._device)
    return low + span * odd + extra * (1 - 2 * odd)


def _source_coord(coord: Tensor, size: int, padding_mode: str, align_corners: bool) -> Tensor:
    coord = _unnormalize(coord, size, align_corners)
    if padding_mode == "border":
        coord = coord.clamp(0, size - 1)
    elif padding_mode == "reflection":
        if align_corners:
            coord = _reflect(coord, 0, 2 * (size - 1))
        else:
            coord = _reflect(coord, -1, 2 * size - 1)
        coord = coord.clamp(0, size - 1)
    return coord


@export(nn=True, method=False, function=False)
def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear",
                padding_mode: str = "zeros", align_corners: bool | None = None) -> Tensor:
    """Sample (N, C, H, W) at the normalised (x, y) locations of ``grid`` (N, Ho, Wo, 2);
    modes 'bilinear' and 'nearest', padding 'zeros', 'border' or 'reflection'."""
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if input.ndim != 4 or mode == "bicubic":
        raise NotImplementedError("grid_sample: Ember supports 4-D input with 'bilinear' or "
                                  "'nearest' mode")
    if grid.ndim != 4 or grid.shape[-1] != 2 or grid.shape[0] != input.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid to have size 2 in last dimension and "
                           f"the same batch size as input, but got input with sizes "
                           f"{list(input.shape)} and grid with sizes {list(grid.shape)}")
    align = bool(align_corners)
    n, c, h, w = input.shape
    ho, wo = grid.shape[1], grid.shape[2]
    x = _source_coord(grid[:, :, :, 0], w, padding_mode, align)
    y = _source_coord(grid[:, :, :, 1], h, padding_mode, align)
    planes = reshape(input, (n * c, h * w))
    xp = input._device.backend.xp

    def tap(xi, yi):
        """Input values at integer (xi, yi) (N, Ho, Wo), zero outside, as (N, C, Ho, Wo)."""
        inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
        flat = xp.clip(yi, 0, h - 1) * w + xp.clip(xi, 0, w - 1)
        flat = xp.broadcast_to(flat.reshape(n, 1, -1), (n, c, ho * wo)).reshape(n * c, -1)
        values = reshape(_FlatGather.apply(planes, Tensor._make(flat, input._device)),
                         (n, c, ho, wo))
        mask = Tensor._make(inside.astype(input._data.dtype)[:, None], input._device)
        return values * mask

    if mode == "nearest":
        return tap(xp.rint(x._data).astype(np.int64), xp.rint(y._data).astype(np.int64))
    x0 = xp.floor(x._data)
    y0 = xp.floor(y._data)
    fx = (x - Tensor._make(x0, x._device)).unsqueeze(1)
    fy = (y - Tensor._make(y0, y._device)).unsqueeze(1)
    x0, y0 = x0.astype(np.int64), y0.astype(np.int64)
    return (tap(x0, y0) * ((1 - fx) * (1 - fy)) + tap(x0 + 1, y0) * (fx * (1 - fy))
            + tap(x0, y0 + 1) * ((1 - fx) * fy) + tap(x0 + 1, y0 + 1) * (fx * fy))
