"""Indexing: ``x[key]``, ``x[key] = value`` and index_put (index_select/add/copy/fill are in
index_select.py, masks, nonzero, take and put in masked.py, gather and the scatter family in
scatter.py).

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
from .._tensor import Tensor
from . import _registry
from ._inplace import check_inplace_allowed, inplace_variant, write_inplace
from ._registry import export
from ._util import as_tensor_on, scalar_type_name

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
                       f"{scalar_type_name(self.dtype)} for the destination and "
                       f"{scalar_type_name(value.dtype)} for the source.")


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


_registry.method("index_put_", inplace_variant(index_put))
