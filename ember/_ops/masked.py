"""Masks and flat indexing: masked_fill/scatter/select, nonzero, argwhere, take, put."""
from __future__ import annotations

import numpy as np

from .. import _dtype
from ..autograd.function import Op
from .._tensor import Tensor, _make
from . import _registry
from ._inplace import inplace_variant
from ._registry import export
from ._util import as_tensor_on, scalar_type_name
from .index import AdvancedIndex, _add_flat, _wrap_index
from .index_select import _check_index


# -- masks -----------------------------------------------------------------------------------------
def _check_mask(mask, op: str) -> None:
    if not isinstance(mask, Tensor) or mask.dtype is not _dtype.bool_:
        dt = mask.dtype.name if isinstance(mask, Tensor) else type(mask).__name__
        dt = {"float32": "float", "float64": "double", "int64": "long"}.get(dt, dt)
        if op == "masked_select":
            raise RuntimeError("masked_select: expected BoolTensor for mask")
        raise RuntimeError(f"{op} only supports boolean masks, but got mask with dtype {dt}")


@export
def masked_fill(input, mask, value) -> Tensor:
    """``input`` with ``value`` where ``mask`` is True (mask broadcasts)."""
    _check_mask(mask, "masked_fill_")
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but "
                               f"got tensor with {value.ndim} dimension(s).")
        value = value.to(input.dtype)
    else:
        value = as_tensor_on(value, input, dtype=input.dtype)
    from .pointwise import where
    return where(mask, value, input)


class MaskedScatter(Op):
    @staticmethod
    def forward(ctx, x, mask, source):
        ctx.mask, ctx.src_shape = mask, source.shape
        out = x.copy()
        out[mask] = source.reshape(-1)[:int(mask.sum())]
        return out

    @staticmethod
    def backward(ctx, grad):
        mask = _make(ctx.mask, ctx.device)
        grad_x = grad_src = None
        if ctx.needs_input_grad[0]:
            grad_x = masked_fill(grad, mask, 0)
        if ctx.needs_input_grad[2]:
            picked = grad[mask]
            n = 1
            for s in ctx.src_shape:
                n *= s
            from .join import cat
            grad_src = cat([picked, picked.new_zeros(n - picked.shape[0])]).reshape(ctx.src_shape)
        return grad_x, None, grad_src


@export
def masked_scatter(input, mask, source) -> Tensor:
    """``input`` with the first elements of ``source`` copied where ``mask`` is True."""
    _check_mask(mask, "masked_scatter_")
    if source.dtype is not input.dtype:
        raise RuntimeError(f"masked_scatter_: expected self and source to have same dtypes but "
                           f"got {scalar_type_name(input.dtype)} and "
                           f"{scalar_type_name(source.dtype)}")
    from .shape import broadcast_tensors
    input, mask = broadcast_tensors(input, mask)
    if int(mask._data.sum()) > source.numel():
        raise RuntimeError("Number of elements of source < number of ones in mask")
    return MaskedScatter.apply(input.contiguous(), mask._data, source)


@export
def masked_select(input, mask, *, out=None) -> Tensor:
    """The elements of ``input`` where ``mask`` is True, as a 1-D tensor."""
    _check_mask(mask, "masked_select")
    from .shape import broadcast_tensors
    input, mask = broadcast_tensors(input, mask)
    result = AdvancedIndex.apply(input, mask._data)
    if out is not None:
        from .pointwise import _out
        return _out(result, out)
    return result


# -- positions of nonzeros, flat indexing ---------------------------------------------------------
@export
def nonzero(input, *, out=None, as_tuple: bool = False):
    """Indices of nonzero elements: an (n, ndim) int64 tensor, or one vector per dim."""
    xp = input._device.backend.xp
    data = input._data
    if as_tuple:
        return tuple(_make(i.astype(np.int64), input._device)
                     for i in xp.nonzero(data.reshape(1) if data.ndim == 0 else data))
    return _make(xp.argwhere(data).astype(np.int64), input._device)


@export
def argwhere(input) -> Tensor:
    return nonzero(input)


def _check_flat(index, numel: int) -> None:
    idx = index._data
    if idx.size and (int(idx.max()) >= numel or int(idx.min()) < -numel):
        bad = int(idx.max()) if int(idx.max()) >= numel else int(idx.min())
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {numel} "
                         "elements.")


@export
def take(input, index) -> Tensor:
    """Elements of the flattened ``input`` at ``index`` (shaped like ``index``)."""
    _check_index(index, "take", int32_ok=False)
    _check_flat(index, input.numel())
    return AdvancedIndex.apply(input.reshape(-1), index._data)


class Put(Op):
    @staticmethod
    def forward(ctx, x, source, index, accumulate):
        ctx.index, ctx.accumulate, ctx.src_shape = index, accumulate, source.shape
        xp = ctx.xp
        out = x.copy()
        flat = out.reshape(-1)
        idx = _wrap_index(xp, index.reshape(-1), flat.size)
        if accumulate:
            _add_flat(xp, flat, idx, source.reshape(-1))
        else:
            flat[idx] = source.reshape(-1)
        return out

    @staticmethod
    def backward(ctx, grad):
        index = _make(ctx.index, ctx.device)
        grad_x = grad_src = None
        if ctx.needs_input_grad[0]:
            grad_x = grad if ctx.accumulate else put(grad, index, grad.new_zeros(index.shape))
        if ctx.needs_input_grad[1]:
            grad_src = take(grad, index).reshape(ctx.src_shape)
        return grad_x, grad_src, None, None


@export
def put(input, index, source, accumulate: bool = False) -> Tensor:
    """``input`` (viewed flat) with ``source`` written (or added) at ``index``."""
    _check_index(index, "put", int32_ok=False)
    if index.numel() != source.numel():
        raise RuntimeError(f"put_(): Expected source and index to have the same number of "
                           f"elements, but got source.numel() = {source.numel()}, "
                           f"index.numel() = {index.numel()}")
    if source.dtype is not input.dtype:
        raise RuntimeError(f"put_(): self ({scalar_type_name(input.dtype)}) and source "
                           f"({scalar_type_name(source.dtype)}) must have the same scalar type")
    _check_flat(index, input.numel())
    return Put.apply(input, source, index._data, bool(accumulate))


for _fn in (masked_fill, masked_scatter, put):
    _registry.method(_fn.__name__ + "_", inplace_variant(_fn))
