"""Quantized tensors: quantize/dequantize and their quantization parameters (the quantized
layers' integer kernels are in quantized_gemm.py).

A quantized tensor is a ``_QTensor``: a ``Tensor`` subclass whose ``_data`` is the integer
representation (an ``_IntRepr``, which refuses NumPy math) and whose ``dtype`` reports
``qint8``/``quint8``/``qint32``. Plain tensors never pay for it: the only trace on ``Tensor`` is
the class attribute ``is_quantized = False``.
Quantized tensors live on the CPU, as in PyTorch's x86 backend.
"""
from __future__ import annotations

import numpy as np

from .. import _dtype
from .._device import CPU, device as _device
from .._formatting import _array_text, _options
from .._tensor import Tensor, _make, _new
from . import _registry
from ._registry import export


class qscheme:
    """A quantization scheme (``ember.per_tensor_affine`` ...), mirroring ``torch.qscheme``."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return "ember." + self.name

    def __reduce__(self):
        return (_qscheme_by_name, (self.name,))


per_tensor_affine = qscheme("per_tensor_affine")
per_channel_affine = qscheme("per_channel_affine")
per_tensor_symmetric = qscheme("per_tensor_symmetric")
per_channel_symmetric = qscheme("per_channel_symmetric")
per_channel_affine_float_qparams = qscheme("per_channel_affine_float_qparams")
_QSCHEMES = {q.name: q for q in (per_tensor_affine, per_channel_affine, per_tensor_symmetric,
                                 per_channel_symmetric, per_channel_affine_float_qparams)}


def _qscheme_by_name(name: str) -> qscheme:
    return _QSCHEMES[name]


# quantized dtype -> (storage dtype, smallest value, largest value)
_STORAGE = {_dtype.qint8: (_dtype.int8, -128, 127), _dtype.quint8: (_dtype.uint8, 0, 255),
            _dtype.qint32: (_dtype.int32, -2 ** 31, 2 ** 31 - 1)}


def qrange(dtype: _dtype.dtype) -> tuple[int, int]:
    """The (smallest, largest) integer a quantized dtype stores."""
    return _STORAGE[dtype][1:]


class _IntRepr(np.ndarray):
    """The integers inside a quantized tensor. NumPy math on them raises, so a float op handed
    a quantized tensor (``F.relu(q)``, ``ember.cat``) fails instead of computing on integers;
    quantized code reads them through ``_QTensor._ints``."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        _refuse(ufunc.__name__)

    def __array_function__(self, func, types, args, kwargs):
        _refuse(func.__name__)


def _refuse(name: str) -> None:
    raise NotImplementedError(f"Ember's float ops do not take quantized tensors ({name} was "
                              "called on one): dequantize() first, or use the quantized module")


