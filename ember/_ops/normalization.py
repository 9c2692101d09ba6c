"""Normalisation layers' math: batch/instance/layer/group/RMS/local-response norm, and embedding.

Training-mode batch norm is one fused op: forward and backward by hand on arrays, float32
throughout, with the running statistics updated in place. When its gradient is itself being
differentiated (``create_graph=True``) the backward is computed with Ember ops from the same
formula, so second derivatives stay exact. Everything else is a composite of Ember ops.

Embedding lookups are row gathers (``TakeOp``) whose gradient is a sorted ``np.add.reduceat``
scatter (``IndexAddOp``); the gather and the scatter are each other's gradient.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from ..autograd import grad_mode
from ..autograd.function import Op
from .._tensor import Tensor
from ._registry import export
from .conv import ConvolutionOp, _Geom
from .padding import IndexAddOp, TakeOp
from .pooling import _FlatGather
from .reduce import mean
from .shape import reshape
from .statistics import var
from ._util import scalar_type_name, sum_to_shape


# -- batch and layer norm ----------------------------------------------------------------------
class _Normalize(Op):
    """(x - mean) / sqrt(var + eps) with statistics over ``axes``, then * weight + bias.

    One fused node for batch norm (statistics over all but the channel axis, weight shaped
    (1, C, 1...)) and layer norm (statistics over the trailing axes, weight shaped like them);
    weight and bias may be None. ``stats`` receives (mean, var, count) for running averages."""

    @staticmethod
    def forward(ctx, x, weight, bias, axes, eps, stats):
        xp = ctx.xp
        mean_ = x.mean(axis=axes, keepdims=True)
        xhat = x - mean_
        var_ = xp.square(xhat).mean(axis=axes, keepdims=True)
        invstd = 1.0 / xp.sqrt(var_ + x.dtype.type(eps))
        xhat *= invstd
        out = xhat * weight if weight is not None else xhat.copy()
        if bias is not None:
            out += bias
        if stats is not None:
            stats.extend((mean_, var_, x.size // max(mean_.size, 1)))
        if ctx.needs_input_grad:
            ctx.save_for_backward(x, weight)
            ctx.xhat, ctx.invstd, ctx.eps, ctx.axes = xhat, invstd, eps, axes
            ctx.bias_shape = None if bias is None else bias.shape
        return out

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        if grad_mode.state.enabled:
            return _normalize_backward_composite(ctx, x, weight, grad)
        xp, axes = ctx.xp, ctx.axes
        g, xhat = grad._data, ctx.xhat
        gx = gw = gb = None
        if need_x:
            gxhat = g * weight._data if weight is not None else g.copy()
            gx = gxhat - gxhat.mean(axis=axes, keepdims=True)
            gxhat *= xhat
            gx -= xhat * gxhat.mean(axis=axes, keepdims=True)
            gx *= ctx.invstd
            gx = _wrap(gx, x)
        if need_w and weight is not None:
            gw = _wrap(sum_to_shape(xp, g * xhat, weight.shape), x)
        if need_b and ctx.bias_shape is not None:
            gb = _wrap(sum_to_shape(xp, g, ctx.bias_shape), x)
        return gx, gw, gb, None, None, None


class _BatchNorm(_Normalize):
    _backward_name = "NativeBatchNormBackward0"


class _LayerNorm(_Normalize):
    _backward_name = "NativeLayerNormBackward0"


def _wrap(array, like: Tensor) -> Tensor:
    return Tensor._make(array, like._device)


def _normalize_backward_composite(ctx, x, weight, grad):
    """The same gradient as _Normalize.backward, from Ember ops (for double backward)."""
    axes = ctx.axes
    mu = mean(x, axes, keepdim=True)
    invstd = (var(x, axes, keepdim=True, correction=0) + ctx.eps).rsqrt()
    xhat = (x - mu) * invstd
    need_x, need_w, need_b = ctx.needs_input_grad[:3]
    gx = gw = gb = None
    if need_x:
        gxhat = grad if weight is None else grad * weight
        gx = invstd * (gxhat - mean(gxhat, axes, keepdim=True)
                       - xhat * mean(gxhat * xhat, axes, keepdim=True))
    if need_w and weight is not None:
        gw = (grad * xhat).sum_to_size(weight.shape)
    if need_b and ctx.bias_shape is not None:
        gb = grad.sum_to_size(ctx.bias_shape)
    return gx, gw, gb, None, None, None


def _update_running(running_mean, running_var, batch_mean, batch_var, count, momentum):
    """running = (1 - momentum) * running + momentum * batch (unbiased variance), in place."""
    if running_mean is not None:
        data = running_mean._data
        data *= 1 - momentum
        data += (momentum * batch_mean).astype(data.dtype, copy=False)
        running_mean._bump_version()
    if running_var is not None:
        data = running_var._data
        unbiased = batch_var * (count / max(count - 1, 1))
        data *= 1 - momentum
        data += (momentum * unbiased).astype(data.dtype, copy=False)
        running_var._bump_version()


def _channel_shape(input: Tensor) -> tuple:
    return (1, -1) + (1,) * (input.ndim - 2)


@export(nn=True, method=False)
def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel of (N, C, *) by batch statistics (training) or running ones."""
    channels = input.shape[1] if input.ndim > 1 else input.shape[0]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != channels:
            raise RuntimeError(f"{name} should contain {channels} elements not {t.numel()}")
    if training:
        count = input.numel() // max(channels, 1)
        if count <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {input.shape!r}".replace("ember.Size", "torch.Size"))
        stats = []
        shape = _channel_shape(input)
        axes = (0,) + tuple(range(2, input.ndim))
        out = _BatchNorm.apply(input, None if weight is None else weight.reshape(shape),
                               None if bias is None else bias.reshape(shape), axes, eps, stats)
        if running_mean is not None or running_var is not None:
            _update_running(running_mean, running_var, stats[0].reshape(-1),
                            stats[1].reshape(-1), stats[2], momentum)
        return out
    if running_mean is None or running_var is None:
        raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
    shape = _channel_shape(input)
    scale = (running_var + eps).rsqrt()
    if weight is not None:
        scale = scale * weight
    shift = -running_mean * scale
    if bias is not None:
        shift = shift + bias
    return input * scale.reshape(shape) + shift.reshape(shape)


