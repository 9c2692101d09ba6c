"""Indexing: ``x[key]`` and ``x[key] = value``.

Basic keys (ints, slices, None, Ellipsis) give views; keys with integer or boolean tensors,
lists or arrays gather copies (NumPy's advanced indexing, which matches PyTorch's).
"""
from __future__ import annotations

import numpy as np

from ..autograd import grad_mode
from ..autograd.function import Op, version_counter
from .._tensor import Tensor
from . import _registry
from ._inplace import check_inplace_allowed, write_inplace

_state = grad_mode.state
_BASIC = (int, slice, type(None), type(Ellipsis))


def _is_basic(key) -> bool:
    if isinstance(key, tuple):
        return all(isinstance(k, _BASIC) and not isinstance(k, bool) for k in key)
    return isinstance(key, _BASIC) and not isinstance(key, bool)


def _convert_key(key, xp):
    """Tensors in a key become arrays; checks index dtypes as PyTorch does."""
    if isinstance(key, tuple):
        return tuple(_convert_one(k, xp) for k in key)
    return _convert_one(key, xp)


def _convert_one(k, xp):
    if isinstance(k, Tensor):
        dt = k.dtype
        if dt.is_floating_point or dt.is_complex:
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return k._data if dt.name != "uint8" else k._data.astype(bool)
    if isinstance(k, (list, np.ndarray)):
        arr = np.asarray(k)
        if arr.dtype.kind == "f":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return xp.asarray(arr)
    if isinstance(k, np.integer):
        return int(k)
    return k


def _index_error(exc: IndexError, shape) -> IndexError:
    msg = str(exc).replace("axis", "dimension")
    return IndexError(msg)


class BasicIndex(Op):
    _is_view = True
    _backward_name = "SliceBackward0"

    @staticmethod
    def forward(ctx, x, key):
        ctx.shape, ctx.key = x.shape, key
        return x[key]

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
        return IndexPutZeros.apply(grad, ctx.key, ctx.shape, True), None


class IndexPutZeros(Op):
    """Zeros of ``shape`` with ``grad`` placed (summed when ``accumulate``) at ``key``."""

    @staticmethod
    def forward(ctx, grad, key, shape, accumulate):
        ctx.key = key
        out = ctx.xp.zeros(shape, dtype=grad.dtype)
        if accumulate:
            ctx.xp.add.at(out, key, grad)
        else:
            out[key] = grad
        return out

    @staticmethod
    def backward(ctx, grad):
        return _getitem(grad, ctx.key), None, None, None


def _getitem(x: Tensor, key):
    if _is_basic(key):
        return BasicIndex.apply(x, key)
    return AdvancedIndex.apply(x, key)


def getitem(self: Tensor, key) -> Tensor:
    if self._data.ndim == 0 and isinstance(key, (int, slice)) and not isinstance(key, bool):
        raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                         "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
    if isinstance(key, list) and key and all(isinstance(k, (slice, type(None), type(Ellipsis)))
                                             for k in key):
        key = tuple(key)
    key = _convert_key(key, self._device.backend.xp)
    try:
        return _getitem(self, key)
    except IndexError as exc:
        raise _index_error(exc, self.shape) from None


class IndexPut(Op):
    _backward_name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx, x, value, key):
        ctx.key = key
        out = x.copy()
        out[key] = value
        return out

    @staticmethod
    def backward(ctx, grad):
        grad_x = None
        if ctx.needs_input_grad[0]:
            grad_x = grad.clone()
            with grad_mode.no_grad():
                grad_x._data[ctx.key] = 0
        grad_v = _getitem(grad, ctx.key) if ctx.needs_input_grad[1] else None
        return grad_x, grad_v, None


def setitem(self: Tensor, key, value) -> None:
    xp = self._device.backend.xp
    key = _convert_key(key, xp)
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
            raise _index_error(exc, self.shape) from None
        except ValueError as exc:
            raise RuntimeError(str(exc)) from None
        version_counter(self).value += 1
        return
    if _is_basic(key):
        view = BasicIndex.apply(self, key)
        from .copy import copy_
        copy_(view, value)
        return
    if not isinstance(value, Tensor):
        from .creation import tensor
        value = tensor(value, dtype=self.dtype, device=self.device)
    elif value.dtype is not self.dtype:
        value = value.to(self.dtype)
    check_inplace_allowed(self)
    write_inplace(self, IndexPut.apply(self.clone() if self._requires_grad else self, value,
                                       key))


_registry.method("__getitem__", getitem)
_registry.method("__setitem__", setitem)
