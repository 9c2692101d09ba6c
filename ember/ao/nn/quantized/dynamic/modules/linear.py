"""Dynamic int8 Linear: float in and out, weight stored as qint8."""
from __future__ import annotations

from ...... import _dtype
from ......_ops import quantized_gemm as _gemm
from ......_tensor import Tensor
from ......nn.modules.linear import Linear as _FloatLinear
from ......nn.modules.module import Module
from ...modules.linear import Linear as _StaticLinear
from ...modules.utils import quantize_weight

__all__ = ["Linear"]


class Linear(_StaticLinear):
    """Quantizes each input batch to quint8 with parameters from its own min/max (halved
    range, as PyTorch's x86 backend does), multiplies in integers, returns float32."""

    _FLOAT_MODULE = (_FloatLinear,)
    _version = 4  # PyTorch's state-dict format version (reduce_range activations)

    def __init__(self, in_features: int, out_features: int, bias_: bool = True, dtype=None):
        super().__init__(in_features, out_features, bias_, dtype or _dtype.qint8)
        self.reduce_range = True

    def forward(self, x: Tensor) -> Tensor:
        params = self._packed_params
        return _gemm.linear_dynamic(x, params.packed_weight, params.bias, self.reduce_range)

    def _get_name(self) -> str:
        return "DynamicQuantizedLinear"

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"dtype={self.weight().dtype}, qscheme={self.weight().qscheme()}")

    @classmethod
    def from_float(cls, mod: Module, use_precomputed_fake_quant: bool = False) -> "Linear":
        """A dynamic quantized copy of a float Linear; only its weight is observed."""
        if not isinstance(mod, cls._FLOAT_MODULE):
            raise AssertionError(f"nn.quantized.dynamic.Linear.from_float only works for one of "
                                 f"{[m.__name__ for m in cls._FLOAT_MODULE]}, got "
                                 f"{type(mod).__name__}")
        if not hasattr(mod, "qconfig"):
            raise AssertionError("Input float module must have qconfig defined")
        from .....quantization.qconfig import default_dynamic_qconfig
        qconfig = mod.qconfig if mod.qconfig is not None else default_dynamic_qconfig
        weight_observer = (qconfig.weight or default_dynamic_qconfig.weight)()
        if weight_observer.dtype is not _dtype.qint8:
            raise AssertionError(f"Ember's dynamic quantized Linear supports qint8 weights, got "
                                 f"{weight_observer.dtype}")
        weight_observer(mod.weight)
        qlinear = cls(mod.in_features, mod.out_features)
        qlinear.set_weight_bias(quantize_weight(mod.weight.detach().float(),
                                                weight_observer), mod.bias)
        return qlinear