class _QTensor(Tensor):
    """A quantized tensor: integer ``_data`` plus per-tensor or per-channel parameters."""

    is_quantized = True
    # Per-channel fields; per-tensor tensors leave them None.
    _scales = None
    _zero_points = None
    _axis = None

    @property
    def dtype(self) -> _dtype.dtype:
        return self._qdtype

    @property
    def _ints(self) -> np.ndarray:
        return self._data.view(np.ndarray)

    def qscheme(self) -> qscheme:
        return self._qscheme

    def int_repr(self) -> Tensor:
        return _make(self._ints.copy(), self._device)

    def q_scale(self) -> float:
        self._expect(per_tensor_affine, "q_scale")
        return self._scale

    def q_zero_point(self) -> int:
        self._expect(per_tensor_affine, "q_zero_point")
        return self._zero_point

    def q_per_channel_scales(self) -> Tensor:
        self._expect(per_channel_affine, "q_per_channel_scales")
        return _make(self._scales.copy(), CPU)

    def q_per_channel_zero_points(self) -> Tensor:
        self._expect(per_channel_affine, "q_per_channel_zero_points")
        return _make(self._zero_points.copy(), CPU)

    def q_per_channel_axis(self) -> int:
        self._expect(per_channel_affine, "q_per_channel_axis")
        return self._axis

    def _expect(self, scheme: qscheme, op: str) -> None:
        if self._qscheme is not scheme:
            raise RuntimeError(f"{op}: expected a {scheme.name} quantized tensor, got "
                               f"{self._qscheme.name}")

    def dequantize(self) -> Tensor:
        if self._scales is None:
            q = self._ints.astype(np.float32)
            q -= np.float32(self._zero_point)
            q *= np.float32(self._scale)
        else:  # PyTorch scales per channel in float64 and rounds once at the end
            shape = [1] * self.ndim
            shape[self._axis] = -1
            q = self._ints - self._zero_points.reshape(shape)
            q = (q * self._scales.reshape(shape)).astype(np.float32)
        return _make(q, self._device)

    def _with_data(self, data) -> "_QTensor":
        return _wrap(data, self._qdtype, self._scale, self._zero_point, self._scales,
                     self._zero_points, self._axis)

    def clone(self, *, memory_format=None) -> "_QTensor":
        return self._with_data(self._ints.copy())

    def detach(self) -> "_QTensor":
        return self._with_data(self._data)

    def contiguous(self, memory_format=None) -> "_QTensor":
        return self if self._data.flags.c_contiguous else self.clone()

    def cpu(self) -> "_QTensor":
        return self

    def to(self, *args, **kwargs) -> "_QTensor":
        """Quantized tensors stay on the CPU with their dtype: ``to`` accepts only that."""
        for arg in args + tuple(kwargs.values()):
            if isinstance(arg, (str, _device)) and _device(arg).type == "cpu":
                continue
            if arg is self._qdtype or isinstance(arg, bool):
                continue
            raise NotImplementedError(f"to({arg!r}): Ember keeps quantized tensors on the CPU "
                                      "as they are; dequantize() first to convert")
        return self

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self)))

    def item(self) -> float:
        raise RuntimeError("item() of a quantized tensor: call dequantize() first")

    def tolist(self) -> list:
        raise RuntimeError("tolist() of a quantized tensor: call dequantize() or int_repr() "
                           "first")

    def numpy(self, *, force: bool = False) -> np.ndarray:
        raise TypeError(f"can't convert a {self._qdtype} tensor to numpy: call dequantize() or "
                        "int_repr() first")

    def __deepcopy__(self, memo) -> "_QTensor":
        return self.clone()

    def __reduce_ex__(self, protocol):
        return (_wrap, (self._ints.copy(), self._qdtype, self._scale, self._zero_point,
                        self._scales, self._zero_points, self._axis))

    def __repr__(self) -> str:
        arr = self.dequantize()._data
        prefix = "tensor("
        body = _array_text(arr, _dtype.float32, len(prefix)) if arr.size else "[]"
        suffixes = [f"size={tuple(arr.shape)}", f"dtype={self._qdtype}",
                    f"quantization_scheme={self._qscheme}"]
        if self._scales is None:
            suffixes += [f"scale={self._scale}", f"zero_point={self._zero_point}"]
        else:
            suffixes += [f"scale={self.q_per_channel_scales()!r}",
                         f"zero_point={self.q_per_channel_zero_points()!r}",
                         f"axis={self._axis}"]
        text = prefix + body
        line = len(text) - text.rfind("\n") + 1
        for suffix in suffixes:
            if line + len(suffix) + 2 > _options["linewidth"]:
                text += ",\n" + " " * len(prefix) + suffix
                line = len(prefix) + len(suffix)
            else:
                text += ", " + suffix
                line += len(suffix) + 2
        return text + ")"


def _layout_method(name: str):
    """A shape/indexing method that moves integers around and keeps per-tensor parameters."""
    def method(self, *args, **kwargs):
        if self._scales is not None:
            raise NotImplementedError(f"{name} is not supported for per-channel quantized "
                                      "tensors in Ember")
        plain = _make(self._ints, self._device)
        return self._with_data(getattr(plain, name)(*args, **kwargs)._data)
    method.__name__ = name
    return method


_LAYOUT_METHODS = ("reshape", "view", "flatten", "squeeze", "unsqueeze", "permute",
                   "transpose", "t", "__getitem__")
for _name in _LAYOUT_METHODS:
    setattr(_QTensor, _name, _layout_method(_name))


def _unsupported(name: str):
    def method(self, *args, **kwargs):
        raise NotImplementedError(f"Could not run '{name}' with arguments from the "
                                  "'QuantizedCPU' backend: dequantize() the tensor first")
    method.__name__ = name
    return method


