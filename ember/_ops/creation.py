"""Factory functions: tensor, zeros, ones, full, empty, arange, linspace, eye and ``*_like``."""
from __future__ import annotations

import math

import numpy as np

from .. import _dtype
from .._device import to_device
from ..autograd.function import Op
from .._tensor import Tensor, _make
from . import _registry
from ._registry import export
from ._util import _infer_dtype, scalar_type_name


def _finish(array: np.ndarray, device, requires_grad: bool) -> Tensor:
    dev = to_device(device)
    t = _make(dev.backend.from_host(array), dev)
    if requires_grad:
        t.requires_grad = True
    return t


def _size(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)) or (
            len(size) == 1 and isinstance(size[0], Tensor)):
        size = tuple(size[0])
    out = []
    for s in size:
        if not isinstance(s, (int, np.integer)) and not (isinstance(s, Tensor) and s.numel() == 1):
            raise TypeError(f"expected a sequence of integers as the size, but got "
                            f"{type(s).__name__}")
        s = int(s)
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: "
                               f"{[int(x) for x in size]}")
        out.append(s)
    return tuple(out)


def _np_dtype(dtype, default=None):
    if dtype is None:
        return (default or _dtype.get_default_dtype()).np
    return _dtype.unquantized(_dtype.to_dtype(dtype)).np


@export(method=False)
def tensor(data, *, dtype=None, device=None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """Copy ``data`` into a new leaf tensor; Python floats give the default dtype, ints int64."""
    if isinstance(data, Tensor):
        arr = np.array(data._host())
        if dtype is None:
            dtype = data.dtype
        if device is None:
            device = data.device
    else:
        arr = np.array(data)
        if arr.dtype == object:
            raise TypeError(f"Could not infer dtype of {type(_first(data)).__name__}")
        if dtype is None:
            dtype = _infer_dtype(data, arr) if not isinstance(data, (list, tuple)) or \
                not _has_numpy(data) else _infer_nested(data, arr)
    arr = arr.astype(_dtype.unquantized(_dtype.to_dtype(dtype)).np, copy=False)
    return _finish(arr, device, requires_grad)


def _first(data):
    while isinstance(data, (list, tuple)) and data:
        data = data[0]
    return data


def _has_numpy(data) -> bool:
    first = _first(data)
    return isinstance(first, (np.ndarray, np.generic, Tensor))


def _infer_nested(data, arr):
    first = _first(data)
    if isinstance(first, Tensor):
        return first.dtype
    if isinstance(first, np.generic):
        return _dtype.from_numpy_dtype(first.dtype)
    return _dtype.from_numpy_dtype(arr.dtype)


@export(method=False)
def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory with a NumPy array or tensor when it can."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype) if (dtype or device) else data
    if isinstance(data, np.ndarray) and (device is None or to_device(device).type == "cpu"):
        t = from_numpy(data)
        return t.to(dtype) if dtype is not None else t
    return tensor(data, dtype=dtype, device=device)


asarray = export(as_tensor, name="asarray", method=False)


@export(method=False)
def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A CPU tensor sharing memory with ``ndarray`` (its dtype kept)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dtype.from_numpy_dtype(ndarray.dtype)
    return _make(ndarray, to_device("cpu"))


def _filled(fill, size, dtype, device, requires_grad, default=None):
    shape = _size(size)
    np_dtype = _np_dtype(dtype, default)
    if fill is None:
        arr = np.empty(shape, dtype=np_dtype)
    elif fill == 0:
        arr = np.zeros(shape, dtype=np_dtype)
    else:
        arr = np.full(shape, fill, dtype=np_dtype)
    dev = to_device(device)
    if not dev.backend.is_host:
        xp = dev.backend.xp
        arr = xp.full(shape, 0 if fill is None else fill, dtype=np_dtype)
        t = _make(arr, dev)
        if requires_grad:
            t.requires_grad = True
        return t
    return _finish(arr, dev, requires_grad)


@export(method=False)
def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False) -> Tensor:
    return _filled(0, size, dtype, device, requires_grad)


