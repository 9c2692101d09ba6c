"""Loss functions: the reduction helpers every loss shares, regression and classification
losses, and one_hot. Margin and embedding losses are in margin_loss.py, the distances they use
(pairwise_distance, cosine_similarity) in distance.py.

Fused ops: ``NLLLoss`` (a gather forward, a constant-times-grad backward) which with the fused
log-softmax makes cross-entropy, and ``BinaryCrossEntropy`` (its log clamp at -100 would turn the
composite gradient into 0 * inf at 0 and 1). The rest is composed from pointwise ops. The CTC
loss is in ctc.py.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from .. import _dtype
from ..autograd.function import Op
from .._tensor import Tensor, _make
from ._registry import export
from ._util import scalar_type_name
from . import pointwise as pw
from .rounding import clamp_min
from .transcendental import log1p
from .activation import log_softmax, softplus
from .shape import broadcast_tensors

_REDUCTIONS = ("none", "mean", "sum")


# -- reductions ------------------------------------------------------------------------------------
def _legacy_reduction(size_average, reduce, reduction: str) -> str:
    """Map the deprecated ``size_average``/``reduce`` flags to a reduction string."""
    if size_average is None and reduce is None:
        return reduction
    warnings.warn("size_average and reduce args will be deprecated, please use reduction='"
                  f"{'sum' if size_average is False else 'mean'}' instead.", stacklevel=3)
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if size_average and reduce:
        return "mean"
    return "sum" if reduce else "none"


def _check_reduction(reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _weighted_reduce(loss: Tensor, weight: Tensor | None, input: Tensor,
                     reduction: str) -> Tensor:
    """Per-element ``weight``: 'mean' divides by the weights' sum (as torch's weighted losses)."""
    if weight is None:
        return _reduce(loss, reduction)
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "mean":
        return loss.sum() / weight.sum()
    if reduction in ("none", "sum"):
        return _reduce(loss, reduction)
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', "
                     "'sum'.")


def _broadcast_pair(input: Tensor, target: Tensor) -> tuple:
    """Warn when the sizes differ, then broadcast both as torch's losses do: the result dtype is
    then promoted like two full tensors (a 0-d float64 target makes a float64 loss)."""
    if target.shape == input.shape:
        return input, target
    warnings.warn(f"Using a target size ({target.shape}) that is different to the input size "
                  f"({input.shape}). This will likely lead to incorrect results due to "
                  "broadcasting. Please ensure they have the same size.", stacklevel=3)
    return broadcast_tensors(input, target)


# -- regression ------------------------------------------------------------------------------------
@export(nn=True, function=False, method=False)
def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
             reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """(input - target)^2, reduced."""
    input, target = _broadcast_pair(input, target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    diff = input - target
    return _weighted_reduce(diff * diff, weight, input, reduction)


@export(nn=True, function=False, method=False)
def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
            reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """|input - target|, reduced."""
    input, target = _broadcast_pair(input, target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _weighted_reduce(pw.abs(input - target), weight, input, reduction)


def _huber(diff: Tensor, delta: float) -> Tensor:
    mag = pw.abs(diff)
    return pw.where(mag < delta, diff * diff * 0.5, (mag - 0.5 * delta) * delta)


@export(nn=True, function=False, method=False)
def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta."""
    input, target = _broadcast_pair(input, target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    diff = input - target
    if beta == 0.0:
        return _reduce(pw.abs(diff), reduction)
    return _reduce(_huber(diff, beta) / beta, reduction)


@export(nn=True, function=False, method=False)
def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta)."""
    input, target = _broadcast_pair(input, target)
    return _weighted_reduce(_huber(input - target, delta), weight, input, reduction)


# -- classification --------------------------------------------------------------------------------
class NLLLoss(Op):
    """-weight[t] * input[t] per sample, picked along the class axis (1, or 0 if unbatched)."""

    _backward_name = "NllLossBackward0"

    @staticmethod
    def forward(ctx, logp, target, weight, ignore_index, reduction, class_axis):
        xp = ctx.xp
        n_classes = logp.shape[class_axis]
        valid = target != ignore_index
        safe_target = xp.where(valid, target, 0)
        bad = valid & ((target < 0) | (target >= n_classes))
        if bad.any():
            value = int(target[bad].reshape(-1)[0])
            raise IndexError(f"Target {value} is out of bounds. (expected a class index in "
                             f"[0, {n_classes - 1}] or ignore_index={ignore_index})")
        index = xp.expand_dims(safe_target, class_axis)
        picked = xp.take_along_axis(logp, index, axis=class_axis).squeeze(class_axis)
        w = valid.astype(logp.dtype)
        if weight is not None:
            w *= weight[safe_target]
        losses = -picked * w
        if reduction == "none":
            coef = -w
            out = losses
        elif reduction == "sum":
            coef = -w
            out = losses.sum()
        else:
            total = w.sum()
            with np.errstate(divide="ignore", invalid="ignore"):
                out = losses.sum() / total
            # With no weight left (every target ignored) the loss is nan but the gradient zero.
            coef = -w / total if total else xp.zeros_like(w)
        ctx.index, ctx.coef, ctx.class_axis = index, coef, class_axis
        ctx.reduction = reduction
        return xp.asarray(out, dtype=logp.dtype)

    @staticmethod
    def backward(ctx, grad):
        xp = ctx.xp
        shape = ctx._input_shape
        axis = ctx.class_axis
        classes = xp.arange(shape[axis]).reshape((-1,) + (1,) * (len(shape) - axis - 1))
        coef = xp.expand_dims(ctx.coef, axis)
        scatter = _make(xp.where(ctx.index == classes, coef, 0).astype(coef.dtype), ctx.device)
        if ctx.reduction == "none" and grad.ndim:
            grad = grad.unsqueeze(ctx.class_axis)
        return scatter * grad, None, None, None, None, None

    @classmethod
    def apply(cls, logp, target, weight, ignore_index, reduction, class_axis):
        out = super().apply(logp, target, weight, ignore_index, reduction, class_axis)
        if out.grad_fn is not None:
            out.grad_fn._input_shape = logp._data.shape
        return out


_INDEX_DTYPES = ("int64", "uint8")


def _check_nll_args(input: Tensor, target: Tensor, weight: Tensor | None) -> int:
    """Validate shapes and dtypes like torch; returns the class axis."""
    if input.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    if target.dtype.name not in _INDEX_DTYPES:
        if target.dtype.is_floating_point:
            raise RuntimeError("expected target dtype to be Long or Byte, but got "
                               f"{scalar_type_name(target.dtype)}")
        raise RuntimeError(f"expected scalar type Long but found {scalar_type_name(target.dtype)}")
    if input.ndim == 1:
        if target.ndim > 1 or (target.ndim == 1 and target.shape[0] != 1):
            raise ValueError("For 1D input, 1D target must have size 1, but got target size: "
                             f"{target.shape[0] if target.ndim == 1 else target.numel()}")
        class_axis = 0
    else:
        if target.ndim == 0 or input.shape[0] != target.shape[0]:
            size = target.shape[0] if target.ndim else 1
            raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target "
                             f"batch_size ({size}).")
        expected = (input.shape[0],) + tuple(input.shape[2:])
        if tuple(target.shape) != expected:
            if input.ndim == 2:
                raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
            raise RuntimeError(f"Expected target size {list(expected)}, got "
                               f"{list(target.shape)}")
        class_axis = 1
    n_classes = input.shape[class_axis]
    if weight is not None and weight.numel() != n_classes:
        raise RuntimeError(f"weight tensor should be defined either for all {n_classes} classes "
                           f"or no classes but got weight tensor of shape: {list(weight.shape)}")
    return class_axis


@export(nn=True, function=False, method=False)
def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    """-input[n, target[n]] * weight[target[n]]; 'mean' divides by the weights' sum."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    class_axis = _check_nll_args(input, target, weight)
    if input.ndim == 1 and target.ndim == 1:
        target = target.reshape(())
    if weight is not None:
        weight = weight.detach().to(input.dtype)
    return NLLLoss.apply(input, target, weight, int(ignore_index), reduction, class_axis)


