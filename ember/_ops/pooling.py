"""Pooling: max/avg/adaptive/lp pooling and max_unpool (resampling is in resample.py).

Max pooling reads every window through one ``as_strided`` view and keeps the argmax as a flat
index into each input plane (PyTorch's ``return_indices`` format). Its gradient scatters through
those indices (``_FlatScatter``, by ``bincount`` where windows overlap, by assignment where they
cannot); the scatter and the matching gather are each other's gradient, so double backward works.
Average pooling is a convolution with a ones kernel over planes, and adaptive average pooling is
separable: one small matrix per spatial dim, applied by matmul; their gradients come from the
conv and matmul ops.
"""
from __future__ import annotations

import math

import numpy as np

from .. import _dtype
from ..autograd.function import Op
from .._tensor import Tensor
from ._registry import export
from ._util import scalar_type_name
from .conv import ConvolutionOp, _Geom, _offsets, _tuple
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
                                  f"'{scalar_type_name(input.dtype)}'")
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


