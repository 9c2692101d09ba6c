"""nn leftovers (issue 3): the NumPy erf family, fused GELU, fused GRU/RNN layers, distance and
pooling edge cases, and dense gradients for sparse embeddings."""
import math

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember._backend import _erf
from ember._ops.activation import _gelu_derivative
from tests.conftest import check_grad


def _dense_grid(dtype):
    grid = np.concatenate([np.linspace(-8, 8, 20001), np.geomspace(1e-30, 1e-2, 400),
                           -np.geomspace(1e-30, 1e-2, 400), [0.0, 0.5, 1.0]])
    return grid.astype(dtype)


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-15), (np.float32, 2e-7)])
def test_numpy_erf_matches_math_erf(dtype, tol):
    x = _dense_grid(dtype)
    ours = _erf.erf(x)
    ref = np.array([math.erf(v) for v in x.astype(np.float64)])
    assert ours.dtype == dtype
    assert np.max(np.abs(ours - ref) / np.maximum(np.abs(ref), 1e-300)) < tol


@pytest.mark.parametrize("dtype, tol", [(np.float64, 2e-15), (np.float32, 5e-7)])
def test_numpy_erfc_is_relatively_accurate_in_the_tail(dtype, tol):
    x = np.concatenate([_dense_grid(dtype), np.linspace(8, 9, 101, dtype=dtype)])
    ours = _erf.erfc(x).astype(np.float64)
    ref = np.array([math.erfc(v) for v in x.astype(np.float64)])
    assert np.max(np.abs(ours - ref) / ref) < tol


def test_numpy_erf_edge_values():
    x = np.array([np.inf, -np.inf, np.nan, -0.0])
    np.testing.assert_array_equal(_erf.erf(x), [1.0, -1.0, np.nan, -0.0])
    np.testing.assert_array_equal(_erf.erfc(x[:3]), [0.0, 2.0, np.nan])
    assert np.signbit(_erf.erf(x)[3])
    assert _erf.erf(np.float16(0.5)).dtype == np.float16


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-15), (np.float32, 1e-7)])
def test_numpy_erfinv_inverts_erf(dtype, tol):
    y = np.concatenate([np.linspace(-0.999, 0.999, 4001), 1 - np.geomspace(1e-15, 1e-3, 100),
                        np.geomspace(1e-300, 1e-3, 50)]).astype(dtype)
    y = y[(np.abs(y) < 1) & (np.abs(y) >= np.finfo(dtype).tiny)]
    x = _erf.erfinv(y).astype(np.float64)
    # erf is well conditioned where erfinv is not: check erf(erfinv(y)) = y, via erfc near 1.
    back = np.where(np.abs(y) < 0.5, [math.erf(v) for v in x],
                    [math.copysign(1 - math.erfc(abs(v)), v) for v in x])
    assert np.max(np.abs(back - y) / np.abs(y)) < 4 * tol
    np.testing.assert_array_equal(_erf.erfinv(np.array([1.0, -1.0, 2.0])), [np.inf, -np.inf, np.nan])


def test_gelu_is_one_node():
    x = ember.randn(5, requires_grad=True)
    assert F.gelu(x).grad_fn.name() == "GeluBackward0"


def test_gelu_gradcheck_and_gradgradcheck():
    check_grad(F.gelu, (4, 5))


def test_gelu_fused_matches_composite():
    x = ember.tensor(np.linspace(-12, 12, 2001), requires_grad=True)
    y = F.gelu(x)
    composite = x * (ember.erf(x * math.sqrt(0.5)) + 1) * 0.5
    np.testing.assert_allclose(y.detach().numpy(), composite.detach().numpy(), atol=1e-15)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), _gelu_derivative(x.detach()).numpy(), atol=1e-15)


def test_gelu_float32_within_float32_rounding():
    x = np.linspace(-10, 10, 40001).astype(np.float32)
    ours = F.gelu(ember.tensor(x)).numpy().astype(np.float64)
    exact = x * np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in x.astype(np.float64)])
    assert ours.dtype == np.float64 and F.gelu(ember.tensor(x)).dtype == ember.float32
    assert np.max(np.abs(ours - exact) / np.maximum(np.abs(x), 1)) < 2e-7


def test_gelu_rejects_integer_input():
    with pytest.raises(NotImplementedError, match="GeluKernelImpl"):
        F.gelu(ember.tensor([1, 2]))


@pytest.mark.parametrize("mode", ["GRU", "RNN_TANH", "RNN_RELU"])
def test_fused_layer_without_hidden_bias_matches_composite(mode):
    from ember._ops.rnn import layer_composite, recurrent_layer
    rng = np.random.default_rng(0)
    gates = 3 if mode == "GRU" else 1
    x_proj, h0, w_hh = (ember.tensor(rng.standard_normal(s), requires_grad=True)
                        for s in ((10, gates * 4), (2, 4), (gates * 4, 4)))
    fused = recurrent_layer(mode, x_proj, h0, None, w_hh, None, None)
    composite = layer_composite(mode, x_proj, h0, None, w_hh, None, None, batch_sizes=None,
                                reverse=False)
    g_fused = ember.autograd.grad([fused[0].pow(2).sum() + fused[1].sum()], [x_proj, h0, w_hh])
    g_comp = ember.autograd.grad([composite[0].pow(2).sum() + composite[1].sum()],
                                 [x_proj, h0, w_hh])
    for a, b in zip(fused + g_fused, composite + g_comp):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=1e-12)


def test_cdist_inf_tied_elements_each_get_the_full_gradient():
    x1 = ember.tensor([[1.0, -3.0, 3.0]], requires_grad=True)
    x2 = ember.zeros(1, 3)
    ember.cdist(x1, x2, p=math.inf).sum().backward()
    np.testing.assert_array_equal(x1.grad.numpy(), [[0.0, -1.0, 1.0]])


def test_cdist_inf_gradcheck_without_ties():
    check_grad(lambda a, b: ember.cdist(a, b, p=math.inf), (3, 4), (2, 4), gradgrad=False)


def test_cosine_similarity_of_0d_inputs_is_a_scalar():
    out = F.cosine_similarity(ember.tensor(2.0), ember.tensor(-3.0), dim=0)
    assert out.shape == () and out.item() == -1.0


def test_pairwise_distance_p0_has_zero_gradients():
    a = ember.tensor([1.0, 2.0, 0.0], requires_grad=True)
    out = F.pairwise_distance(a, ember.tensor([1.0, 0.0, 0.0]), p=0)
    out.backward()
    assert out.item() == 3.0  # eps makes every difference non-zero
    np.testing.assert_array_equal(a.grad.numpy(), 0.0)


def test_avg_pool_int64_rounds_toward_zero():
    out = F.avg_pool2d(ember.tensor([[[[-1, -2], [-4, -8]]]]), 2)
    assert out.dtype == ember.int64 and out.item() == -3


def test_avg_pool_int32_raises():
    with pytest.raises(NotImplementedError, match="not implemented for 'Int'"):
        F.avg_pool1d(ember.ones(1, 1, 4, dtype=ember.int32), 2)


def test_sparse_embedding_gives_dense_gradient_with_zero_rows():
    emb = ember.nn.Embedding(5, 2, sparse=True)
    emb(ember.tensor([1, 1, 3])).sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.numpy(), [[0, 0], [2, 2], [0, 0], [1, 1],
                                                            [0, 0]])
