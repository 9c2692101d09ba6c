"""Static int8 Linear: quint8 in, quint8 out, qint8 weight (per tensor or per channel)."""
from __future__ import annotations

import numpy as np

from ..... import _dtype
from ....._device import CPU
from ....._ops import quantize as _q
from ....._ops import quantized_gemm as _gemm
from ....._tensor import Tensor
from .....nn.modules.linear import Linear as _FloatLinear
from .....nn.modules.module import Module
from ._state import QuantizedState, scalar
from .utils import observed_float_layer

__all__ = ["Linear", "LinearPackedParams"]


class LinearPackedParams(QuantizedState):
    """Holds a quantized Linear's weight and bias; in state dicts they are the tuple
    ``_packed_params`` next to ``dtype``, as in PyTorch."""

    _version = 3  # PyTorch's state-dict format version for these keys

    def __init__(self, dtype: _dtype.dtype = _dtype.qint8) -> None:
        super().__init__()
        self.dtype = dtype
        self.packed_weight = None
        self.bias = None

    def set_weight_bias(self, weight: Tensor, bias: Tensor | None) -> None:
        self.packed_weight = _gemm.PackedWeight(weight)
        self.bias = None if bias is None else bias.detach().float()

    def _weight_bias(self) -> tuple:
        return self.packed_weight.qweight, self.bias

    def _state(self) -> dict:
        return {"dtype": self.dtype, "_packed_params": self._weight_bias()}

    def _set_state(self, state: dict) -> None:
        self.dtype = state["dtype"]
        self.set_weight_bias(*state["_packed_params"])


class Linear(QuantizedState):
    """Static quantized Linear; ``weight()`` and ``bias()`` are methods, as in PyTorch."""

    _FLOAT_MODULE = (_FloatLinear,)
    _relu = False
    _version = 3  # PyTorch's state-dict format version for these keys

    def __init__(self, in_features: int, out_features: int, bias_: bool = True,
                 dtype: _dtype.dtype = _dtype.qint8) -> None:
        super().__init__()
        if dtype is not _dtype.qint8:
            raise RuntimeError(f"Unsupported dtype specified for quantized Linear: {dtype}")
        self.in_features, self.out_features = in_features, out_features
        self.scale, self.zero_point = 1.0, 0
        self._packed_params = LinearPackedParams(dtype)
        weight = _q.quantize_per_tensor(
            Tensor._make(np.zeros((out_features, in_features), np.float32), CPU), 1.0, 0,
            _dtype.qint8)
        bias = Tensor._make(np.zeros(out_features, np.float32), CPU) if bias_ else None
        self.set_weight_bias(weight, bias)

    def set_weight_bias(self, w: Tensor, b: Tensor | None) -> None:
        self._packed_params.set_weight_bias(w, b)

    def weight(self) -> Tensor:
        return self._packed_params.packed_weight.qweight

    def bias(self) -> Tensor | None:
        return self._packed_params.bias

    def _weight_bias(self) -> tuple:
        return self._packed_params._weight_bias()

    def _state(self) -> dict:
        return {"scale": scalar(self.scale, np.float32),
                "zero_point": scalar(self.zero_point, np.int64)}

    def _set_state(self, state: dict) -> None:
        self.scale, self.zero_point = float(state["scale"]), int(state["zero_point"])

    def forward(self, x: Tensor) -> Tensor:
        params = self._packed_params
        return _gemm.linear(x, params.packed_weight, params.bias, self.scale, self.zero_point,
                         self._relu)

    def _get_name(self) -> str:
        return "QuantizedLinear"

    def __repr__(self) -> str:  # the packed parameters are not a layer worth listing
        return f"{self._get_name()}({self.extra_repr()})"

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"scale={self.scale}, zero_point={self.zero_point}, "
                f"qscheme={self.weight().qscheme()}")

    @classmethod
    def from_float(cls, mod: Module, use_precomputed_fake_quant: bool = False) -> "Linear":
        """A quantized copy of an observed float Linear (or fused LinearReLU)."""
        float_mod, qweight, dtype, scale, zero_point = observed_float_layer(cls, mod)
        qlinear = cls(float_mod.in_features, float_mod.out_features, dtype=dtype)
        qlinear.set_weight_bias(qweight, float_mod.bias)
        qlinear.scale, qlinear.zero_point = scale, zero_point
        return qlinear
