"""Quantize and DeQuantize: the boundaries between float and quantized parts of a model."""
from __future__ import annotations

from ..... import _dtype
from ....._ops import quantize as _q
from ....._tensor import Tensor
from .....nn.modules.module import Module

__all__ = ["Quantize", "DeQuantize"]


class Quantize(Module):
    """Quantizes its float input per tensor with fixed ``scale`` and ``zero_point``."""

    def __init__(self, scale: float, zero_point: int, dtype: _dtype.dtype, factory_kwargs=None):
        super().__init__()
        self.scale, self.zero_point, self.dtype = float(scale), int(zero_point), dtype

    def forward(self, X: Tensor) -> Tensor:
        return _q.quantize_per_tensor(X, self.scale, self.zero_point, self.dtype)

    def extra_repr(self) -> str:
        return f"scale={self.scale}, zero_point={self.zero_point}, dtype={self.dtype}"

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
