"""Reductions: sums, means, products, extremes, norms, logsumexp, all/any (var and std are in
statistics.py, cumulative ops in scan.py, sorting in sorting.py).

Reductions that pick elements (max(dim), sort, topk, median, mode, cummax) compute indices on
arrays, then gather with ``GatherAlong``; its backward scatters the gradient back to the picks.
"""
from __future__ import annotations

import collections
import types

from .. import _dtype
from .._tensor import Tensor, _make
from ..autograd.function import Op
from . import _registry
from ._registry import export
from ._util import dims_tuple, scalar_type_name, to_float, wrap_dim
from .logical import isinf, isnan, logical_not
from .pointwise import _is_integral, _out, exp, log, where
from .rounding import maximum, minimum


def _expand_back(grad: Tensor, shape, axes, keepdim: bool) -> Tensor:
    """Broadcast a reduced gradient back over the reduced axes."""
    if not keepdim and axes:
        kept = list(grad.shape)
        for ax in axes:
            kept.insert(ax, 1)
        grad = grad.reshape(kept)
    return grad.expand(shape)


class Sum(Op):
    @staticmethod
    def forward(ctx, x, axes, keepdim, dtype):
        ctx.shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        return x.sum(axis=axes, keepdims=keepdim, dtype=dtype)

    @staticmethod
    def backward(ctx, grad):
        return _expand_back(grad, ctx.shape, ctx.axes, ctx.keepdim), None, None, None


@export
def sum(input, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Sum over ``dim`` (all when None). Integral and bool inputs sum to int64, as PyTorch."""
    axes = dims_tuple(dim, input.ndim) if not (isinstance(dim, (list, tuple)) and len(dim) == 0) \
        else tuple(range(input.ndim))
    if dtype is not None:
        np_dtype = _dtype.to_dtype(dtype).np
    elif not (input.dtype.is_floating_point or input.dtype.is_complex):
        np_dtype = _dtype.int64.np
    else:
        np_dtype = None
    return Sum.apply(input, axes, keepdim, np_dtype)


class SumToSize(Op):
    @staticmethod
    def forward(ctx, x, shape):
        from ._util import sum_to_shape
        ctx.shape = x.shape
        return sum_to_shape(ctx.xp, x, tuple(shape))

    @staticmethod
    def backward(ctx, grad):
        return grad.expand(ctx.shape), None


@export(function=False)
def sum_to_size(input, *size) -> Tensor:
    shape = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
    if tuple(input.shape) == tuple(shape):
        return input
    return SumToSize.apply(input, shape)


class Mean(Op):
    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        count = 1
        for ax in axes:
            count *= x.shape[ax]
        ctx.count = count
        if x.size == 0:  # nan (0/0) without NumPy's "Mean of empty slice" warning, as PyTorch
            total = x.sum(axis=axes, keepdims=keepdim)
            return total * float("nan") if count == 0 else total
        return x.mean(axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad):
        return _expand_back(grad / ctx.count, ctx.shape, ctx.axes, ctx.keepdim), None, None


@export
def mean(input, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Mean over ``dim``; PyTorch raises for integral inputs without ``dtype``, and so do we."""
    if dtype is not None:
        input = input.to(dtype)
    elif not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {scalar_type_name(input.dtype)}")
    axes = dims_tuple(dim, input.ndim) if not (isinstance(dim, (list, tuple)) and len(dim) == 0) \
        else tuple(range(input.ndim))
    return Mean.apply(input, axes, keepdim)


# -- named results, as torch.return_types ------------------------------------------------------
return_types = types.ModuleType("ember.return_types", "Named tuples returned by reductions.")


def _return_type(name: str, fields: tuple = ("values", "indices")):
    base = collections.namedtuple(name, fields)

    def __repr__(self) -> str:
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(fields, self))
        return f"ember.return_types.{name}(\n{body})"
    cls = type(name, (base,), {"__slots__": (), "__repr__": __repr__,
                               "__module__": "ember.return_types"})
    setattr(return_types, name, cls)
    return cls


_MAX, _MIN, _SORT, _TOPK = (_return_type(n) for n in ("max", "min", "sort", "topk"))
_MEDIAN, _NANMEDIAN, _MODE, _KTHVALUE = (_return_type(n) for n in ("median", "nanmedian", "mode",
                                                                   "kthvalue"))
_CUMMAX, _CUMMIN = _return_type("cummax"), _return_type("cummin")
_AMINMAX = _return_type("aminmax", ("min", "max"))
_registry.FUNCTIONS["return_types"] = return_types


