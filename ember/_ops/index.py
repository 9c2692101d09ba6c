"""Indexing: ``x[key]``, ``x[key] = value``, index_select/add/copy/fill, masks, put, nonzero
(gather and the scatter family are in scatter.py).

Basic keys (ints, slices, None, Ellipsis) give views; keys with integer or boolean tensors,
lists or arrays gather copies (NumPy's advanced indexing, which matches PyTorch's).
Scatter-style accumulation (index backward, index_add, scatter_add) sorts indices and sums runs
with ``add.reduceat`` or uses ``bincount`` rather than the slow ``add.at``.
"""
from __future__ import annotations

import re

import numpy as np

try:
    from scipy import sparse as _sparse
except ImportError:  # pragma: no cover - SciPy is optional
    _sparse = None

from .. import _dtype
from ..autograd import grad_mode
from ..autograd.function import Op, version_counter
from .._tensor import Tensor, _make
from . import _registry
from ._inplace import _type_name, check_inplace_allowed, inplace_variant, write_inplace
from ._registry import export
from ._util import as_tensor_on, wrap_dim

_state = grad_mode.state
_BASIC = (int, slice, type(None), type(Ellipsis))
_INDEX_TYPES = "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables " \
               "are valid indices (got {})"


# -- key preparation -------------------------------------------------------------------------
def _is_basic(key) -> bool:
    if isinstance(key, tuple):
        return all(isinstance(k, _BASIC) and not isinstance(k, bool) for k in key)
    return isinstance(key, _BASIC) and not isinstance(key, bool)


def _prepare_key(x: Tensor, key):
    """Validate ``key`` as PyTorch does and turn tensors/lists in it into backend arrays."""
    xp = x._device.backend.xp
    if isinstance(key, list) and any(isinstance(k, (list, tuple, Tensor, slice, type(None),
                                                    type(Ellipsis))) for k in key):
        key = tuple(key)  # legacy: a list holding sequences or slices is a tuple of indices
    items = key if isinstance(key, tuple) else (key,)
    out = []
    dim = 0
    shape = x._data.shape
    for pos, k in enumerate(items):
        if k is Ellipsis:  # skip the dims the ellipsis stands for
            dim = max(dim, len(shape) - _dims_consumed(items[pos + 1:]))
            out.append(k)
            continue
        if isinstance(k, Tensor):
            dt = k.dtype
            if dt.is_floating_point or dt.is_complex:
                raise IndexError("tensors used as indices must be long, int, byte or bool "
                                 "tensors")
            k = k._data.astype(bool) if dt is _dtype.uint8 else k._data
        elif isinstance(k, (list, np.ndarray)):
            k = np.asarray(k)
            if k.dtype.kind in "fu" or k.size == 0:
                k = k.astype(np.int64)
            elif k.dtype.kind not in "ib":
                raise IndexError("tensors used as indices must be long, int, byte or bool "
                                 "tensors")
            k = xp.asarray(k)
        elif isinstance(k, np.integer):
            k = int(k)
        elif isinstance(k, slice):
            k = _check_slice(k)
        elif not isinstance(k, _BASIC + (bool, np.bool_)):
            raise IndexError(_INDEX_TYPES.format(type(k).__name__))
        if x._data.ndim == 0 and isinstance(k, (int, slice)) and not isinstance(k, bool):
            if isinstance(k, int):
                raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in "
                                 "Python or `tensor.item<T>()` in C++ to convert a 0-dim "
                                 "tensor to a number")
            raise IndexError("slice() cannot be applied to a 0-dim tensor.")
        if hasattr(k, "dtype") and k.dtype == bool and k.ndim:
            if dim + k.ndim <= len(shape) and k.shape != shape[dim:dim + k.ndim]:
                raise IndexError(f"The shape of the mask {list(k.shape)} at index {0} does not "
                                 f"match the shape of the indexed tensor {list(shape)} at index "
                                 f"{dim}")
            dim += k.ndim
        elif isinstance(k, (int, slice)) and not isinstance(k, bool) or hasattr(k, "dtype"):
            if isinstance(k, int) and dim < len(shape) and not -shape[dim] <= k < shape[dim]:
                raise IndexError(f"index {k} is out of bounds for dimension {dim} with size "
                                 f"{shape[dim]}")
            dim += 1
        out.append(k)
    if dim > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
    return tuple(out) if isinstance(key, tuple) else out[0]


