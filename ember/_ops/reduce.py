"""Reductions: sum, mean, and sum_to_size (the engine's un-broadcast helper)."""
from __future__ import annotations

from .. import _dtype
from ..autograd.function import Op
from .._tensor import Tensor
from ._registry import export
from ._util import dims_tuple


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
                           f"floating point or complex dtype. Got: {_long_name(input.dtype)}")
    axes = dims_tuple(dim, input.ndim) if not (isinstance(dim, (list, tuple)) and len(dim) == 0) \
        else tuple(range(input.ndim))
    return Mean.apply(input, axes, keepdim)


def _long_name(d) -> str:
    return {"int64": "Long", "int32": "Int", "bool": "Bool", "uint8": "Byte", "int16": "Short",
            "int8": "Char"}.get(d.name, d.name)


