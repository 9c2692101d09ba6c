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
from .random import keep_mask

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


def attention(query: Tensor, key: Tensor, value: Tensor, mask: Tensor | None, dropout_p: float,
              scale: float, empty_rows_zero: bool = True) -> tuple:
    """Run the fused op; returns ``(output, weights)``."""
    keep = None
    if dropout_p > 0:
        shape = tuple(np.broadcast_shapes(query.shape[:-2], key.shape[:-2]))
        keep = keep_mask(shape + (query.shape[-2], key.shape[-2]), dropout_p, query)
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


def _mha_mask(mask, name: str, dtype_like: Tensor) -> Tensor | None:
    """MultiheadAttention's masks: bool True means *not* allowed; float masks are added."""
    if mask is None:
        return None
    if mask.dtype.is_bool:
        xp = dtype_like._device.backend.xp
        kind = dtype_like._data.dtype.type
        return _make(xp.where(mask._data, kind(-np.inf), kind(0)), dtype_like._device)
    if not mask.dtype.is_floating_point:
        raise AssertionError(f"only bool and floating types of {name} are supported")
    return mask.to(dtype_like.dtype)


def _linear(x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    out = x @ weight.t()
    return out if bias is None else out + bias


def _pad_last(t: Tensor | None) -> Tensor | None:
    """Append one zero column to a mask (for the extra bias_k / zero-attention key)."""
    if t is None:
        return None
    return _registry.FUNCTIONS["cat"]([t, t.new_zeros(t.shape[:-1] + (1,))], -1)


@export(method=False, function=False, nn=True)
def multi_head_attention_forward(query: Tensor, key: Tensor, value: Tensor,
                                 embed_dim_to_check: int, num_heads: int,
                                 in_proj_weight: Tensor | None, in_proj_bias: Tensor | None,
                                 bias_k: Tensor | None, bias_v: Tensor | None,
                                 add_zero_attn: bool, dropout_p: float, out_proj_weight: Tensor,
                                 out_proj_bias: Tensor | None, training: bool = True,
                                 key_padding_mask: Tensor | None = None,
                                 need_weights: bool = True, attn_mask: Tensor | None = None,
                                 use_separate_proj_weight: bool = False,
                                 q_proj_weight: Tensor | None = None,
                                 k_proj_weight: Tensor | None = None,
                                 v_proj_weight: Tensor | None = None,
                                 static_k: Tensor | None = None, static_v: Tensor | None = None,
                                 average_attn_weights: bool = True,
                                 is_causal: bool = False) -> tuple:
    """Sequence-first multi-head attention (``(L, N, E)`` or unbatched ``(L, E)``).

    Returns ``(output, weights)``; weights are ``None`` unless ``need_weights``.
    """
    cat = _registry.FUNCTIONS["cat"]
    is_batched = query.dim() == 3
    if not is_batched:
        if query.dim() != 2:
            raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but "
                                 f"received {query.dim()}-D query tensor")
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but "
                             f"got {embed_dim}")
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if key.shape[:2] != value.shape[:2]:
        raise AssertionError(f"key shape {tuple(key.shape)} does not match value shape "
                             f"{tuple(value.shape)}")
    # -- input projections: one matmul for self-attention -------------------------------------
    if not use_separate_proj_weight:
        if query is key and key is value:
            packed = _linear(query, in_proj_weight, in_proj_bias)
            q, k, v = (packed[..., :embed_dim], packed[..., embed_dim:2 * embed_dim],
                       packed[..., 2 * embed_dim:])
        else:
            w, b = in_proj_weight, in_proj_bias
            bs = (None, None, None) if b is None else \
                (b[:embed_dim], b[embed_dim:2 * embed_dim], b[2 * embed_dim:])
            q = _linear(query, w[:embed_dim], bs[0])
            k = _linear(key, w[embed_dim:2 * embed_dim], bs[1])
            v = _linear(value, w[2 * embed_dim:], bs[2])
    else:
        b = in_proj_bias
        bs = (None, None, None) if b is None else \
            (b[:embed_dim], b[embed_dim:2 * embed_dim], b[2 * embed_dim:])
        q = _linear(query, q_proj_weight, bs[0])
        k = _linear(key, k_proj_weight, bs[1])
        v = _linear(value, v_proj_weight, bs[2])
    # -- masks --------------------------------------------------------------------------------
    attn_mask = _mha_mask(attn_mask, "attn_mask", q)
    key_padding_mask = _mha_mask(key_padding_mask, "key_padding_mask", q)
    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but "
                                   f"should be {(tgt_len, src_len)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but "
                                   f"should be {(bsz * num_heads, tgt_len, src_len)}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")
    if bias_k is not None and bias_v is not None:
        if static_k is not None or static_v is not None:
            raise AssertionError("bias cannot be added to static key/value.")
        k = cat([k, bias_k.expand(1, bsz, embed_dim)])
        v = cat([v, bias_v.expand(1, bsz, embed_dim)])
        attn_mask = _pad_last(attn_mask)
        key_padding_mask = _pad_last(key_padding_mask)
    # -- heads: (L, N, E) -> (N, H, L, head_dim) ------------------------------------------------
    q = q.reshape(tgt_len, bsz, num_heads, head_dim).permute(1, 2, 0, 3)
    if static_k is None:
        k = k.reshape(k.shape[0], bsz, num_heads, head_dim).permute(1, 2, 0, 3)
    else:
        k = static_k.reshape(bsz, num_heads, static_k.shape[1], head_dim)
    if static_v is None:
        v = v.reshape(v.shape[0], bsz, num_heads, head_dim).permute(1, 2, 0, 3)
    else:
        v = static_v.reshape(bsz, num_heads, static_v.shape[1], head_dim)
    if add_zero_attn:
        k = cat([k, k.new_zeros(k.shape[:2] + (1, head_dim))], 2)
        v = cat([v, v.new_zeros(v.shape[:2] + (1, head_dim))], 2)
        attn_mask = _pad_last(attn_mask)
        key_padding_mask = _pad_last(key_padding_mask)
    src_len = k.shape[2]
    mask = None
    if attn_mask is not None:
        mask = attn_mask if attn_mask.shape[0] == 1 else \
            attn_mask.reshape(bsz, num_heads, tgt_len, src_len)
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise AssertionError(f"expecting key_padding_mask shape of {(bsz, src_len)}, but got "
                                 f"{tuple(key_padding_mask.shape)}")
        padding = key_padding_mask.reshape(bsz, 1, 1, src_len)
        mask = padding if mask is None else mask + padding
    if not training:
        dropout_p = 0.0
    out, weights = attention(q, k, v, mask, dropout_p, 1.0 / math.sqrt(head_dim),
                             empty_rows_zero=not need_weights)
    out = out.permute(2, 0, 1, 3).reshape(tgt_len * bsz, embed_dim)
    out = _linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, embed_dim)
    if not is_batched:
        out = out.squeeze(1)
    if not need_weights:
        return out, None
    if average_attn_weights:
        weights = weights.mean(1)
    if not is_batched:
        weights = weights.squeeze(0)
    return out, weights
