"""Helpers shared by the quantized layers."""
from __future__ import annotations

from ..... import _dtype
from ....._ops import quantize as _q
from ....._tensor import Tensor

__all__ = ["quantize_weight"]


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
