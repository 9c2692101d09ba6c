"""Sorting and selection: sort, argsort, msort, topk, median/nanmedian along a dim, mode, unique,
bincount.

Values are gathered at indices computed on arrays, so their gradient scatters back to the picks.
"""
from __future__ import annotations

from .. import _dtype
from ..autograd.function import Op
from .._tensor import Tensor
from ._registry import export
from ._util import wrap_dim
from .pointwise import _not_implemented, _out
from .reduce import (_KTHVALUE, _MEDIAN, _MODE, _NANMEDIAN, _SORT, _TOPK, Median, Nanmedian,
                     _median_index, _values_indices)


def _argsort_array(xp, data, axis: int, descending: bool):
    """Stable argsort; descending keeps ties in their original order (NaN counts as largest)."""
    if not descending:
        return xp.argsort(data, axis=axis, kind="stable")
    n = data.shape[axis]
    flipped = xp.flip(data, axis)
    return (n - 1) - xp.flip(xp.argsort(flipped, axis=axis, kind="stable"), axis)


@export
def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False, *,
         out=None):
    """Named (values, indices) sorted along ``dim``; always stable here."""
    axis = wrap_dim(dim, input.ndim)
    x = input if input.ndim else input.reshape(1)
    index = _argsort_array(x._device.backend.xp, x._data, axis, descending)
    result = _values_indices(_SORT, x, index, axis, True)
    if not input.ndim:
        result = _SORT(result[0].reshape(()), result[1].reshape(()))
    if out is not None:
        _out(result[0], out[0])
        _out(result[1], out[1])
    return result


@export
def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False
            ) -> Tensor:
    return sort(input, dim, descending, stable).indices


@export
def msort(input: Tensor) -> Tensor:
    return sort(input, 0).values


def _topk_index(xp, data, k: int, axis: int, largest: bool):
    """Partition out the k candidates (O(n)), then sort only those."""
    n = data.shape[axis]
    if 0 < k < n:
        part = xp.argpartition(data, n - k if largest else k - 1, axis=axis)
        keep = slice(n - k, n) if largest else slice(0, k)
        candidates = part[(slice(None),) * axis + (keep,)]
    else:
        candidates = xp.argsort(data, axis=axis, kind="stable")[
            (slice(None),) * axis + (slice(0, k),)]
    order = _argsort_array(xp, xp.take_along_axis(data, candidates, axis), axis, largest)
    return xp.take_along_axis(candidates, order, axis)


@export
def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True, *,
         out=None):
    """Named (values, indices) of the k largest (or smallest) along ``dim``."""
    axis = wrap_dim(dim, input.ndim)
    size = input.shape[axis] if input.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError("selected index k out of range")
    x = input if input.ndim else input.reshape(1)
    index = _topk_index(x._device.backend.xp, x._data, k, axis, largest)
    result = _values_indices(_TOPK, x, index, axis, True)
    if not input.ndim:
        result = _TOPK(result[0].reshape(()), result[1].reshape(()))
    if out is not None:
        _out(result[0], out[0])
        _out(result[1], out[1])
    return result


@export
def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False, *, out=None):
    """Named (values, indices): the k-th smallest along ``dim`` (NaN counts as largest).

    Among equal values the index is the k-th in a stable sort; PyTorch's choice among ties
    depends on its selection algorithm and can differ."""
    axis = wrap_dim(dim, input.ndim)
    size = input.shape[axis] if input.ndim else 1
    if not 1 <= k <= size:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {axis}")
    x = input if input.ndim else input.reshape(1)
    xp = x._device.backend.xp
    order = _argsort_array(xp, x._data, axis, False)
    index = order[(slice(None),) * axis + (slice(k - 1, k),)]
    result = _values_indices(_KTHVALUE, x, index, axis, keepdim or not input.ndim)
    if not input.ndim:
        result = _KTHVALUE(result[0].reshape(()), result[1].reshape(()))
    if out is not None:
        _out(result[0], out[0])
        _out(result[1], out[1])
    return result


