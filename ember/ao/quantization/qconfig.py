"""QConfig: which observers a layer's activations and weights get."""
from __future__ import annotations

from collections import namedtuple

from ... import _dtype
from .observer import (HistogramObserver, PlaceholderObserver, default_dynamic_quant_observer,
                       default_observer, default_per_channel_weight_observer,
                       default_weight_observer)

__all__ = ["QConfig", "QConfigDynamic", "default_qconfig", "default_dynamic_qconfig",
           "per_channel_dynamic_qconfig", "float16_dynamic_qconfig", "get_default_qconfig",
           "default_per_channel_qconfig"]


class QConfig(namedtuple("QConfig", ["activation", "weight"])):
    """Observer constructors for a layer's output (``activation``) and weight; pass classes or
    ``Observer.with_args(...)``, not instances, since each layer needs its own observer."""

    def __new__(cls, activation, weight):
        from ...nn.modules.module import Module
        if isinstance(activation, Module) or isinstance(weight, Module):
            raise ValueError("QConfig received observer instance, please pass observer class "
                             "instead. Use MyObserver.with_args(x=1) to override arguments to "
                             "constructor if needed")
        return super().__new__(cls, activation, weight)


QConfigDynamic = QConfig

default_qconfig = QConfig(activation=default_observer, weight=default_weight_observer)
default_per_channel_qconfig = QConfig(activation=default_observer,
                                      weight=default_per_channel_weight_observer)
default_dynamic_qconfig = QConfig(activation=default_dynamic_quant_observer,
                                  weight=default_weight_observer)
per_channel_dynamic_qconfig = QConfig(activation=default_dynamic_quant_observer,
                                      weight=default_per_channel_weight_observer)
float16_dynamic_qconfig = QConfig(
    activation=PlaceholderObserver.with_args(dtype=_dtype.float16, is_dynamic=True),
    weight=PlaceholderObserver.with_args(dtype=_dtype.float16))


def get_default_qconfig(backend: str = "x86", version: int = 0) -> QConfig:
    """The post-training QConfig PyTorch recommends for ``backend``.

    "x86"/"fbgemm": histogram-observed activations with reduce_range and per-channel
    symmetric weights; "qnnpack": full-range activations and per-tensor weights.
    """
    activation = HistogramObserver
    if backend in ("x86", "fbgemm"):
        return QConfig(activation=activation.with_args(reduce_range=True),
                       weight=default_per_channel_weight_observer)
    if backend == "qnnpack":
        return QConfig(activation=activation.with_args(reduce_range=False),
                       weight=default_weight_observer)
    if backend == "onednn":
        return QConfig(activation=activation.with_args(reduce_range=False),
                       weight=default_per_channel_weight_observer)
    raise ValueError(f"Unknown backend {backend!r}: expected one of 'x86', 'fbgemm', "
                     "'qnnpack', 'onednn'")
