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

__all__ = ["DEFAULT_STATIC_QUANT_MODULE_MAPPINGS", "DEFAULT_DYNAMIC_QUANT_MODULE_MAPPINGS",
           "get_default_static_quant_module_mappings", "get_default_dynamic_quant_module_mappings",
           "get_default_qconfig_propagation_list", "get_static_quant_module_class",
           "get_dynamic_quant_module_class"]

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


def _lookup(mapping: dict, float_module_class, extra: dict | None):
    quantized = {**mapping, **(extra or {})}.get(float_module_class)
    if quantized is None:
        raise AssertionError(f"Floating point module class {float_module_class} does not have a "
                             "corresponding quantized module class")
    return quantized


def get_static_quant_module_class(float_module_class, additional_static_quant_mapping=None,
                                  is_reference: bool = False):
    """The static quantized class that ``convert`` puts in place of ``float_module_class``."""
    if is_reference:
        raise NotImplementedError("Ember has no reference quantized modules")
    return _lookup(DEFAULT_STATIC_QUANT_MODULE_MAPPINGS, float_module_class,
                   additional_static_quant_mapping)


def get_dynamic_quant_module_class(float_module_class, additional_dynamic_quant_mapping=None):
    """The dynamic quantized class that ``quantize_dynamic`` puts in place of a float class."""
    return _lookup(DEFAULT_DYNAMIC_QUANT_MODULE_MAPPINGS, float_module_class,
                   additional_dynamic_quant_mapping)
