"""Fused float modules: layers that ``fuse_modules`` joins so they quantize as one."""
from __future__ import annotations

from .....nn.modules.activation import ReLU
from .....nn.modules.container import Sequential
from .....nn.modules.conv import Conv2d
from .....nn.modules.linear import Linear

__all__ = ["ConvReLU2d", "LinearReLU"]


class _FusedModule(Sequential):
    """A Sequential of float layers that quantization treats as one layer."""

    _FUSED_FLOAT = True
    _PARTS: tuple = ()

    def __init__(self, *modules) -> None:
        if len(modules) != len(self._PARTS) or not all(
                isinstance(m, t) for m, t in zip(modules, self._PARTS)):
            raise AssertionError(f"Incorrect types for input modules of {type(self).__name__}: "
                                 f"expected {[t.__name__ for t in self._PARTS]}, got "
                                 f"{[type(m).__name__ for m in modules]}")
        super().__init__(*modules)


class ConvReLU2d(_FusedModule):
    """Conv2d then ReLU."""

    _PARTS = (Conv2d, ReLU)


class LinearReLU(_FusedModule):
    """Linear then ReLU."""

    _PARTS = (Linear, ReLU)
