"""gather, take_along_dim and the scatter family (scatter, scatter_add, scatter_reduce,
index_reduce): each gather's gradient is a scatter_add and each scatter_add's a gather."""
from __future__ import annotations

import numpy as np

from .. import _dtype
from ..autograd.function import Op
from .._tensor import Tensor, _make
from . import _registry
from ._inplace import inplace_variant
from ._registry import export
from ._util import wrap_dim
from .index import IndexPutZeros, _add_flat, basic_index
from .index_select import _check_index, _check_index_source
from .masked import masked_fill


def _check_gather(op: str, input, dim, index, src=None) -> int:
    _check_index(index, op, int32_ok=False)
    nd = input.ndim
    d = wrap_dim(dim, nd) if nd else 0
    if index.ndim != nd and not (nd == 0 and index.ndim <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as "
                           f"{'input' if op == 'gather' else 'self'} tensor")
    for k in range(index.ndim):
        if k != d and index._data.shape[k] > input._data.shape[k]:
            raise RuntimeError(f"Size does not match at dimension {k} expected index "
                               f"{list(index.shape)} to be no larger than self "
                               f"{list(input.shape)} apart from dimension {d}")
        if src is not None and index._data.shape[k] > src._data.shape[k]:
            raise RuntimeError(f"Size does not match at dimension {k} expected index "
                               f"{list(index.shape)} to be no larger than src "
                               f"{list(src.shape)}")
    size = input._data.shape[d] if nd else 1
    idx = index._data
    if idx.size and (int(idx.max()) >= size or int(idx.min()) < 0):
        bad = int(idx.max()) if int(idx.max()) >= size else int(idx.min())
        raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {size}")
    return d


def _positions(xp, shape, dim: int, index):
    """Flat positions into a C-contiguous array of ``shape`` addressed by gather's ``index``."""
    strides = [1] * len(shape)
    for k in range(len(shape) - 2, -1, -1):
        strides[k] = strides[k + 1] * shape[k + 1]
    grids = xp.ogrid[tuple(slice(0, n) for n in index.shape)] if index.ndim > 1 else \
        [xp.arange(index.shape[0])] if index.ndim else []
    pos = xp.zeros(index.shape, dtype=np.int64)
    for k in range(len(shape)):
        pos = pos + (index if k == dim else grids[k]) * strides[k]
    return pos


def _cut(src, shape):
    if src.shape == tuple(shape):
        return src
    return src[tuple(slice(0, n) for n in shape)]


class Gather(Op):
    @staticmethod
    def forward(ctx, x, index, dim):
        ctx.shape, ctx.dim, ctx.index = x.shape, dim, index
        if x.ndim == 0:
            return x.reshape(1)[index]
        return x.reshape(-1)[_positions(ctx.xp, x.shape, dim, index)]

    @staticmethod
    def backward(ctx, grad):
        index = _make(ctx.index, ctx.device)
        return scatter_add(grad.new_zeros(ctx.shape), ctx.dim, index, grad), None, None


@export
def gather(input, dim: int, index, *, sparse_grad: bool = False, out=None) -> Tensor:
    """``out[i][j][k] = input[index[i][j][k]][j][k]`` (for dim 0), and so on."""
    d = _check_gather("gather", input, dim, index)
    src = input if input._data.flags.c_contiguous else input.contiguous()
    result = Gather.apply(src, index._data, d)
    if out is not None:
        from .pointwise import _out
        return _out(result, out)
    return result