@export(method=False)
def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False) -> Tensor:
    return _filled(1, size, dtype, device, requires_grad)


@export(method=False)
def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, memory_format=None) -> Tensor:
    return _filled(None, size, dtype, device, requires_grad)


@export(method=False)
def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None,
         requires_grad=False) -> Tensor:
    """Filled with ``fill_value``; the dtype follows the value (bool, int64, default float)."""
    if dtype is None:
        dtype = _dtype.scalar_dtype(fill_value.item() if isinstance(fill_value, Tensor)
                                    else fill_value)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _filled(fill_value, (size,) if isinstance(size, int) else (tuple(size),), dtype,
                   device, requires_grad)


def _like(fill):
    def factory(input, *args, dtype=None, layout=None, device=None, requires_grad=False,
                memory_format=None):
        if fill == "full":
            value = args[0]
            return _filled(value, (tuple(input.shape),), dtype or input.dtype,
                           device or input.device, requires_grad)
        return _filled(fill, (tuple(input.shape),), dtype or input.dtype,
                       device or input.device, requires_grad)
    return factory


zeros_like = export(_like(0), name="zeros_like", method=False)
ones_like = export(_like(1), name="ones_like", method=False)
empty_like = export(_like(None), name="empty_like", method=False)
full_like = export(_like("full"), name="full_like", method=False)


@export(method=False)
def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False) -> Tensor:
    """[start, end) by step; int64 when all of them are integers, else the default dtype."""
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = vals
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        dtype = _dtype.int64 if all(isinstance(v, (int, np.integer)) for v in vals) else \
            _dtype.get_default_dtype()
    dt = _dtype.unquantized(_dtype.to_dtype(dtype))
    n = max(int(math.ceil((end - start) / step)), 0)
    arr = (start + np.arange(n, dtype=np.float64 if dt.is_floating_point else np.int64) * step)
    return _finish(arr.astype(dt.np), device, requires_grad)


@export(method=False)
def linspace(start, end, steps: int, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False) -> Tensor:
    arr = np.linspace(float(start), float(end), int(steps), dtype=np.float64)
    return _finish(arr.astype(_np_dtype(dtype)), device, requires_grad)


@export(method=False)
def logspace(start, end, steps: int, base: float = 10.0, *, out=None, dtype=None, layout=None,
             device=None, requires_grad=False) -> Tensor:
    arr = np.logspace(float(start), float(end), int(steps), base=base, dtype=np.float64)
    return _finish(arr.astype(_np_dtype(dtype)), device, requires_grad)


@export(method=False)
def eye(n: int, m: int | None = None, *, out=None, dtype=None, layout=None, device=None,
        requires_grad=False) -> Tensor:
    return _finish(np.eye(n, m, dtype=_np_dtype(dtype)), device, requires_grad)


@export(method=False)
def scalar_tensor(value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(np.array(value, dtype=_np_dtype(dtype)), device, requires_grad)


# -- index grids ---------------------------------------------------------------------------------
def _triangle_indices(row: int, col: int, offset: int, upper: bool, dtype, device) -> Tensor:
    if row < 0 or col < 0:
        raise RuntimeError(f"row must be non-negative, got{row}" if row < 0 else
                           f"col must be non-negative, got{col}")
    rows, cols = np.indices((row, col))
    keep = (cols - rows >= offset) if upper else (cols - rows <= offset)
    out = np.stack((rows[keep], cols[keep]))
    return _finish(out.astype(_np_dtype(dtype, _dtype.int64)), device, False)


@export(method=False)
def tril_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None,
                 layout=None) -> Tensor:
    """The (2, N) row/column indices of the lower triangle of a ``row`` x ``col`` matrix."""
    return _triangle_indices(row, col, offset, False, dtype, device)


