"""Margin and embedding losses: margin ranking, hinge, cosine, triplet and multi-margin."""
from __future__ import annotations

from .._tensor import Tensor, _make
from ._registry import export
from . import pointwise as pw
from .activation import softplus
from .distance import pairwise_distance
from .loss import _check_reduction, _legacy_reduction, _reduce
from .rounding import clamp_min, minimum


# -- margin and embedding losses -------------------------------------------------------------------
@export(nn=True, method=False)
def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                        size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """max(0, -target * (input1 - input2) + margin)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if input1.ndim != input2.ndim or input1.ndim != target.ndim:
        raise RuntimeError("margin_ranking_loss : All input tensors should have same dimension "
                           f"but got sizes: input1: {input1.shape}, input2: {input2.shape}, "
                           f"target: {target.shape} ")
    return _reduce(clamp_min(-target * (input1 - input2) + margin, 0.0), reduction)


@export(nn=True, method=False)
def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0,
                         size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """x where target is 1, max(0, margin - x) where target is -1."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    margin_part = pw.where(target != 1, clamp_min(margin - input, 0.0), 0.0)
    self_part = pw.where(target != -1, input, 0.0)
    return _reduce(margin_part + self_part, reduction)


@export(nn=True, method=False)
def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                          size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where target is 1, max(0, cos(x1, x2) - margin) where it is -1."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if input1.ndim not in (1, 2) or input1.shape != input2.shape:
        raise RuntimeError(f"cosine_embedding_loss(): 1D or 2D inputs of equal shape expected, "
                           f"but got {list(input1.shape)} and {list(input2.shape)}")
    if target.ndim != input1.ndim - 1:
        raise RuntimeError(f"{target.ndim}D target tensor expects {target.ndim + 1}D input "
                           f"tensors, but found inputs with sizes {list(input1.shape)} and "
                           f"{list(input2.shape)}.")
    dim = input1.ndim - 1
    eps = 1e-12
    prod_sum = (input1 * input2).sum(dim)
    mag1 = (input1 * input1).sum(dim) + eps
    mag2 = (input2 * input2).sum(dim) + eps
    cos = prod_sum / pw.sqrt(mag1 * mag2)
    pos = pw.where(target == 1, 1.0 - cos, 0.0)
    neg = pw.where(target == -1, clamp_min(cos - margin, 0.0), 0.0)
    return _reduce(pos + neg, reduction)


@export(nn=True, method=False)
def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor,
                        margin: float = 1.0, p: float = 2, eps: float = 1e-6, swap: bool = False,
                        size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """max(0, d(a, p) - d(a, n) + margin), with d the pairwise p-distance."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    a_dim, p_dim, n_dim = anchor.ndim, positive.ndim, negative.ndim
    if not (a_dim == p_dim == n_dim):
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the "
                           f"same number of dimensions, but got: anchor {a_dim}D, positive "
                           f"{p_dim}D, and negative {n_dim}D inputs")
    dist_pos = pairwise_distance(anchor, positive, p, eps)
    dist_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        dist_neg = minimum(dist_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce(clamp_min(dist_pos - dist_neg + margin, 0.0), reduction)


@export(nn=True, function=False, method=False)
def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *,
                                      distance_function=None, margin: float = 1.0,
                                      swap: bool = False, reduction: str = "mean") -> Tensor:
    """Triplet loss with any distance function (pairwise_distance by default)."""
    _check_reduction(reduction)
    if margin <= 0:
        raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater than 0, "
                         f"got {margin} instead")
    dist = distance_function if distance_function is not None else pairwise_distance
    dist_pos = dist(anchor, positive)
    dist_neg = dist(anchor, negative)
    if swap:
        dist_neg = minimum(dist_neg, dist(positive, negative))
    return _reduce(clamp_min(dist_pos - dist_neg + margin, 0.0), reduction)


@export(nn=True, function=False, method=False)
def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """log(1 + exp(-target * input))."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    return _reduce(softplus(-target * input), reduction)


@export(nn=True, function=False, method=False)
def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                size_average=None, reduce=None,
                                reduction: str = "mean") -> Tensor:
    """Mean over classes of the binary logistic loss of each class."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    loss = target * softplus(pw.neg(input)) + (1.0 - target) * softplus(input)
    if weight is not None:
        loss = loss * weight
    class_dim = input.ndim - 1
    loss = loss.sum(class_dim) / input.shape[class_dim]
    return _reduce(loss, reduction)


def _class_onehot(input: Tensor, target: Tensor, class_dim: int) -> Tensor:
    xp = input._device.backend.xp
    n_classes = input.shape[class_dim]
    t = target._data
    if ((t < 0) | (t >= n_classes)).any():
        raise RuntimeError("target out of range")
    mask = xp.expand_dims(t, -1) == xp.arange(n_classes)
    return _make(mask.astype(input._data.dtype), input._device)


@export(nn=True, function=False, method=False)
def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Tensor | None = None, size_average=None, reduce=None,
                      reduction: str = "mean") -> Tensor:
    """sum over i != y of max(0, margin - x[y] + x[i])^p / C (times weight[y])."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if input.ndim not in (1, 2):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, "
                           f"but got: {list(input.shape)}")
    class_dim = input.ndim - 1
    onehot = _class_onehot(input, target, class_dim)
    x_y = (input * onehot).sum(class_dim, keepdim=True)
    z = clamp_min(input - x_y + margin, 0.0)
    if p == 2:
        z = z * z
    z = z * (1.0 - onehot)
    if weight is not None:
        z = z * (onehot * weight).sum(class_dim, keepdim=True)
    loss = z.sum(class_dim) / input.shape[class_dim]
    return _reduce(loss, reduction)


@export(nn=True, function=False, method=False)
def multilabel_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                           reduction: str = "mean") -> Tensor:
    """sum over target classes j and non-target classes i of max(0, 1 - (x[j] - x[i])) / C;
    ``target`` lists class indices, ended by the first -1."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if target.shape != input.shape:
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: "
                           f"{list(input.shape)}")
    xp = input._device.backend.xp
    n_classes = input.shape[-1]
    t = target._data
    listed = xp.cumprod(t >= 0, axis=-1).astype(bool)
    if ((t >= n_classes) & listed).any():
        raise RuntimeError("target out of range")
    is_target = ((xp.expand_dims(xp.where(listed, t, -1), -1) == xp.arange(n_classes))
                 .any(axis=-2))
    pos = _make(is_target.astype(input._data.dtype), input._device)
    hinge = clamp_min(1.0 - input.unsqueeze(-1) + input.unsqueeze(-2), 0.0)
    pairs = hinge * pos.unsqueeze(-1) * (1.0 - pos).unsqueeze(-2)
    loss = pairs.sum((-2, -1)) / n_classes
    return _reduce(loss, reduction)
