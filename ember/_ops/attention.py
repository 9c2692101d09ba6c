"""Attention: ``scaled_dot_product_attention`` as one fused op over batched matmuls.

``Attention`` computes ``softmax(q @ k^T * scale + mask)``, applies a dropout mask drawn by the
caller, and multiplies by ``v``; it returns the output and the (dropped-out) weights, which
MultiheadAttention hands back with ``need_weights``. Its backward is written on arrays; under
``create_graph`` it differentiates ``attention_composite`` instead, so higher orders stay exact.
"""
from __future__ import annotations

import math

import numpy as np

from ..autograd import grad_mode
from ..autograd.function import Op
from .._tensor import Tensor, _make
from . import _registry
from ._registry import export

_state = grad_mode.state


def _softmax_rows(xp, scores, empty_rows_zero: bool):
    """Softmax over the last axis in place; rows that are all -inf give 0 (or NaN)."""
    row_max = scores.max(axis=-1, keepdims=True)
    if empty_rows_zero:
        row_max[~xp.isfinite(row_max)] = 0
    scores -= row_max
    xp.exp(scores, out=scores)
    total = scores.sum(axis=-1, keepdims=True)
    if empty_rows_zero:
        total[total == 0] = 1
    scores /= total
    return scores


class Attention(Op):
    """Inputs: q (..., L, E), k (..., S, E), v (..., S, Ev), an additive float mask broadcastable
    to (..., L, S) or None, a dropout keep mask already scaled by 1/(1-p) or None."""

    _backward_name = "ScaledDotProductAttentionBackward0"

    @staticmethod
    def forward(ctx, q, k, v, mask, keep, *, scale, empty_rows_zero):
        xp = ctx.xp
        ctx.scale, ctx.empty_rows_zero = scale, empty_rows_zero
        scores = xp.matmul(q, xp.swapaxes(k, -1, -2))
        scores *= scores.dtype.type(scale)
        if mask is not None:
            scores += mask
        probs = _softmax_rows(xp, scores, empty_rows_zero)
        weights = probs * keep if keep is not None else probs
        ctx.save_for_backward(q, k, v, mask, keep)
        ctx.probs = probs
        ctx.weights = weights
        return xp.matmul(weights, v), weights

    @staticmethod
    def backward(ctx, grad_out, grad_weights):
        if _state.enabled:
            return _composite_backward(ctx, grad_out, grad_weights)
        q, k, v, mask, keep = ctx.saved_tensors
        xp = ctx.xp
        g = grad_out._data
        probs, weights = ctx.probs, ctx.weights
        need = ctx.needs_input_grad
        grad_v = xp.matmul(xp.swapaxes(weights, -1, -2), g) if need[2] else None
        d_weights = xp.matmul(g, xp.swapaxes(v._data, -1, -2))
        if grad_weights is not None:
            d_weights += grad_weights._data
        if keep is not None:
            d_weights *= keep._data
        d_scores = d_weights
        d_scores -= (d_weights * probs).sum(axis=-1, keepdims=True)
        d_scores *= probs
        grad_mask = d_scores if need[3] else None
        d_scaled = d_scores * d_scores.dtype.type(ctx.scale)
        grad_q = xp.matmul(d_scaled, k._data) if need[0] else None
        grad_k = xp.matmul(xp.swapaxes(d_scaled, -1, -2), q._data) if need[1] else None
        dev = ctx.device
        return tuple(None if a is None else _make(a, dev)
                     for a in (grad_q, grad_k, grad_v, grad_mask, None))


def _composite_backward(ctx, grad_out, grad_weights):
    from ..autograd import grad as autograd_grad
    inputs = ctx.saved_tensors
    with grad_mode.enable_grad():
        outs = attention_composite(*inputs, scale=ctx.scale)
    wanted = [i for i, t in enumerate(inputs[:4])
              if isinstance(t, Tensor) and t.requires_grad and ctx.needs_input_grad[i]]
    found = autograd_grad(list(outs), [inputs[i] for i in wanted], [grad_out, grad_weights],
                          create_graph=True, allow_unused=True)
    grads = [None] * 5
    for i, g in zip(wanted, found):
        grads[i] = g
    return tuple(grads)


