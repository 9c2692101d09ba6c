"""Activation functions and layers: gradients (gradcheck + gradgradcheck), in-place forms,
registration as ember.* / Tensor methods, dtype preservation and errors."""
import warnings

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from tests.conftest import check_grad

SMOOTH = [
    ("relu", {}), ("relu6", {}), ("leaky_relu", {"negative_slope": 0.1}), ("elu", {}),
    ("selu", {}), ("celu", {"alpha": 2.0}), ("gelu", {}), ("gelu", {"approximate": "tanh"}),
    ("silu", {}), ("mish", {}), ("hardtanh", {}), ("hardswish", {}), ("hardsigmoid", {}),
    ("softplus", {"beta": 2.0}), ("softsign", {}), ("softmax", {"dim": 1}),
    ("log_softmax", {"dim": 0}), ("softmin", {"dim": -1}), ("glu", {"dim": 1}),
    ("logsigmoid", {}), ("tanhshrink", {}), ("softshrink", {}), ("hardshrink", {}),
    ("threshold", {"threshold": 0.2, "value": 1.0}),
]


@pytest.mark.parametrize("name,kwargs", SMOOTH, ids=lambda v: str(v))
def test_activation_gradcheck(name, kwargs):
    check_grad(lambda x: getattr(F, name)(x, **kwargs), (3, 4))


def test_prelu_gradcheck_input_and_weight():
    check_grad(lambda x, w: F.prelu(x, w), (2, 3, 4), (3,))


@pytest.mark.parametrize("name", ["relu", "elu", "leaky_relu", "hardtanh", "silu", "selu",
                                  "celu", "relu6", "hardswish", "hardsigmoid", "mish"])
def test_inplace_flag_writes_into_input(name):
    x = ember.randn(5)
    expected = getattr(F, name)(x.clone())
    out = getattr(F, name)(x, inplace=True)
    assert out is x and np.allclose(x.numpy(), expected.numpy())


def test_relu_inplace_keeps_gradient_flowing():
    a = ember.randn(4, requires_grad=True)
    b = a * 2
    F.relu(b, inplace=True).sum().backward()
    assert np.array_equal(a.grad.numpy(), 2.0 * (a.detach().numpy() > 0))


def test_top_level_functions_and_methods():
    x = ember.tensor([-1.0, 2.0])
    assert ember.relu(x).tolist() == [0.0, 2.0]
    assert x.relu().tolist() == [0.0, 2.0]
    assert np.allclose(x.softmax(0).sum().item(), 1.0)
    assert np.allclose(ember.log_softmax(x, 0).exp().sum().item(), 1.0)
    assert x.clone().relu_().tolist() == [0.0, 2.0]
    assert ember.selu is F.selu and ember.threshold is F.threshold


@pytest.mark.parametrize("name", ["relu", "gelu", "softmax", "silu", "logsigmoid", "softplus"])
def test_float32_stays_float32(name):
    kwargs = {"dim": -1} if name == "softmax" else {}
    assert getattr(F, name)(ember.randn(3, 2), **kwargs).dtype is ember.float32


def test_softmax_implicit_dim_warns():
    with pytest.warns(UserWarning, match="Implicit dimension choice"):
        F.softmax(ember.randn(2, 3))


def test_softmax_dtype_argument_casts_first():
    assert F.softmax(ember.randn(2, 3), 1, dtype=ember.float64).dtype is ember.float64


def test_softmax_of_large_values_has_no_nan():
    out = F.softmax(ember.tensor([1e4, 0.0, -1e4]), 0)
    assert np.isfinite(out.numpy()).all() and out[0].item() == 1.0


def test_softplus_is_linear_above_threshold_without_overflow():
    x = ember.tensor([1e4], requires_grad=True)
    y = F.softplus(x)
    y.backward()
    assert y.item() == 1e4 and x.grad.item() == 1.0


def test_glu_odd_dimension_raises():
    with pytest.raises(RuntimeError, match="Halving dimension must be even"):
        F.glu(ember.randn(2, 3), 1)