def _block_float_ops() -> None:
    """Make every registered op method refuse quantized tensors instead of silently computing
    on their integer representation."""
    for name, fn in _registry.METHODS.items():
        if name in _QTensor.__dict__ or name in ("__hash__", "__len__", "__iter__"):
            continue
        blocked = _unsupported(name)
        setattr(_QTensor, name, property(blocked) if isinstance(fn, property) else blocked)


def _wrap(data, dtype, scale, zero_point, scales=None, zero_points=None, axis=None) -> _QTensor:
    t = _new(_QTensor)
    t._data = data.view(_IntRepr)
    t._device = CPU
    t._requires_grad = False
    t.grad = None
    t.grad_fn = None
    t._qdtype = dtype
    if scales is None:
        t._qscheme, t._scale, t._zero_point = per_tensor_affine, scale, zero_point
    else:
        t._qscheme, t._scales, t._zero_points, t._axis = (per_channel_affine, scales,
                                                          zero_points, axis)
    return t


def _check_input(op: str, input: Tensor, dtype) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(input).__name__}")
    if dtype not in _STORAGE:
        raise RuntimeError(f"{op}: dtype must be one of ember.qint8, ember.quint8, ember.qint32, "
                           f"got {dtype}")
    if input.is_quantized or input.dtype is not _dtype.float32:
        raise RuntimeError(f"{op}: quantize only works on float32 tensors, got {input.dtype}")
    if input.device.type != "cpu":
        raise NotImplementedError(f"{op}: Ember quantizes CPU tensors only, got {input.device}")


def _check_zero_points(op: str, zero_points: np.ndarray, dtype) -> None:
    lo, hi = qrange(dtype)
    if zero_points.size and zero_points.max() > hi:
        raise RuntimeError(f"{op}: zero_point {zero_points.max()} is above upper bound {hi} of "
                           f"{dtype}")
    if zero_points.size and zero_points.min() < lo:
        raise RuntimeError(f"{op}: zero_point {zero_points.min()} is below lower bound {lo} of "
                           f"{dtype}")


def quantize_array(x: np.ndarray, scale, zero_point, dtype) -> np.ndarray:
    """Integers for float32 ``x`` as PyTorch's x86 kernels make them, bit for bit.

    8-bit types: ``x * float32(1 / scale) + zero_point`` in one fused multiply-add rounded to
    float32, then rounded half to even and clamped: the zero point is added *before* rounding,
    so 2.5 with zero point 3 becomes 6, not 5. qint32 rounds the product and the sum to float32
    separately. ``scale``/``zero_point`` are scalars or arrays broadcasting against ``x``.
    """
    return _rounded(x, scale, zero_point, dtype).astype(_STORAGE[dtype][0].np)


def _rounded(x: np.ndarray, scale, zero_point, dtype) -> np.ndarray:
    """``quantize_array``'s integers, still in a float array."""
    _, lo, hi = _STORAGE[dtype]
    inv_scale = np.float32(1.0) / np.asarray(scale, dtype=np.float32)
    zero_point = np.asarray(zero_point, dtype=np.float64)
    if dtype is _dtype.qint32:
        q = np.asarray(x * inv_scale, dtype=np.float32)
        q = np.rint(q + zero_point.astype(np.float32)).astype(np.float64)
    else:
        # float64 holds the product of two float32s exactly: one rounding, as in an FMA.
        q = x.astype(np.float64) * inv_scale.astype(np.float64)
        q += zero_point
        q = np.rint(q.astype(np.float32))
    np.clip(q, lo, hi, out=q)
    return q


@export(method=False)
def quantize_per_tensor(input, scale, zero_point, dtype: _dtype.dtype) -> Tensor | list:
    """Quantize with one scale and zero point; ``input`` may be a list of tensors (then
    ``scale``/``zero_point`` are tensors with one entry per input)."""
    if isinstance(input, (list, tuple)):
        scales, zero_points = np.asarray(scale).reshape(-1), np.asarray(zero_point).reshape(-1)
        return [quantize_per_tensor(t, float(s), int(z), dtype)
                for t, s, z in zip(input, scales, zero_points)]
    _check_input("quantize_per_tensor", input, dtype)
    scale = float(scale.item() if isinstance(scale, Tensor) else scale)
    zero_point = int(zero_point.item() if isinstance(zero_point, Tensor) else zero_point)
    _check_zero_points("quantize_per_tensor", np.array([zero_point]), dtype)
    return _wrap(quantize_array(input._data, scale, zero_point, dtype), dtype, scale,
                 zero_point)


