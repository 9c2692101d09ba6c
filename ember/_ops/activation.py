"""Activation functions and the softmax family (dropout is in dropout.py, linear in linear.py).

ReLU, softmax and log-softmax are fused ops (hot, and softmax needs the max-shift for
stability); everything else is composed from pointwise ops, so its gradient comes for free.
Branches that could overflow in the unselected side of a ``where`` are clamped first, so no
``inf * 0`` reaches a gradient.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from .. import _dtype
from ..autograd import grad_mode
from ..autograd.function import Op
from .._tensor import Tensor, _make
from ._inplace import inplace_variant
from . import _registry
from ._registry import export
from ._util import scalar_type_name
from . import pointwise as pw
from .rounding import clamp, clamp_max
from .transcendental import erfc, expm1, log1p
from .random import rng
from .join import chunk

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_SQRT_HALF = math.sqrt(0.5)
_state = grad_mode.state


# -- fused ops -------------------------------------------------------------------------------------
class ReLU(Op):
    _backward_name = "ReluBackward0"

    @staticmethod
    def forward(ctx, x):
        out = ctx.xp.maximum(x, 0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out, = ctx.saved_tensors
        return grad * (out > 0)


def _shift_by_max(x, dim: int):
    """x minus its max along ``dim``, for stability; an empty x has no max and needs no shift."""
    return x - x.max(axis=dim, keepdims=True) if x.size else x.copy()


class Softmax(Op):
    _backward_name = "SoftmaxBackward0"

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        shifted = _shift_by_max(x, dim)
        out = ctx.xp.exp(shifted, out=shifted)
        out /= out.sum(axis=dim, keepdims=True)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out, = ctx.saved_tensors
        return out * (grad - (grad * out).sum(ctx.dim, keepdim=True)), None


class LogSoftmax(Op):
    _backward_name = "LogSoftmaxBackward0"

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        xp = ctx.xp
        out = _shift_by_max(x, dim)
        out -= xp.log(xp.exp(out).sum(axis=dim, keepdims=True))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out, = ctx.saved_tensors
        return grad - pw.exp(out) * grad.sum(ctx.dim, keepdim=True), None


def _softmax_dim(ndim: int) -> int:
    warnings.warn("Implicit dimension choice for softmax has been deprecated. Change the call to "
                  "include dim=X as an argument.", stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def _prepare_softmax(input: Tensor, dim, dtype, stacklevel) -> tuple[Tensor, int]:
    if isinstance(stacklevel, _dtype.dtype):  # torch.softmax(input, dim, dtype) positionally
        dtype = stacklevel
    if dim is None:
        dim = _softmax_dim(input.ndim)
    if dtype is not None:
        input = input.to(dtype)
    elif not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise NotImplementedError(f'"softmax_lastdim_kernel_impl" not implemented for '
                                  f"'{scalar_type_name(input.dtype)}'")
    if input.ndim == 0:
        return input.reshape(1), None
    from ._util import wrap_dim
    return input, wrap_dim(dim, input.ndim)


@export(nn=True)
def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: _dtype.dtype | None = None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim``, computed with the max subtracted for stability."""
    x, d = _prepare_softmax(input, dim, dtype, _stacklevel)
    if d is None:
        return Softmax.apply(x, 0).reshape(())
    return Softmax.apply(x, d)


@export(nn=True)
def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype: _dtype.dtype | None = None) -> Tensor:
    """log(softmax(x)) along ``dim``, stable for large inputs."""
    x, d = _prepare_softmax(input, dim, dtype, _stacklevel)
    if d is None:
        return LogSoftmax.apply(x, 0).reshape(())
    return LogSoftmax.apply(x, d)


@export(nn=True, function=False, method=False)
def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: _dtype.dtype | None = None) -> Tensor:
    """softmax(-x) along ``dim``."""
    if dim is None:
        dim = _softmax_dim(input.ndim)
    if dtype is not None:
        input = input.to(dtype)
    return softmax(pw.neg(input), dim)