def test_prelu_channel_mismatch_raises():
    with pytest.raises(RuntimeError, match="Found parameter numbers = 2 and channel size = 3"):
        F.prelu(ember.randn(2, 3), ember.ones(2))


def test_gelu_bad_approximate_raises():
    with pytest.raises(RuntimeError, match="approximate argument must be either"):
        F.gelu(ember.randn(2), approximate="fast")


def test_rrelu_eval_uses_mean_slope():
    out = nn.RReLU(0.1, 0.3).eval()(ember.tensor([-1.0]))
    assert np.isclose(out.item(), -0.2)


def test_rrelu_training_slopes_lie_in_range():
    out = nn.RReLU(0.1, 0.3)(-ember.ones(1000)).numpy()
    assert (out <= -0.1 + 1e-6).all() and (out >= -0.3 - 1e-6).all()


def test_prelu_module_default_init():
    m = nn.PReLU(4)
    assert m.weight.shape == (4,) and np.allclose(m.weight.detach().numpy(), 0.25)


def test_dropout_zeroes_and_scales_in_training_only():
    x = ember.ones(10000)
    out = nn.Dropout(0.25)(x).numpy()
    assert set(np.unique(out)) <= {0.0, np.float32(1 / 0.75)}
    assert abs((out == 0).mean() - 0.25) < 0.03
    assert nn.Dropout(0.25).eval()(x) is x


def test_dropout2d_zeroes_whole_channels():
    out = F.dropout2d(ember.ones(8, 16, 3, 3), 0.5).numpy()
    per_channel = out.reshape(8, 16, 9)
    assert (per_channel.min(-1) == per_channel.max(-1)).all()


def test_dropout_gradient_uses_same_mask():
    x = ember.ones(100, requires_grad=True)
    y = F.dropout(x, 0.5)
    y.sum().backward()
    assert np.array_equal(x.grad.numpy(), y.detach().numpy())


def test_dropout_bad_probability_raises():
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        nn.Dropout(1.5)


def test_alpha_dropout_keeps_mean_and_variance():
    x = ember.randn(200000)
    out = F.alpha_dropout(x, 0.2, training=True).numpy()
    assert abs(out.mean()) < 0.02 and abs(out.std() - 1) < 0.02


def test_dropout1d_rejects_wrong_rank():
    with pytest.raises(RuntimeError, match="Expected 2D or 3D input"):
        F.dropout1d(ember.ones(2, 3, 4, 5))


def test_softmax2d_rejects_2d_input():
    with pytest.raises(ValueError, match="expected input to be 3D or 4D"):
        nn.Softmax2d()(ember.ones(2, 3))


def test_modules_wrap_functional():
    x = ember.randn(3, 4)
    for module, fn in [(nn.ELU(0.5), lambda t: F.elu(t, 0.5)), (nn.Hardshrink(0.1),
                       lambda t: F.hardshrink(t, 0.1)), (nn.LogSoftmax(1),
                       lambda t: F.log_softmax(t, 1)), (nn.Tanh(), ember.tanh)]:
        assert np.allclose(module(x).numpy(), fn(x).numpy())


def test_no_warning_for_explicit_dim():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.Softmax(dim=1)(ember.randn(2, 3))


def test_gumbel_softmax_soft_and_hard():
    logits = ember.randn(4, 6, requires_grad=True)
    soft = F.gumbel_softmax(logits, tau=0.5)
    assert np.allclose(soft.sum(-1).detach().numpy(), 1.0, atol=1e-6)
    hard = F.gumbel_softmax(logits, hard=True)
    assert (hard.detach().numpy().sum(-1) == 1).all()
    assert set(np.unique(hard.detach().numpy())) <= {0.0, 1.0}
    hard.sum().backward()
    assert logits.grad is not None


def test_top_level_softmax_takes_dtype_positionally():
    assert ember.softmax(ember.randn(2, 3), 1, ember.float64).dtype is ember.float64
    assert ember.log_softmax(ember.randn(2, 3), 1, ember.float64).dtype is ember.float64