def _all_axes(dim, ndim: int) -> tuple:
    """``dim`` as axes; None and an empty sequence both mean every axis."""
    if dim is None or (isinstance(dim, (list, tuple)) and len(dim) == 0):
        return tuple(range(ndim))
    return dims_tuple(dim, ndim)


# -- gather / scatter along one axis: each is the other's backward -------------------------------
class GatherAlong(Op):
    """``take_along_axis``: picks the elements reductions such as max(dim) and sort select."""

    _backward_name = "GatherBackward0"

    @staticmethod
    def forward(ctx, x, index, axis):
        ctx.shape, ctx.index, ctx.axis = x.shape, index, axis
        return ctx.xp.take_along_axis(x, index, axis)

    @staticmethod
    def backward(ctx, grad):
        return ScatterAddAlong.apply(grad, ctx.index, ctx.axis, ctx.shape), None, None


class ScatterAddAlong(Op):
    """Zeros of ``shape`` with ``src`` summed into ``index`` along ``axis`` (via bincount)."""

    _backward_name = "ScatterAddBackward0"

    @staticmethod
    def forward(ctx, src, index, axis, shape):
        ctx.index, ctx.axis = index, axis
        xp = ctx.xp
        grids = xp.indices(index.shape, sparse=True)
        coords = [g for g in grids]
        coords[axis] = index
        flat = xp.ravel_multi_index(tuple(xp.broadcast_to(c, index.shape) for c in coords),
                                    shape).reshape(-1)
        size = 1
        for s in shape:
            size *= s
        values = src.reshape(-1)
        if values.dtype.kind == "c":
            out = (xp.bincount(flat, values.real, size) +
                   1j * xp.bincount(flat, values.imag, size))
        else:
            out = xp.bincount(flat, values, size)
        return out.astype(src.dtype, copy=False).reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return GatherAlong.apply(grad, ctx.index, ctx.axis), None, None, None


def _gather(x: Tensor, index, axis: int, keepdim: bool = True) -> Tensor:
    """``x`` picked at ``index`` (an array with ``axis`` kept) along ``axis``."""
    out = GatherAlong.apply(x, index, axis)
    return out if keepdim else out.squeeze(axis)


def _index_tensor(index, like: Tensor, axis: int, keepdim: bool) -> Tensor:
    index = index.astype(_dtype.int64.np, copy=False)
    out = _make(index, like._device)
    return out if keepdim else out.squeeze(axis)


def _values_indices(cls, x: Tensor, index, axis: int, keepdim: bool):
    """The named (values, indices) pair of a reduction that selected ``index`` along ``axis``."""
    return cls(_gather(x, index, axis, keepdim), _index_tensor(index, x, axis, keepdim))


# -- products --------------------------------------------------------------------------------------
class Prod(Op):
    @staticmethod
    def forward(ctx, x, axes, keepdim, dtype):
        ctx.axes, ctx.keepdim = axes, keepdim
        ctx.has_zero = bool(ctx.needs_input_grad) and bool((x == 0).any())
        out = ctx.xp.asarray(x.prod(axis=axes, keepdims=keepdim, dtype=dtype))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        axes, keepdim = ctx.axes, ctx.keepdim
        grad = _expand_back(grad, x.shape, axes, keepdim)
        if not ctx.has_zero:
            return grad * (_expand_back(out, x.shape, axes, keepdim) / x).conj(), None, None, None
        # With zeros, divide nothing: multiply exclusive prefix and suffix products instead.
        return grad * _prod_of_others(x, axes).conj(), None, None, None


def _prod_of_others(x: Tensor, axes: tuple) -> Tensor:
    """For each element, the product of the other elements of its reduced slice; exact at
    zeros and differentiable (built from cumprod and gathers)."""
    keep = [d for d in range(x.ndim) if d not in axes]
    order = keep + list(axes)
    moved = x.permute(*order)
    flat = moved.reshape(tuple(x.shape[d] for d in keep) + (-1,))
    n, last = flat.shape[-1], flat.ndim - 1
    xp = x._device.backend.xp
    positions = xp.arange(n)
    shifted = xp.broadcast_to((positions - 1) % n, flat.shape)
    reverse = xp.broadcast_to(positions[::-1], flat.shape)
    first = _make(positions == 0, x._device)
    from .scan import cumprod  # scan.py imports this module

    def exclusive_cumprod(t):
        return cumprod(where(first, 1, GatherAlong.apply(t, shifted, last)), -1)
    before = exclusive_cumprod(flat)
    after = GatherAlong.apply(exclusive_cumprod(GatherAlong.apply(flat, reverse, last)),
                              reverse, last)
    inverse = [order.index(d) for d in range(x.ndim)]
    return (before * after).reshape(moved.shape).permute(*inverse)


