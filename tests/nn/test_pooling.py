"""Pooling ops and layers: gradients (incl. second order), indices, errors."""
import pytest

import ember
import ember.nn.functional as F
from tests.conftest import check_grad


def test_max_pool2d_gradcheck_overlapping_windows():
    check_grad(lambda x: F.max_pool2d(x, 3, stride=1, padding=1), (1, 2, 4, 4))


def test_max_pool2d_gradcheck_ceil_mode_dilation():
    check_grad(lambda x: F.max_pool2d(x, 2, stride=2, dilation=(1, 2), ceil_mode=True),
               (2, 1, 5, 6))


def test_max_pool1d_returns_flat_indices():
    x = ember.tensor([[[1.0, 5.0, 2.0, 7.0, 3.0]]])
    out, idx = F.max_pool1d(x, 2, return_indices=True)
    assert out.tolist() == [[[5.0, 7.0]]]
    assert idx.tolist() == [[[1, 3]]]


def test_max_unpool2d_inverts_max_pool2d_positions():
    x = ember.randn(1, 2, 4, 4)
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    restored = F.max_unpool2d(out, idx, 2)
    assert restored.shape == (1, 2, 4, 4)
    assert float(restored.sum()) == pytest.approx(float(out.sum()), rel=1e-5)


def test_max_unpool2d_gradcheck():
    _, idx = F.max_pool2d(ember.randn(1, 1, 4, 4), 2, return_indices=True)
    check_grad(lambda v: F.max_unpool2d(v, idx, 2), (1, 1, 2, 2))


def test_avg_pool2d_gradcheck_options():
    check_grad(lambda x: F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True,
                                      count_include_pad=False), (1, 2, 5, 6))


def test_avg_pool2d_divisor_override():
    out = F.avg_pool2d(ember.ones(1, 1, 4, 4), 2, divisor_override=1)
    assert out.tolist() == [[[[4.0, 4.0], [4.0, 4.0]]]]


def test_avg_pool1d_gradcheck():
    check_grad(lambda x: F.avg_pool1d(x, 3, stride=2, padding=1), (2, 2, 7))


def test_adaptive_avg_pool2d_gradcheck_uneven():
    check_grad(lambda x: F.adaptive_avg_pool2d(x, (3, 2)), (1, 2, 5, 5))


def test_adaptive_max_pool2d_gradcheck():
    check_grad(lambda x: F.adaptive_max_pool2d(x, (2, 3)), (1, 2, 5, 5))


def test_lp_pool2d_gradcheck():
    check_grad(lambda x: F.lp_pool2d(x.abs() + 1, 2, 2), (1, 1, 4, 4), gradgrad=False)


def test_max_pool2d_keeps_float32():
    assert F.max_pool2d(ember.randn(1, 1, 4, 4), 2).dtype is ember.float32


def test_max_pool2d_pad_too_large_raises():
    with pytest.raises(RuntimeError, match="pad should be at most half of effective kernel"):
        F.max_pool2d(ember.zeros(1, 1, 4, 4), 2, padding=2)


def test_max_pool2d_wrong_rank_raises():
    with pytest.raises(RuntimeError, match="3D or 4D"):
        F.max_pool2d(ember.zeros(4), 2)


def test_adaptive_avg_pool2d_none_keeps_size():
    assert F.adaptive_avg_pool2d(ember.zeros(1, 2, 5, 6), (None, 3)).shape == (1, 2, 5, 3)


LAYERS = [
    (lambda: ember.nn.MaxPool1d(2, stride=1), (2, 2, 5)),
    (lambda: ember.nn.MaxPool2d(2, ceil_mode=True), (1, 2, 3, 5)),
    (lambda: ember.nn.MaxPool3d(2), (1, 1, 2, 4, 2)),
    (lambda: ember.nn.AvgPool1d(3, stride=2, padding=1), (2, 2, 5)),
    (lambda: ember.nn.AvgPool2d(2, divisor_override=3), (1, 2, 4, 4)),
    (lambda: ember.nn.AvgPool3d(2, ceil_mode=True), (1, 1, 3, 3, 2)),
    (lambda: ember.nn.AdaptiveAvgPool1d(3), (1, 2, 5)),
    (lambda: ember.nn.AdaptiveAvgPool3d((1, 2, 2)), (1, 1, 3, 3, 3)),
    (lambda: ember.nn.AdaptiveMaxPool1d(2), (1, 2, 5)),
    (lambda: ember.nn.AdaptiveMaxPool3d(2), (1, 1, 3, 3, 3)),
    (lambda: ember.nn.LPPool1d(2, 2), (1, 2, 4)),
]


@pytest.mark.parametrize("make,shape", LAYERS)
def test_pooling_layer_gradcheck(make, shape):
    layer = make()
    check_grad(lambda x: layer(x.abs() + 0.5 if isinstance(layer, ember.nn.LPPool1d) else x),
               shape, gradgrad=False)


def test_max_pool2d_layer_return_indices_tuple():
    out, idx = ember.nn.MaxPool2d(2, return_indices=True)(ember.randn(1, 1, 4, 4))
    assert out.shape == idx.shape == (1, 1, 2, 2) and idx.dtype is ember.int64


def test_max_unpool2d_layer_output_size():
    out, idx = ember.nn.MaxPool2d(2, return_indices=True)(ember.randn(1, 1, 5, 5))
    assert ember.nn.MaxUnpool2d(2)(out, idx, output_size=(5, 5)).shape == (1, 1, 5, 5)
