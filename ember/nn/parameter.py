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


def is_lazy(param) -> bool:
    """Ember has no lazy (uninitialized) parameters."""
    return False