@export(method=False)
def triu_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None,
                 layout=None) -> Tensor:
    """The (2, N) row/column indices of the upper triangle of a ``row`` x ``col`` matrix."""
    return _triangle_indices(row, col, offset, True, dtype, device)


@export(method=False)
def meshgrid(*tensors, indexing: str | None = None) -> tuple:
    """Coordinate grids (expanded views) from 1-D tensors; 'ij' (default) or 'xy' indexing."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: '
                           f"{indexing}")
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but "
                               f"got: {t}")
    for t in tensors[1:]:
        if t.dtype is not tensors[0].dtype:
            raise RuntimeError("torch.meshgrid: Expected all tensors in the tensor list to have "
                               "the same dtype.")
    flat = [t.reshape(-1) for t in tensors]
    swap = indexing == "xy" and len(flat) >= 2
    if swap:
        flat[0], flat[1] = flat[1], flat[0]
    shape = tuple(t.shape[0] for t in flat)
    grids = []
    for i, t in enumerate(flat):
        lifted = [1] * len(flat)
        lifted[i] = shape[i]
        grids.append(t.reshape(lifted).expand(shape))
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


# -- complex numbers ----------------------------------------------------------------------------
class Complex(Op):
    @staticmethod
    def forward(ctx, real, imag):
        return real + 1j * imag if real.dtype == np.float64 else \
            (real + np.complex64(1j) * imag).astype(np.complex64)

    @staticmethod
    def backward(ctx, grad):
        return grad.real, grad.imag


@export(method=False)
def complex(real, imag, *, out=None) -> Tensor:
    """A complex tensor from real and imaginary parts (float32 -> complex64, float64 ->
    complex128)."""
    if real.dtype is not imag.dtype:
        raise RuntimeError(f"Expected object of scalar type {scalar_type_name(real.dtype)} but got "
                           f"scalar type {scalar_type_name(imag.dtype)} for second argument")
    if real.dtype not in (_dtype.float32, _dtype.float64, _dtype.float16):
        raise RuntimeError(f"Expected both inputs to be Half, Float or Double tensors but got "
                           f"{scalar_type_name(real.dtype)} and {scalar_type_name(imag.dtype)}")
    return _maybe_out(Complex.apply(real, imag), out)


@export(method=False)
def polar(abs, angle, *, out=None) -> Tensor:
    """The complex tensor ``abs * (cos(angle) + i sin(angle))``."""
    return complex(abs * angle.cos(), abs * angle.sin(), out=out)


def _maybe_out(result: Tensor, out) -> Tensor:
    if out is None:
        return result
    from .pointwise import _out
    return _out(result, out)


# -- in-place fills ------------------------------------------------------------------------------
class Fill(Op):
    """``x`` overwritten by ``value`` (an array or scalar); no gradient reaches the old ``x``."""

    _backward_name = "FillBackward0"

    @staticmethod
    def forward(ctx, x, value):
        out = ctx.xp.empty_like(x)
        out[...] = value
        return out

    @staticmethod
    def backward(ctx, grad):
        return None, grad.sum() if ctx.needs_input_grad[1] else None


def fill_with(self: Tensor, value) -> Tensor:
    """Write ``value`` (scalar, array or 0-dim tensor) over ``self`` in place."""
    from ._inplace import write_inplace
    if isinstance(value, Tensor) and value.dtype is not self.dtype:
        value = value.to(self.dtype)
    return write_inplace(self, Fill.apply(self, value))


def fill_(self: Tensor, value) -> Tensor:
    """Set every element to ``value`` (a number or 0-dim tensor)."""
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                           f"{value.ndim} dimensions.")
    if isinstance(value, Tensor) and value._device is not self._device:
        value = value.to(self._device)
    return fill_with(self, value)


def zero_(self: Tensor) -> Tensor:
    """Set every element to zero."""
    return fill_with(self, 0)


_registry.method("fill_", fill_)
_registry.method("zero_", zero_)
