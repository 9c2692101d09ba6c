"""Gradient clipping: rescale gradients in place by their total norm, or clamp them."""
from __future__ import annotations

import math
import warnings
from typing import Iterable

from ..._tensor import Tensor, _make

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_"]


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


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach: bool | None = None) -> Tensor:
    """Scale all gradients by ``max_norm / (total_norm + 1e-6)`` when that is below 1.

    The total norm is the norm of all gradients taken as one vector; it is returned.
    ``foreach`` is accepted for compatibility (Ember has one implementation).
    """
    grads = _grads(parameters)
    max_norm = float(max_norm)
    norm_type = float(norm_type)
    if not grads:
        from ..._ops.creation import tensor
        return tensor(0.0)
    device = grads[0]._device
    xp = device.backend.xp
    norms = xp.stack([_norm(xp, g._data, norm_type).astype(g._data.dtype) for g in grads])
    total_norm = _norm(xp, norms, norm_type)
    if error_if_nonfinite and not bool(xp.isfinite(total_norm)):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from "
                           "`parameters` is non-finite, so it cannot be clipped. To disable "
                           "this error and scale the gradients by the non-finite norm anyway, "
                           "set `error_if_nonfinite=False`")
    clip_coef = min(max_norm / (float(total_norm) + 1e-6), 1.0)
    for g in grads:
        g._data *= g._data.dtype.type(clip_coef)
        g._bump_version()
    return _make(xp.asarray(total_norm), device)


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
