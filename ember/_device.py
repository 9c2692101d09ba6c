"""ember.device: parsing, interning, and the device -> backend lookup."""
from __future__ import annotations

from . import _backend


class device:
    """A device such as ``device('cpu')`` or ``device('cuda', 0)``, as ``torch.device``.

    Instances are interned, so tensors on the same device share one object.
    """

    __slots__ = ("type", "index", "_backend")
    _cache: dict = {}

    def __new__(cls, type_or_str=None, index: int | None = None):
        if isinstance(type_or_str, device):
            return type_or_str
        if isinstance(type_or_str, int) and index is None:
            type_or_str, index = "cuda", type_or_str
        if not isinstance(type_or_str, str):
            raise TypeError(f"device() received an invalid combination of arguments - got "
                            f"({type(type_or_str).__name__})")
        dev_type = type_or_str
        if ":" in type_or_str:
            if index is not None:
                raise ValueError("type (string) must not include an index because index was "
                                 f"passed explicitly: {type_or_str}")
            dev_type, _, idx = type_or_str.partition(":")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type_or_str}'")
            index = int(idx)
        if dev_type not in _backend.known_device_types():
            raise RuntimeError(
                f"Expected one of {', '.join(_backend.known_device_types())} device type at start "
                f"of device string: {type_or_str}")
        if index is not None and index < 0:
            raise RuntimeError(f"Device index must not be negative, got {index}")
        if dev_type == "cpu":
            index = None
        key = (dev_type, index)
        obj = cls._cache.get(key)
        if obj is None:
            obj = object.__new__(cls)
            obj.type = dev_type
            obj.index = index
            obj._backend = None
            cls._cache[key] = obj
        return obj

    @property
    def backend(self):
        backend = self._backend
        if backend is None:
            backend = self._backend = _backend.get_backend(self.type)
        return backend

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            other = device(other)
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (str(self),))

    def __enter__(self):
        _stack.append(_default_device)
        set_default_device(self)
        return self

    def __exit__(self, *exc):
        set_default_device(_stack.pop())


_stack: list = []
CPU = device("cpu")
_default_device = CPU


def _canonical(dev) -> device:
    """A device object with the index a tensor would carry (``cuda`` -> ``cuda:0``)."""
    dev = device(dev) if not isinstance(dev, device) else dev
    if dev.index is None and dev.type != "cpu":
        dev = device(dev.type, 0)
    return dev


def to_device(dev) -> device:
    if dev is None:
        return _default_device
    if dev is CPU:
        return CPU
    return _canonical(dev)


def get_default_device() -> device:
    return _default_device


def set_default_device(dev) -> None:
    """Where factory functions put tensors when no ``device=`` is given (None resets to cpu)."""
    global _default_device
    _default_device = CPU if dev is None else _canonical(dev)
