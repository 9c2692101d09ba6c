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

__all__ = ["fuse_modules", "fuse_conv_bn", "fuse_conv_bn_relu", "fuse_linear_bn",
           "fuse_conv_bn_eval", "fuse_linear_bn_eval", "get_fuser_method"]


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
    return _folded_copy(conv, bn)


def fuse_linear_bn_eval(linear: Linear, bn: BatchNorm1d) -> Linear:
    """A copy of ``linear`` with eval-mode ``bn`` folded into its weight and bias."""
    return _folded_copy(linear, bn)


def _folded_copy(layer, bn):
    if layer.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    fused = copy.deepcopy(layer)
    weight, bias = _fold_bn(layer.weight, layer.bias, bn)
    fused.weight, fused.bias = Parameter(weight), Parameter(bias)
    return fused


def _no_qat(is_qat: bool) -> None:
    if is_qat:
        raise NotImplementedError("Ember has no quantization-aware training: fuse modules in "
                                  "eval mode")


def fuse_conv_bn(is_qat: bool, conv: Conv2d, bn: BatchNorm2d) -> Conv2d:
    """Conv2d with eval-mode BatchNorm2d folded in (the fuser method for conv-bn)."""
    _no_qat(is_qat)
    return fuse_conv_bn_eval(conv, bn)


def fuse_conv_bn_relu(is_qat: bool, conv: Conv2d, bn: BatchNorm2d, relu: ReLU) -> ConvReLU2d:
    """ConvReLU2d of the BatchNorm-folded conv and the ReLU."""
    _no_qat(is_qat)
    return ConvReLU2d(fuse_conv_bn_eval(conv, bn), relu)


def fuse_linear_bn(is_qat: bool, linear: Linear, bn: BatchNorm1d) -> Linear:
    """Linear with eval-mode BatchNorm1d folded in."""
    _no_qat(is_qat)
    return fuse_linear_bn_eval(linear, bn)


_FUSERS = {
    (Conv2d, BatchNorm2d): fuse_conv_bn,
    (Conv2d, BatchNorm2d, ReLU): fuse_conv_bn_relu,
    (Conv2d, ReLU): lambda is_qat, conv, relu: ConvReLU2d(conv, relu),
    (Linear, ReLU): lambda is_qat, linear, relu: LinearReLU(linear, relu),
    (Linear, BatchNorm1d): fuse_linear_bn,
}


def get_fuser_method(op_list: tuple, additional_fuser_method_mapping: dict | None = None):
    """The function fusing modules of the types in ``op_list``."""
    fuser = {**_FUSERS, **(additional_fuser_method_mapping or {})}.get(tuple(op_list))
    if fuser is None:
        raise AssertionError(f"did not find fuser method for: {op_list} ")
    return fuser


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
    for names in groups:
        originals = [_get(model, n) for n in names]
        fuse = fuser_func or get_fuser_method(tuple(type(m) for m in originals))
        fused = fuse(model.training, *originals)
        _set(model, names[0], fused)
        for name, original in zip(names[1:], originals[1:]):
            identity = Identity()
            identity.training = original.training
            _set(model, name, identity)
    return model
