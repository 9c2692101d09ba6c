"""The eager-mode flow: propagate qconfigs, prepare (attach observers), calibrate, convert
(swap in quantized layers); and quantize_dynamic, which needs no calibration."""
from __future__ import annotations

import copy

from ... import _dtype
from ...nn.modules.container import Sequential
from ...nn.modules.dropout import Dropout
from ...nn.modules.module import Module
from ..nn.intrinsic.modules.fused import _FusedModule
from ..nn.quantized.modules.functional_modules import FloatFunctional
from .observer import ObserverBase
from .qconfig import QConfig, default_dynamic_qconfig
from .quantization_mappings import (QTENSOR_MODULE_MAPPINGS,
                                    get_default_dynamic_quant_module_mappings,
                                    get_default_qconfig_propagation_list,
                                    get_default_static_quant_module_mappings)

__all__ = ["propagate_qconfig_", "prepare", "convert", "quantize", "quantize_dynamic",
           "swap_module"]


def propagate_qconfig_(module: Module, qconfig_dict: dict | None = None,
                       prepare_custom_config_dict=None) -> None:
    """Set ``qconfig`` on every submodule: its own if it has one, else the entry for its name or
    type in ``qconfig_dict``, else its parent's."""
    qconfig_dict = qconfig_dict or {}

    def visit(mod: Module, parent_qconfig, prefix: str) -> None:
        qconfig = qconfig_dict.get(type(mod), parent_qconfig)
        qconfig = qconfig_dict.get(prefix, qconfig)
        qconfig = getattr(mod, "qconfig", qconfig)
        mod.qconfig = qconfig
        for name, child in mod.named_children():
            visit(child, qconfig, f"{prefix}.{name}" if prefix else name)
    visit(module, None, "")


def _observer_forward_hook(module: Module, input, output) -> None:
    module.activation_post_process(output)


def _add_observers(module: Module, propagation: set) -> None:
    def observe(mod: Module) -> None:
        if getattr(mod, "qconfig", None) is not None:
            mod.add_module("activation_post_process", mod.qconfig.activation())
            mod.register_forward_hook(_observer_forward_hook)

    for child in module.children():
        if isinstance(child, Dropout):
            continue
        if isinstance(child, FloatFunctional):  # its methods call the observer themselves
            if getattr(child, "qconfig", None) is not None:
                child.activation_post_process = child.qconfig.activation()
        elif isinstance(child, _FusedModule):
            observe(child)
        else:
            _add_observers(child, propagation)
    if (not list(module.children()) and not isinstance(module, Sequential)
            and type(module) in propagation):
        observe(module)


def prepare(model: Module, inplace: bool = False, allow_list: set | None = None,
            observer_non_leaf_module_list=None, prepare_custom_config_dict=None) -> Module:
    """Attach an observer to the output of every layer with a qconfig that ``convert`` knows
    how to quantize; run calibration data through the result, then ``convert`` it."""
    if not inplace:
        model = copy.deepcopy(model)
    propagate_qconfig_(model)
    _add_observers(model, allow_list or get_default_qconfig_propagation_list())
    return model


def swap_module(mod: Module, mapping: dict, custom_module_class_mapping=None) -> Module:
    """``mapping[type(mod)].from_float(mod)`` when ``mod`` has a qconfig, else ``mod``;
    forward pre-hooks carry over, observer hooks do not."""
    if getattr(mod, "qconfig", None) is None or type(mod) not in mapping:
        return mod
    new_mod = mapping[type(mod)].from_float(mod)
    for hook in mod._forward_pre_hooks.values():
        new_mod.register_forward_pre_hook(hook)
    new_mod.train(mod.training)
    return new_mod


def _convert(module: Module, mapping: dict, qtensor_swaps: bool) -> None:
    for name, child in list(module.named_children()):
        if not isinstance(child, _FusedModule):
            _convert(child, mapping, qtensor_swaps)
        if (qtensor_swaps and type(child) in QTENSOR_MODULE_MAPPINGS
                and getattr(child, "qconfig", None) is not None):
            new = QTENSOR_MODULE_MAPPINGS[type(child)].from_float(child)
        else:
            new = swap_module(child, mapping)
        if new is not child:
            setattr(module, name, new)


def _remove_qconfig(module: Module) -> None:
    for child in module.children():
        _remove_qconfig(child)
    if hasattr(module, "qconfig"):
        del module.qconfig
    if isinstance(module._modules.get("activation_post_process"), ObserverBase):
        del module.activation_post_process


def convert(module: Module, mapping: dict | None = None, inplace: bool = False,
            remove_qconfig: bool = True, is_reference: bool = False,
            convert_custom_config_dict=None, use_precomputed_fake_quant: bool = False) -> Module:
    """Replace each observed layer by its quantized form (``mapping``, default: static).

    With the default mapping, ReLU, ReLU6, MaxPool2d, AvgPool2d and AdaptiveAvgPool2d layers
    with a qconfig also become quantized versions (PyTorch's float ops take quantized tensors;
    Ember's do not)."""
    if is_reference:
        raise NotImplementedError("Ember has no reference quantized modules")
    if not inplace:
        module = copy.deepcopy(module)
    static = mapping is None
    _convert(module, get_default_static_quant_module_mappings() if static else mapping, static)
    if remove_qconfig:
        _remove_qconfig(module)
    return module


def quantize(model: Module, run_fn, run_args, mapping: dict | None = None,
             inplace: bool = False) -> Module:
    """prepare, ``run_fn(model, *run_args)`` to calibrate, convert."""
    if not inplace:
        model = copy.deepcopy(model)
    model.eval()
    prepare(model, inplace=True)
    run_fn(model, *run_args)
    convert(model, mapping, inplace=True)
    return model


def quantize_dynamic(model: Module, qconfig_spec=None, dtype: _dtype.dtype = _dtype.qint8,
                     mapping: dict | None = None, inplace: bool = False) -> Module:
    """Replace layers by dynamic quantized ones: weights int8 now, activations quantized per
    batch at run time. ``qconfig_spec`` is a set of layer types/names or a dict mapping them to
    QConfigs; by default every ``nn.Linear``. Only qint8 is supported (no float16)."""
    if dtype is not _dtype.qint8:
        raise ValueError(f"Ember's quantize_dynamic supports dtype=ember.qint8, got {dtype}")
    if qconfig_spec is None:
        qconfig_spec = {layer: default_dynamic_qconfig
                        for layer in get_default_dynamic_quant_module_mappings()}
    elif isinstance(qconfig_spec, (set, list, tuple)):
        qconfig_spec = dict.fromkeys(qconfig_spec, default_dynamic_qconfig)
    elif not isinstance(qconfig_spec, dict):
        raise TypeError(f"qconfig_spec must be a set or dict, got {type(qconfig_spec).__name__}")
    if any(not isinstance(q, QConfig) and q is not None for q in qconfig_spec.values()):
        raise TypeError("qconfig_spec values must be QConfig objects")
    if not inplace:
        model = copy.deepcopy(model)
    propagate_qconfig_(model, qconfig_spec)
    convert(model, get_default_dynamic_quant_module_mappings() if mapping is None else mapping,
            inplace=True)
    return model
