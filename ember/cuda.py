"""ember.cuda: availability and bookkeeping for the CuPy-backed "cuda" device."""
from __future__ import annotations

_available = None


def is_available() -> bool:
    """True when CuPy is installed and sees at least one GPU."""
    global _available
    if _available is None:
        try:
            import cupy
            _available = cupy.cuda.runtime.getDeviceCount() > 0
        except Exception:  # noqa: BLE001 - any failure means no usable GPU
            _available = False
    return _available


def device_count() -> int:
    if not is_available():
        return 0
    import cupy
    return int(cupy.cuda.runtime.getDeviceCount())


def current_device() -> int:
    _require()
    import cupy
    return int(cupy.cuda.Device().id)


def set_device(device) -> None:
    _require()
    import cupy
    idx = device if isinstance(device, int) else (device.index or 0)
    cupy.cuda.Device(idx).use()


def synchronize(device=None) -> None:
    if is_available():
        import cupy
        cupy.cuda.Device().synchronize()


def manual_seed(seed: int) -> None:
    """Ember draws CUDA randomness from the one default generator; kept for compatibility."""


def manual_seed_all(seed: int) -> None:
    """See ``manual_seed``."""


def empty_cache() -> None:
    if is_available():
        import cupy
        cupy.get_default_memory_pool().free_all_blocks()


def memory_allocated(device=None) -> int:
    if not is_available():
        return 0
    import cupy
    return int(cupy.get_default_memory_pool().used_bytes())


def max_memory_allocated(device=None) -> int:
    return memory_allocated(device)


def _require() -> None:
    if not is_available():
        raise RuntimeError("CUDA is not available: Ember's GPU device needs CuPy and an NVIDIA "
                           "GPU. Use device='cpu' instead.")
