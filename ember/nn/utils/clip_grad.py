"""Gradient clipping: rescale gradients in place by their total norm, or clamp them."""
from __future__ import annotations

import math
import warnings
from typing import Iterable

from ..._tensor import Tensor, _make

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "clip_grads_with_norm_",
           "get_total_norm"]


def _grads(parameters) -> list:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def _norm(xp, array, norm_type: float):
    if norm_type == math.inf:
        return xp.abs(array).max() if array.size else xp.zeros((), array.dtype)
    if norm_type == -math.inf:
        return xp.abs(array).min() if array.size else xp.zeros((), array.dtype)
    if norm_type == 2:
        flat = array.reshape(-1)
        return xp.sqrt(xp.dot(flat, flat))
    return (xp.abs(array) ** norm_type).sum() ** (1.0 / norm_type)


def get_total_norm(tensors: Tensor | Iterable[Tensor], norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """The norm of all ``tensors`` taken together as one vector."""
    tensors = [tensors] if isinstance(tensors, Tensor) else [t for t in tensors
                                                             if t is not None]
    norm_type = float(norm_type)
    if not tensors:
        from ..._ops.creation import tensor
        return tensor(0.0)
    device = tensors[0]._device
    xp = device.backend.xp
    norms = xp.stack([_norm(xp, t._data, norm_type).astype(t._data.dtype) for t in tensors])
    total_norm = _norm(xp, norms, norm_type)
    if error_if_nonfinite and not bool(xp.isfinite(total_norm)):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from "
                           "`parameters` is non-finite, so it cannot be clipped. To disable "
                           "this error and scale the gradients by the non-finite norm anyway, "
                           "set `error_if_nonfinite=False`")
    return _make(xp.asarray(total_norm), device)


def clip_grads_with_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                          total_norm: Tensor, foreach: bool | None = None) -> None:
    """Scale gradients in place by ``max_norm / (total_norm + 1e-6)`` when that is below 1."""
    clip_coef = min(float(max_norm) / (float(total_norm) + 1e-6), 1.0)
    for g in _grads(parameters):
        g._data *= g._data.dtype.type(clip_coef)
        g._bump_version()


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach: bool | None = None) -> Tensor:
    """Scale all gradients so their total norm is at most ``max_norm``; returns the total norm
    before clipping. ``foreach`` is accepted for compatibility (Ember has one implementation).
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    parameters = list(parameters)
    total_norm = get_total_norm(_grads(parameters), norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(parameters: Tensor | Iterable[Tensor], max_norm: float,
                   norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach: bool | None = None) -> Tensor:
    """Deprecated alias of :func:`clip_grad_norm_`."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float,
                     foreach: bool | None = None) -> None:
    """Clamp every gradient element to ``[-clip_value, clip_value]`` in place."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        xp = g._device.backend.xp
        xp.clip(g._data, -clip_value, clip_value, out=g._data)
        g._bump_version()