@export(nn=True, function=False, method=False)
def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average=None, ignore_index: int = -100, reduce=None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """log_softmax over the class dim (1, or 0 for unbatched input) then NLL.

    ``target`` holds class indices, or class probabilities shaped like ``input``.
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if input.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    class_axis = 0 if input.ndim == 1 else 1
    n_classes = input.shape[class_axis]
    if target.dtype.is_floating_point and target.shape == input.shape:
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing,
                                    class_axis)
    _check_nll_args(input, target, weight)
    if (input.ndim == 2 and target.ndim == 1 and weight is None and label_smoothing == 0.0
            and reduction != "none" and input.dtype.is_floating_point
            and input.shape[0] == target.shape[0] and _targets_in_range(target, n_classes,
                                                                        ignore_index)):
        return CrossEntropy.apply(input, target, ignore_index, reduction == "mean")
    logp = log_softmax(input, class_axis)
    nll = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing == 0.0:
        return nll
    if input.ndim == 1 and target.ndim == 1:
        target = target.reshape(())
    weight_b = None
    if weight is not None:
        weight_b = weight.detach().to(input.dtype).reshape(
            (n_classes,) + (1,) * (input.ndim - class_axis - 1))
    smooth = -(logp * weight_b if weight_b is not None else logp).sum(class_axis)
    keep = target != ignore_index
    smooth = pw.where(keep, smooth, 0.0)
    if reduction == "mean":
        if weight is not None:
            safe = pw.where(keep, target, 0)
            denom = (weight.detach().to(input.dtype)[safe.reshape(-1)]
                     * keep.reshape(-1).to(input.dtype)).sum()
        else:
            denom = keep.sum().to(input.dtype)
        smooth = smooth.sum() / denom
    elif reduction == "sum":
        smooth = smooth.sum()
    return nll * (1.0 - label_smoothing) + smooth * (label_smoothing / n_classes)


def _targets_in_range(target: Tensor, n_classes: int, ignore_index: int) -> bool:
    t = target._data
    valid = (t >= 0) & (t < n_classes) | (t == ignore_index)
    return bool(valid.all())


class CrossEntropy(Op):
    """log_softmax + NLL over (N, C) logits with class-index targets, as one node.

    The common case is fused because its gradient is one pass, (softmax - onehot) * scale,
    instead of NLL's dense scatter followed by log_softmax's backward. Other cases (weights,
    label smoothing, K-dim inputs, reduction='none') use the composite, which this matches."""

    _backward_name = "NllLossBackward0"

    @staticmethod
    def forward(ctx, x, target, ignore_index, mean):
        xp = ctx.xp
        rows = xp.arange(x.shape[0])
        keep = target != ignore_index
        safe = xp.where(keep, target, 0)
        shifted = x - x.max(axis=1, keepdims=True)
        prob = xp.exp(shifted)
        total = prob.sum(axis=1, keepdims=True)
        picked = shifted[rows, safe] - xp.log(total[:, 0])
        count = keep.sum()
        loss = -(picked * keep).sum(dtype=x.dtype)
        if mean:
            loss = loss / x.dtype.type(count)
        prob /= total
        ctx.prob, ctx.rows, ctx.safe, ctx.keep = prob, rows, safe, keep
        ctx.scale_count = count if mean else 1
        ctx.save_for_backward(x)
        return xp.asarray(loss, dtype=x.dtype)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        if grad.requires_grad or x.requires_grad and _grad_enabled():
            return _cross_entropy_composite_grad(ctx, x, grad), None, None, None
        out = ctx.prob.copy()
        out[ctx.rows, ctx.safe] -= 1
        # With every target ignored the mean is nan but, as in PyTorch, the gradient is zero.
        scale = grad._data / out.dtype.type(max(ctx.scale_count, 1))
        out *= (ctx.keep[:, None] * scale).astype(out.dtype, copy=False)
        return _make(out, ctx.device), None, None, None


def _grad_enabled() -> bool:
    from ..autograd import grad_mode
    return grad_mode.state.enabled


def _cross_entropy_composite_grad(ctx, x, grad):
    """The same gradient written with Ember ops, so create_graph gives exact higher orders."""
    from .activation import softmax
    onehot = np.zeros(ctx.prob.shape, dtype=ctx.prob.dtype)
    onehot[ctx.rows, ctx.safe] = 1
    keep = _make(ctx.keep[:, None].astype(ctx.prob.dtype), ctx.device)
    diff = softmax(x, 1) - _make(onehot, ctx.device)
    return diff * keep * (grad / float(max(ctx.scale_count, 1)))


def _cross_entropy_probs(input, target, weight, reduction, label_smoothing, class_axis):
    n_classes = input.shape[class_axis]
    if label_smoothing > 0.0:
        target = target * (1.0 - label_smoothing) + label_smoothing / n_classes
    terms = log_softmax(input, class_axis) * target
    if weight is not None:
        if weight.numel() != n_classes:
            raise RuntimeError(f"weight tensor should be defined either for all {n_classes} "
                               f"classes or no classes but got weight tensor of shape: "
                               f"{list(weight.shape)}")
        terms = terms * weight.to(input.dtype).reshape(
            (n_classes,) + (1,) * (input.ndim - class_axis - 1))
    losses = -terms.sum(class_axis)
    if reduction == "mean":
        return losses.sum() / (input.numel() / n_classes)
    return _reduce(losses, reduction)


class BinaryCrossEntropy(Op):
    """-(t log x + (1 - t) log(1 - x)), each log clamped at -100 (as torch)."""

    _backward_name = "BinaryCrossEntropyBackward0"

    @staticmethod
    def forward(ctx, x, t):
        xp = ctx.xp
        if ((x < 0) | (x > 1)).any():
            raise RuntimeError("all elements of input should be between 0 and 1")
        with np.errstate(divide="ignore"):
            log_x = xp.maximum(xp.log(x), -100)
            log_1mx = xp.maximum(xp.log1p(-x), -100)
        ctx.save_for_backward(x, t)
        return -(t * log_x + (1 - t) * log_1mx)

    @staticmethod
    def backward(ctx, grad):
        x, t = ctx.saved_tensors
        need_x, need_t = ctx.needs_input_grad[:2]
        grad_x = grad_t = None
        if need_x:
            grad_x = grad * (x - t) / clamp_min((1.0 - x) * x, 1e-12)
        if need_t:
            grad_t = grad * (clamp_min(log1p(-x), -100.0)
                             - clamp_min(pw.log(x), -100.0))
        return grad_x, grad_t


@export(nn=True, function=False, method=False)
def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """-w (t log x + (1 - t) log(1 - x)) for probabilities x."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input "
                         f"size ({input.shape}) is deprecated. Please ensure they have the same "
                         "size.")
    loss = BinaryCrossEntropy.apply(input, target.to(input.dtype))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


