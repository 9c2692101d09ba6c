"""ember.vision.transforms: conversions, geometry, colour and seeded randomness."""
import numpy as np
import pytest
from PIL import Image

import ember
from ember.vision import transforms as T
from ember.vision.transforms import functional as F


def _pil_rgb(h=40, w=50, seed=0):
    arr = np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)
    return Image.fromarray(arr), arr


def _float_img(c=3, h=12, w=10, seed=0):
    return ember.from_numpy(np.random.default_rng(seed).random((c, h, w)).astype(np.float32))


def test_to_tensor_gives_chw_float_in_unit_range():
    img, arr = _pil_rgb()
    x = T.ToTensor()(img)
    assert x.shape == (3, 40, 50) and x.dtype == ember.float32
    np.testing.assert_allclose(x.numpy(), arr.transpose(2, 0, 1) / 255.0, rtol=1e-6)


def test_to_tensor_of_grayscale_pil_has_one_channel():
    img = Image.fromarray(np.zeros((5, 7), dtype=np.uint8), mode="L")
    assert T.ToTensor()(img).shape == (1, 5, 7)


def test_to_tensor_keeps_float_ndarray_unscaled():
    arr = np.full((4, 4, 1), 3.0, dtype=np.float32)
    assert float(T.ToTensor()(arr).numpy().max()) == 3.0


def test_pil_to_tensor_keeps_uint8():
    img, arr = _pil_rgb()
    x = T.PILToTensor()(img)
    assert x.dtype == ember.uint8
    np.testing.assert_array_equal(x.numpy(), arr.transpose(2, 0, 1))


def test_to_pil_image_round_trips_tensor():
    img, arr = _pil_rgb()
    back = T.ToPILImage()(T.PILToTensor()(img))
    assert back.mode == "RGB"
    np.testing.assert_array_equal(np.asarray(back), arr)


def test_to_pil_image_rejects_wrong_mode():
    with pytest.raises(ValueError, match="Incorrect mode"):
        F.to_pil_image(ember.zeros(1, 4, 4, dtype=ember.uint8), mode="F")


def test_normalize_matches_formula():
    x = _float_img()
    out = T.Normalize((0.5, 0.4, 0.3), (0.2, 0.25, 0.5))(x)
    mean = np.array([0.5, 0.4, 0.3], dtype=np.float32).reshape(3, 1, 1)
    std = np.array([0.2, 0.25, 0.5], dtype=np.float32).reshape(3, 1, 1)
    np.testing.assert_allclose(out.numpy(), (x.numpy() - mean) / std, rtol=1e-6)


def test_normalize_inplace_modifies_input():
    x = _float_img()
    out = T.Normalize((0.5,) * 3, (0.5,) * 3, inplace=True)(x)
    assert out is x and float(x.numpy().min()) < 0


def test_normalize_rejects_integer_tensor():
    with pytest.raises(TypeError, match="Input tensor should be a float tensor"):
        F.normalize(ember.zeros(3, 2, 2, dtype=ember.uint8), (0,), (1,))


def test_normalize_rejects_zero_std():
    with pytest.raises(ValueError, match="std evaluated to zero"):
        F.normalize(_float_img(), (0, 0, 0), (1, 0, 1))


def test_resize_int_matches_smaller_edge_for_pil_and_tensor():
    img, _ = _pil_rgb(40, 50)
    assert T.Resize(20)(img).size == (25, 20)
    assert T.Resize(20)(T.ToTensor()(img)).shape == (3, 20, 25)


def test_resize_tensor_identity_on_constant_image():
    x = ember.full((3, 16, 16), 0.25)
    np.testing.assert_allclose(T.Resize((7, 9))(x).numpy(), 0.25, rtol=1e-6)


def test_resize_tensor_close_to_pil_when_shrinking():
    img, _ = _pil_rgb(64, 64)
    pil_out = np.asarray(T.Resize(16)(img)).astype(np.float32)
    tensor_out = T.Resize(16)(T.PILToTensor()(img)).numpy().transpose(1, 2, 0)
    assert np.abs(pil_out - tensor_out).max() <= 2


def test_resize_max_size_caps_longer_edge():
    x = ember.zeros(1, 10, 40)
    assert T.Resize(8, max_size=16)(x).shape == (1, 4, 16)


def test_center_crop_takes_middle():
    x = ember.arange(36.0).reshape(1, 6, 6)
    np.testing.assert_array_equal(T.CenterCrop(2)(x).numpy()[0], [[14, 15], [20, 21]])


