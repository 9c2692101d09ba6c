"""Variance and standard deviation: var, std, var_mean, std_mean."""
from __future__ import annotations

import builtins

from .._tensor import Tensor
from ._registry import export
from .pointwise import _is_integral, sqrt, where
from .reduce import _all_axes, mean, sum


# -- statistics -----------------------------------------------------------------------------------
def _correction(unbiased, correction) -> float:
    if correction is not None:
        if unbiased is not None:
            raise RuntimeError("Cannot specify both unbiased and correction")
        return correction
    return 1 if unbiased is None or unbiased else 0


@export
def var(input: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction=None) -> Tensor:
    """Variance over ``dim`` with Bessel's ``correction`` (``unbiased`` is the legacy flag)."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    if _is_integral(input):
        raise RuntimeError("std and var only support floating point and complex dtypes")
    axes = _all_axes(dim, input.ndim)
    count = 1
    for a in axes:
        count *= input.shape[a]
    centered = input - mean(input, axes, keepdim=True)
    squares = (centered * centered.conj()).real if input.is_complex() else centered * centered
    denom = builtins.max(count - _correction(unbiased, correction), 0)
    return sum(squares, axes, keepdim) / float(denom)


@export
def std(input: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction=None) -> Tensor:
    """Standard deviation: sqrt of :func:`var`."""
    return _std_from_var(var(input, dim, unbiased, keepdim, correction=correction))


def _std_from_var(variance: Tensor) -> Tensor:
    """sqrt with a zero gradient (not inf/nan) where the variance is 0, as in PyTorch."""
    zero = variance == 0
    return where(zero, 0.0, sqrt(where(zero, 1.0, variance)))


@export(method=False)
def var_mean(input: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
             correction=None) -> tuple:
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    return (var(input, dim, unbiased, keepdim, correction=correction),
            mean(input, _all_axes(dim, input.ndim), keepdim))


@export(method=False)
def std_mean(input: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
             correction=None) -> tuple:
    v, m = var_mean(input, dim, unbiased, keepdim, correction=correction)
    return _std_from_var(v), m
