"""Triangles and diagonals: tril/triu, diagonal (a view), diag, diag_embed, diagonal_scatter
and fill_diagonal_."""
from __future__ import annotations

import builtins

import numpy as np

from ..autograd.function import Op
from .._tensor import Tensor, _make
from . import _registry
from ._inplace import inplace_variant
from ._registry import export
from ._util import wrap_dim
from .copy import scatter_into


class Triangle(Op):
    @staticmethod
    def forward(ctx, x, diagonal, upper):
        ctx.diagonal, ctx.upper = diagonal, upper
        ctx._backward_name = "TriuBackward0" if upper else "TrilBackward0"
        rows, cols = x.shape[-2:]
        xp = ctx.xp
        keep = xp.arange(cols)[None, :] - xp.arange(rows)[:, None]
        mask = keep >= diagonal if upper else keep <= diagonal
        return xp.where(mask, x, xp.zeros((), dtype=x.dtype))

    @staticmethod
    def backward(ctx, grad):
        return Triangle.apply(grad, ctx.diagonal, ctx.upper), None, None


@export
def tril(input, diagonal: int = 0, *, out=None) -> Tensor:
    """The lower triangle of the last two dims (elements above ``diagonal`` zeroed)."""
    if input.ndim < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return _maybe_out(Triangle.apply(input, int(diagonal), False), out)


@export
def triu(input, diagonal: int = 0, *, out=None) -> Tensor:
    """The upper triangle of the last two dims (elements below ``diagonal`` zeroed)."""
    if input.ndim < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return _maybe_out(Triangle.apply(input, int(diagonal), True), out)


def _maybe_out(result: Tensor, out) -> Tensor:
    if out is None:
        return result
    from .pointwise import _out
    return _out(result, out)


def _diagonal_view(xp, x, offset: int, dim1: int, dim2: int):
    """A writable strided view of a diagonal, moved to the last dim (as PyTorch)."""
    n1, n2 = x.shape[dim1], x.shape[dim2]
    length = builtins.max(builtins.min(n1 + builtins.min(offset, 0),
                                       n2 - builtins.max(offset, 0)), 0)
    rest = [d for d in range(x.ndim) if d not in (dim1, dim2)]
    shape = tuple(x.shape[d] for d in rest) + (length,)
    strides = tuple(x.strides[d] for d in rest) + (x.strides[dim1] + x.strides[dim2],)
    if length == 0:
        return xp.empty(shape, dtype=x.dtype)
    start = [slice(None)] * x.ndim
    start[dim1] = slice(builtins.max(-offset, 0), None)
    start[dim2] = slice(builtins.max(offset, 0), None)
    return xp.lib.stride_tricks.as_strided(x[tuple(start)], shape, strides,
                                           writeable=x.flags.writeable)


class Diagonal(Op):
    _is_view = True

    @staticmethod
    def forward(ctx, x, offset, dim1, dim2):
        ctx.shape, ctx.args = x.shape, (offset, dim1, dim2)
        return _diagonal_view(ctx.xp, x, offset, dim1, dim2)

    @staticmethod
    def backward(ctx, grad):
        return DiagonalScatter.apply(grad, ctx.shape, *ctx.args), None, None, None


class DiagonalScatter(Op):
    """Zeros of ``shape`` with ``src`` on a diagonal (the inverse of ``Diagonal``)."""

    @staticmethod
    def forward(ctx, src, shape, offset, dim1, dim2):
        ctx.args = (offset, dim1, dim2)
        out = ctx.xp.zeros(shape, dtype=src.dtype)
        _diagonal_view(ctx.xp, out, offset, dim1, dim2)[...] = src
        return out

    @staticmethod
    def backward(ctx, grad):
        return Diagonal.apply(grad, *ctx.args), None, None, None, None


def _diag_dims(ndim: int, dim1: int, dim2: int) -> tuple:
    d1, d2 = wrap_dim(dim1, ndim), wrap_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


@export
def diagonal(input, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """A view of the diagonal of ``dim1`` x ``dim2``, appended as the last dim."""
    d1, d2 = _diag_dims(input.ndim, dim1, dim2)
    return Diagonal.apply(input, int(offset), d1, d2)


@export
def diag_embed(input, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Matrices (in ``dim1`` x ``dim2``) whose ``offset`` diagonal is the last dim of input."""
    nd = input.ndim + 1
    d1, d2 = _diag_dims(nd, dim1, dim2)
    n = input._data.shape[-1] + abs(int(offset))
    rest = list(input._data.shape[:-1])
    shape = []
    for d in range(nd):
        shape.append(n if d in (d1, d2) else rest.pop(0))
    return DiagonalScatter.apply(input, tuple(shape), int(offset), d1, d2)


@export
def diag(input, diagonal: int = 0, *, out=None) -> Tensor:
    """1-D input: a square matrix with it on a diagonal; 2-D: that diagonal (a copy)."""
    if input.ndim == 1:
        n = input._data.shape[0] + abs(int(diagonal))
        return _maybe_out(DiagonalScatter.apply(input, (n, n), int(diagonal), 0, 1), out)
    if input.ndim != 2:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")
    from .copy import clone
    return _maybe_out(clone(Diagonal.apply(input, int(diagonal), 0, 1)), out)


@export
def diagonal_scatter(input, src, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """A copy of ``input`` with ``src`` written on a diagonal."""
    return scatter_into(input, src, lambda t: diagonal(t, offset, dim1, dim2))


def _fill_diagonal(input, fill_value, wrap: bool = False) -> Tensor:
    if input.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    if input.ndim > 2 and len(set(input.shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    mask = np.zeros(tuple(input.shape), dtype=bool)
    np.fill_diagonal(mask, True, wrap=wrap)
    from .masked import masked_fill
    return masked_fill(input, _make(input._device.backend.from_host(mask), input._device),
                       fill_value)


_registry.method("fill_diagonal_", inplace_variant(_fill_diagonal))
for _fn in (tril, triu):
    _registry.method(_fn.__name__ + "_", inplace_variant(_fn))
