"""Which quantized layer replaces which float layer."""
from __future__ import annotations

from ... import nn
from ..nn import intrinsic as nni
from ..nn import quantized as nnq
from ..nn.intrinsic import quantized as nniq
from ..nn.quantized import dynamic as nnqd
from ..nn.quantized.modules import activation as _activation
from ..nn.quantized.modules import pooling as _pooling
from .stubs import DeQuantStub, QuantStub

__all__ = ["get_default_static_quant_module_mappings", "get_default_dynamic_quant_module_mappings",
           "get_default_qconfig_propagation_list"]

DEFAULT_STATIC_QUANT_MODULE_MAPPINGS = {
    QuantStub: nnq.Quantize,
    DeQuantStub: nnq.DeQuantize,
    nn.Linear: nnq.Linear,
    nn.Conv2d: nnq.Conv2d,
    nni.ConvReLU2d: nniq.ConvReLU2d,
    nni.LinearReLU: nniq.LinearReLU,
    nnq.FloatFunctional: nnq.QFunctional,
}

DEFAULT_DYNAMIC_QUANT_MODULE_MAPPINGS = {
    nn.Linear: nnqd.Linear,
    nn.LSTM: nnqd.LSTM,
    nn.GRU: nnqd.GRU,
}

# Float layers that PyTorch runs on quantized tensors directly; Ember's float ops refuse
# quantized tensors, so convert swaps these for integer versions whether observed or not.
QTENSOR_MODULE_MAPPINGS = {**_activation._FLOAT_TO_QUANTIZED, **_pooling._FLOAT_TO_QUANTIZED}


def get_default_static_quant_module_mappings() -> dict:
    return dict(DEFAULT_STATIC_QUANT_MODULE_MAPPINGS)


def get_default_dynamic_quant_module_mappings() -> dict:
    return dict(DEFAULT_DYNAMIC_QUANT_MODULE_MAPPINGS)


def get_default_qconfig_propagation_list() -> set:
    return (set(DEFAULT_STATIC_QUANT_MODULE_MAPPINGS) | set(DEFAULT_DYNAMIC_QUANT_MODULE_MAPPINGS)
            | {nn.Sequential})
