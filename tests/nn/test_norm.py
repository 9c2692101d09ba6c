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


LAYERS = [
    (lambda: ember.nn.BatchNorm1d(2), (4, 2, 3)),
    (lambda: ember.nn.BatchNorm2d(2, affine=False), (2, 2, 2, 2)),
    (lambda: ember.nn.BatchNorm3d(1), (2, 1, 2, 2, 1)),
    (lambda: ember.nn.InstanceNorm1d(2, affine=True), (2, 2, 4)),
    (lambda: ember.nn.InstanceNorm2d(2), (2, 2, 2)),
    (lambda: ember.nn.InstanceNorm3d(1, track_running_stats=True), (1, 1, 2, 2, 2)),
    (lambda: ember.nn.LayerNorm((2, 3)), (2, 2, 3)),
    (lambda: ember.nn.GroupNorm(2, 4), (2, 4, 2)),
    (lambda: ember.nn.RMSNorm(3), (2, 3)),
    (lambda: ember.nn.LocalResponseNorm(2), (1, 3, 2, 2)),
]


@pytest.mark.parametrize("make,shape", LAYERS)
def test_norm_layer_gradcheck(make, shape):
    layer = make().double()
    check_grad(layer, shape, gradgrad=False)


def test_batchnorm_momentum_none_is_cumulative_average():
    layer = ember.nn.BatchNorm1d(2, momentum=None)
    a, b = ember.randn(6, 2), ember.randn(6, 2) + 3
    layer(a)
    layer(b)
    expected = (a.numpy().mean(0) + b.numpy().mean(0)) / 2
    np.testing.assert_allclose(layer.running_mean.numpy(), expected, rtol=1e-5)
    assert int(layer.num_batches_tracked) == 2


def test_batchnorm_eval_does_not_update_stats():
    layer = ember.nn.BatchNorm2d(3).eval()
    layer(ember.randn(2, 3, 2, 2))
    assert layer.running_mean.tolist() == [0.0, 0.0, 0.0]
    assert int(layer.num_batches_tracked) == 0


def test_batchnorm2d_wrong_rank_raises():
    with pytest.raises(ValueError, match=r"expected 4D input \(got 3D input\)"):
        ember.nn.BatchNorm2d(3)(ember.zeros(3, 4, 4))


def test_batchnorm_state_dict_keys():
    assert list(ember.nn.BatchNorm2d(3).state_dict()) == [
        "weight", "bias", "running_mean", "running_var", "num_batches_tracked"]


def test_groupnorm_indivisible_channels_raises():
    with pytest.raises(ValueError, match="num_channels must be divisible by num_groups"):
        ember.nn.GroupNorm(3, 4)


def test_batch_norm_fused_backward_matches_composite():
    x = ember.randn(4, 3, 2, requires_grad=True, dtype=ember.float64)
    w = ember.randn(3, requires_grad=True, dtype=ember.float64)
    grad = ember.randn(4, 3, 2, dtype=ember.float64)
    fast = ember.autograd.grad(F.batch_norm(x, None, None, w, None, training=True), (x, w), grad)
    composite = ember.autograd.grad(F.batch_norm(x, None, None, w, None, training=True), (x, w),
                                    grad, create_graph=True)
    for a, b in zip(fast, composite):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_convert_sync_batchnorm_keeps_state():
    bn = ember.nn.BatchNorm2d(2)
    bn(ember.randn(4, 2, 3, 3))
    model = ember.nn.SyncBatchNorm.convert_sync_batchnorm(ember.nn.Sequential(bn))
    assert isinstance(model[0], ember.nn.SyncBatchNorm)
    assert model[0].running_mean is bn.running_mean and model[0].weight is bn.weight
