"""Helpers shared by the op families: argument checks, dtype promotion, scalar handling."""
from __future__ import annotations

import numbers

import numpy as np

from .. import _dtype
from .._tensor import Tensor, _make, _wrap_dim
from .._device import to_device, CPU

_SCALARS = (int, float, bool, complex)
wrap_dim = _wrap_dim


_SCALAR_TYPE_NAMES = {
    "float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
    "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
    "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def scalar_type_name(dt) -> str:
    """PyTorch's name for a dtype in error messages (``Float``, ``Long``, ...)."""
    return _SCALAR_TYPE_NAMES.get(dt.name, dt.name)


def is_scalar(x) -> bool:
    return isinstance(x, _SCALARS) or isinstance(x, np.generic)


def dims_tuple(dim, ndim: int) -> tuple:
    """Normalise ``dim`` (int, sequence, or None for all) to a sorted tuple of positive axes."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (int, np.integer)):
        return (_wrap_dim(int(dim), ndim),)
    dims = tuple(_wrap_dim(int(d), ndim) for d in dim)
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"dim {dims} appears multiple times in the list of dims")
    return tuple(sorted(dims))


def as_tensor_on(value, like: Tensor, dtype=None) -> Tensor:
    """Turn a scalar / array / list into a tensor on ``like``'s device."""
    if isinstance(value, Tensor):
        return value
    arr = np.asarray(value)
    if dtype is None:
        dtype = _infer_dtype(value, arr)
    arr = arr.astype(dtype.np, copy=False)
    dev = like._device if like is not None else CPU
    return _make(dev.backend.from_host(arr), dev)


def _infer_dtype(value, arr) -> _dtype.dtype:
    if isinstance(value, np.ndarray) or isinstance(value, np.generic):
        return _dtype.from_numpy_dtype(arr.dtype)
    kind = arr.dtype.kind
    if kind == "f":
        return _dtype.get_default_dtype()
    if kind in "iu":
        return _dtype.int64
    if kind == "b":
        return _dtype.bool_
    if kind == "c":
        return _dtype.complex128 if _dtype.get_default_dtype() is _dtype.float64 else \
            _dtype.complex64
    raise TypeError(f"can't convert {type(value).__name__} to a tensor")


def result_type(*operands) -> _dtype.dtype:
    """PyTorch's result dtype for tensors and Python scalars together."""
    dims, zero, scalars = [], [], []
    for x in operands:
        if isinstance(x, Tensor):
            (dims if x._data.ndim else zero).append(_dtype._FROM_NP[x._data.dtype])
        elif x is not None:
            scalars.append(x)
    return _dtype.result_type_of(dims, zero, scalars)


def cast(t: Tensor, dtype: _dtype.dtype) -> Tensor:
    if t._data.dtype == dtype.np:
        return t
    return t.to(dtype)


def check_broadcast(op: str, *tensors) -> None:
    """PyTorch's message for shapes that do not broadcast."""
    check_broadcast_shapes(*(t._data.shape for t in tensors if isinstance(t, Tensor)))


def check_broadcast_shapes(*shapes) -> None:
    out = list(shapes[0])
    for shape in shapes[1:]:
        a, b = out, list(shape)
        n = max(len(a), len(b))
        a = [1] * (n - len(a)) + a
        b = [1] * (n - len(b)) + b
        for i in range(n):
            if a[i] != b[i] and a[i] != 1 and b[i] != 1:
                raise RuntimeError(f"The size of tensor a ({a[i]}) must match the size of tensor "
                                   f"b ({b[i]}) at non-singleton dimension {i}")
            a[i] = max(a[i], b[i]) if a[i] != 0 and b[i] != 0 else 0
        out = a


def promote_binary(a, b, floating: bool = False):
    """Cast a binary op's operands to their common dtype; scalars stay Python scalars.

    With ``floating``, integral results become the default float dtype (true division).
    """
    b_cls = b.__class__
    if (b_cls is float or b_cls is int) and isinstance(a, Tensor) and not floating:
        kind = a._data.dtype.kind
        if kind == "f" or kind == "c" or (b_cls is int and kind in "iu"):
            return a, b  # NumPy's weak scalars already give PyTorch's result dtype here
    a_t, b_t = isinstance(a, Tensor), isinstance(b, Tensor)
    if a_t and b_t:
        if a._data.dtype is b._data.dtype and not floating:
            if a._data.shape != b._data.shape:
                check_broadcast("", a, b)
            return a, b
        dt = result_type(a, b)
        if floating and not (dt.is_floating_point or dt.is_complex):
            dt = _dtype.get_default_dtype()
        if a._data.shape != b._data.shape:
            check_broadcast("", a, b)
        return cast(a, dt), cast(b, dt)
    if a_t:
        t, s, t_first = a, b, True
    elif b_t:
        t, s, t_first = b, a, False
    else:
        raise TypeError("expected at least one tensor operand")
    if not is_scalar(s):
        s = as_tensor_on(s, t)
        return promote_binary(a if t_first else s, s if t_first else b, floating)
    dt = result_type(t, s)
    if floating and not (dt.is_floating_point or dt.is_complex):
        dt = _dtype.get_default_dtype()
    t = cast(t, dt)
    if isinstance(s, np.generic):
        s = s.item()
    if dt.is_floating_point and isinstance(s, numbers.Integral) and not isinstance(s, bool):
        s = float(s)
    return (t, s) if t_first else (s, t)


def to_float(t: Tensor) -> Tensor:
    """Integral and bool tensors become the default float dtype (for exp, sqrt, mean...)."""
    dt = _dtype._FROM_NP[t._data.dtype]
    if dt.is_floating_point or dt.is_complex:
        return t
    return t.to(_dtype.get_default_dtype())


def sum_to_shape(xp, grad, shape):
    """Sum a broadcast array back down to ``shape`` (array level)."""
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape)
                                      if s == 1 and grad.shape[i + lead] != 1)
    out = grad.sum(axis=axes, keepdims=True) if axes else grad
    return out.reshape(shape)


def device_of(device):
    return to_device(device)
