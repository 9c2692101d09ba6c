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


class UninitializedTensorMixin:
    """What uninitialised parameters and buffers share: no shape until ``materialize``.

    Ember has no ``__torch_function__``, so ops on an uninitialised tensor see an empty (0,)
    array instead of raising PyTorch's ValueError; ``shape`` does raise, as in PyTorch.
    """

    cls_to_become: type

    def __init__(self, *args, **kwargs) -> None:
        pass

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Give the tensor uninitialised storage of ``shape`` (on its own device and dtype
        unless given) and turn it into a ``cls_to_become`` in place."""
        from .._ops.creation import empty
        self.data = empty(shape, device=device if device is not None else self.device,
                          dtype=dtype if dtype is not None else self.dtype)
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. This error usually "
            "happens in `load_state_dict` when trying to load an uninitialized parameter into an "
            "initialized one. Call `forward` to initialize the parameters before accessing "
            "their attributes.")

    def share_memory_(self):
        raise RuntimeError("Can't share memory on an uninitialized parameter or buffer. Call "
                           "`forward` to initialize the parameters before calling "
                           "`module.share_memory()`.")

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__}>"

    def __reduce_ex__(self, proto):
        return (self.__class__, (self.requires_grad,))

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            new = type(self)(self.requires_grad, self.device, self.dtype)
            for flag in ("persistent", "_is_buffer"):
                if flag in self.__dict__:
                    new.__dict__[flag] = self.__dict__[flag]
            memo[id(self)] = new
        return memo[id(self)]


def is_lazy(param) -> bool:
    """Whether ``param`` is an UninitializedParameter or UninitializedBuffer."""
    return isinstance(param, UninitializedTensorMixin)


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A parameter whose shape is not known yet (a lazy module's, until its first forward)."""

    cls_to_become = Parameter

    def __new__(cls, requires_grad: bool = True, device=None, dtype=None):
        from .._ops.creation import empty
        return super().__new__(cls, empty(0, device=device, dtype=dtype), requires_grad)


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer whose shape is not known yet; ``materialize`` makes it a plain Tensor."""

    cls_to_become = Tensor

    def __new__(cls, requires_grad: bool = False, device=None, dtype=None,
                persistent: bool = True):
        from .._ops.creation import empty
        buf = empty(0, device=device, dtype=dtype)
        buf.__class__ = cls
        buf.requires_grad = requires_grad
        buf.persistent = persistent
        buf._is_buffer = True
        return buf
