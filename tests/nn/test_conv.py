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


LAYERS = [
    (lambda: ember.nn.Conv1d(2, 3, 3, padding=1, padding_mode="circular"), (2, 2, 5)),
    (lambda: ember.nn.Conv2d(2, 2, 2, padding=1, padding_mode="reflect", groups=2), (1, 2, 3, 3)),
    (lambda: ember.nn.Conv2d(2, 3, 3, padding="same", padding_mode="replicate"), (2, 3, 3)),
    (lambda: ember.nn.Conv3d(1, 2, 2, stride=2), (1, 1, 3, 3, 3)),
    (lambda: ember.nn.ConvTranspose1d(2, 3, 3, stride=2, output_padding=1), (2, 2, 3)),
    (lambda: ember.nn.ConvTranspose2d(2, 2, 2, dilation=2, groups=2), (1, 2, 3, 3)),
    (lambda: ember.nn.ConvTranspose3d(1, 1, 2), (1, 1, 2, 2, 2)),
]


@pytest.mark.parametrize("make,shape", LAYERS)
def test_conv_layer_gradcheck_input_and_weight(make, shape):
    layer = make().double()
    check_grad(lambda x, w: layer._conv_forward(x, w, layer.bias)
               if hasattr(layer, "_conv_forward") else
               type(layer)._conv(x, w, layer.bias, layer.stride, layer.padding,
                                 layer.output_padding, layer.groups, layer.dilation),
               shape, tuple(layer.weight.shape), gradgrad=False)


def test_conv2d_layer_default_init_bounds():
    layer = ember.nn.Conv2d(4, 8, 3)
    bound = 1 / np.sqrt(4 * 9)
    assert np.abs(layer.weight.detach().numpy()).max() <= bound
    assert np.abs(layer.bias.detach().numpy()).max() <= bound


def test_conv2d_layer_state_dict_keys_and_shapes():
    layer = ember.nn.Conv2d(4, 8, (3, 2), groups=2, bias=False)
    assert {k: tuple(v.shape) for k, v in layer.state_dict().items()} == {"weight": (8, 2, 3, 2)}


def test_conv_transpose2d_layer_output_size():
    layer = ember.nn.ConvTranspose2d(2, 3, 3, stride=2)
    assert layer(ember.zeros(1, 2, 4, 4), output_size=(10, 10)).shape == (1, 3, 10, 10)


def test_conv_layer_bad_padding_mode_raises():
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        ember.nn.Conv2d(1, 1, 3, padding_mode="mirror")


def test_conv_layer_groups_must_divide_channels():
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        ember.nn.Conv2d(3, 4, 3, groups=2)


def test_conv2d_empty_batch():
    x = ember.zeros(0, 3, 5, 5, requires_grad=True)
    out = F.conv2d(x, ember.randn(4, 3, 3, 3))
    out.sum().backward()
    assert out.shape == (0, 4, 3, 3) and x.grad.shape == (0, 3, 5, 5)
