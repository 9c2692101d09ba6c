"""Dropout: dropout, dropout1d/2d/3d, alpha_dropout and feature_alpha_dropout."""
from __future__ import annotations

import warnings

from .._tensor import Tensor
from ._registry import export
from .activation import _SELU_ALPHA, _SELU_SCALE
from .random import bernoulli_keep, keep_mask


# -- dropout ---------------------------------------------------------------------------------------
def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _apply_mask(input: Tensor, mask: Tensor, inplace: bool) -> Tensor:
    if inplace:
        from ._inplace import write_inplace
        return write_inplace(input, input * mask)
    return input * mask


@export(nn=True, function=False, method=False)
def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p) (training only)."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    return _apply_mask(input, keep_mask(tuple(input.shape), p, input), inplace)


def _feature_mask_shape(input: Tensor, batched_ndim: int, name: str) -> tuple:
    shape = tuple(input.shape)
    if len(shape) == batched_ndim:
        return shape[:2] + (1,) * (batched_ndim - 2)
    return shape[:1] + (1,) * (batched_ndim - 2)


def _feature_dropout(input, p, training, inplace, batched_ndim, name):
    _check_p(p)
    if input.ndim not in (batched_ndim - 1, batched_ndim):
        raise RuntimeError(f"{name}: Expected {batched_ndim - 1}D or {batched_ndim}D input, but "
                           f"received a {input.ndim}D input. Note that {name} exists to provide "
                           "channel-wise dropout on inputs with 1 spatial dimension, a channel "
                           "dimension, and an optional batch dimension (i.e. 2D or 3D inputs)."
                           if batched_ndim == 3 else
                           f"{name}: Expected {batched_ndim - 1}D or {batched_ndim}D input, but "
                           f"received a {input.ndim}D input.")
    if not training or p == 0.0:
        return input
    mask = keep_mask(_feature_mask_shape(input, batched_ndim, name), p, input)
    return _apply_mask(input, mask, inplace)


@export(nn=True, function=False, method=False)
def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) input."""
    return _feature_dropout(input, p, training, inplace, 3, "dropout1d")


@export(nn=True, function=False, method=False)
def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) or (C, H, W) input."""
    if input.ndim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is "
                      "deprecated and will result in an error in a future release. To retain the "
                      "behavior and silence this warning, please use dropout instead. Note that "
                      "dropout2d exists to provide channel-wise dropout on inputs with 2 spatial "
                      "dimensions, a channel dimension, and an optional batch dimension (i.e. 3D "
                      "or 4D inputs).", stacklevel=2)
        _check_p(p)
        if not training or p == 0.0:
            return input
        shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
        return _apply_mask(input, keep_mask(shape, p, input), inplace)
    return _feature_dropout(input, p, training, inplace, 4, "dropout2d")


@export(nn=True, function=False, method=False)
def dropout3d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input."""
    return _feature_dropout(input, p, training, inplace, 5, "dropout3d")


def _alpha_dropout(input, p, training, inplace, feature):
    _check_p(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return _apply_mask(input, keep_mask(tuple(input.shape), 1.0, input), inplace)
    alpha_prime = -_SELU_ALPHA * _SELU_SCALE
    a = ((1 - p) * (1 + p * alpha_prime ** 2)) ** -0.5
    b = -a * alpha_prime * p
    shape = tuple(input.shape)
    if feature:
        shape = shape[:2] + (1,) * (len(shape) - 2)
    keep = bernoulli_keep(shape, p)
    dt = input._data.dtype
    backend = input._device.backend
    scale = Tensor._make(backend.from_host((keep * a).astype(dt)), input._device)
    shift = Tensor._make(backend.from_host(((~keep) * (alpha_prime * a) + b).astype(dt)),
                         input._device)
    result = input * scale + shift
    if inplace:
        from ._inplace import write_inplace
        return write_inplace(input, result)
    return result


@export(nn=True, function=False, method=False)
def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                  inplace: bool = False) -> Tensor:
    """Dropout that keeps SELU's zero mean and unit variance."""
    return _alpha_dropout(input, p, training, inplace, False)


@export(nn=True, function=False, method=False)
def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                          inplace: bool = False) -> Tensor:
    """Alpha dropout of whole channels."""
    return _alpha_dropout(input, p, training, inplace, True)


@export(name="dropout", method=False)
def _torch_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    """``torch.dropout(input, p, train)``."""
    return dropout(input, p, train)


@export(name="alpha_dropout", method=False)
def _torch_alpha_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    return alpha_dropout(input, p, train)


@export(name="feature_alpha_dropout", method=False)
def _torch_feature_alpha_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    return feature_alpha_dropout(input, p, train)
