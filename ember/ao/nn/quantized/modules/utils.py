"""Helpers shared by the quantized layers."""
from __future__ import annotations

from ..... import _dtype
from ....._ops import quantize as _q
from ....._tensor import Tensor

__all__ = ["quantize_weight", "observed_float_layer"]


def quantize_weight(float_weight: Tensor, observer) -> Tensor:
    """``float_weight`` as qint8 with the parameters ``observer`` (already run on it) gives."""
    scale, zero_point = observer.calculate_qparams()
    if observer.qscheme in (_q.per_tensor_symmetric, _q.per_tensor_affine):
        return _q.quantize_per_tensor(float_weight, scale.item(), zero_point.item(),
                                      _dtype.qint8)
    if observer.qscheme in (_q.per_channel_symmetric, _q.per_channel_affine):
        return _q.quantize_per_channel(float_weight, scale.double(), zero_point.long(),
                                       observer.ch_axis, _dtype.qint8)
    raise ValueError(f"Unsupported qscheme for weights: {observer.qscheme}")


def observed_float_layer(cls, mod) -> tuple:
    """For ``cls.from_float``: checks that ``mod`` (one of ``cls._FLOAT_MODULE``) was prepared
    and calibrated; gives the float layer inside it (the first of a fused pair), its weight
    quantized by the qconfig's weight observer, that observer's dtype, and the output's scale
    and zero point."""
    if not hasattr(mod, "qconfig") or mod.qconfig is None:
        raise AssertionError("Input float module must have qconfig defined")
    if not hasattr(mod, "activation_post_process"):
        raise AssertionError("Input float module must have an observer: run prepare() and "
                             "calibrate first")
    act_scale, act_zero_point = mod.activation_post_process.calculate_qparams()
    if not isinstance(mod, cls._FLOAT_MODULE):
        raise AssertionError(f"{cls.__name__}.from_float expects one of "
                             f"{[m.__name__ for m in cls._FLOAT_MODULE]}, got "
                             f"{type(mod).__name__}")
    float_layer = mod[0] if hasattr(mod, "_FUSED_FLOAT") else mod
    weight_observer = mod.qconfig.weight()
    weight_observer(float_layer.weight)
    qweight = quantize_weight(float_layer.weight.detach().float(), weight_observer)
    return (float_layer, qweight, weight_observer.dtype, float(act_scale.item()),
            int(act_zero_point.item()))
