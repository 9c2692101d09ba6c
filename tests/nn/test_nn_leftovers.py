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