def test_center_crop_pads_small_images():
    x = ember.ones(1, 2, 2)
    out = T.CenterCrop(4)(x).numpy()[0]
    assert out.shape == (4, 4) and out.sum() == 4


def test_pad_modes_match_numpy():
    x = ember.arange(12.0).reshape(1, 3, 4)
    for mode in ("constant", "edge", "reflect", "symmetric"):
        out = T.Pad((1, 2), padding_mode=mode)(x).numpy()
        expected = np.pad(x.numpy(), ((0, 0), (2, 2), (1, 1)), mode=mode)
        np.testing.assert_array_equal(out, expected)


def test_pad_pil_with_rgb_fill():
    img, _ = _pil_rgb(4, 4)
    out = np.asarray(T.Pad(1, fill=(10, 20, 30))(img))
    assert out.shape == (6, 6, 3) and tuple(out[0, 0]) == (10, 20, 30)


def test_random_crop_with_padding_keeps_size():
    img, _ = _pil_rgb(32, 32)
    out = T.RandomCrop(32, padding=4)(img)
    assert out.size == (32, 32)


def test_random_crop_pad_if_needed():
    x = ember.ones(3, 10, 12)
    assert T.RandomCrop((16, 16), pad_if_needed=True)(x).shape == (3, 16, 16)


def test_random_crop_too_large_raises():
    with pytest.raises(ValueError, match="Required crop size"):
        T.RandomCrop(20)(ember.ones(1, 10, 10))


def test_manual_seed_repeats_random_transforms():
    img, _ = _pil_rgb(32, 32)
    pipe = T.Compose([T.RandomCrop(24, padding=2), T.RandomHorizontalFlip(), T.ToTensor()])
    ember.manual_seed(7)
    first = pipe(img).numpy()
    ember.manual_seed(7)
    np.testing.assert_array_equal(pipe(img).numpy(), first)


def test_horizontal_flip_reverses_width():
    x = _float_img()
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1.0)(x).numpy(),
                                  x.numpy()[..., ::-1])


def test_vertical_flip_pil_matches_tensor():
    img, arr = _pil_rgb()
    out = np.asarray(T.RandomVerticalFlip(p=1.0)(img))
    np.testing.assert_array_equal(out, arr[::-1])


def test_random_resized_crop_output_size():
    img, _ = _pil_rgb(40, 50)
    assert T.RandomResizedCrop(24)(img).size == (24, 24)
    assert T.RandomResizedCrop((8, 12))(T.ToTensor()(img)).shape == (3, 8, 12)


def test_rotate_90_tensor_matches_rot90():
    x = _float_img(1, 8, 8)
    out = F.rotate(x, 90.0).numpy()
    np.testing.assert_allclose(out, np.rot90(x.numpy(), 1, axes=(1, 2)), atol=1e-6)


def test_rotate_expand_grows_canvas():
    x = ember.ones(1, 10, 20)
    assert F.rotate(x, 90.0, expand=True).shape == (1, 20, 10)


def test_rotate_fill_outside_pixels():
    x = ember.zeros(1, 9, 9)
    out = F.rotate(x, 45.0, fill=[1.0]).numpy()
    assert out[0, 0, 0] == 1.0 and out[0, 4, 4] == 0.0


def test_affine_pure_translation_shifts_pixels():
    x = ember.arange(25.0).reshape(1, 5, 5)
    out = F.affine(x, 0.0, [1, 0], 1.0, [0.0, 0.0]).numpy()
    np.testing.assert_array_equal(out[0, :, 1:], x.numpy()[0, :, :-1])
    assert (out[0, :, 0] == 0).all()


def test_random_affine_pil_and_tensor_keep_size():
    img, _ = _pil_rgb(20, 30)
    tr = T.RandomAffine(15, translate=(0.1, 0.1), scale=(0.9, 1.1), shear=5)
    assert tr(img).size == (30, 20)
    assert tr(T.PILToTensor()(img)).shape == (3, 20, 30)


def test_brightness_zero_gives_black():
    assert float(F.adjust_brightness(_float_img(), 0.0).numpy().max()) == 0.0


def test_saturation_zero_gives_grayscale():
    x = _float_img()
    out = F.adjust_saturation(x, 0.0).numpy()
    np.testing.assert_allclose(out[0], out[1], atol=1e-6)


def test_contrast_zero_gives_mean():
    out = F.adjust_contrast(_float_img(), 0.0).numpy()
    assert np.ptp(out) < 1e-6


def test_hue_full_turn_is_identity():
    x = _float_img()
    np.testing.assert_allclose(F.adjust_hue(F.adjust_hue(x, 0.5), -0.5).numpy(), x.numpy(),
                               atol=1e-5)