# -- instance, layer, group, RMS and local response norm ----------------------------------------
@export(nn=True, method=False)
def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each (sample, channel) plane of (N, C, *) by its own statistics."""
    if input.ndim < 3 or math.prod(input.shape[2:]) <= 1 and use_input_stats:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                         f"{input.shape!r}".replace("ember.Size", "torch.Size"))
    shape = _channel_shape(input)
    if not use_input_stats:
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    axes = tuple(range(2, input.ndim))
    mu = mean(input, axes, keepdim=True)
    variance = var(input, axes, keepdim=True, correction=0)
    out = (input - mu) * (variance + eps).rsqrt()
    if running_mean is not None or running_var is not None:
        n = math.prod(input.shape[2:])
        batch_mean = mu._data.reshape(input.shape[0], -1).mean(axis=0)
        batch_var = variance._data.reshape(input.shape[0], -1).mean(axis=0)
        _update_running(running_mean, running_var, batch_mean, batch_var, n, momentum)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def _normalized_dims(name: str, input: Tensor, normalized_shape) -> tuple:
    if isinstance(normalized_shape, numbers.Integral):
        normalized_shape = (int(normalized_shape),)
    shape = tuple(int(s) for s in normalized_shape)
    k = len(shape)
    if k == 0 or input.ndim < k or tuple(input.shape[-k:]) != shape:
        star = "*" if name == "rms_norm" else "*, "
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[{star}{', '.join(map(str, shape))}], but got input of size"
                           f"{list(input.shape)}")
    return tuple(range(input.ndim - k, input.ndim))


@export(nn=True, method=False)
def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the trailing ``normalized_shape`` dims."""
    dims = _normalized_dims("layer_norm", input, normalized_shape)
    for t in (weight, bias):
        if t is not None and (t.dtype is not input.dtype or t._device is not input._device):
            return _layer_norm_mixed(input, dims, weight, bias, eps)
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"LayerNormKernelImpl\" not implemented for "
                           f"'{scalar_type_name(input.dtype)}'")
    return _LayerNorm.apply(input, weight, bias, dims, eps, None)