def _dims_consumed(items) -> int:
    """How many tensor dims these index entries use (None and Ellipsis use none)."""
    n = 0
    for k in items:
        if k is None or k is Ellipsis:
            continue
        if getattr(k, "dtype", None) is not None and str(k.dtype) in ("bool", "ember.bool"):
            n += k.ndim
        else:
            n += 1
    return n


def _check_slice(k: slice) -> slice:
    parts = []
    for v in (k.start, k.stop, k.step):
        if isinstance(v, Tensor):
            v = int(v.item())
        elif isinstance(v, np.integer):
            v = int(v)
        parts.append(v)
    if parts[2] is not None and parts[2] <= 0:
        if parts[2] == 0:
            raise ValueError("slice step cannot be zero")
        raise ValueError("step must be greater than zero")
    return slice(*parts)


def _index_error(exc: IndexError) -> IndexError:
    return IndexError(str(exc).replace("axis", "dimension").replace("array", "tensor"))


# -- fast accumulation -------------------------------------------------------------------------
def _wrap_index(xp, index, size: int):
    return xp.where(index < 0, index + size, index) if index.size and index.min() < 0 else index


def _add_rows(xp, out, index, src) -> None:
    """``out[index[i]] += src[i]`` along the first axis, summing duplicates (out contiguous)."""
    n = out.shape[0]
    index = index.reshape(-1)
    if index.size == 0:
        return
    out2 = out.reshape(n, -1)
    src2 = src.reshape(index.shape[0], -1)
    if src2.shape[1] == 1 and out.dtype.kind == "f":
        out2[:, 0] += xp.bincount(index, weights=src2[:, 0], minlength=n).astype(out.dtype)
        return
    if out.dtype.kind not in "fc":
        xp.add.at(out2, index, src2)  # exact integer sums
        return
    if _sparse is not None and xp is np and out.dtype in (np.float32, np.float64, np.complex64,
                                                           np.complex128):
        # A 0/1 selection matrix times the rows: one sparse GEMM, ~6x faster than sorting.
        m = index.shape[0]
        select = _sparse.csr_matrix((np.ones(m, dtype=out.dtype), (index, np.arange(m))),
                                    shape=(n, m))
        out2 += select @ src2
        return
    order = xp.argsort(index, kind="stable")
    sorted_index = index[order]
    starts = xp.flatnonzero(xp.concatenate((xp.ones(1, dtype=bool),
                                            sorted_index[1:] != sorted_index[:-1])))
    out2[sorted_index[starts]] += xp.add.reduceat(src2[order], starts, axis=0)


def _add_flat(xp, flat, positions, values) -> None:
    """``flat[positions] += values`` for 1-D ``flat``, duplicates summed."""
    positions = positions.reshape(-1)
    values = values.reshape(-1)
    if flat.dtype.kind == "f" and positions.size * 4 >= flat.size:
        flat += xp.bincount(positions, weights=values, minlength=flat.size).astype(flat.dtype)
    else:
        xp.add.at(flat, positions, values)


def _rows_key(key, shape):
    """For keys made only of integer arrays over the leading dims: (flat row index, n rows)."""
    items = key if isinstance(key, tuple) else (key,)
    if not items or not all(hasattr(k, "dtype") and k.dtype.kind in "iu" for k in items):
        return None
    k = len(items)
    if k > len(shape):
        return None
    if k == 1:
        return _wrap_index(np, items[0], shape[0]), shape[0]
    arrays = np.broadcast_arrays(*[_wrap_index(np, a, s) for a, s in zip(items, shape)])
    return np.ravel_multi_index(arrays, shape[:k]), int(np.prod(shape[:k]))