def _median(name, ignore_nan, result_cls, op_cls):
    def fn(input: Tensor, dim: int | None = None, keepdim: bool = False):
        xp = input._device.backend.xp
        if dim is None:
            if input.numel() == 0:
                return input.new_full((), float("nan"))
            return op_cls.apply(input, tuple(range(input.ndim)), False)
        axis = wrap_dim(dim, input.ndim)
        if input.ndim and input.shape[axis] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {axis} to have non-zero size.")
        x = input if input.ndim else input.reshape(1)
        index = _median_index(xp, x._data, axis, ignore_nan)
        result = _values_indices(result_cls, x, index, axis, keepdim or not input.ndim)
        if not input.ndim:
            result = result_cls(result[0].reshape(()), result[1].reshape(()))
        return result
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = ("The lower median (of all elements, or named (values, indices) along "
                  "``dim``)" + ("; NaN is ignored." if ignore_nan else "; NaN propagates."))
    return fn


median = export(_median("median", False, _MEDIAN, Median))
nanmedian = export(_median("nanmedian", True, _NANMEDIAN, Nanmedian))


@export
def mode(input: Tensor, dim: int = -1, keepdim: bool = False):
    """Named (values, indices): the most frequent value along ``dim`` (smallest on ties) and
    the last index where it occurs."""
    axis = wrap_dim(dim, input.ndim)
    x = input if input.ndim else input.reshape(1)
    xp = x._device.backend.xp
    data = xp.moveaxis(x._data, axis, -1)
    n = data.shape[-1]
    if n == 0:
        raise IndexError(f"mode(): Expected reduction dim {axis} to have non-zero size.")
    ordered = xp.sort(data, axis=-1)
    positions = xp.arange(n)
    starts = xp.ones(ordered.shape, dtype=bool)
    starts[..., 1:] = ordered[..., 1:] != ordered[..., :-1]
    run_start = xp.maximum.accumulate(xp.where(starts, positions, 0), axis=-1)
    run_length = positions - run_start + 1
    best = xp.take_along_axis(ordered, run_length.argmax(axis=-1)[..., None], axis=-1)
    last = xp.where(data == best, positions, -1).max(axis=-1, keepdims=True)
    index = xp.moveaxis(last, -1, axis)
    result = _values_indices(_MODE, x, index, axis, keepdim or not input.ndim)
    if not input.ndim:
        result = _MODE(result[0].reshape(()), result[1].reshape(()))
    return result


class Unique(Op):
    """Recorded like PyTorch's (values require grad) but, as there, not differentiable."""

    @staticmethod
    def forward(ctx, x, axis):
        values, inverse, counts = ctx.xp.unique(x, return_inverse=True, return_counts=True,
                                                axis=axis)
        if axis is None:
            inverse = inverse.reshape(x.shape)
        inverse, counts = inverse.astype(_dtype.int64.np), counts.astype(_dtype.int64.np)
        ctx.mark_non_differentiable(inverse, counts)
        return values, inverse, counts

    @staticmethod
    def backward(ctx, *grads):
        raise RuntimeError("the derivative for 'unique' is not implemented.")


@export
def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim: int | None = None):
    """Sorted unique elements (or slices along ``dim``); the output is sorted even when
    ``sorted=False``, which PyTorch permits."""
    axis = None if dim is None else wrap_dim(dim, input.ndim)
    values, inverse, counts = Unique.apply(input, axis)
    if axis is not None:
        inverse = inverse.reshape(-1)
    if not (return_inverse or return_counts):
        return values
    return (values,) + ((inverse,) if return_inverse else ()) + \
        ((counts,) if return_counts else ())


class Bincount(Op):
    differentiable = False

    @staticmethod
    def forward(ctx, x, weights, minlength):
        counts = ctx.xp.bincount(x, weights=weights, minlength=minlength)
        if weights is None:
            return counts.astype(ctx.xp.int64, copy=False)
        return counts.astype(weights.dtype if weights.dtype.kind == "f" else ctx.xp.float64)


@export
def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """How often each value occurs in a 1-D non-negative integer tensor (or the summed
    ``weights``); int64 counts, or the weights' float dtype (float64 for integral weights)."""
    if input.dtype.is_floating_point or input.dtype.is_complex:
        raise _not_implemented("bincount", input)
    if input.ndim != 1 or (input.numel() and int(input._data.min()) < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    return Bincount.apply(input, weights, int(minlength))
