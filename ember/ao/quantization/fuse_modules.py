"""fuse_modules: fold BatchNorm into the preceding Conv2d/Linear and pair layers with the
ReLU after them, so each group quantizes as one layer."""
from __future__ import annotations

import copy

from ..._ops.creation import ones_like, zeros_like
from ...autograd.grad_mode import no_grad
from ..._tensor import Tensor
from ...nn.modules.activation import ReLU
from ...nn.modules.batchnorm import BatchNorm1d, BatchNorm2d
from ...nn.modules.conv import Conv2d
from ...nn.modules.linear import Identity, Linear
from ...nn.modules.module import Module
from ...nn.parameter import Parameter
from ..nn.intrinsic import ConvReLU2d, LinearReLU

__all__ = ["fuse_modules", "fuse_conv_bn_eval", "fuse_linear_bn_eval"]


def _fold_bn(weight: Tensor, bias: Tensor | None, bn) -> tuple[Tensor, Tensor]:
    """Weight and bias of a layer that computes bn(layer(x)) in eval mode."""
    with no_grad():
        inv_std = (bn.running_var + bn.eps).rsqrt()
        gamma = bn.weight if bn.weight is not None else ones_like(inv_std)
        beta = bn.bias if bn.bias is not None else zeros_like(inv_std)
        shape = (-1,) + (1,) * (weight.ndim - 1)
        bias = bias if bias is not None else zeros_like(bn.running_mean)
        # PyTorch's association order, so fused weights agree to the last bit
        return (weight * (gamma * inv_std).reshape(shape),
                (bias - bn.running_mean) * inv_std * gamma + beta)


def fuse_conv_bn_eval(conv: Conv2d, bn: BatchNorm2d) -> Conv2d:
    """A copy of ``conv`` with eval-mode ``bn`` folded into its weight and bias."""
    if conv.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    fused = copy.deepcopy(conv)
    weight, bias = _fold_bn(conv.weight, conv.bias, bn)
    fused.weight, fused.bias = Parameter(weight), Parameter(bias)
    return fused


def fuse_linear_bn_eval(linear: Linear, bn: BatchNorm1d) -> Linear:
    """A copy of ``linear`` with eval-mode ``bn`` folded into its weight and bias."""
    if linear.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    fused = copy.deepcopy(linear)
    weight, bias = _fold_bn(linear.weight, linear.bias, bn)
    fused.weight, fused.bias = Parameter(weight), Parameter(bias)
    return fused


def _fuse(modules: list) -> Module:
    kinds = tuple(type(m) for m in modules)
    if kinds == (Conv2d, BatchNorm2d):
        return fuse_conv_bn_eval(*modules)
    if kinds == (Conv2d, BatchNorm2d, ReLU):
        return ConvReLU2d(fuse_conv_bn_eval(modules[0], modules[1]), modules[2])
    if kinds == (Conv2d, ReLU):
        return ConvReLU2d(*modules)
    if kinds == (Linear, ReLU):
        return LinearReLU(*modules)
    if kinds == (Linear, BatchNorm1d):
        return fuse_linear_bn_eval(*modules)
    raise NotImplementedError(f"Cannot fuse modules: {kinds}")


def _get(model: Module, name: str) -> Module:
    return model.get_submodule(name)


def _set(model: Module, name: str, module: Module) -> None:
    parent, _, leaf = name.rpartition(".")
    setattr(model.get_submodule(parent) if parent else model, leaf, module)


def fuse_modules(model: Module, modules_to_fuse: list, inplace: bool = False,
                 fuser_func=None, fuse_custom_config_dict=None) -> Module:
    """Fuse each list of submodule names in ``modules_to_fuse`` (or one list) into its first
    module; the others become ``nn.Identity``.

    Conv2d+BatchNorm2d(+ReLU), Conv2d+ReLU, Linear+ReLU and Linear+BatchNorm1d are fused; the
    model must be in eval mode for BatchNorm folding (Ember has no QAT fusion).
    """
    if not inplace:
        model = copy.deepcopy(model)
    groups = modules_to_fuse if all(isinstance(g, (list, tuple)) for g in modules_to_fuse) \
        else [modules_to_fuse]
    fuse = fuser_func or (lambda is_qat, *mods: _fuse(list(mods)))
    for names in groups:
        originals = [_get(model, n) for n in names]
        fused = fuse(model.training, *originals)
        _set(model, names[0], fused)
        for name, original in zip(names[1:], originals[1:]):
            identity = Identity()
            identity.training = original.training
            _set(model, name, identity)
    return model