# torch.nn.functional also offers the pointwise sigmoid and tanh.
_registry.NN_FUNCTIONAL["sigmoid"] = pw.sigmoid
_registry.NN_FUNCTIONAL["tanh"] = pw.tanh


# -- rectifiers ------------------------------------------------------------------------------------
def _relu(input: Tensor) -> Tensor:
    return ReLU.apply(input)


_relu_inplace = inplace_variant(_relu)


@export(nn=True)
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0)."""
    return _relu_inplace(input) if inplace else ReLU.apply(input)


@export(nn=True)
def relu_(input: Tensor) -> Tensor:
    return _relu_inplace(input)


def _with_inplace(fn):
    """``fn(input, ..., inplace=True)`` writes the result into ``input``."""
    inplace_fn = inplace_variant(fn)

    def run(input, *args, inplace=False):
        return inplace_fn(input, *args) if inplace else fn(input, *args)
    return run, inplace_fn


def _hardtanh(input, min_val, max_val):
    return clamp(input, min_val, max_val)


_hardtanh_run, _hardtanh_ = _with_inplace(_hardtanh)


@export(nn=True, function=False, method=False)
def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """Clamp to [min_val, max_val]."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _hardtanh_run(input, min_val, max_val, inplace=inplace)


@export(nn=True, function=False, method=False)
def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, inplace=True)


@export(nn=True, function=False, method=False)
def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def _leaky_relu(input, negative_slope):
    return pw.where(input > 0, input, input * negative_slope)


_leaky_run, _leaky_ = _with_inplace(_leaky_relu)


@export(nn=True, function=False, method=False)
def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, negative_slope * x otherwise."""
    return _leaky_run(input, negative_slope, inplace=inplace)


@export(nn=True, function=False, method=False)
def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return _leaky_(input, negative_slope)


@export(nn=True)
def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """leaky_relu with a learned slope per channel (dim 1), or one shared slope."""
    channels = input.shape[1] if input.ndim >= 2 else 1
    if weight.numel() != 1 and weight.numel() != channels:
        raise RuntimeError("Mismatch of parameter numbers and input channel size. Found "
                           f"parameter numbers = {weight.numel()} and channel size = "
                           f"{channels}.")
    if weight.numel() != 1 and input.ndim >= 2:
        weight = weight.reshape((channels,) + (1,) * (input.ndim - 2))
    return pw.where(input > 0, input, weight * input)


def _elu(input, alpha, scale=1.0, input_scale=1.0):
    negative = expm1(clamp_max(input, 0.0) * input_scale) * alpha
    out = pw.where(input > 0, input, negative)
    return out * scale if scale != 1.0 else out


_elu_run, _elu_ = _with_inplace(_elu)


@export(nn=True, function=False, method=False)
def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""
    return _elu_run(input, alpha, inplace=inplace)


@export(nn=True, function=False, method=False)
def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return _elu_(input, alpha)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


@export(nn=True, method=False)
def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with the self-normalising constants."""
    return _elu_run(input, _SELU_ALPHA, _SELU_SCALE, inplace=inplace)


@export(nn=True, method=False)
def selu_(input: Tensor) -> Tensor:
    return selu(input, inplace=True)


@export(nn=True, method=False)
def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    return _elu_run(input, alpha, 1.0, 1.0 / alpha, inplace=inplace)


@export(nn=True, method=False)
def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return celu(input, alpha, inplace=True)


def _threshold(input, threshold, value):
    return pw.where(input > threshold, input, value)


_threshold_run, _threshold_ = _with_inplace(_threshold)


