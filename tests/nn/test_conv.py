"""Convolution ops and layers: shapes, errors, gradients (incl. second order) in float64."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F
from tests.conftest import check_grad


def test_conv2d_gradcheck_stride_padding_dilation():
    check_grad(lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1, dilation=(1, 2)),
               (2, 2, 6, 7), (3, 2, 3, 2), (3,))


def test_conv2d_groups_gradcheck():
    check_grad(lambda x, w: F.conv2d(x, w, groups=2), (1, 4, 4, 4), (4, 2, 2, 2))


def test_conv1d_same_padding_gradcheck():
    check_grad(lambda x, w: F.conv1d(x, w, padding="same", dilation=2), (2, 2, 7), (3, 2, 4))


def test_conv3d_gradcheck():
    check_grad(lambda x, w: F.conv3d(x, w, padding=1), (1, 1, 3, 3, 3), (2, 1, 2, 2, 2),
               gradgrad=False)


def test_conv_transpose2d_gradcheck_strided():
    check_grad(lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1,
                                                  groups=2),
               (1, 4, 3, 3), (4, 1, 3, 3), (2,))


def test_conv_transpose1d_gradcheck_dilated():
    check_grad(lambda x, w: F.conv_transpose1d(x, w, dilation=2, padding=1), (2, 3, 5), (3, 2, 3))


def test_conv2d_unbatched_input():
    x = ember.randn(3, 8, 8)
    w = ember.randn(4, 3, 3, 3)
    out = F.conv2d(x, w)
    assert out.shape == (4, 6, 6)
    np.testing.assert_allclose(out.numpy(), F.conv2d(x.unsqueeze(0), w)[0].numpy(), rtol=1e-6)


def test_conv2d_output_is_contiguous():
    out = F.conv2d(ember.randn(2, 3, 8, 8), ember.randn(4, 3, 3, 3))
    assert out.is_contiguous()
    assert out.view(2, -1).shape == (2, 4 * 36)


def test_conv2d_float32_stays_float32():
    out = F.conv2d(ember.randn(1, 1, 5, 5), ember.randn(1, 1, 3, 3), ember.zeros(1))
    assert out.dtype is ember.float32


def test_conv2d_wrong_channels_message():
    with pytest.raises(RuntimeError, match=r"Given groups=1, weight of size \[32, 1, 3, 3\], "
                       r"expected input\[64, 3, 28, 28\] to have 1 channels, but got 3 channels"):
        F.conv2d(ember.zeros(64, 3, 28, 28), ember.zeros(32, 1, 3, 3))


def test_conv2d_wrong_rank_message():
    with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) input "
                       r"to conv2d, but got input of size: \[28, 28\]"):
        F.conv2d(ember.zeros(28, 28), ember.zeros(32, 1, 3, 3))


def test_conv2d_kernel_larger_than_input_raises():
    with pytest.raises(RuntimeError, match="Kernel size can't be greater"):
        F.conv2d(ember.zeros(1, 1, 2, 2), ember.zeros(1, 1, 3, 3))


def test_conv2d_same_padding_with_stride_raises():
    with pytest.raises(RuntimeError, match="padding='same' is not supported for strided"):
        F.conv2d(ember.zeros(1, 1, 5, 5), ember.zeros(1, 1, 3, 3), stride=2, padding="same")


def test_conv_transpose_output_padding_too_large_raises():
    with pytest.raises(RuntimeError, match="output padding must be smaller"):
        F.conv_transpose2d(ember.zeros(1, 1, 3, 3), ember.zeros(1, 1, 3, 3), stride=2,
                           output_padding=2)
