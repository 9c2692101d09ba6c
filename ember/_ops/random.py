"""Random sampling and generators. ``manual_seed`` makes every run repeat its numbers.

Ember draws from NumPy's Philox generator, so the streams differ from PyTorch's (the same seed
does not give PyTorch's numbers) but are identical across Ember runs and platforms.
"""
from __future__ import annotations

import numpy as np

from .. import _dtype
from .._device import to_device
from .._tensor import Tensor, _make
from ._registry import export
from .creation import _size, _np_dtype


class Generator:
    """A random-number stream (``ember.Generator``); ``manual_seed`` resets it."""

    def __init__(self, device="cpu"):
        self.device = to_device(device)
        self._seed = 67280421310721
        self._rng = np.random.Generator(np.random.Philox(self._seed))

    def manual_seed(self, seed: int) -> "Generator":
        seed = int(seed)
        if seed < 0:
            seed += 1 << 64
        self._seed = seed
        self._rng = np.random.Generator(np.random.Philox(seed))
        return self

    def seed(self) -> int:
        s = int(np.random.SeedSequence().entropy) % (1 << 63)
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> Tensor:
        state = self._rng.bit_generator.state
        blob = np.frombuffer(repr(state).encode(), dtype=np.uint8).copy()
        return _make(blob, to_device("cpu"))

    def set_state(self, new_state: Tensor) -> "Generator":
        import ast
        text = bytes(np.asarray(new_state._data, dtype=np.uint8)).decode()
        state = ast.literal_eval(text.replace("array(", "(").replace(", dtype=uint64)", ""))
        state = _restore_arrays(state)
        self._rng.bit_generator.state = state
        return self


def _restore_arrays(obj):
    if isinstance(obj, dict):
        return {k: _restore_arrays(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return np.array(obj, dtype=np.uint64)
    return obj


default_generator = Generator()


@export(method=False)
def manual_seed(seed: int) -> Generator:
    """Seed the default generator (Ember has one stream for all devices)."""
    return default_generator.manual_seed(seed)


@export(method=False)
def seed() -> int:
    return default_generator.seed()


@export(method=False)
def initial_seed() -> int:
    return default_generator.initial_seed()


@export(method=False)
def get_rng_state() -> Tensor:
    return default_generator.get_state()


@export(method=False)
def set_rng_state(new_state: Tensor) -> None:
    default_generator.set_state(new_state)


def rng(generator=None) -> np.random.Generator:
    return (generator or default_generator)._rng


def _place(arr: np.ndarray, device, requires_grad: bool) -> Tensor:
    dev = to_device(device)
    t = _make(dev.backend.from_host(arr), dev)
    if requires_grad:
        t.requires_grad = True
    return t


def _float_dtype(dtype):
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    if not dt.is_floating_point:
        raise RuntimeError(f"\"check_uniform_bounds\" not implemented for '{dt.name}'")
    return dt


@export(method=False)
def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad=False) -> Tensor:
    """Uniform on [0, 1)."""
    dt = _float_dtype(dtype)
    arr = rng(generator).random(_size(size), dtype=np.float64).astype(dt.np)
    return _place(arr, device, requires_grad)


@export(method=False)
def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False) -> Tensor:
    """Standard normal."""
    dt = _float_dtype(dtype)
    arr = rng(generator).standard_normal(_size(size), dtype=np.float64).astype(dt.np)
    return _place(arr, device, requires_grad)


@export(method=False)
def randint(low, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None,
            device=None, requires_grad=False) -> Tensor:
    """Integers in [low, high); int64 unless ``dtype``."""
    if size is None:
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                           f">= to={high}")
    arr = rng(generator).integers(low, high, size=_size((tuple(size),)), dtype=np.int64)
    return _place(arr.astype(_np_dtype(dtype, _dtype.int64)), device, requires_grad)


@export(method=False)
def randperm(n: int, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad=False) -> Tensor:
    arr = rng(generator).permutation(int(n)).astype(_np_dtype(dtype, _dtype.int64))
    return _place(arr, device, requires_grad)