@export(nn=True, method=False)
def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, else value."""
    return _threshold_run(input, threshold, value, inplace=inplace)


@export(nn=True, method=False)
def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return _threshold_(input, threshold, value)


# -- smooth activations ----------------------------------------------------------------------------
# logit(Phi(x)) = x * q(x^2), q a least-squares fit (weighted so that Phi is within 3e-8 over
# the real line) with the signs flipped, so exp(x * _GELU_F32_POLY(x^2)) = 1 / Phi(x) - 1.
# The tanh approximation is the first two terms of the same series.
_GELU_F32_POLY = (-1.59576988, -0.0726661682, 6.51899318e-05, 0.000110612396, -7.92949049e-06,
                  2.64526847e-07, -3.51234619e-09)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


def _normal_cdf(ctx, x):
    """Phi(x) = P(N(0, 1) <= x) as an array of x's dtype."""
    xp = ctx.xp
    if x.dtype == xp.float64:
        cdf = ctx.backend.erfc(x * -_SQRT_HALF)
        cdf *= 0.5
        return cdf
    # float32 (and float16, computed in float32): a sigmoid of a polynomial, 1-2 ulp of Phi
    # and well within PyTorch's own float32 erf, at a fraction of erf's cost.
    x32 = x.astype(xp.float32, copy=False)
    s = x32 * x32
    cdf = xp.full_like(s, _GELU_F32_POLY[-1])
    for c in _GELU_F32_POLY[-2::-1]:
        cdf *= s
        cdf += xp.float32(c)
    cdf *= x32
    with np.errstate(over="ignore"):     # exp overflows to inf below x = -9.5: Phi = 0
        xp.exp(cdf, out=cdf)
    cdf += 1
    xp.reciprocal(cdf, out=cdf)
    return cdf.astype(x.dtype, copy=False)


class GELU(Op):
    """x * Phi(x), the exact GELU; one node, its derivative Phi(x) + x * phi(x) from the
    forward's Phi."""

    _backward_name = "GeluBackward0"

    @staticmethod
    def forward(ctx, x):
        cdf = _normal_cdf(ctx, x)
        if ctx.needs_input_grad:
            ctx.save_for_backward(x)
            ctx.cdf = cdf
        return x * cdf

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        if _state.enabled:      # create_graph: a derivative made of Ember ops
            return grad * _gelu_derivative(x)
        xp, a = ctx.xp, x._data
        d = a * a
        d *= -0.5
        xp.exp(d, out=d)
        d *= a
        d *= _INV_SQRT_2PI
        d += ctx.cdf
        d *= grad._data
        return _make(d, ctx.device)


def _gelu_derivative(x: Tensor) -> Tensor:
    return erfc(x * -_SQRT_HALF) * 0.5 + x * pw.exp(x * x * -0.5) * _INV_SQRT_2PI


@export(nn=True, function=False, method=False)
def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x); ``approximate='tanh'`` uses the tanh formula.

    float32 computes Phi to 1-2 ulp with a sigmoid of a polynomial, not via erf; float64 via
    erfc, which keeps Phi's relative accuracy for very negative x (PyTorch's ``1 + erf`` loses
    it there, so tiny outputs differ in relative terms).
    """
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f'"GeluKernelImpl" not implemented for '
                                  f"'{scalar_type_name(input.dtype)}'")
    if approximate == "tanh":
        inner = (input + input * input * input * 0.044715) * _SQRT_2_OVER_PI
        return input * (pw.tanh(inner) + 1.0) * 0.5
    return GELU.apply(input)


def _silu(input):
    return input * pw.sigmoid(input)


_silu_run, _silu_ = _with_inplace(_silu)


@export(nn=True, function=False, method=False)
def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x)."""
    return _silu_run(input, inplace=inplace)


def _mish(input):
    return input * pw.tanh(softplus(input))


_mish_run, _mish_ = _with_inplace(_mish)


@export(nn=True, function=False, method=False)
def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x))."""
    return _mish_run(input, inplace=inplace)


def _hardswish(input):
    return input * clamp(input + 3.0, 0.0, 6.0) / 6.0


_hardswish_run, _hardswish_ = _with_inplace(_hardswish)


@export(nn=True, function=False, method=False)
def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * relu6(x + 3) / 6."""
    return _hardswish_run(input, inplace=inplace)