def test_hue_out_of_range_raises():
    with pytest.raises(ValueError, match="hue_factor"):
        F.adjust_hue(_float_img(), 0.7)


def test_color_jitter_pil_keeps_mode_and_size():
    img, _ = _pil_rgb()
    out = T.ColorJitter(0.4, 0.4, 0.4, 0.1)(img)
    assert out.mode == "RGB" and out.size == img.size


def test_grayscale_weights():
    x = ember.from_numpy(np.array([1.0, 0.0, 0.0], dtype=np.float32).reshape(3, 1, 1))
    assert abs(T.Grayscale()(x).item() - 0.2989) < 1e-6


def test_random_grayscale_keeps_channel_count():
    assert T.RandomGrayscale(p=1.0)(_float_img()).shape == (3, 12, 10)


def test_random_erasing_sets_box_to_value():
    x = ember.ones(3, 20, 20)
    out = T.RandomErasing(p=1.0, value=0)(x).numpy()
    assert (out == 0).any() and (out == 1).any() and float(x.numpy().min()) == 1.0


def test_convert_image_dtype_uint8_to_float():
    x = ember.full((1, 2, 2), 255, dtype=ember.uint8)
    out = T.ConvertImageDtype(ember.float32)(x)
    assert out.dtype == ember.float32 and float(out.numpy().max()) == 1.0


def test_convert_image_dtype_float_to_uint8():
    out = F.convert_image_dtype(ember.ones(1, 2, 2), ember.uint8)
    assert out.dtype == ember.uint8 and int(out.numpy().max()) == 255


def test_gaussian_blur_preserves_constant():
    np.testing.assert_allclose(T.GaussianBlur(5)(ember.full((1, 8, 8), 0.5)).numpy(), 0.5,
                               rtol=1e-6)


def test_lambda_and_random_apply():
    double = T.Lambda(lambda t: t * 2)
    assert T.RandomApply([double], p=1.0)(ember.ones(1, 1, 1)).item() == 2.0
    assert T.RandomApply([double], p=0.0)(ember.ones(1, 1, 1)).item() == 1.0


def test_five_crop_returns_five_images():
    crops = T.FiveCrop(4)(ember.ones(1, 8, 8))
    assert len(crops) == 5 and all(c.shape == (1, 4, 4) for c in crops)


def test_batched_tensor_images_are_supported():
    x = ember.ones(4, 3, 10, 10)
    assert T.Resize(5)(x).shape == (4, 3, 5, 5)
    assert T.RandomCrop(8)(x).shape == (4, 3, 8, 8)


def test_interpolation_int_is_accepted():
    assert T.Resize(4, interpolation=0).interpolation == F.InterpolationMode.NEAREST


def test_transforms_are_modules_usable_in_sequential():
    pipeline = ember.nn.Sequential(T.CenterCrop(8), T.Normalize((0.5,) * 3, (0.5,) * 3))
    assert isinstance(T.Resize(4), ember.nn.Module)
    assert pipeline(_float_img(3, 12, 12)).shape == (3, 8, 8)


def test_pil_constant_pad_matches_numpy_pad():
    img, arr = _pil_rgb(5, 6)
    out = np.asarray(F.pad(img, [1, 2, 3, 4], fill=9))
    np.testing.assert_array_equal(out, np.pad(arr, ((2, 4), (1, 3), (0, 0)), constant_values=9))


def test_color_jitter_tensor_uint8_keeps_dtype_and_shape():
    x = T.PILToTensor()(_pil_rgb()[0])
    out = T.ColorJitter(0.5, 0.5, 0.5, 0.2)(x)
    assert out.dtype == ember.uint8 and out.shape == x.shape


def test_random_rotation_uint8_tensor_keeps_dtype():
    x = T.PILToTensor()(_pil_rgb()[0])
    out = T.RandomRotation(20, interpolation=F.InterpolationMode.BILINEAR, fill=255)(x)
    assert out.dtype == ember.uint8 and out.shape == x.shape


def test_random_choice_applies_exactly_one():
    add_one, add_ten = T.Lambda(lambda t: t + 1), T.Lambda(lambda t: t + 10)
    values = {T.RandomChoice([add_one, add_ten])(ember.zeros(1)).item() for _ in range(20)}
    assert values == {1.0, 10.0}


def test_resize_bicubic_tensor_upsamples():
    out = T.Resize((20, 30), interpolation=F.InterpolationMode.BICUBIC)(_float_img(3, 10, 15))
    assert out.shape == (3, 20, 30)
