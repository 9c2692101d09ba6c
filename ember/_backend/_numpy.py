"""The NumPy backend: device "cpu"."""
from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import as_strided, sliding_window_view

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
    def erf(self, x):
        if _special is not None:
            return _special.erf(x)
        return _erf_numpy(x)

    def erfinv(self, x):
        if _special is not None:
            return _special.erfinv(x)
        return _erfinv_numpy(x)

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


def _erf_numpy(x):
    """erf to ~1e-15 without SciPy: series near zero, Lentz continued fraction for erfc."""
    x = np.asarray(x)
    dt = x.dtype
    z = np.abs(x.astype(np.float64))
    out = np.empty_like(z)
    small = z < 2.5
    zs = z[small]
    # Maclaurin series: erf(z) = 2/sqrt(pi) * sum (-1)^n z^(2n+1) / (n! (2n+1))
    term = zs.copy()
    total = zs.copy()
    z2 = zs * zs
    for n in range(1, 60):
        term = term * (-z2) / n
        total = total + term / (2 * n + 1)
    out[small] = total * (2.0 / math.sqrt(math.pi))
    zl = z[~small]
    # erfc(z) = exp(-z^2)/sqrt(pi) * 1/(z + 1/2/(z + 1/(z + 3/2/(z + ...)))), evaluated backward
    frac = np.zeros_like(zl)
    for k in range(60, 0, -1):
        frac = (k / 2.0) / (zl + frac)
    out[~small] = 1.0 - np.exp(-zl * zl) / math.sqrt(math.pi) / (zl + frac)
    return (np.sign(x) * out).astype(dt, copy=False)


def _erfinv_numpy(y):
    """erfinv by Giles' approximation refined with two Newton steps on _erf_numpy."""
    y = np.asarray(y)
    dt = y.dtype
    y64 = y.astype(np.float64)
    w = -np.log((1.0 - y64) * (1.0 + y64))
    x = np.where(w < 5.0, _giles_central(w - 2.5), _giles_tail(np.sqrt(np.maximum(w, 5.0)) - 3.0))
    x = x * y64
    for _ in range(2):
        err = _erf_numpy(x) - y64
        x = x - err / (2.0 / math.sqrt(math.pi) * np.exp(-x * x))
    x = np.where(np.abs(y64) == 1.0, np.copysign(np.inf, y64), x)
    return x.astype(dt, copy=False)


def _giles_central(w):
    p = 2.81022636e-08
    for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
              -0.00417768164, 0.246640727, 1.50140941):
        p = c + p * w
    return p


def _giles_tail(w):
    p = -0.000200214257
    for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
              0.00943887047, 1.00167406, 2.83297682):
        p = c + p * w
    return p


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
