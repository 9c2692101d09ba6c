"""Copies and conversions: clone, contiguous, to(dtype/device), copy_, and the dtype shortcuts."""
from __future__ import annotations

from .. import _dtype
from .._device import device as _device_cls, to_device
from ..autograd.function import Op
from .._tensor import Tensor
from . import _registry
from ._inplace import write_inplace
from ._registry import export


class Clone(Op):
    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad


@export
def clone(input, *, memory_format=None) -> Tensor:
    return Clone.apply(input)


@export(function=False)
def contiguous(input, memory_format=None) -> Tensor:
    if input._data.flags.c_contiguous:
        return input
    return Clone.apply(input)


class ToDtype(Op):
    _backward_name = "ToCopyBackward0"

    @staticmethod
    def forward(ctx, x, np_dtype):
        ctx.in_dtype = x.dtype
        return x.astype(np_dtype)

    @staticmethod
    def backward(ctx, grad):
        in_dt = _dtype.from_numpy_dtype(ctx.in_dtype)
        if not (in_dt.is_floating_point or in_dt.is_complex):
            return None, None
        if grad.is_complex() and not in_dt.is_complex:
            grad = grad.real
        return grad.to(in_dt), None


class ToDevice(Op):
    _backward_name = "ToCopyBackward0"

    @staticmethod
    def forward(ctx, x, target):
        ctx.source = ctx.device
        src_backend, dst_backend = ctx.device.backend, target.backend
        host = src_backend.to_host(x)
        return dst_backend.from_host(host.copy() if host is x else host)

    @classmethod
    def apply(cls, x, target):
        out = super().apply(x, target)
        out._device = target
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad.to(ctx.source), None


def _parse_to(args, kwargs):
    device = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kwargs))}'")
    for a in args:
        if isinstance(a, Tensor):
            device, dtype = a.device, a.dtype
        elif isinstance(a, _dtype.dtype) or a in (float, int, bool, complex):
            dtype = a
        elif isinstance(a, (str, _device_cls, int)):
            device = a
        elif isinstance(a, bool):
            pass
        elif a is not None:
            dtype = a
    return device, dtype, copy


@export(function=False)
def to(input, *args, **kwargs) -> Tensor:
    """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)``; returns self when
    nothing changes (unless ``copy=True``)."""
    device, dtype, copy = _parse_to(args, dict(kwargs))
    out = input
    if dtype is not None:
        dt = _dtype.unquantized(_dtype.to_dtype(dtype))
        if out._data.dtype != dt.np:
            out = ToDtype.apply(out, dt.np)
    if device is not None:
        dev = to_device(device)
        if dev is not out._device:
            out = ToDevice.apply(out, dev)
    if copy and out is input:
        out = Clone.apply(input)
    return out


def _dtype_method(dt_name):
    def convert(self, memory_format=None):
        return to(self, getattr(_dtype, dt_name))
    convert.__name__ = dt_name
    return convert


for _name, _dt in (("float", "float32"), ("double", "float64"), ("half", "float16"),
                   ("long", "int64"), ("int", "int32"), ("short", "int16"), ("char", "int8"),
                   ("byte", "uint8"), ("bool", "bool_"), ("cfloat", "complex64"),
                   ("cdouble", "complex128"), ("bfloat16", "bfloat16")):
    _registry.method(_name, _dtype_method(_dt))


@export(function=False)
def cpu(input, memory_format=None) -> Tensor:
    return to(input, "cpu")


@export(function=False)
def cuda(input, device=None, non_blocking: bool = False, memory_format=None) -> Tensor:
    dev = _device_cls("cuda", device if isinstance(device, int) else None) if not isinstance(
        device, (str, _device_cls)) else _device_cls(device)
    return to(input, dev)


_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
               "bfloat16": "BFloat16Tensor", "int64": "LongTensor", "int32": "IntTensor",
               "int16": "ShortTensor", "int8": "CharTensor", "uint8": "ByteTensor",
               "bool": "BoolTensor", "complex64": "ComplexFloatTensor",
               "complex128": "ComplexDoubleTensor"}


@export(function=False)
def type(input, dtype=None, non_blocking: bool = False):
    """Without ``dtype``: the type name ('ember.FloatTensor'); with it: a converted tensor."""
    if dtype is None:
        prefix = "ember." if input.device.type == "cpu" else f"ember.{input.device.type}."
        return prefix + _TYPE_NAMES[input.dtype.name]
    if isinstance(dtype, str):
        name = dtype.split(".")[-1]
        for k, v in _TYPE_NAMES.items():
            if v == name:
                return to(input, _dtype._BY_NAME[k])
    return to(input, dtype)


@export(function=False)
def type_as(input, other) -> Tensor:
    return to(input, other.dtype)


def copy_(self, src, non_blocking: bool = False) -> Tensor:
    """Copy ``src`` (broadcast, cast, moved across devices) into this tensor."""
    if not isinstance(src, Tensor):
        from .creation import tensor
        src = tensor(src, dtype=self.dtype, device=self.device)
    if src._device is not self._device:
        src = to(src, self._device)
    return write_inplace(self, src)


_registry.method("copy_", copy_)


@export(function=False)
def new_tensor(input, data, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    from .creation import tensor
    return tensor(data, dtype=dtype or input.dtype, device=device or input.device,
                  requires_grad=requires_grad)


def _new_factory(name):
    def factory(self, *size, dtype=None, device=None, requires_grad=False, **kw):
        from . import creation
        return getattr(creation, name)(*size, dtype=dtype or self.dtype,
                                       device=device or self.device,
                                       requires_grad=requires_grad, **kw)
    factory.__name__ = "new_" + name
    return factory


for _name in ("zeros", "ones", "empty", "full"):
    _registry.method("new_" + _name, _new_factory(_name))


def scatter_into(input, src, view_fn) -> Tensor:
    """A copy of ``input`` whose ``view_fn`` view holds ``src`` (the *_scatter ops)."""
    out = clone(input)
    copy_(view_fn(out), src)
    return out
