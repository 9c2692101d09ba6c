"""Quantized fused layers: the ReLU is the requantization's lower clamp, at the zero point."""
from __future__ import annotations

from ...modules.fused import ConvReLU2d as _FloatConvReLU2d
from ...modules.fused import LinearReLU as _FloatLinearReLU
from ....quantized import Conv2d, Linear

__all__ = ["ConvReLU2d", "LinearReLU"]


class LinearReLU(Linear):
    """Static quantized Linear followed by ReLU, from a fused ``LinearReLU``."""

    _FLOAT_MODULE = (_FloatLinearReLU,)
    _relu = True

    def _get_name(self) -> str:
        return "QuantizedLinearReLU"


class ConvReLU2d(Conv2d):
    """Static quantized Conv2d followed by ReLU, from a fused ``ConvReLU2d``."""

    _FLOAT_MODULE = (_FloatConvReLU2d,)
    _relu = True

    def _get_name(self) -> str:
        return "QuantizedConvReLU2d"
