"""Placeholders marking where a float model's quantized part begins and ends."""
from __future__ import annotations

from ..._tensor import Tensor
from ...nn.modules.module import Module

__all__ = ["QuantStub", "DeQuantStub", "QuantWrapper"]


class _Stub(Module):
    """An identity layer that carries a qconfig until ``convert`` replaces it."""

    def __init__(self, qconfig=None) -> None:
        super().__init__()
        if qconfig:
            self.qconfig = qconfig

    def forward(self, x: Tensor) -> Tensor:
        return x


class QuantStub(_Stub):
    """Identity before ``convert``; observes the input during calibration and becomes a
    ``Quantize`` layer."""


class DeQuantStub(_Stub):
    """Identity before ``convert``; becomes a ``DeQuantize`` layer."""


class QuantWrapper(Module):
    """``module`` between a QuantStub and a DeQuantStub."""

    def __init__(self, module: Module) -> None:
        super().__init__()
        qconfig = getattr(module, "qconfig", None)
        self.add_module("quant", QuantStub(qconfig))
        self.add_module("dequant", DeQuantStub(qconfig))
        self.add_module("module", module)
        self.train(module.training)

    def forward(self, X: Tensor) -> Tensor:
        return self.dequant(self.module(self.quant(X)))
