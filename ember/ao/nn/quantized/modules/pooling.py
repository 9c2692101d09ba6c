"""Pooling of quantized tensors, keeping the input's parameters.

PyTorch's float pooling layers accept quantized tensors; Ember's float ops refuse them, so
``convert`` swaps ``nn.MaxPool2d``/``nn.AvgPool2d``/``nn.AdaptiveAvgPool2d`` for these
(the average pools are Ember's own classes). Float inputs get the float pooling.
"""
from __future__ import annotations

from ....._ops import quantize as _q
from ....._tensor import Tensor
from .....nn import functional as F
from .....nn.modules.module import Module
from .....nn.modules.pooling import AdaptiveAvgPool2d as _FloatAdaptiveAvgPool2d
from .....nn.modules.pooling import AvgPool2d as _FloatAvgPool2d
from .....nn.modules.pooling import MaxPool2d as _FloatMaxPool2d

__all__ = ["MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d"]


class MaxPool2d(_FloatMaxPool2d):
    """Max pooling of a quantized tensor's integers (exact: the scale is positive)."""

    def forward(self, input: Tensor) -> Tensor:
        if not input.is_quantized:
            return super().forward(input)
        return _q.apply_to_int_repr(input, lambda t: F.max_pool2d(
            t, self.kernel_size, self.stride, self.padding, self.dilation,
            ceil_mode=self.ceil_mode))

    @classmethod
    def from_float(cls, mod: Module, use_precomputed_fake_quant: bool = False) -> "MaxPool2d":
        return cls(mod.kernel_size, mod.stride, mod.padding, mod.dilation,
                   ceil_mode=mod.ceil_mode)


class AvgPool2d(_FloatAvgPool2d):
    """Average pooling of a quantized tensor, requantized with its own parameters (what
    PyTorch's integer kernel computes)."""

    def forward(self, input: Tensor) -> Tensor:
        if not input.is_quantized:
            return super().forward(input)
        return _q.requantize_like(input, super().forward(input.dequantize()))

    @classmethod
    def from_float(cls, mod: Module, use_precomputed_fake_quant: bool = False) -> "AvgPool2d":
        return cls(mod.kernel_size, mod.stride, mod.padding, mod.ceil_mode,
                   mod.count_include_pad, mod.divisor_override)


class AdaptiveAvgPool2d(_FloatAdaptiveAvgPool2d):
    """Adaptive average pooling of a quantized tensor, requantized with its own parameters."""

    def forward(self, input: Tensor) -> Tensor:
        if not input.is_quantized:
            return super().forward(input)
        return _q.requantize_like(input, super().forward(input.dequantize()))

    @classmethod
    def from_float(cls, mod: Module,
                   use_precomputed_fake_quant: bool = False) -> "AdaptiveAvgPool2d":
        return cls(mod.output_size)


_FLOAT_TO_QUANTIZED = {_FloatMaxPool2d: MaxPool2d, _FloatAvgPool2d: AvgPool2d,
                       _FloatAdaptiveAvgPool2d: AdaptiveAvgPool2d}
