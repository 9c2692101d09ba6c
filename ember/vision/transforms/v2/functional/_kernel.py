"""Kernel registry: each v2 functional picks the kernel registered for its input's type."""
from __future__ import annotations

import functools
from typing import Any, Callable

from ember import Tensor

from .... import tv_tensors
from ..._functional_pil import Image as _PIL

_KERNELS: dict[Callable, dict[type, Callable]] = {}

IMAGE_TYPES: tuple[type, ...] = (Tensor, tv_tensors.Image) + (
    (_PIL.Image,) if _PIL is not None else ())


def _rewrapping(kernel: Callable) -> Callable:
    """Run ``kernel`` and give the result the input's tv_tensor type and metadata."""
    @functools.wraps(kernel)
    def wrapper(inpt, *args, **kwargs):
        return tv_tensors.wrap(kernel(inpt, *args, **kwargs), like=inpt)
    return wrapper


def _register(functional: Callable, *types: type, rewrap: bool = True) -> Callable:
    """Decorator: register the kernel for ``types``; tv_tensor outputs are re-wrapped unless
    the kernel does that itself (``rewrap=False``)."""
    def decorator(kernel: Callable) -> Callable:
        table = _KERNELS.setdefault(functional, {})
        for cls in types:
            wraps = rewrap and issubclass(cls, tv_tensors.TVTensor)
            table[cls] = _rewrapping(kernel) if wraps else kernel
        return kernel
    return decorator


def register_kernel(functional: Callable, tv_tensor_cls: type) -> Callable:
    """Decorator registering a kernel of ``functional`` for a custom TVTensor subclass."""
    if not (isinstance(tv_tensor_cls, type) and issubclass(tv_tensor_cls, tv_tensors.TVTensor)):
        raise ValueError(f"Kernels can only be registered for subclasses of TVTensor, but got "
                         f"{tv_tensor_cls}.")
    if tv_tensor_cls in _KERNELS.get(functional, {}):
        raise ValueError(f"Functional {functional.__name__} already has a kernel registered "
                         f"for type {tv_tensor_cls.__name__}.")
    return _register(functional, tv_tensor_cls, rewrap=False)


def _passthrough(inpt: Any, *args: Any, **kwargs: Any) -> Any:
    return inpt


def _get_kernel(functional: Callable, input_type: type, *,
                allow_passthrough: bool = False) -> Callable:
    """The kernel for the nearest registered class of ``input_type`` (tv_tensors never fall
    back to the plain-tensor kernel); unregistered types pass through only if allowed."""
    table = _KERNELS.get(functional)
    if not table:
        raise ValueError(f"No kernel registered for functional {functional.__name__}.")
    for cls in input_type.__mro__:
        if cls in table:
            return table[cls]
        if cls is tv_tensors.TVTensor:
            break
    if allow_passthrough:
        return _passthrough
    raise TypeError(f"Functional F.{functional.__name__} supports inputs of type "
                    f"{[f'{t.__module__}.{t.__qualname__}' for t in table]}, but got "
                    f"{input_type} instead.")