# -- x[key] -------------------------------------------------------------------------------------
class BasicIndex(Op):
    _is_view = True
    _backward_name = "SliceBackward0"

    @staticmethod
    def forward(ctx, x, key):
        ctx.shape, ctx.key = x.shape, key
        items = key if isinstance(key, tuple) else (key,)
        if Ellipsis not in items:
            items = items + (Ellipsis,)  # integers on every dim still give a 0-d view
        return x[items]

    @staticmethod
    def backward(ctx, grad):
        return IndexPutZeros.apply(grad, ctx.key, ctx.shape, False), None


class AdvancedIndex(Op):
    _backward_name = "IndexBackward0"

    @staticmethod
    def forward(ctx, x, key):
        ctx.shape, ctx.key = x.shape, key
        return x[key]

    @staticmethod
    def backward(ctx, grad):
        items = ctx.key if isinstance(ctx.key, tuple) else (ctx.key,)
        has_int = any(hasattr(k, "dtype") and k.dtype.kind in "iu" for k in items)
        return IndexPutZeros.apply(grad, ctx.key, ctx.shape, has_int), None


class IndexPutZeros(Op):
    """Zeros of ``shape`` with ``grad`` placed (summed when ``accumulate``) at ``key``."""

    @staticmethod
    def forward(ctx, grad, key, shape, accumulate):
        ctx.key = key
        xp = ctx.xp
        out = xp.zeros(shape, dtype=grad.dtype)
        if not accumulate:
            out[key] = grad
            return out
        rows = _rows_key(key, shape)
        if rows is None:
            xp.add.at(out, key, grad)
        else:
            index, n = rows
            rest = shape[len(key) if isinstance(key, tuple) else 1:]
            _add_rows(xp, out.reshape((n,) + rest), index,
                      xp.broadcast_to(grad, index.shape + rest))
        return out

    @staticmethod
    def backward(ctx, grad):
        return _getitem(grad, ctx.key), None, None, None


def _getitem(x: Tensor, key):
    if _is_basic(key):
        return BasicIndex.apply(x, key)
    return AdvancedIndex.apply(x, key)


def basic_index(x: Tensor, key) -> Tensor:
    """A view of ``x`` for a key of ints/slices/None/Ellipsis (already validated)."""
    return BasicIndex.apply(x, key)


def _fast_basic(shape, key) -> bool:
    """True for the common keys (ints in range, slices of ints with positive steps) that need
    no conversion, so indexing skips the general validation."""
    items = key if key.__class__ is tuple else (key,)
    if len(items) > len(shape):
        return False
    for size, k in zip(shape, items):
        cls = k.__class__
        if cls is int:
            if not -size <= k < size:
                return False
        elif cls is slice:
            if not ((k.start is None or k.start.__class__ is int) and
                    (k.stop is None or k.stop.__class__ is int) and
                    (k.step is None or (k.step.__class__ is int and k.step > 0))):
                return False
        else:
            return False
    return True


def getitem(self: Tensor, key) -> Tensor:
    if _fast_basic(self._data.shape, key):
        return BasicIndex.apply(self, key)
    key = _prepare_key(self, key)
    try:
        return _getitem(self, key)
    except IndexError as exc:
        raise _index_error(exc) from None


# -- x[key] = value -------------------------------------------------------------------------------
class IndexPut(Op):
    _backward_name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx, x, value, key, accumulate):
        ctx.key, ctx.accumulate = key, accumulate
        out = x.copy()
        if not accumulate:
            out[key] = value
            return out
        rows = _rows_key(key, x.shape)
        if rows is None:
            ctx.xp.add.at(out, key, value)
        else:
            index, n = rows
            rest = x.shape[len(key) if isinstance(key, tuple) else 1:]
            _add_rows(ctx.xp, out.reshape((n,) + rest), index,
                      ctx.xp.broadcast_to(value, index.shape + rest))
        return out

    @staticmethod
    def backward(ctx, grad):
        grad_x = grad_v = None
        if ctx.needs_input_grad[0]:
            grad_x = grad if ctx.accumulate else IndexPut.apply(grad, grad.new_zeros(()),
                                                                ctx.key, False)
        if ctx.needs_input_grad[1]:
            grad_v = _getitem(grad, ctx.key)
        return grad_x, grad_v, None, None


