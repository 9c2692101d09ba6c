"""The CuPy backend: device "cuda". Imported only when a CUDA tensor is first asked for."""
from __future__ import annotations

import numpy as np


class CupyBackend:
    """Array math on CuPy, which mirrors NumPy's API on NVIDIA GPUs."""

    name = "cupy"
    is_host = False
    device_type = "cuda"

    def __init__(self):
        try:
            import cupy
        except ImportError as exc:
            raise RuntimeError(
                "CUDA is not available: Ember's GPU device needs CuPy and an NVIDIA GPU "
                "(pip install 'ember[cuda]'). Use device='cpu' instead.") from exc
        if cupy.cuda.runtime.getDeviceCount() == 0:
            raise RuntimeError("CUDA is not available: no NVIDIA GPU was found.")
        self.xp = cupy
        from cupyx.scipy import special
        self._special = special

    def asarray(self, data, dtype=None):
        return self.xp.asarray(data, dtype=dtype)

    def from_host(self, array: np.ndarray):
        return self.xp.asarray(array)

    def to_host(self, array) -> np.ndarray:
        return self.xp.asnumpy(array)

    def as_strided(self, array, shape, strides):
        return self.xp.lib.stride_tricks.as_strided(array, shape=shape, strides=strides)

    def sliding_window_view(self, array, window_shape, axis=None):
        return self.xp.lib.stride_tricks.sliding_window_view(array, window_shape, axis=axis)

    def erf(self, x):
        return self._special.erf(x)

    def erfc(self, x):
        return self._special.erfc(x)

    def erfinv(self, x):
        return self._special.erfinv(x)

    def lgamma(self, x):
        return self._special.gammaln(x)

    def digamma(self, x):
        return self._special.digamma(x)

    def new_rng(self, seed: int):
        return self.xp.random.default_rng(seed)

    def synchronize(self) -> None:
        self.xp.cuda.Device().synchronize()
