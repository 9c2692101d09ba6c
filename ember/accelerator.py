"""ember.accelerator: the device-agnostic view of the current accelerator (CUDA here)."""
from __future__ import annotations

from . import cuda as _cuda
from ._device import device as _device


def is_available() -> bool:
    return _cuda.is_available()


def current_accelerator(check_available: bool = False):
    """The accelerator device type, or None when there is none."""
    if _cuda.is_available():
        return _device("cuda")
    return None


def device_count() -> int:
    return _cuda.device_count()


def synchronize(device=None) -> None:
    _cuda.synchronize(device)