def _shape_mismatch(exc: ValueError) -> RuntimeError:
    m = re.search(r"from shape \(([^)]*)\) into shape \(([^)]*)\)", str(exc)) or \
        re.search(r"value array of shape \(([^)]*)\) could not be broadcast to indexing "
                  r"result of shape \(([^)]*)\)", str(exc))
    if m is None:
        return RuntimeError(str(exc))
    shapes = [[int(s) for s in g.split(",") if s.strip()] for g in m.groups()]
    return RuntimeError(f"shape mismatch: value tensor of shape {shapes[0]} cannot be broadcast "
                        f"to indexing result of shape {shapes[1]}")


def setitem(self: Tensor, key, value) -> None:
    key = _prepare_key(self, key)
    _check_put_dtype(self, value, key)
    value_requires = isinstance(value, Tensor) and value._requires_grad
    recording = _state.enabled and (self._requires_grad or value_requires)
    if not recording:
        check_inplace_allowed(self)
        if isinstance(value, Tensor):
            if value._device is not self._device:
                value = value.to(self._device)
            value = value._data
        try:
            self._data[key] = value
        except IndexError as exc:
            raise _index_error(exc) from None
        except ValueError as exc:
            raise _shape_mismatch(exc) from None
        version_counter(self).value += 1
        return
    if _is_basic(key):
        from .copy import copy_
        copy_(BasicIndex.apply(self, key), value)
        return
    value = _value_tensor(self, value)
    check_inplace_allowed(self)
    try:
        result = IndexPut.apply(self.clone() if self._requires_grad else self, value, key, False)
    except ValueError as exc:
        raise _shape_mismatch(exc) from None
    write_inplace(self, result)


def _check_put_dtype(self: Tensor, value, key) -> None:
    """Advanced-index writes take a tensor value of the destination's dtype only (a 0-d value
    under a single bool mask is a masked fill, which casts), as in PyTorch."""
    if not isinstance(value, Tensor) or value.dtype is self.dtype or _is_basic(key):
        return
    if value.ndim == 0 and getattr(key, "dtype", None) == np.bool_:
        return
    raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                       f"{_type_name(self.dtype)} for the destination and "
                       f"{_type_name(value.dtype)} for the source.")


def _value_tensor(self: Tensor, value) -> Tensor:
    if not isinstance(value, Tensor):
        return as_tensor_on(value, self, dtype=self.dtype)
    return value if value.dtype is self.dtype else value.to(self.dtype)


@export
def index_put(input, indices, values, accumulate: bool = False) -> Tensor:
    """Out-of-place ``input[indices] = values`` (``+=`` with ``accumulate``)."""
    key = _prepare_key(input, tuple(indices))
    _check_put_dtype(input, values, key)
    values = _value_tensor(input, values)
    try:
        return IndexPut.apply(input, values, key, bool(accumulate))
    except IndexError as exc:
        raise _index_error(exc) from None
    except ValueError as exc:
        raise _shape_mismatch(exc) from None


_registry.method("__getitem__", getitem)
_registry.method("__setitem__", setitem)


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


def _type_name(dt) -> str:
    from ._inplace import _type_name as name
    return name(dt)


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
        raise RuntimeError(f"{op}(): self ({_type_name(input.dtype)}) and source "
                           f"({_type_name(source.dtype)}) must have the same scalar type")
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
                           f"got {_type_name(input.dtype)} and {_type_name(source.dtype)}")
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
        raise RuntimeError(f"put_(): self ({_type_name(input.dtype)}) and source "
                           f"({_type_name(source.dtype)}) must have the same scalar type")
    _check_flat(index, input.numel())
    return Put.apply(input, source, index._data, bool(accumulate))


for _fn in (index_add, index_copy, index_fill, masked_fill, masked_scatter, put, index_put):
    _registry.method(_fn.__name__ + "_", inplace_variant(_fn))
