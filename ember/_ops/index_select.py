"""The index_* family along one dim: index_select/add/copy/fill, and the index checks it shares."""
from __future__ import annotations

from ..autograd.function import Op
from .._tensor import Tensor, _make
from . import _registry
from ._inplace import inplace_variant
from ._registry import export
from ._util import scalar_type_name, wrap_dim
from .index import _add_rows, _wrap_index


# -- checks shared by the index_* and scatter family --------------------------------------------
def _check_index(index: Tensor, op: str, int32_ok: bool = True) -> None:
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}(): argument 'index' must be Tensor, not {type(index).__name__}")
    ok = ("int64", "int32") if int32_ok else ("int64",)
    if index.dtype.name not in ok:
        want = "int32 or int64" if int32_ok else "int64"
        raise RuntimeError(f"{op}(): Expected dtype {want} for index")


def _check_bounds(xp, index, size: int, dim: int, exc=RuntimeError, prefix: str = "") -> None:
    if index.size == 0:
        return
    lo, hi = int(index.min()), int(index.max())
    bad = hi if hi >= size else (lo if lo < -size else None)
    if bad is not None:
        raise exc(f"{prefix}index {bad} is out of bounds for dimension {dim} with size {size}")


def _vector_index(index: Tensor, op: str) -> Tensor:
    if index.ndim > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector")
    return index.reshape(-1) if index.ndim == 0 else index


# -- index_select / index_add / index_copy / index_fill -----------------------------------------
@export
def index_select(input, dim: int, index, *, out=None) -> Tensor:
    """Slices of ``input`` at ``index`` (a vector) along ``dim``."""
    _check_index(index, "index_select")
    index = _vector_index(index, "index_select")
    d = wrap_dim(dim, input.ndim) if input.ndim else 0
    size = input._data.shape[d] if input.ndim else 1
    idx = index._data
    if idx.size and (int(idx.max()) >= size or int(idx.min()) < 0):
        # PyTorch takes no negative indices here; its message (and type) depends on the kernel
        if d == 1:
            bad = int(idx.max()) if int(idx.max()) >= size else int(idx.min())
            raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} axis_dim={size}")
        raise IndexError("index out of range in self")
    x = input.reshape(1) if input.ndim == 0 else input
    result = _IndexSelect.apply(x, d, idx)
    if input.ndim == 0:
        result = result.reshape(())
    if out is not None:
        from .pointwise import _out
        return _out(result, out)
    return result


class _IndexSelect(Op):
    _backward_name = "IndexSelectBackward0"

    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.shape, ctx.dim, ctx.index = x.shape, dim, index
        return ctx.xp.take(x, index, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        index = _make(ctx.index, ctx.device)
        return index_add(grad.new_zeros(ctx.shape), ctx.dim, index, grad), None, None


class IndexAdd(Op):
    @staticmethod
    def forward(ctx, x, source, index, dim, alpha):
        ctx.index, ctx.dim, ctx.alpha = index, dim, alpha
        xp = ctx.xp
        out = xp.moveaxis(x, dim, 0).copy()
        src = xp.moveaxis(source, dim, 0)
        if alpha != 1:
            src = src * xp.asarray(alpha, dtype=x.dtype)
        _add_rows(xp, out, _wrap_index(xp, index, x.shape[dim]), src)
        return xp.ascontiguousarray(xp.moveaxis(out, 0, dim))

    @staticmethod
    def backward(ctx, grad):
        grad_src = None
        if ctx.needs_input_grad[1]:
            grad_src = index_select(grad, ctx.dim, _make(ctx.index, ctx.device))
            if ctx.alpha != 1:
                grad_src = grad_src * ctx.alpha
        return grad, grad_src, None, None, None


def _check_index_source(input, dim, index, source, op: str) -> tuple:
    _check_index(index, op)
    index = _vector_index(index, op)
    d = wrap_dim(dim, input.ndim)
    n_src = source._data.shape[d] if source.ndim else 1
    if index.numel() != n_src:
        raise RuntimeError(f"{op}(): Number of indices ({index.numel()}) should be equal to "
                           f"source.size(dim): ({n_src}), for dim: {d}")
    if source.dtype is not input.dtype:
        raise RuntimeError(f"{op}(): self ({scalar_type_name(input.dtype)}) and source "
                           f"({scalar_type_name(source.dtype)}) must have the same scalar type")
    _check_bounds(None, index._data, input._data.shape[d], d,
                  IndexError if op == "index_copy_" else RuntimeError,
                  "index_copy_(): " if op == "index_copy_" else "")
    return d, index


@export
def index_add(input, dim: int, index, source, *, alpha=1, out=None) -> Tensor:
    """``input`` with ``alpha * source`` slices added at ``index`` along ``dim``."""
    d, index = _check_index_source(input, dim, index, source, "index_add_")
    if source.ndim != input.ndim:
        source = source.reshape(tuple(1 if i != d else index.numel() for i in range(input.ndim))
                                if source.ndim == 0 else source.shape)
    result = IndexAdd.apply(input, source, index._data, d, alpha)
    if out is not None:
        from .pointwise import _out
        return _out(result, out)
    return result


class IndexCopy(Op):
    @staticmethod
    def forward(ctx, x, source, index, dim):
        ctx.index, ctx.dim = index, dim
        out = x.copy()
        out[(slice(None),) * dim + (index,)] = source
        return out

    @staticmethod
    def backward(ctx, grad):
        index = _make(ctx.index, ctx.device)
        grad_x = index_fill(grad, ctx.dim, index, 0) if ctx.needs_input_grad[0] else None
        grad_src = index_select(grad, ctx.dim, index) if ctx.needs_input_grad[1] else None
        return grad_x, grad_src, None, None


@export
def index_copy(input, dim: int, index, source) -> Tensor:
    """``input`` with slices at ``index`` along ``dim`` replaced by ``source``."""
    d, index = _check_index_source(input, dim, index, source, "index_copy_")
    return IndexCopy.apply(input, source, index._data, d)


class IndexFill(Op):
    @staticmethod
    def forward(ctx, x, value, index, dim):
        ctx.index, ctx.dim = index, dim
        out = x.copy()
        out[(slice(None),) * dim + (index,)] = value
        return out

    @staticmethod
    def backward(ctx, grad):
        index = _make(ctx.index, ctx.device)
        grad_x = index_fill(grad, ctx.dim, index, 0) if ctx.needs_input_grad[0] else None
        grad_v = None
        if ctx.needs_input_grad[1]:
            grad_v = index_select(grad, ctx.dim, index).sum()
        return grad_x, grad_v, None, None


@export
def index_fill(input, dim: int, index, value) -> Tensor:
    """``input`` with slices at ``index`` along ``dim`` set to ``value``."""
    _check_index(index, "index_fill_", int32_ok=False)
    index = _vector_index(index, "index_fill_")
    d = wrap_dim(dim, input.ndim) if input.ndim else 0
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value.ndim} dimension(s).")
        value = value.to(input.dtype)
    _check_bounds(None, index._data, input._data.shape[d] if input.ndim else 1, d, IndexError)
    return IndexFill.apply(input, value, index._data, d)


for _fn in (index_add, index_copy, index_fill):
    _registry.method(_fn.__name__ + "_", inplace_variant(_fn))