@export(method=False)
def quantize_per_channel(input: Tensor, scales: Tensor, zero_points: Tensor, axis: int,
                         dtype: _dtype.dtype) -> Tensor:
    """Quantize with one scale and zero point per slice along ``axis``."""
    _check_input("quantize_per_channel", input, dtype)
    if not 0 <= axis < input.ndim:
        raise RuntimeError(f"quantize_per_channel: channel axis {axis} is out of range "
                           f"[0, {input.ndim}) for a {input.ndim}-d input")
    scales = np.asarray(scales._host() if isinstance(scales, Tensor) else scales,
                        dtype=np.float64).reshape(-1)
    zero_points = np.asarray(zero_points._host() if isinstance(zero_points, Tensor)
                             else zero_points, dtype=np.int64).reshape(-1)
    if scales.size != zero_points.size:
        raise RuntimeError(f"quantize_per_channel: number of elements in scales ({scales.size}) "
                           f"and zero_points ({zero_points.size}) must match")
    if scales.size != input.shape[axis]:
        raise RuntimeError(f"quantize_per_channel: {scales.size} scales given for "
                           f"{input.shape[axis]} channels along axis {axis}")
    _check_zero_points("quantize_per_channel", zero_points, dtype)
    shape = [1] * input.ndim
    shape[axis] = -1
    data = quantize_array(input._data, scales.reshape(shape), zero_points.reshape(shape), dtype)
    return _wrap(data, dtype, None, None, scales, zero_points, axis)


_FROM_STORAGE = {_dtype.int8: _dtype.qint8, _dtype.uint8: _dtype.quint8,
                 _dtype.int32: _dtype.qint32}


def _storage_to_qdtype(op: str, input: Tensor) -> _dtype.dtype:
    if input.dtype not in _FROM_STORAGE:
        raise RuntimeError(f"{op}: expected an int8, uint8 or int32 tensor, got {input.dtype}")
    return _FROM_STORAGE[input.dtype]


@export(method=False)
def _make_per_tensor_quantized_tensor(input: Tensor, scale: float, zero_point: int) -> Tensor:
    """A quantized tensor with ``input``'s integers (int8 -> qint8, uint8 -> quint8,
    int32 -> qint32) as its representation."""
    dtype = _storage_to_qdtype("_make_per_tensor_quantized_tensor", input)
    return _wrap(input._host().copy(), dtype, float(scale), int(zero_point))


@export(method=False)
def _make_per_channel_quantized_tensor(input: Tensor, scale: Tensor, zero_point: Tensor,
                                       axis: int) -> Tensor:
    """Per-channel counterpart of ``_make_per_tensor_quantized_tensor``."""
    dtype = _storage_to_qdtype("_make_per_channel_quantized_tensor", input)
    scales = np.asarray(scale._host(), dtype=np.float64).reshape(-1)
    zero_points = np.asarray(zero_point._host(), dtype=np.int64).reshape(-1)
    return _wrap(input._host().copy(), dtype, None, None, scales, zero_points, int(axis))


def quantizer_params(t: _QTensor) -> tuple:
    """What PyTorch's checkpoints store beside a quantized tensor's integers."""
    if t._scales is None:
        return (per_tensor_affine, t._scale, t._zero_point)
    return (per_channel_affine, t.q_per_channel_scales(), t.q_per_channel_zero_points(),
            t._axis)


def from_int_repr(ints: Tensor, params: tuple) -> _QTensor:
    """The quantized tensor ``quantizer_params`` describes, over the integers ``ints``."""
    if params[0] is per_tensor_affine:
        return _make_per_tensor_quantized_tensor(ints, params[1], params[2])
    if params[0] in (per_channel_affine, per_channel_affine_float_qparams):
        return _make_per_channel_quantized_tensor(ints, *params[1:])
    raise RuntimeError(f"unsupported quantization scheme {params[0]} in checkpoint")


