"""Attention and Transformer layers: the fused attention op, masks, module behaviour."""
import math

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember._ops.attention import Attention, attention_composite
from tests.conftest import check_grad


def _qkv(rng, shapes=((2, 3, 4), (2, 5, 4), (2, 5, 3))):
    return [ember.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]


def test_fused_attention_matches_composite():
    rng = np.random.default_rng(0)
    q, k, v = _qkv(rng)
    mask = ember.tensor(rng.standard_normal((3, 5)), requires_grad=True)
    keep = ember.tensor((rng.random((2, 3, 5)) > 0.3) / 0.7)
    fused = Attention.apply(q, k, v, mask, keep, scale=0.4, empty_rows_zero=True)
    composite = attention_composite(q, k, v, mask, keep, scale=0.4)
    for a, b in zip(fused, composite):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=1e-12)
    grads_f = ember.autograd.grad([fused[0].pow(2).sum(), fused[1].sum()], [q, k, v, mask])
    grads_c = ember.autograd.grad([composite[0].pow(2).sum(), composite[1].sum()],
                                  [q, k, v, mask])
    for a, b in zip(grads_f, grads_c):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-12)


def test_sdpa_gradcheck_and_second_order():
    check_grad(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
               (2, 3, 4), (2, 3, 4), (2, 3, 2))


def test_sdpa_matches_manual_formula():
    rng = np.random.default_rng(1)
    q, k, v = (rng.standard_normal(s) for s in ((4, 3), (5, 3), (5, 2)))
    scores = q @ k.T / math.sqrt(3)
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    out = F.scaled_dot_product_attention(ember.tensor(q), ember.tensor(k), ember.tensor(v))
    np.testing.assert_allclose(out.numpy(), weights @ v, atol=1e-12)


def test_sdpa_bool_mask_true_means_attend():
    rng = np.random.default_rng(2)
    q, k, v = (ember.tensor(rng.standard_normal(s)) for s in ((1, 2), (3, 2), (3, 4)))
    mask = ember.tensor([[False, True, False]])
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    np.testing.assert_allclose(out.numpy(), v.numpy()[1:2], atol=1e-12)


def test_sdpa_fully_masked_row_gives_zeros():
    q, k, v = ember.randn(2, 3), ember.randn(4, 3), ember.randn(4, 5)
    mask = ember.ones(2, 4, dtype=ember.bool)
    mask[0] = False
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert np.all(out.numpy()[0] == 0) and np.all(np.isfinite(out.numpy()))


def test_sdpa_causal_and_explicit_mask_conflict():
    q = ember.randn(2, 3)
    with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=ember.ones(2, 2), is_causal=True)


def test_sdpa_scale_argument():
    rng = np.random.default_rng(3)
    q, k, v = (ember.tensor(rng.standard_normal((3, 4))) for _ in range(3))
    a = F.scaled_dot_product_attention(q, k, v, scale=0.1)
    b = F.scaled_dot_product_attention(q * (0.1 * 2.0), k, v)
    np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-12)


def test_sdpa_enable_gqa_repeats_kv_heads():
    q, k, v = ember.randn(1, 4, 3, 2), ember.randn(1, 2, 5, 2), ember.randn(1, 2, 5, 6)
    out = F.scaled_dot_product_attention(q, k, v, enable_gqa=True)
    ref = F.scaled_dot_product_attention(q[:, 1:2], k[:, 0:1], v[:, 0:1])
    assert out.shape == (1, 4, 3, 6)
    np.testing.assert_allclose(out.numpy()[:, 1:2], ref.numpy(), atol=1e-6)


def test_sdpa_dropout_zeroes_some_weights_and_keeps_float32():
    q = ember.randn(8, 16, 4)
    out = F.scaled_dot_product_attention(q, q, q, dropout_p=0.5)
    ref = F.scaled_dot_product_attention(q, q, q)
    assert out.dtype == ember.float32
    assert not np.allclose(out.numpy(), ref.numpy())


def test_mha_parameter_names():
    names = [n for n, _ in ember.nn.MultiheadAttention(8, 2).named_parameters()]
    assert names == ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
    separate = [n for n, _ in ember.nn.MultiheadAttention(8, 2, kdim=3, vdim=5,
                                                          add_bias_kv=True).named_parameters()]
    assert separate == ["q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias",
                        "bias_k", "bias_v", "out_proj.weight", "out_proj.bias"]


def test_mha_embed_dim_must_divide():
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        ember.nn.MultiheadAttention(10, 3)


def test_mha_need_weights_false_returns_none():
    mha = ember.nn.MultiheadAttention(8, 2, batch_first=True)
    x = ember.randn(3, 4, 8)
    out, weights = mha(x, x, x, need_weights=False)
    assert out.shape == (3, 4, 8) and weights is None


def test_mha_per_head_weights_shape():
    mha = ember.nn.MultiheadAttention(8, 2)
    q, kv = ember.randn(4, 3, 8), ember.randn(6, 3, 8)
    _, weights = mha(q, kv, kv, average_attn_weights=False)
    assert weights.shape == (3, 2, 4, 6)
    np.testing.assert_allclose(weights.detach().numpy().sum(-1), 1, atol=1e-5)


def test_mha_wrong_mask_shape_raises():
    mha = ember.nn.MultiheadAttention(8, 2)
    x = ember.randn(4, 3, 8)
    with pytest.raises(RuntimeError, match="The shape of the 2D attn_mask is"):
        mha(x, x, x, attn_mask=ember.zeros(4, 5))


def test_generate_square_subsequent_mask():
    mask = ember.nn.Transformer.generate_square_subsequent_mask(3)
    expected = np.triu(np.full((3, 3), -np.inf, dtype=np.float32), 1)
    np.testing.assert_array_equal(mask.numpy(), expected)


def test_encoder_layer_rejects_unknown_activation():
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        ember.nn.TransformerEncoderLayer(8, 2, activation="tanh")


def test_encoder_layer_accepts_callable_activation():
    layer = ember.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation=F.gelu)
    assert layer(ember.randn(3, 2, 8)).shape == (3, 2, 8)


def test_encoder_clones_are_independent():
    layer = ember.nn.TransformerEncoderLayer(8, 2, 16)
    encoder = ember.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
    a, b = encoder.layers[0].linear1.weight, encoder.layers[1].linear1.weight
    assert a is not b
    with ember.no_grad():
        a.add_(1.0)
    assert not np.allclose(a.detach().numpy(), b.detach().numpy())


def test_transformer_output_shape_and_eval_is_deterministic():
    model = ember.nn.Transformer(16, 2, 1, 1, 32, batch_first=True).eval()
    src, tgt = ember.randn(2, 5, 16), ember.randn(2, 4, 16)
    a, b = model(src, tgt), model(src, tgt)
    assert a.shape == (2, 4, 16)
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_transformer_batch_mismatch_raises():
    model = ember.nn.Transformer(16, 2, 1, 1, 32)
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        model(ember.randn(5, 2, 16), ember.randn(4, 3, 16))