def _layer_norm_mixed(input, dims, weight, bias, eps):
    """Layer norm as a composite, for weights of another dtype (promoted as PyTorch does)."""
    mu = mean(input, dims, keepdim=True)
    out = (input - mu) * (var(input, dims, keepdim=True, correction=0) + eps).rsqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


@export(nn=True, method=False)
def rms_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """x / sqrt(mean(x**2) + eps) over the trailing dims; eps defaults to the dtype's eps."""
    dims = _normalized_dims("rms_norm", input, normalized_shape)
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    out = input * (mean(input * input, dims, keepdim=True) + eps).rsqrt()
    return out if weight is None else out * weight


@export(nn=True, method=False)
def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise (N, C, *) over groups of C/num_groups channels and all spatial dims."""
    if input.ndim < 2 or input.shape[1] % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups,"
                           f" but got input of shape {list(input.shape)} and num_groups="
                           f"{num_groups}")
    n = input.shape[0]
    grouped = reshape(input, (n, num_groups, -1))
    mu = mean(grouped, 2, keepdim=True)
    out = (grouped - mu) * (var(grouped, 2, keepdim=True, correction=0) + eps).rsqrt()
    out = reshape(out, input.shape)
    shape = _channel_shape(input)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


@export(nn=True, method=False, function=False)
def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """x / (k + alpha * mean of x**2 over ``size`` neighbouring channels) ** beta."""
    if input.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          input "
                         f"(got {input.ndim} dimensions)")
    if input.numel() == 0:
        return input
    n, c = input.shape[0], input.shape[1]
    squares = reshape(input * input, (n, 1, c, -1))
    xp = input._device.backend.xp
    ones = _wrap(xp.ones((1, 1, size, 1), dtype=input._data.dtype), input)
    geom = _Geom((1, 1), ((size // 2, (size - 1) // 2), (0, 0)), (1, 1), 1)
    div = reshape(ConvolutionOp.apply(squares, ones, None, geom), input.shape)
    return input / (div * (alpha / size) + k) ** beta


# -- embedding ---------------------------------------------------------------------------------
def _check_indices(input: Tensor, fn: str = "embedding"):
    if input._data.dtype.kind not in "iu":
        name = {"float32": "FloatTensor", "float64": "DoubleTensor"}.get(
            input.dtype.name, input.dtype.name)
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got torch.{name} instead "
                           f"(while checking arguments for {fn})")


def _renorm_rows(weight: Tensor, index, max_norm: float, norm_type: float) -> None:
    """Scale, in place, the looked-up rows whose norm exceeds ``max_norm``."""
    xp = weight._device.backend.xp
    rows = xp.unique(index)
    data = weight._data
    picked = data[rows]
    norms = xp.linalg.norm(picked.reshape(len(rows), -1), ord=norm_type, axis=1)
    over = norms > max_norm
    if over.any():
        scale = (max_norm / (norms[over] + 1e-7)).astype(data.dtype)
        data[rows[over]] = picked[over] * scale.reshape((-1,) + (1,) * (data.ndim - 1))
        weight._bump_version()


class _NoSparseFreqScaling(Op):
    """Passes ``weight`` through; its backward raises PyTorch's error for sparse=True with
    scale_grad_by_freq, which PyTorch also raises only when backward runs."""

    _backward_name = "EmbeddingBackward0"

    @staticmethod
    def forward(ctx, weight):
        return weight

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("embedding_backward: scale_grad_by_freq not supported with sparse "
                           "gradients")


@export(nn=True, method=False)
def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` at the integer ``input``; ``padding_idx`` rows get no gradient.

    Ember has no sparse tensors: with ``sparse=True`` the weight's gradient is dense, equal to
    PyTorch's sparse gradient densified (zero rows for indices not looked up). So optimizers
    that refuse sparse gradients in PyTorch (Adam, RMSprop, SGD with weight_decay) accept it
    here, and update every row as they would for a dense gradient.
    """
    _check_indices(input)
    index = input._data
    rows = weight.shape[0]
    if index.size and (index.min() < 0 or index.max() >= rows):
        raise IndexError("index out of range in self")
    if padding_idx is not None:
        if not -rows <= padding_idx < rows:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx %= rows
    if max_norm is not None:
        _renorm_rows(weight, index, max_norm, norm_type)
    row_scale = None
    if padding_idx is not None or scale_grad_by_freq:
        xp = weight._device.backend.xp
        flat = index.reshape(-1)
        scale = xp.ones(flat.shape, dtype=weight._data.dtype)
        if scale_grad_by_freq:
            counts = xp.bincount(flat, minlength=rows)
            scale /= counts[flat].astype(scale.dtype)
        if padding_idx is not None:
            scale[flat == padding_idx] = 0
        row_scale = _wrap(scale, weight)
    if sparse and scale_grad_by_freq:
        weight = _NoSparseFreqScaling.apply(weight)
    return TakeOp.apply(weight, _wrap(index, weight), 0, row_scale)


