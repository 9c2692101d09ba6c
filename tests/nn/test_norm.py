"""Normalisation ops and layers: gradients (incl. second order), running statistics, errors."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F
from tests.conftest import check_grad


def test_batch_norm_training_gradcheck_with_double_backward():
    check_grad(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
               (3, 2, 2, 2), (2,), (2,))


def test_batch_norm_without_affine_gradcheck():
    check_grad(lambda x: F.batch_norm(x, None, None, training=True), (4, 3))


def test_batch_norm_eval_uses_running_stats():
    x = ember.randn(4, 3)
    out = F.batch_norm(x, ember.full((3,), 1.0), ember.full((3,), 4.0), eps=0.0)
    np.testing.assert_allclose(out.numpy(), (x.numpy() - 1.0) / 2.0, rtol=1e-6)


def test_batch_norm_updates_running_stats_unbiased():
    x = ember.randn(5, 2)
    rm, rv = ember.zeros(2), ember.ones(2)
    F.batch_norm(x, rm, rv, training=True, momentum=0.5)
    np.testing.assert_allclose(rm.numpy(), 0.5 * x.numpy().mean(0), rtol=1e-5)
    np.testing.assert_allclose(rv.numpy(), 0.5 + 0.5 * x.numpy().var(0, ddof=1), rtol=1e-5)


def test_batch_norm_float32_stays_float32():
    x = ember.randn(4, 3, 2, 2, requires_grad=True)
    out = F.batch_norm(x, None, None, ember.ones(3), ember.zeros(3), training=True)
    out.sum().backward()
    assert out.dtype is ember.float32 and x.grad.dtype is ember.float32


def test_batch_norm_single_value_per_channel_raises():
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        F.batch_norm(ember.zeros(1, 3), None, None, training=True)


def test_layer_norm_gradcheck():
    check_grad(lambda x, w, b: F.layer_norm(x, (3,), w, b), (2, 3), (3,), (3,))


def test_layer_norm_wrong_shape_message():
    with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[4\], expected input with "
                       r"shape \[\*, 4\], but got input of size\[4, 3\]"):
        F.layer_norm(ember.zeros(4, 3), (4,))


def test_group_norm_gradcheck():
    check_grad(lambda x, w, b: F.group_norm(x, 2, w, b), (2, 4, 3), (4,), (4,))


def test_group_norm_indivisible_raises():
    with pytest.raises(RuntimeError, match="divisible by num_groups"):
        F.group_norm(ember.zeros(4, 6), 4)


def test_instance_norm_gradcheck():
    check_grad(lambda x: F.instance_norm(x), (2, 2, 4))


def test_rms_norm_gradcheck():
    check_grad(lambda x, w: F.rms_norm(x, (3,), w, eps=1e-6), (2, 3), (3,))


def test_local_response_norm_gradcheck():
    check_grad(lambda x: F.local_response_norm(x, 3), (1, 4, 3), gradgrad=False)
