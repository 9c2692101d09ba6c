"""In-place ops: compute out of place, then write the result into the tensor's memory.

Autograd follows PyTorch: the tensor takes over the result's graph node. When the tensor is a
view, the base is rewired through ``CopySlices`` (its new value is the old one with the view's
region replaced), and the view is regenerated from the new base, so gradients flow to both.
"""
from __future__ import annotations

from .. import _dtype
from ..autograd import grad_mode
from ..autograd.function import Op, version_counter
from .._tensor import Tensor
from ._util import scalar_type_name

_state = grad_mode.state


def check_inplace_allowed(t: Tensor) -> None:
    if not _state.enabled:
        return
    if t.grad_fn is None and t._requires_grad:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation.")
    base = t._base
    if base is not None and base.grad_fn is None and base._requires_grad:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                           "in-place operation.")


def _can_cast(src: _dtype.dtype, dst: _dtype.dtype) -> bool:
    return src._category <= dst._category


def write_inplace(t: Tensor, result: Tensor, op_name: str = "") -> Tensor:
    """Store ``result`` (same or broadcastable shape) into ``t``; rewire autograd; bump version."""
    check_inplace_allowed(t)
    src_dt, dst_dt = result.dtype, t.dtype
    if src_dt is not dst_dt:
        if not _can_cast(src_dt, dst_dt):
            raise RuntimeError(f"result type {scalar_type_name(src_dt)} can't be cast to the "
                               f"desired output type {scalar_type_name(dst_dt)}")
        result = result.to(dst_dt)
    if result._data.shape != t._data.shape:
        if len(result._data.shape) > t._data.ndim or any(
                r not in (1, s) for r, s in zip(result._data.shape[::-1], t._data.shape[::-1])):
            shape = list(_broadcast(result._data.shape, t._data.shape))
            raise RuntimeError(f"output with shape {list(t._data.shape)} doesn't match the "
                               f"broadcast shape {shape}")
        if result._requires_grad and _state.enabled:
            result = result.expand(t._data.shape)
    if result._device is not t._device:
        raise RuntimeError("Expected all tensors to be on the same device, but found at least two "
                           f"devices, {t._device} and {result._device}!")
    xp = t._device.backend.xp
    if not t._data.flags.writeable:
        raise RuntimeError("unsupported operation: more than one element of the written-to tensor "
                           "refers to a single memory location. Please clone() the tensor before "
                           "performing the operation.")
    xp.copyto(t._data, result._data, casting="unsafe")
    version_counter(t).value += 1
    if _state.enabled and (result._requires_grad or t._requires_grad):
        _rewire(t, result)
    return t


def _rewire(t: Tensor, result: Tensor) -> None:
    base = t._base
    if base is None:
        if not result._requires_grad:  # the overwritten history must get a zero gradient
            result = CopySlices.apply(t, result, view_fn=_whole)
        t.grad_fn = result.grad_fn
        t._output_nr = result._output_nr
        t._requires_grad = True
        return
    view_fn = t._view_fn
    if view_fn is None:
        raise RuntimeError("in-place operation on a view whose relation to its base is unknown; "
                           "clone() the view first")
    node_out = CopySlices.apply(base, result, view_fn=view_fn)
    base.grad_fn = node_out.grad_fn
    base._output_nr = 0
    base._requires_grad = True
    regenerated = view_fn(base)
    t.grad_fn = regenerated.grad_fn
    t._output_nr = regenerated._output_nr
    t._requires_grad = True


def _whole(t: Tensor) -> Tensor:
    return t


class CopySlices(Op):
    """The base after a write through one of its views: region replaced by ``src``."""

    _backward_name = "CopySlices"

    @staticmethod
    def forward(ctx, base, src, view_fn):
        ctx.view_fn = view_fn
        return base  # memory already holds the new values

    @staticmethod
    def backward(ctx, grad):
        grad_base = None
        if ctx.needs_input_grad[0]:
            grad_base = grad.clone()
            ctx.view_fn(grad_base).zero_()  # recorded too, so double backward stays right
        grad_src = ctx.view_fn(grad) if ctx.needs_input_grad[1] else None
        return grad_base, grad_src, None


def _broadcast(a, b):
    n = max(len(a), len(b))
    a = (1,) * (n - len(a)) + tuple(a)
    b = (1,) * (n - len(b)) + tuple(b)
    return tuple(max(x, y) for x, y in zip(a, b))


def inplace_variant(fn):
    """Make ``x.op_(...)`` from the out-of-place ``op(x, ...)``.

    When the graph is recorded, the op reads a clone of ``x`` so its saved values survive the
    write; otherwise it reads ``x`` directly.
    """
    def method(self, *args, **kwargs):
        recording = _state.enabled and (self._requires_grad or any(
            isinstance(a, Tensor) and a._requires_grad for a in args))
        source = self.clone() if recording and self._requires_grad else self
        return write_inplace(self, fn(source, *args, **kwargs))
    method.__name__ = fn.__name__ + "_"
    method.__doc__ = f"In-place version of :func:`{fn.__name__}`."
    return method