@export(nn=True, method=False)
def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None,
                  max_norm: float | None = None, norm_type: float = 2, scale_grad_by_freq=False,
                  mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """Sums, means or maxes of bags of embeddings, bags given by 2-D input or by ``offsets``."""
    _check_indices(input, "embedding_bag")
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"mode has to be one of sum, mean or max, but got {mode}")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. "
                                  f"per_sample_weights is only supported for mode='sum' (got "
                                  f"mode='{mode}'). Please open a feature request on GitHub.")
    xp = weight._device.backend.xp
    index = input._data
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated "
                             "is a mini-batch of fixed length sequences. However, found offsets "
                             f"of type {type(offsets).__name__}")
        bags, length = index.shape
        starts = xp.arange(bags) * length
        index = index.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = reshape(per_sample_weights, (-1,))
    elif input.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        starts = offsets._data.astype(np.int64)
        if include_last_offset:
            starts = starts[:-1]
        bags = starts.shape[0]
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{input.ndim}")
    if index.size and (index.min() < 0 or index.max() >= weight.shape[0]):
        raise IndexError("index out of range in self")
    ends = xp.concatenate((starts[1:], xp.asarray([index.shape[0]]))).astype(np.int64)
    bag_of = xp.repeat(xp.arange(bags), xp.maximum(ends - starts, 0))
    keep = xp.ones(index.shape, dtype=bool)
    if padding_idx is not None:
        keep = index != (padding_idx % weight.shape[0])
    index, bag_of = index[keep], bag_of[keep]
    counts = xp.bincount(bag_of, minlength=bags)
    emb = embedding(_wrap(index, input), weight, None, max_norm, norm_type, scale_grad_by_freq)
    if per_sample_weights is not None:
        psw = per_sample_weights[_wrap(xp.flatnonzero(keep), input)]
        emb = emb * psw.unsqueeze(1)
    dim = weight.shape[1]
    if mode == "max":
        return _bag_max(emb, bag_of, counts, bags, dim)
    out = IndexAddOp.apply(emb, _wrap(bag_of, input), 0, bags)
    if mode == "mean":
        out = out / _wrap(xp.maximum(counts, 1).astype(weight._data.dtype)[:, None], weight)
    return out


def _bag_max(emb: Tensor, bag_of, counts, bags: int, dim: int) -> Tensor:
    """Per bag and column, the first row holding the maximum; empty bags give zeros."""
    xp = emb._device.backend.xp
    data = emb._data
    if data.shape[0] == 0:
        return _wrap(xp.zeros((bags, dim), dtype=data.dtype), emb)
    starts = xp.concatenate((xp.zeros(1, dtype=np.int64), xp.cumsum(counts)[:-1]))
    nonempty = counts > 0
    maxima = xp.maximum.reduceat(data, starts[nonempty], axis=0)
    full = xp.zeros((bags, dim), dtype=data.dtype)
    full[nonempty] = maxima
    rows = xp.arange(data.shape[0])[:, None]
    candidate = xp.where(data == full[bag_of], rows, data.shape[0])
    first = xp.zeros((bags, dim), dtype=np.int64)
    first[nonempty] = xp.minimum.reduceat(candidate, starts[nonempty], axis=0)
    flat = (first * dim + xp.arange(dim)).reshape(1, -1)
    out = _FlatGather.apply(reshape(emb, (1, -1)), _wrap(flat, emb))
    out = reshape(out, (bags, dim))
    if not nonempty.all():
        out = out * _wrap(nonempty.astype(data.dtype)[:, None], emb)
    return out
