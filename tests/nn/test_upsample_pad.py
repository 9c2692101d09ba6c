"""Padding, interpolation, pixel/channel shuffle and fold/unfold: gradients and errors."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F
from tests.conftest import check_grad


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_gradcheck(mode):
    check_grad(lambda x: F.pad(x, (1, 2, 2, 0), mode=mode), (1, 2, 3, 3))


def test_pad_negative_crops():
    x = ember.arange(5.0).reshape(1, 5)
    assert F.pad(x, (-1, -2)).tolist() == [[1.0, 2.0]]


def test_pad_constant_value_any_dims():
    out = F.pad(ember.zeros(1, 2), (1, 0, 1, 1), value=7.0)
    assert out.shape == (3, 3) and out[0].tolist() == [7.0, 7.0, 7.0]


def test_pad_reflect_too_large_raises():
    with pytest.raises(RuntimeError, match="Padding size should be less than the corresponding"):
        F.pad(ember.zeros(1, 3, 3), (3, 3), mode="reflect")


def test_pad_odd_length_raises():
    with pytest.raises(RuntimeError, match="Padding length must be divisible by 2"):
        F.pad(ember.zeros(1, 3, 3), (1, 2, 3))


def test_pad_non_constant_on_wrong_rank_raises():
    with pytest.raises(NotImplementedError, match="Padding size 2 is not supported for 4D"):
        F.pad(ember.zeros(1, 1, 3, 3), (1, 1), mode="reflect")


@pytest.mark.parametrize("mode,kw", [("nearest", {}), ("bilinear", {"align_corners": False}),
                                     ("bilinear", {"align_corners": True}),
                                     ("bicubic", {"align_corners": False}), ("area", {})])
def test_interpolate_gradcheck(mode, kw):
    check_grad(lambda x: F.interpolate(x, size=(3, 5), mode=mode, **kw), (1, 2, 4, 3),
               gradgrad=False)


def test_interpolate_scale_factor_output_size():
    assert F.interpolate(ember.zeros(1, 1, 5, 6), scale_factor=1.5).shape == (1, 1, 7, 9)


def test_interpolate_size_and_scale_raises():
    with pytest.raises(ValueError, match="only one of size or scale_factor should be defined"):
        F.interpolate(ember.zeros(1, 1, 4, 4), size=3, scale_factor=2)


def test_interpolate_bilinear_needs_4d():
    with pytest.raises(NotImplementedError, match="Got 3D input, but bilinear mode needs 4D"):
        F.interpolate(ember.zeros(1, 1, 4), size=3, mode="bilinear")


def test_pixel_shuffle_roundtrip():
    x = ember.randn(2, 8, 3, 3)
    np.testing.assert_array_equal(F.pixel_unshuffle(F.pixel_shuffle(x, 2), 2).numpy(),
                                  x.numpy())


def test_pixel_shuffle_indivisible_raises():
    with pytest.raises(RuntimeError, match="divisible by the square of upscale_factor"):
        F.pixel_shuffle(ember.zeros(1, 3, 4, 4), 2)


def test_channel_shuffle_order():
    x = ember.arange(4.0).reshape(1, 4, 1)
    assert F.channel_shuffle(x, 2).flatten().tolist() == [0.0, 2.0, 1.0, 3.0]


def test_unfold_fold_gradcheck():
    check_grad(lambda x: F.fold(F.unfold(x, 2, stride=1, padding=1), (3, 4), 2, padding=1),
               (1, 2, 3, 4))


def test_fold_counts_overlaps():
    cols = F.unfold(ember.ones(1, 1, 3, 3), 2)
    assert F.fold(cols, (3, 3), 2)[0, 0].tolist() == [[1.0, 2.0, 1.0], [2.0, 4.0, 2.0],
                                                      [1.0, 2.0, 1.0]]


LAYERS = [
    (lambda: ember.nn.Upsample(scale_factor=2, mode="bilinear"), (1, 1, 2, 3)),
    (lambda: ember.nn.UpsamplingNearest2d(size=(3, 4)), (1, 1, 2, 3)),
    (lambda: ember.nn.UpsamplingBilinear2d(scale_factor=2), (1, 1, 2, 2)),
    (lambda: ember.nn.PixelShuffle(2), (1, 4, 2, 2)),
    (lambda: ember.nn.PixelUnshuffle(2), (1, 1, 4, 2)),
    (lambda: ember.nn.ChannelShuffle(2), (1, 4, 2)),
    (lambda: ember.nn.Unfold(2, padding=1), (1, 2, 3, 3)),
    (lambda: ember.nn.Fold((3, 3), 2), (1, 4, 4)),
    (lambda: ember.nn.ZeroPad2d((1, 0, 2, 1)), (1, 2, 2)),
    (lambda: ember.nn.ConstantPad1d(2, 1.5), (2, 3)),
    (lambda: ember.nn.ReflectionPad2d(1), (1, 2, 3, 3)),
    (lambda: ember.nn.ReplicationPad1d((2, 1)), (1, 2, 3)),
    (lambda: ember.nn.CircularPad2d(1), (1, 2, 2)),
]


@pytest.mark.parametrize("make,shape", LAYERS)
def test_resampling_layer_gradcheck(make, shape):
    check_grad(make(), shape, gradgrad=False)


def test_upsample_repr():
    assert repr(ember.nn.Upsample(scale_factor=2)) == "Upsample(scale_factor=2.0, mode='nearest')"


def test_circular_pad_wrong_rank_raises():
    with pytest.raises(ValueError, match=r"expected 3D or 4D input \(got 2D input\)"):
        ember.nn.CircularPad2d(1)(ember.zeros(3, 3))


@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
def test_grid_sample_bilinear_gradcheck_input_and_grid(padding_mode):
    rng = np.random.default_rng(1)
    grid = ember.tensor(rng.uniform(-1.2, 1.2, (1, 2, 3, 2)), requires_grad=True)
    x = ember.tensor(rng.standard_normal((1, 2, 3, 4)), requires_grad=True)
    assert ember.autograd.gradcheck(
        lambda a, g: F.grid_sample(a, g, padding_mode=padding_mode, align_corners=False),
        [x, grid])


def test_affine_grid_identity_matches_base_grid():
    theta = ember.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    grid = F.affine_grid(theta, (1, 1, 2, 3), align_corners=True)
    assert grid[0, :, :, 0].tolist() == [[-1.0, 0.0, 1.0], [-1.0, 0.0, 1.0]]
    assert grid[0, :, 0, 1].tolist() == [-1.0, 1.0]


def test_affine_grid_gradcheck():
    check_grad(lambda t: F.affine_grid(t, (1, 1, 2, 3), align_corners=False), (1, 2, 3))


def test_affine_grid_wrong_theta_raises():
    with pytest.raises(ValueError, match="Expected a batch of 2D affine matrices of shape Nx2x3"):
        F.affine_grid(ember.zeros(1, 3, 3), (1, 1, 4, 4))