@export
def prod(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Product over ``dim`` (all when None); integral and bool inputs give int64, as PyTorch."""
    axes = _all_axes(dim, input.ndim)
    return Prod.apply(input, axes, keepdim, _reduce_dtype(input, dtype))


def _reduce_dtype(input: Tensor, dtype):
    if dtype is not None:
        return _dtype.to_dtype(dtype).np
    return _dtype.int64.np if _is_integral(input) else None


# -- extremes --------------------------------------------------------------------------------------
class Amax(Op):
    """Max over axes; the gradient is split evenly among tied maxima, as in PyTorch."""

    @staticmethod
    def _pick(xp, x, axes, keepdim):
        return x.max(axis=axes, keepdims=keepdim)

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        out = ctx.xp.asarray(type(ctx)._pick(ctx.xp, x, axes, keepdim))
        if ctx.needs_input_grad:
            kept = out if keepdim else ctx.xp.expand_dims(out, axes)
            hits = (x == kept) | ((x != x) & (kept != kept))
            ctx.save_for_backward(hits, hits.sum(axis=axes, keepdims=True).astype(x.dtype))
            ctx.axes, ctx.keepdim, ctx.shape = axes, keepdim, x.shape
        return out

    @staticmethod
    def backward(ctx, grad):
        hits, count = ctx.saved_tensors
        grad = _expand_back(grad, ctx.shape, ctx.axes, ctx.keepdim)
        return where(hits, grad / count, 0), None, None


class Amin(Amax):
    @staticmethod
    def _pick(xp, x, axes, keepdim):
        return x.min(axis=axes, keepdims=keepdim)


def _median_index(xp, data, axis: int, ignore_nan: bool):
    """Position (along ``axis``) of the lower median; NaN wins unless ``ignore_nan``."""
    order = xp.argsort(data, axis=axis, kind="stable")
    n = data.shape[axis]
    if data.dtype.kind in "fc":
        valid = (~xp.isnan(data)).sum(axis=axis, keepdims=True)
        rank = xp.maximum(valid - 1, 0) // 2 if ignore_nan else xp.where(
            valid < n, valid, (n - 1) // 2)
    else:
        rank = xp.full(order.shape[:axis] + (1,) + order.shape[axis + 1:], (n - 1) // 2)
    return xp.take_along_axis(order, rank, axis)


class Median(Amax):
    """Lower median of all elements; ties share the gradient, as in PyTorch."""

    @staticmethod
    def _pick(xp, x, axes, keepdim):
        flat = x.reshape(-1)
        return flat[_median_index(xp, flat, 0, False)].reshape(())


class Nanmedian(Amax):
    @staticmethod
    def _pick(xp, x, axes, keepdim):
        flat = x.reshape(-1)
        return flat[_median_index(xp, flat, 0, True)].reshape(())


def _check_reducible(name: str, input: Tensor, axes) -> None:
    for a in axes:
        if input.shape[a] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {a} to have non-zero size.")


@export
def amax(input: Tensor, dim=(), keepdim: bool = False, *, out=None) -> Tensor:
    axes = _all_axes(dim, input.ndim)
    _check_reducible("amax", input, axes)
    return _out(Amax.apply(input, axes, keepdim), out)


@export
def amin(input: Tensor, dim=(), keepdim: bool = False, *, out=None) -> Tensor:
    axes = _all_axes(dim, input.ndim)
    _check_reducible("amin", input, axes)
    return _out(Amin.apply(input, axes, keepdim), out)


def _extreme(name, reduce_all, arg_fn, result_cls, binary):
    def fn(input: Tensor, dim=None, keepdim: bool = False, *, out=None):
        if isinstance(dim, Tensor):
            return binary(input, dim, out=out)
        if dim is None:
            if input.numel() == 0:
                raise RuntimeError(f"{name}(): Expected reduction dim to be specified for "
                                   "input.numel() == 0. Specify the reduction dim with the 'dim' "
                                   "argument.")
            return _out(reduce_all(input), out)
        axis = wrap_dim(dim, input.ndim)
        if input.ndim and input.shape[axis] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {axis} to have non-zero size.")
        x = input if input.ndim else input.reshape(1)
        index = arg_fn(x._data, axis)
        result = _values_indices(result_cls, x, index, axis, keepdim or not input.ndim)
        if not input.ndim:
            result = result_cls(result[0].reshape(()), result[1].reshape(()))
        if out is not None:
            _out(result[0], out[0])
            _out(result[1], out[1])
        return result
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"``{name}(x)``: the {name}imum; ``{name}(x, dim)``: named (values, indices); "
                  f"``{name}(x, other)``: elementwise {name}imum.")
    return fn


def _argext(x, axis: int, pick: str):
    """Index array of the first max/min along ``axis``, with the axis kept."""
    return getattr(x, pick)(axis=axis, keepdims=True)


max = export(_extreme("max", lambda x: Amax.apply(x, tuple(range(x.ndim)), False),
                      lambda a, ax: _argext(a, ax, "argmax"), _MAX, maximum))
min = export(_extreme("min", lambda x: Amin.apply(x, tuple(range(x.ndim)), False),
                      lambda a, ax: _argext(a, ax, "argmin"), _MIN, minimum))


class ArgExtreme(Op):
    differentiable = False

    @staticmethod
    def forward(ctx, x, axis, keepdim, pick):
        if axis is None:
            index = getattr(x.reshape(-1), pick)()
            return ctx.xp.asarray(index).reshape((1,) * x.ndim if keepdim else ())
        return getattr(x, pick)(axis=axis, keepdims=keepdim)


def _arg(name, pick):
    def fn(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
        if input.dtype.is_bool:
            raise RuntimeError(f"{name}(): does not support bool input")
        axis = None if dim is None else wrap_dim(dim, input.ndim)
        if input.numel() == 0 and (axis is None or input.shape[axis] == 0):
            raise IndexError(f"{name}(): Expected reduction dim {axis or 0} to have non-zero "
                             "size.")
        x = input if input.ndim or axis is None else input.reshape(1)
        out = ArgExtreme.apply(x, axis, keepdim, pick)
        return out.reshape(()) if not input.ndim else out
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Index of the {name[3:]}imum (of the flattened input when ``dim`` is None)."
    return fn


argmax = export(_arg("argmax", "argmax"))
argmin = export(_arg("argmin", "argmin"))


@export
def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False):
    """Named (min, max) in one call."""
    axes = _all_axes(dim, input.ndim)
    return _AMINMAX(amin(input, axes, keepdim), amax(input, axes, keepdim))


@export
def logsumexp(input: Tensor, dim, keepdim: bool = False, *, out=None) -> Tensor:
    """log(sum(exp(input))) over ``dim``, shifted by the max so it never overflows."""
    x = to_float(input)
    axes = _all_axes(dim, x.ndim)
    if x.numel() == 0:
        return _out(log(sum(exp(x), axes, keepdim)), out)
    shift = amax(x.detach(), axes, keepdim=True)
    shift = where(isinf(shift), 0, shift)
    total = log(sum(exp(x - shift), axes, keepdim=keepdim))
    return _out(total + (shift if keepdim else shift.reshape(total.shape)), out)


@export
def nansum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Sum treating NaN as zero."""
    if input.dtype.is_floating_point or input.dtype.is_complex:
        input = where(isnan(input), 0, input)
    return sum(input, _all_axes(dim, input.ndim), keepdim, dtype=dtype)


@export
def nanmean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Mean of the non-NaN elements."""
    if dtype is not None:
        input = input.to(dtype)
    if _is_integral(input):
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype "
                           f"but got {scalar_type_name(input.dtype)}")
    axes = _all_axes(dim, input.ndim)
    count = sum(logical_not(isnan(input)), axes, keepdim)
    return nansum(input, axes, keepdim) / count


# -- logical reductions and counting -----------------------------------------------------------
class _Truth(Op):
    differentiable = False
    _pick = "all"

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        out = getattr(x, type(ctx)._pick)(axis=axes, keepdims=keepdim)
        return out.astype(x.dtype) if x.dtype == ctx.xp.uint8 else out


class All(_Truth):
    _pick = "all"


class Any(_Truth):
    _pick = "any"


@export
def all(input: Tensor, dim=None, keepdim: bool = False, *, out=None) -> Tensor:
    """True where every element is non-zero (uint8 inputs give uint8, as PyTorch)."""
    return _out(All.apply(input, _all_axes(dim, input.ndim), keepdim), out)


@export
def any(input: Tensor, dim=None, keepdim: bool = False, *, out=None) -> Tensor:
    return _out(Any.apply(input, _all_axes(dim, input.ndim), keepdim), out)


class CountNonzero(Op):
    differentiable = False

    @staticmethod
    def forward(ctx, x, axes):
        return ctx.xp.count_nonzero(x, axis=axes).astype(_dtype.int64.np)


@export
def count_nonzero(input: Tensor, dim=None) -> Tensor:
    return CountNonzero.apply(input, _all_axes(dim, input.ndim))
