"""Static int8 Conv2d: quint8 in and out, qint8 weight, zero padding."""
from __future__ import annotations

import numpy as np

from ..... import _dtype
from ....._device import CPU
from ....._ops import quantize as _q
from ....._ops import quantized_gemm as _gemm
from ....._tensor import Tensor
from .....nn.modules.conv import Conv2d as _FloatConv2d
from .....nn.modules.module import Module
from ._state import QuantizedState, scalar
from .utils import observed_float_layer

__all__ = ["Conv2d"]


def _pair(value) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


class Conv2d(QuantizedState):
    """Static quantized Conv2d; ``weight()`` and ``bias()`` are methods, as in PyTorch."""

    _FLOAT_MODULE = (_FloatConv2d,)
    _relu = False

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None) -> None:
        super().__init__()
        if padding_mode != "zeros":
            raise NotImplementedError(f"quantized Conv2d supports padding_mode 'zeros' only, got "
                                      f"{padding_mode!r}")
        if in_channels % groups or out_channels % groups:
            raise ValueError("in_channels and out_channels must be divisible by groups")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride = _pair(kernel_size), _pair(stride)
        self.padding, self.dilation = _pair(padding), _pair(dilation)
        self.padding_mode = padding_mode
        self.scale, self.zero_point = 1.0, 0
        shape = (out_channels, in_channels // groups) + self.kernel_size
        weight = _q.quantize_per_tensor(Tensor._make(np.zeros(shape, np.float32), CPU), 1.0,
                                        0, _dtype.qint8)
        zeros = Tensor._make(np.zeros(out_channels, np.float32), CPU) if bias else None
        self.set_weight_bias(weight, zeros)

    def set_weight_bias(self, w: Tensor, b: Tensor | None) -> None:
        self._packed_weight = _gemm.PackedWeight(w)
        self._bias = None if b is None else b.detach().float()

    def weight(self) -> Tensor:
        return self._packed_weight.qweight

    def bias(self) -> Tensor | None:
        return self._bias

    def _weight_bias(self) -> tuple:
        return self.weight(), self.bias()

    def _state(self) -> dict:
        return {"weight": self.weight(), "bias": self.bias(),
                "scale": scalar(self.scale, np.float32),
                "zero_point": scalar(self.zero_point, np.int64)}

    def _set_state(self, state: dict) -> None:
        self.set_weight_bias(state["weight"], state["bias"])
        self.scale, self.zero_point = float(state["scale"]), int(state["zero_point"])

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim != 4:
            raise ValueError("Input shape must be `(N, C, H, W)`!")
        return _gemm.conv2d(input, self._packed_weight, self._bias, self.stride, self.padding,
                         self.dilation, self.groups, self.scale, self.zero_point, self._relu)

    def _get_name(self) -> str:
        return "QuantizedConv2d"

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, scale={self.scale}, zero_point={self.zero_point}, "
                f"padding={self.padding}, groups={self.groups}")

    @classmethod
    def from_float(cls, mod: Module, use_precomputed_fake_quant: bool = False) -> "Conv2d":
        """A quantized copy of an observed float Conv2d (or fused ConvReLU2d)."""
        conv, qweight, _, scale, zero_point = observed_float_layer(cls, mod)
        qconv = cls(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride,
                    conv.padding, conv.dilation, conv.groups, conv.bias is not None,
                    conv.padding_mode)
        qconv.set_weight_bias(qweight, conv.bias)
        qconv.scale, qconv.zero_point = scale, zero_point
        return qconv