@export(nn=True, method=False)
def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None, size_average=None,
                                     reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """BCE of sigmoid(input), computed from logits without overflow:
    (1 - t) x + (1 + (pos_weight - 1) t) softplus(-x)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size "
                         f"({input.shape})")
    softplus_neg = softplus(pw.neg(input))
    if pos_weight is not None:
        log_weight = (pos_weight - 1.0) * target + 1.0
        loss = (1.0 - target) * input + log_weight * softplus_neg
    else:
        loss = (1.0 - target) * input + softplus_neg
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


@export(nn=True, method=False)
def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """target * (log target - input) with ``input`` in log space; use reduction='batchmean'."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce, reduction)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", stacklevel=2)
    if reduction not in _REDUCTIONS + ("batchmean",):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if log_target:
        loss = pw.exp(target) * (target - input)
    else:
        positive = target > 0
        xlogy = pw.where(positive, target * pw.log(pw.where(positive, target, 1.0)), 0.0)
        loss = xlogy - target * input
    if reduction == "batchmean":
        total = loss.sum()
        return total / input.shape[0] if input.ndim else total
    return _reduce(loss, reduction)


@export(nn=True, method=False)
def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average=None, eps: float = 1e-8, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """exp(input) - target * input (log_input), else input - target * log(input + eps)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if log_input:
        loss = pw.exp(input) - target * input
    else:
        loss = input - target * pw.log(input + eps)
    if full:
        big = target > 1
        safe = pw.where(big, target, 1.0)
        stirling = safe * pw.log(safe) - safe + pw.log(safe * (2 * math.pi)) * 0.5
        loss = loss + pw.where(big, stirling, 0.0)
    return _reduce(loss, reduction)


@export(nn=True, function=False, method=False)
def gaussian_nll_loss(input: Tensor, target: Tensor, var: Tensor | float, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """0.5 (log var + (input - target)^2 / var); var is clamped at eps without a gradient
    change (as torch's in-place no-grad clamp)."""
    if isinstance(var, (int, float)):
        var = pw.full_like_scalar(input, float(var))
    if var.shape != input.shape:
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.shape[-1] == 1:
            pass
        else:
            raise ValueError("var is of incorrect size")
    if reduction not in _REDUCTIONS:
        raise ValueError(reduction + " is not valid")
    if bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    var = var + (clamp_min(var.detach(), eps) - var.detach())
    diff = input - target
    loss = (pw.log(var) + diff * diff / var) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


# -- encodings -------------------------------------------------------------------------------------
@export(nn=True, function=False, method=False)
def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """(*, num_classes) int64 tensor with a 1 at each index; num_classes=-1 infers max + 1."""
    if tensor.dtype is not _dtype.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    xp = tensor._device.backend.xp
    data = tensor._data
    if num_classes == -1:
        if data.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(data.max()) + 1
    if data.size:
        if int(data.min()) < 0:
            raise RuntimeError("Class values must be non-negative.")
        if int(data.max()) >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    out = (xp.expand_dims(data, -1) == xp.arange(num_classes)).astype(xp.int64)
    return _make(out, tensor._device)