def attention_composite(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None,
                        keep: Tensor | None, *, scale: float) -> tuple:
    """``Attention`` written with differentiable Ember ops (the reference for the fused op)."""
    scores = (q @ k.transpose(-2, -1)) * scale
    if mask is not None:
        scores = scores + mask
    weights = _registry.FUNCTIONS["softmax"](scores, -1)
    if keep is not None:
        weights = weights * keep
    return weights @ v, weights


def _additive_mask(attn_mask, like: Tensor) -> Tensor | None:
    """Bool masks (True = attend) become 0 / -inf in ``like``'s dtype; float masks pass."""
    if attn_mask is None:
        return None
    if attn_mask.dtype.is_bool:
        xp = like._device.backend.xp
        data = xp.where(attn_mask._data, like._data.dtype.type(0),
                        like._data.dtype.type(-np.inf))
        return _make(data, like._device)
    if attn_mask.dtype is not like.dtype:
        return attn_mask.to(like.dtype)
    return attn_mask


def causal_mask(length: int, source_length: int, like: Tensor) -> Tensor:
    """Additive mask that hides keys after each query (top-left aligned, as PyTorch)."""
    xp = like._device.backend.xp
    allowed = xp.tril(xp.ones((length, source_length), dtype=bool))
    return _make(xp.where(allowed, like._data.dtype.type(0), like._data.dtype.type(-np.inf)),
                 like._device)


def dropout_keep(shape: tuple, p: float, like: Tensor) -> Tensor:
    """A keep mask scaled by 1/(1-p), drawn from Ember's generator."""
    from .random import rng
    dev = like._device
    keep = rng().random(shape, dtype=np.float32) >= p
    scale = like._data.dtype.type(1.0 / (1.0 - p)) if p < 1 else like._data.dtype.type(0)
    arr = keep.astype(like._data.dtype) * scale
    return _make(dev.backend.from_host(arr), dev)


def attention(query: Tensor, key: Tensor, value: Tensor, mask: Tensor | None, dropout_p: float,
              scale: float, empty_rows_zero: bool = True) -> tuple:
    """Run the fused op; returns ``(output, weights)``."""
    keep = None
    if dropout_p > 0:
        shape = tuple(np.broadcast_shapes(query.shape[:-1], key.shape[:-2]))
        keep = dropout_keep(shape + (key.shape[-2],), dropout_p, query)
    return Attention.apply(query, key, value, mask, keep, scale=scale,
                           empty_rows_zero=empty_rows_zero)


@export(method=False, nn=True)
def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Tensor | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(q k^T * scale + mask) v; a bool ``attn_mask`` marks the keys that take part."""
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set "
                           "when is_causal=True")
    if query.dtype is not key.dtype or query.dtype is not value.dtype:
        raise RuntimeError(f"Expected query, key, and value to have the same dtype, but got "
                           f"query.dtype: {query.dtype} key.dtype: {key.dtype} and value.dtype: "
                           f"{value.dtype} instead.")
    if query.shape[-1] != key.shape[-1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[..., {query.shape[-1]}] but got: [..., {key.shape[-1]}].")
    if enable_gqa and query.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        heads_q, heads_kv = query.shape[-3], key.shape[-3]
        if heads_q % heads_kv:
            raise RuntimeError(f"Number of heads in key and value must divide the number of heads "
                               f"in query, got {heads_kv} and {heads_q}")
        key = _repeat_heads(key, heads_q // heads_kv)
        value = _repeat_heads(value, heads_q // heads_kv)
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1])
    mask = causal_mask(query.shape[-2], key.shape[-2], query) if is_causal else \
        _additive_mask(attn_mask, query)
    return attention(query, key, value, mask, dropout_p, scale)[0]


def _repeat_heads(x: Tensor, repeats: int) -> Tensor:
    """(..., H, S, E) -> (..., H * repeats, S, E), each head repeated in place."""
    shape = x.shape
    expanded = x.unsqueeze(-3).expand(*shape[:-2], repeats, *shape[-2:])
    return expanded.reshape(*shape[:-3], shape[-3] * repeats, *shape[-2:])
