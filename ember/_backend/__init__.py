"""Array back ends. The only place that knows which array library does the work.

A backend exposes ``xp`` (a NumPy-compatible array namespace: NumPy or CuPy) plus the few
things the namespaces spell differently (strided views, special functions, random numbers,
moving data to and from host memory). Everything above asks a tensor's device for its backend.
"""
from __future__ import annotations

from ._numpy import NumpyBackend

_BACKENDS: dict = {}
_FACTORIES: dict = {}


def register_backend(device_type: str, backend=None, factory=None) -> None:
    """Register a backend (or a factory that builds one on first use) for a device type."""
    if backend is not None:
        _BACKENDS[device_type] = backend
    else:
        _FACTORIES[device_type] = factory


def get_backend(device_type: str):
    backend = _BACKENDS.get(device_type)
    if backend is None:
        factory = _FACTORIES.get(device_type)
        if factory is None:
            raise RuntimeError(f"Expected one of cpu, cuda device type at start of device string: "
                               f"{device_type}")
        backend = _BACKENDS[device_type] = factory()
    return backend


def known_device_types() -> list:
    return sorted(set(_BACKENDS) | set(_FACTORIES))


def _make_cuda():
    from ._cupy import CupyBackend
    return CupyBackend()


register_backend("cpu", NumpyBackend())
register_backend("cuda", factory=_make_cuda)
