"""FloatFunctional and QFunctional: tensor arithmetic (residual adds, concatenation) as a
module, so it can carry an observer and become its quantized form under ``convert``."""
from __future__ import annotations

import numpy as np

from ....._ops import quantize as _q
from ....._ops.join import cat as _cat
from ....._tensor import Tensor
from .....nn.modules.linear import Identity
from .....nn.modules.module import Module

__all__ = ["FloatFunctional", "QFunctional"]


class FloatFunctional(Module):
    """Float arithmetic whose results ``prepare`` observes (use its methods, not ``forward``)."""

    def __init__(self) -> None:
        super().__init__()
        self.activation_post_process = Identity()

    def forward(self, x: Tensor) -> Tensor:
        raise RuntimeError("FloatFunctional is not intended to use the 'forward'. Please use "
                           "the underlying operation")

    def add(self, x: Tensor, y: Tensor) -> Tensor:
        return self.activation_post_process(x + y)

    def add_scalar(self, x: Tensor, y: float) -> Tensor:
        return x + y  # not observed: the quantized op derives its parameters from x

    def mul(self, x: Tensor, y: Tensor) -> Tensor:
        return self.activation_post_process(x * y)

    def mul_scalar(self, x: Tensor, y: float) -> Tensor:
        return x * y  # not observed, as add_scalar

    def cat(self, x: list, dim: int = 0) -> Tensor:
        return self.activation_post_process(_cat(x, dim))

    def add_relu(self, x: Tensor, y: Tensor) -> Tensor:
        return self.activation_post_process((x + y).relu())


class QFunctional(Module):
    """Quantized arithmetic: inputs are dequantized, combined in float32 and requantized with
    this module's ``scale``/``zero_point`` (PyTorch's kernels stay within one step of this)."""

    def __init__(self) -> None:
        super().__init__()
        self.scale, self.zero_point = 1.0, 0
        self.activation_post_process = Identity()

    def forward(self, x: Tensor) -> Tensor:
        raise RuntimeError("Functional is not intended to use the 'forward'. Please use the "
                           "underlying operation")

    def _requantize(self, values: Tensor, dtype, relu: bool = False) -> Tensor:
        data = _q.quantize_array(values._data, self.scale, self.zero_point, dtype)
        if relu:
            data = np.maximum(data, np.array(self.zero_point, dtype=data.dtype))
        return _q._wrap(data, dtype, self.scale, self.zero_point)

    def add(self, x: Tensor, y: Tensor) -> Tensor:
        return self._requantize(x.dequantize() + y.dequantize(), x.dtype)

    def add_relu(self, x: Tensor, y: Tensor) -> Tensor:
        return self._requantize(x.dequantize() + y.dequantize(), x.dtype, relu=True)

    def mul(self, x: Tensor, y: Tensor) -> Tensor:
        return self._requantize(x.dequantize() * y.dequantize(), x.dtype)

    def add_scalar(self, x: Tensor, y: float) -> Tensor:
        return _q.quantize_per_tensor(x.dequantize() + y, x.q_scale(), x.q_zero_point(), x.dtype)

    def mul_scalar(self, x: Tensor, y: float) -> Tensor:
        return _q.quantize_per_tensor(x.dequantize() * y, x.q_scale(), x.q_zero_point(), x.dtype)

    def cat(self, x: list, dim: int = 0) -> Tensor:
        return self._requantize(_cat([t.dequantize() for t in x], dim), x[0].dtype)

    def extra_repr(self) -> str:
        return f"scale={self.scale}, zero_point={self.zero_point}"

    @classmethod
    def from_float(cls, mod: Module, use_precomputed_fake_quant: bool = False) -> "QFunctional":
        if not isinstance(mod, FloatFunctional):
            raise AssertionError(f"QFunctional.from_float expects FloatFunctional, got "
                                 f"{type(mod).__name__}")
        scale, zero_point = mod.activation_post_process.calculate_qparams()
        qf = cls()
        qf.scale, qf.zero_point = float(scale.item()), int(zero_point.item())
        return qf