def _hardsigmoid(input):
    return clamp(input / 6.0 + 0.5, 0.0, 1.0)


_hardsigmoid_run, _hardsigmoid_ = _with_inplace(_hardsigmoid)


@export(nn=True, function=False, method=False)
def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6."""
    return _hardsigmoid_run(input, inplace=inplace)


@export(nn=True, function=False, method=False)
def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta * x)) / beta; linear where beta * x > threshold."""
    scaled = input * beta if beta != 1.0 else input
    smooth = log1p(pw.exp(clamp_max(scaled, threshold)))
    if beta != 1.0:
        smooth = smooth / beta
    return pw.where(scaled > threshold, input, smooth)


@export(nn=True, function=False, method=False)
def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|)."""
    return input / (pw.abs(input) + 1.0)


@export(nn=True, function=False, method=False)
def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)), stable for large |x|."""
    return pw.neg(softplus(pw.neg(input)))


@export(nn=True, function=False, method=False)
def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x)."""
    return input - pw.tanh(input)


def _check_lambd(input: Tensor, lambd: float) -> None:
    if lambd < 0:
        raise RuntimeError(f"lambda must be in range [0, 3.40282e+38] for input dtype "
                           f"{scalar_type_name(input.dtype)}, but found {lambd:g}")


@export(nn=True, function=False, method=False)
def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd for x > lambd, x + lambd for x < -lambd, else 0."""
    _check_lambd(input, lambd)
    return pw.where(input > lambd, input - lambd,
                    pw.where(input < -lambd, input + lambd, 0.0))


@export(nn=True)
def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0."""
    return pw.where(pw.abs(input) > lambd, input, 0.0)


@export(nn=True, function=False, method=False)
def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a * sigmoid(b), where a and b are the halves of ``input`` along ``dim``."""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    from ._util import wrap_dim
    d = wrap_dim(dim, input.ndim)
    if input.shape[d] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size "
                           f"{input.shape[d]}")
    a, b = chunk(input, 2, d)
    return a * pw.sigmoid(b)


@export(nn=True, method=False)
def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    """Leaky ReLU with a random slope in [lower, upper] (training) or their mean (eval)."""
    if training:
        xp = input._device.backend
        slopes = rng().uniform(lower, upper, tuple(input.shape)).astype(input._data.dtype)
        slope = Tensor._make(xp.from_host(slopes), input._device)
        result = pw.where(input >= 0, input, input * slope)
    else:
        result = _leaky_relu(input, (lower + upper) / 2)
    if inplace:
        from ._inplace import write_inplace
        return write_inplace(input, result)
    return result


@export(nn=True, method=False)
def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
           training: bool = False) -> Tensor:
    return rrelu(input, lower, upper, training, inplace=True)


@export(nn=True, function=False, method=False)
def gumbel_softmax(logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1) -> Tensor:
    """softmax((logits + Gumbel noise) / tau); ``hard`` returns one-hot samples whose gradient
    is the soft sample's (straight-through)."""
    noise = -pw.log(Tensor._make(logits._device.backend.from_host(
        rng().exponential(size=tuple(logits.shape)).astype(logits._data.dtype)),
        logits._device))
    y_soft = softmax((logits + noise) / tau, dim)
    if not hard:
        return y_soft
    xp = logits._device.backend.xp
    from ._util import wrap_dim
    d = wrap_dim(dim, y_soft.ndim)
    index = xp.expand_dims(y_soft._data.argmax(axis=d), d)
    classes = xp.arange(y_soft.shape[d]).reshape((-1,) + (1,) * (y_soft.ndim - d - 1))
    y_hard = Tensor._make((index == classes).astype(y_soft._data.dtype), logits._device)
    return y_hard - y_soft.detach() + y_soft
