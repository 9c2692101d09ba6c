"""Quantize and DeQuantize: the boundaries between float and quantized parts of a model."""
from __future__ import annotations

import numpy as np

from ..... import _dtype
from ....._device import CPU
from ....._ops import quantize as _q
from ....._tensor import Tensor, _make
from .....nn.modules.module import Module

__all__ = ["Quantize", "DeQuantize"]


class Quantize(Module):
    """Quantizes its float input per tensor with fixed ``scale`` and ``zero_point``."""

    def __init__(self, scale: float, zero_point: int, dtype: _dtype.dtype, factory_kwargs=None):
        super().__init__()
        self.register_buffer("scale", _make(np.array([scale], np.float32), CPU))
        self.register_buffer("zero_point", _make(np.array([zero_point], np.int64), CPU))
        self.dtype = dtype

    def forward(self, X: Tensor) -> Tensor:
        return _q.quantize_per_tensor(X, float(self.scale), int(self.zero_point), self.dtype)

    def extra_repr(self) -> str:
        return (f"scale={self.scale!r}, zero_point={self.zero_point!r}, "
                f"dtype={self.dtype}")

    @classmethod
    def from_float(cls, mod: Module, use_precomputed_fake_quant: bool = False) -> "Quantize":
        if not hasattr(mod, "activation_post_process"):
            raise AssertionError("QuantStub needs an observer: run prepare() and calibrate")
        scale, zero_point = mod.activation_post_process.calculate_qparams()
        return cls(scale.item(), zero_point.item(), mod.activation_post_process.dtype)


class DeQuantize(Module):
    """Turns its quantized input back into float32."""

    def forward(self, Xq: Tensor) -> Tensor:
        return Xq.dequantize()

    @classmethod
    def from_float(cls, mod: Module, use_precomputed_fake_quant: bool = False) -> "DeQuantize":
        return cls()