@export(method=False)
def dequantize(tensor) -> Tensor | tuple:
    """The float32 values a quantized tensor stands for; a list of tensors gives a tuple."""
    if isinstance(tensor, (list, tuple)):
        return tuple(dequantize(t) for t in tensor)
    return tensor.dequantize()


def _float_dequantize(self: Tensor) -> Tensor:
    """A plain tensor "dequantizes" to float32 (itself when already float32), as in PyTorch."""
    return self if self.dtype is _dtype.float32 else self.float()


def _not_quantized(name: str):
    def method(self, *args, **kwargs):
        raise NotImplementedError(f"{name}: expected a quantized tensor, got one of dtype "
                                  f"{self.dtype}")
    method.__name__ = name
    return method


_registry.method("dequantize", _float_dequantize)
for _name in ("int_repr", "q_scale", "q_zero_point", "q_per_channel_scales",
              "q_per_channel_zero_points", "q_per_channel_axis", "qscheme"):
    _registry.method(_name, _not_quantized(_name))


def choose_qparams(min_val: float, max_val: float, qmin: int, qmax: int,
                   reduce_range: bool = False) -> tuple[float, int]:
    """fbgemm's choice of (scale, zero_point) for values in [min_val, max_val], as dynamic
    quantization makes it for each batch: the range always holds 0, ``reduce_range`` halves
    the integer range (x86 kernels' guard against overflowing 16-bit sums), and scales below
    fbgemm's floor of 6.1e-5 are raised to it."""
    min_val = min(float(np.float32(min_val)), 0.0)
    max_val = max(float(np.float32(max_val)), 0.0)
    if reduce_range:
        qmin, qmax = int(qmin / 2), int(qmax / 2)
    scale = (max_val - min_val) / (qmax - qmin)
    if np.float32(scale) == 0 or np.isinf(np.float32(1.0) / np.float32(scale)):
        scale = 0.1
    if scale < _SMALL_SCALE:
        if min_val == 0.0:
            max_val = float(np.float32(_SMALL_SCALE * (qmax - qmin)))
        elif max_val == 0.0:
            min_val = float(np.float32(-_SMALL_SCALE * (qmax - qmin)))
        else:
            amplifier = float(np.float32(_SMALL_SCALE / np.float32(scale)))
            min_val = float(np.float32(min_val * amplifier))
            max_val = float(np.float32(max_val * amplifier))
        scale = _SMALL_SCALE
    from_min, from_max = qmin - min_val / scale, qmax - max_val / scale
    from_min_error = abs(qmin) - abs(min_val / scale)
    from_max_error = abs(qmax) - abs(max_val / scale)
    zero_point = from_min if from_min_error < from_max_error else from_max
    zero_point = int(min(max(np.rint(zero_point), qmin), qmax))
    return float(np.float32(scale)), zero_point


_SMALL_SCALE = float(np.float32(6.1e-5))


@export(method=False)
def quantize_per_tensor_dynamic(input: Tensor, dtype: _dtype.dtype,
                                reduce_range: bool) -> Tensor:
    """Quantize with a scale and zero point chosen from the input's own range."""
    _check_input("quantize_per_tensor_dynamic", input, dtype)
    x = input._data
    lo, hi = (float(x.min()), float(x.max())) if x.size else (0.0, 0.0)
    scale, zero_point = choose_qparams(lo, hi, *qrange(dtype), reduce_range)
    return _wrap(quantize_array(x, scale, zero_point, dtype), dtype, scale, zero_point)


def requantize_like(input: _QTensor, values: Tensor) -> _QTensor:
    """Float ``values`` quantized with ``input``'s (per-tensor) parameters and dtype."""
    data = quantize_array(values._data, input.q_scale(), input.q_zero_point(), input._qdtype)
    return input._with_data(data)


def apply_to_int_repr(input: _QTensor, fn) -> _QTensor:
    """Run an order-preserving float op (max pooling, flatten...) on a per-tensor quantized
    tensor's integers and keep its parameters: exact, since such ops commute with the affine
    map from integers to values."""
    if not input.is_quantized or input._scales is not None:
        raise RuntimeError(f"expected a per-tensor quantized tensor, got {input.dtype}")
    out = fn(_make(input._ints.astype(np.float32), CPU))
    return input._with_data(out._data.astype(input._ints.dtype))