class Scatter(Op):
    """``input`` with ``src`` (or a scalar) written at gather-style positions; ``reduce`` sums
    ('add', 'sum'), multiplies ('multiply', 'prod'), or takes 'mean', 'amax', 'amin'."""

    @staticmethod
    def forward(ctx, x, src, index, dim, reduce, include_self):
        xp = ctx.xp
        ctx.index, ctx.dim, ctx.reduce, ctx.include_self = index, dim, reduce, include_self
        ctx._backward_name = ("ScatterBackward0" if reduce is None else "ScatterAddBackward0"
                              if reduce == "sum" and include_self else "ScatterReduceBackward0")
        out = xp.array(x, order="C", copy=True)
        flat = out.reshape(-1)
        pos = _positions(xp, x.shape, dim, index).reshape(-1)
        if xp.ndim(src) == 0:
            values = xp.broadcast_to(xp.asarray(src, dtype=x.dtype), pos.shape)
        else:
            values = _cut(src, index.shape).reshape(-1)
        if reduce is None:
            flat[pos] = values
        elif reduce == "sum":
            if not include_self:
                flat[pos] = 0
            _add_flat(xp, flat, pos, values)
        elif reduce == "prod":
            if not include_self:
                flat[pos] = 1
            xp.multiply.at(flat, pos, values)
        elif reduce == "mean":
            counts = xp.bincount(pos, minlength=flat.size)
            if not include_self:
                flat[pos] = 0
            else:
                counts = counts + 1
            _add_flat(xp, flat, pos, values)
            touched = counts > (1 if include_self else 0)
            if out.dtype.kind in "fc":
                flat[touched] = flat[touched] / counts[touched].astype(out.dtype)
            else:
                flat[touched] = flat[touched] // counts[touched]
            ctx.counts = xp.maximum(counts, 1).reshape(x.shape)
        else:
            ufunc = xp.maximum if reduce == "amax" else xp.minimum
            if not include_self:
                flat[pos] = values  # start each touched slot from one of its own values
            ufunc.at(flat, pos, values)
        if reduce in ("prod", "amax", "amin"):
            ctx.save_for_backward(x, src, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        index = _make(ctx.index, ctx.device)
        dim, reduce = ctx.dim, ctx.reduce
        need_x, need_src = ctx.needs_input_grad[:2]
        grad_x = grad_src = None
        excluded = reduce is None or not ctx.include_self
        if reduce in (None, "sum", "mean"):
            g = grad
            if reduce == "mean":
                counts = _make(ctx.counts, ctx.device)
                g = grad / counts.to(grad.dtype)
            if need_x:
                grad_x = scatter(g, dim, index, 0.0) if excluded else g
            if need_src:
                grad_src = _pad_like(gather(g, dim, index), ctx._src_shape)
            return grad_x, grad_src, None, None, None, None
        x, src, out = ctx.saved_tensors
        if reduce == "prod":  # exclusive products, exact where inputs are zero (as PyTorch)
            from .pointwise import where
            src_cut = _cut_t(src, index)
            include = ctx.include_self
            if need_x:
                masked_x = masked_fill(x, x == 0, 1)
                others = Scatter.apply(masked_x, src_cut, ctx.index, dim, "prod", include)
                grad_x = grad * others / masked_x
                if excluded:
                    grad_x = scatter(grad_x, dim, index, 0.0)
            if need_src:
                src_zero = src_cut == 0
                n_zeros = gather(scatter_add(x.new_zeros(x.shape), dim, index,
                                             src_zero.to(x.dtype)), dim, index)
                single = src_zero & (n_zeros == 1)
                masked_src = masked_fill(src_cut, single, 1)
                others = Scatter.apply(x, masked_src, ctx.index, dim, "prod", include)
                grad_src = where(single, gather(grad * others, dim, index),
                                 gather(grad * out, dim, index) / masked_fill(src_cut, src_zero, 1))
                grad_src = _pad_like(grad_src, ctx._src_shape)
            return grad_x, grad_src, None, None, None, None
        x_is = (x == out).to(grad.dtype)
        if excluded:
            x_is = scatter(x_is, dim, index, 0.0)
        src_cut = _cut_t(src, index)
        src_is = (src_cut == gather(out, dim, index)).to(grad.dtype)
        count = scatter_add(x_is, dim, index, src_is)
        from .pointwise import where
        share = grad / where(count == 0, 1.0, count)
        if need_x:
            grad_x = x_is * share
        if need_src:
            grad_src = _pad_like(src_is * gather(share, dim, index), ctx._src_shape)
        return grad_x, grad_src, None, None, None, None

    @classmethod
    def apply(cls, x, src, index, dim, reduce, include_self):
        out = super().apply(x, src, index, dim, reduce, include_self)
        if out.grad_fn is not None:
            out.grad_fn._src_shape = tuple(src.shape) if isinstance(src, Tensor) else None
        return out


def _cut_t(src: Tensor, index: Tensor) -> Tensor:
    if tuple(src.shape) == tuple(index.shape):
        return src
    return basic_index(src, tuple(slice(0, n) for n in index.shape))


def _pad_like(t: Tensor, shape) -> Tensor:
    """``t`` in the leading corner of zeros of ``shape`` (src larger than index)."""
    if shape is None or tuple(t.shape) == tuple(shape):
        return t
    key = tuple(slice(0, n) for n in t.shape)
    return IndexPutZeros.apply(t, key, tuple(shape), False)


def _scatter_src(input, src, op: str):
    if isinstance(src, Tensor):
        if src.dtype is not input.dtype:
            raise RuntimeError(f"{op}(): Expected self.dtype to be equal to src.dtype")
        return src
    if isinstance(src, (int, float, bool, complex, np.generic)):
        return src
    raise TypeError(f"{op}(): argument 'src' must be Tensor, not {type(src).__name__}")


def _scatter_index(index):
    return index._data


@export
def scatter(input, dim: int, index, src=None, *, value=None, reduce: str | None = None) -> Tensor:
    """``input`` with ``src`` (a tensor or scalar ``value``) written at ``index`` along ``dim``."""
    if src is None:
        src = value
    if reduce is not None and reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    src = _scatter_src(input, src, "scatter")
    d = _check_gather("scatter", input, dim, index, src if isinstance(src, Tensor) else None)
    mode = {None: None, "add": "sum", "multiply": "prod"}[reduce]
    return Scatter.apply(input, src, _scatter_index(index), d, mode, True)


@export
def scatter_add(input, dim: int, index, src) -> Tensor:
    """``input`` with ``src`` added at ``index`` along ``dim`` (duplicates summed)."""
    src = _scatter_src(input, src, "scatter_add")
    d = _check_gather("scatter_add", input, dim, index, src)
    return Scatter.apply(input, src, _scatter_index(index), d, "sum", True)


@export
def scatter_reduce(input, dim: int, index, src, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    """Reduce ``src`` into ``input`` at ``index``: 'sum', 'prod', 'mean', 'amax' or 'amin'."""
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    src = _scatter_src(input, src, "scatter_reduce")
    d = _check_gather("scatter_reduce", input, dim, index, src)
    return Scatter.apply(input, src, _scatter_index(index), d, reduce, bool(include_self))


@export
def index_reduce(input, dim: int, index, source, reduce: str, *,
                 include_self: bool = True) -> Tensor:
    """Reduce slices of ``source`` into ``input`` at ``index`` along ``dim``: 'prod', 'mean',
    'amax' or 'amin' (``scatter_reduce`` with the index spread over the other dims)."""
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or "
                           f"amin but got {reduce}.")
    d, index = _check_index_source(input, dim, index, source, "index_reduce_")
    lifted = [1] * source.ndim
    lifted[d] = index.numel()
    spread = index.reshape(lifted).expand(source.shape).to(_dtype.int64)
    return Scatter.apply(input, source, spread._data, d, reduce, bool(include_self))


@export
def take_along_dim(input, indices, dim: int | None = None, *, out=None) -> Tensor:
    """``gather`` after broadcasting ``input`` and ``indices`` over the other dims."""
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1), out=out)
    d = wrap_dim(dim, input.ndim)
    if indices.ndim != input.ndim:
        raise RuntimeError("torch.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {input.ndim} dimensions for input, "
                           f"and {indices.ndim} dimensions for indices")
    from .shape import broadcast_shapes
    a, b = list(input.shape), list(indices.shape)
    a[d] = b[d] = 1
    shape = list(broadcast_shapes(a, b))
    in_shape, idx_shape = list(shape), list(shape)
    in_shape[d], idx_shape[d] = input.shape[d], indices.shape[d]
    return gather(input.expand(in_shape), d, indices.expand(idx_shape), out=out)


for _fn in (index_reduce, scatter, scatter_add, scatter_reduce):
    _registry.method(_fn.__name__ + "_", inplace_variant(_fn))
