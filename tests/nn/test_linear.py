"""Linear, Bilinear, Identity, Flatten and Unflatten."""
import math

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from tests.conftest import check_grad


def test_linear_gradcheck_with_and_without_bias():
    check_grad(lambda x, w, b: F.linear(x, w, b), (3, 4), (2, 4), (2,))
    check_grad(lambda x, w: F.linear(x, w), (5, 3, 4), (2, 4))


def test_bilinear_gradcheck():
    check_grad(lambda a, b, w, bias: F.bilinear(a, b, w, bias), (3, 4), (3, 2), (5, 4, 2), (5,))


def test_linear_shapes_and_parameters():
    m = nn.Linear(4, 3)
    assert m.weight.shape == (3, 4) and m.bias.shape == (3,)
    assert m(ember.randn(2, 5, 4)).shape == (2, 5, 3)
    assert m(ember.randn(4)).shape == (3,)


def test_linear_without_bias_registers_none():
    m = nn.Linear(4, 3, bias=False)
    assert m.bias is None and [n for n, _ in m.named_parameters()] == ["weight"]
    assert repr(m) == "Linear(in_features=4, out_features=3, bias=False)"


def test_linear_init_bounds():
    m = nn.Linear(100, 10)
    bound = 1 / math.sqrt(100)
    assert np.abs(m.weight.detach().numpy()).max() <= bound
    assert np.abs(m.bias.detach().numpy()).max() <= bound


def test_linear_dtype_and_float32_output():
    assert nn.Linear(2, 2, dtype=ember.float64).weight.dtype is ember.float64
    assert nn.Linear(2, 2)(ember.randn(1, 2)).dtype is ember.float32


def test_linear_shape_mismatch_raises():
    with pytest.raises(RuntimeError):
        nn.Linear(4, 3)(ember.randn(2, 5))


def test_bilinear_module_shapes():
    m = nn.Bilinear(4, 3, 5)
    assert m.weight.shape == (5, 4, 3)
    assert m(ember.randn(2, 4), ember.randn(2, 3)).shape == (2, 5)


def test_identity_ignores_arguments():
    x = ember.randn(2)
    assert nn.Identity(54, unused="x")(x) is x


def test_flatten_and_unflatten_round_trip():
    x = ember.randn(2, 3, 4, 5)
    flat = nn.Flatten()(x)
    assert flat.shape == (2, 60)
    assert nn.Flatten(0, 2)(x).shape == (24, 5)
    assert nn.Unflatten(1, (3, 4, 5))(flat).shape == (2, 3, 4, 5)
    assert repr(nn.Unflatten(1, (3, 20))) == "Unflatten(dim=1, unflattened_size=(3, 20))"


def test_unflatten_rejects_non_int_sizes():
    with pytest.raises(TypeError, match="unflattened_size must be tuple of ints"):
        nn.Unflatten(1, (2.0, 3))
