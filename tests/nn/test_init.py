"""nn.init: distributions, gains, fans, determinism with a generator, errors."""
import math

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.nn import init


def test_calculate_gain_values():
    assert init.calculate_gain("relu") == math.sqrt(2)
    assert init.calculate_gain("tanh") == 5 / 3
    assert init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2 / 1.04)
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="Unsupported nonlinearity foo"):
        init.calculate_gain("foo")


def test_fan_in_and_fan_out_of_conv_weight():
    assert init._calculate_fan_in_and_fan_out(ember.empty(8, 4, 3, 3)) == (36, 72)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(ember.empty(3))


def test_uniform_and_normal_statistics():
    w = ember.empty(200, 200)
    init.uniform_(w, -2, 3)
    assert w.min().item() >= -2 and w.max().item() < 3
    init.normal_(w, 1.0, 0.5)
    assert abs(w.mean().item() - 1) < 0.01 and abs(w.std().item() - 0.5) < 0.01


def test_kaiming_and_xavier_scales():
    w = ember.empty(300, 400)
    init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert abs(w.std().item() - math.sqrt(2 / 300)) < 0.002
    init.kaiming_uniform_(w, a=math.sqrt(5))
    assert w.abs().max().item() <= 1 / math.sqrt(400)
    init.xavier_uniform_(w, gain=2.0)
    assert w.abs().max().item() <= 2 * math.sqrt(6 / 700)
    init.xavier_normal_(w)
    assert abs(w.std().item() - math.sqrt(2 / 700)) < 0.002


def test_kaiming_bad_mode_raises():
    with pytest.raises(ValueError, match="Mode fan_both not supported"):
        init.kaiming_uniform_(ember.empty(2, 2), mode="fan_both")


def test_trunc_normal_stays_in_bounds():
    w = init.trunc_normal_(ember.empty(10000), std=1.0, a=-0.5, b=0.5)
    assert w.min().item() >= -0.5 and w.max().item() <= 0.5


def test_constant_ones_zeros_eye_dirac():
    w = ember.empty(3, 3)
    assert init.constant_(w, 2.5).tolist()[0] == [2.5] * 3
    assert init.eye_(w).tolist() == np.eye(3).tolist()
    assert init.zeros_(w).sum().item() == 0 and init.ones_(w).sum().item() == 9
    conv = init.dirac_(ember.empty(2, 2, 3, 3))
    assert conv[0, 0, 1, 1].item() == 1 and conv.sum().item() == 2


def test_orthogonal_rows_are_orthonormal():
    w = init.orthogonal_(ember.empty(3, 5), gain=2.0).numpy()
    assert np.allclose(w @ w.T, 4 * np.eye(3), atol=1e-5)


def test_sparse_zeroes_fraction_of_each_column():
    w = init.sparse_(ember.empty(10, 4), 0.3).numpy()
    assert ((w == 0).sum(0) == 3).all()


def test_generator_makes_init_repeatable():
    a, b = ember.empty(4, 4), ember.empty(4, 4)
    init.normal_(a, generator=ember.Generator().manual_seed(3))
    init.normal_(b, generator=ember.Generator().manual_seed(3))
    assert np.array_equal(a.numpy(), b.numpy())


def test_init_on_parameter_records_no_graph_and_keeps_dtype():
    p = nn.Parameter(ember.empty(3, 3, dtype=ember.float64))
    init.xavier_uniform_(p)
    assert p.grad_fn is None and p.is_leaf and p.dtype is ember.float64


def test_manual_seed_makes_module_init_repeatable():
    ember.manual_seed(5)
    a = nn.Linear(3, 3).weight.detach().numpy()
    ember.manual_seed(5)
    assert np.array_equal(a, nn.Linear(3, 3).weight.detach().numpy())
