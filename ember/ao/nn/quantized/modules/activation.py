"""ReLU and ReLU6 on quantized tensors, keeping the input's parameters.

PyTorch's float ``relu`` accepts quantized tensors; Ember's float ops refuse them, so
``convert`` swaps ``nn.ReLU``/``nn.ReLU6`` for these (``ReLU`` is Ember's own class).
"""
from __future__ import annotations

from ....._ops import quantize as _q
from ....._tensor import Tensor
from .....nn import functional as F
from .....nn.modules.activation import ReLU as _FloatReLU
from .....nn.modules.activation import ReLU6 as _FloatReLU6
from .....nn.modules.module import Module

__all__ = ["ReLU", "ReLU6"]


def _clamp_int(input: Tensor, low: float, high: float | None) -> Tensor:
    """Clamp a per-tensor quantized tensor's values to [low, high] in integer units."""
    zero_point, scale = input.q_zero_point(), input.q_scale()
    lo = zero_point + round(low / scale)
    hi = None if high is None else zero_point + round(high / scale)
    return _q.apply_to_int_repr(input, lambda t: t.clamp(lo, hi))


class ReLU(Module):
    """max(x, 0) on a quantized tensor: integers below the zero point become the zero point
    (float inputs get the float ReLU)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return _clamp_int(input, 0.0, None) if input.is_quantized else F.relu(input)

    @classmethod
    def from_float(cls, mod: Module, use_precomputed_fake_quant: bool = False) -> "ReLU":
        return cls(getattr(mod, "inplace", False))


class ReLU6(ReLU):
    """min(max(x, 0), 6) on a quantized tensor, keeping its parameters."""

    def forward(self, input: Tensor) -> Tensor:
        return _clamp_int(input, 0.0, 6.0) if input.is_quantized else F.relu6(input)


_FLOAT_TO_QUANTIZED = {_FloatReLU: ReLU, _FloatReLU6: ReLU6}
