"""The NumPy backend: device "cpu"."""
from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import as_strided, sliding_window_view

from . import _erf

try:
    from scipy import special as _special
except ImportError:  # pragma: no cover - SciPy is optional
    _special = None


class NumpyBackend:
    """Array math on NumPy. ``xp`` is the numpy module itself."""

    name = "numpy"
    xp = np
    is_host = True

    def __init__(self, device_type: str = "cpu"):
        self.device_type = device_type

    # -- moving data ------------------------------------------------------------------------
    def asarray(self, data, dtype=None):
        return np.asarray(data, dtype=dtype)

    def from_host(self, array: np.ndarray) -> np.ndarray:
        return array

    def to_host(self, array) -> np.ndarray:
        return array

    # -- strided views ----------------------------------------------------------------------
    def as_strided(self, array, shape, strides):
        return as_strided(array, shape=shape, strides=strides, writeable=array.flags.writeable)

    def sliding_window_view(self, array, window_shape, axis=None):
        return sliding_window_view(array, window_shape, axis=axis)

    # -- special functions -------------------------------------------------------------------
    # SciPy's erf family is faster than the NumPy fallback in _erf, which keeps SciPy optional.
    def erf(self, x):
        return _erf.erf(x) if _special is None else _special.erf(x)

    def erfc(self, x):
        return _erf.erfc(x) if _special is None else _special.erfc(x)

    def erfinv(self, x):
        return _erf.erfinv(x) if _special is None else _special.erfinv(x)

    def lgamma(self, x):
        if _special is not None:
            return _special.gammaln(x)
        return np.vectorize(math.lgamma, otypes=[x.dtype])(x)

    def digamma(self, x):
        if _special is not None:
            return _special.digamma(x)
        return _digamma_numpy(x)

    # -- random numbers ----------------------------------------------------------------------
    def new_rng(self, seed: int):
        return np.random.Generator(np.random.Philox(seed))

    def synchronize(self) -> None:
        pass


def _digamma_numpy(x):
    """digamma by recurrence up to x >= 6 and the asymptotic series (x > 0 only)."""
    x = np.asarray(x, dtype=np.float64)
    result = np.zeros_like(x)
    for _ in range(6):
        small = x < 6
        result = result - np.where(small, 1.0 / x, 0.0)
        x = np.where(small, x + 1, x)
    inv = 1.0 / x
    inv2 = inv * inv
    series = inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (1 / 252 - inv2 * (1 / 240 - inv2 / 132))))
    return result + np.log(x) - 0.5 * inv - series
