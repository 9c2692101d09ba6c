"""Parameter: a Tensor that a Module registers as one of its learnable weights."""
from __future__ import annotations

from .._tensor import Tensor

_new = object.__new__


class Parameter(Tensor):
    """A leaf tensor that ``Module.__setattr__`` registers; ``requires_grad`` defaults to True.

    It shares memory with ``data`` (as ``torch.nn.Parameter`` does).
    """

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True):
        if data is None:
            from .._ops.creation import empty
            data = empty(0)
        param = _new(cls)
        param._data = data._data
        param._device = data._device
        param._requires_grad = False
        param.grad = None
        param.grad_fn = None
        if requires_grad:
            param.requires_grad = True
        return param

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True):
        pass

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class _BufferMeta(type):
    """``isinstance(t, Buffer)`` is true for tensors made by ``Buffer(...)``."""

    def __instancecheck__(cls, instance) -> bool:
        if cls is Buffer:
            return isinstance(instance, Tensor) and getattr(instance, "_is_buffer", False)
        return super().__instancecheck__(instance)


class Buffer(Tensor, metaclass=_BufferMeta):
    """Marks a tensor to be registered as a buffer when assigned to a Module attribute.

    ``Buffer(data)`` returns a tensor sharing ``data``'s memory, as ``torch.nn.Buffer`` does.
    """

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True):
        if data is None:
            from .._ops.creation import empty
            data = empty(0)
        t = data.detach().requires_grad_(data.requires_grad)
        t.persistent = persistent
        t._is_buffer = True
        return t


def is_lazy(param) -> bool:
    """Ember has no lazy (uninitialized) parameters."""
    return False
