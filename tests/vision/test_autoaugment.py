"""ember.vision.transforms: the photometric ops (posterize, solarize, autocontrast, equalize,
sharpness, gamma), perspective/elastic warps, their Random* transforms and the automatic
augmentation policies (AutoAugment, RandAugment, TrivialAugmentWide, AugMix)."""
import numpy as np
import pytest
from PIL import Image

import ember
from ember.vision import transforms as T
from ember.vision.transforms import functional as F


def _u8(arr) -> ember.Tensor:
    return ember.from_numpy(np.asarray(arr, dtype=np.uint8))


def _rgb(h=24, w=28, seed=0):
    arr = np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)
    return Image.fromarray(arr), ember.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))


def _pil_chw(img) -> np.ndarray:
    arr = np.asarray(img)
    return arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)


# -- the functional ops on known values -------------------------------------------------------
def test_posterize_keeps_top_bits():
    x = _u8([[[0, 37, 128, 255]]])
    assert F.posterize(x, 3).numpy().tolist() == [[[0, 32, 128, 224]]]
    assert F.posterize(x, 0).numpy().tolist() == [[[0, 0, 0, 0]]]


def test_posterize_float_quantises_to_levels():
    x = ember.tensor([[[0.0, 0.3, 0.5, 0.99, 1.0]]])
    np.testing.assert_allclose(F.posterize(x, 2).numpy(), [[[0.0, 0.25, 0.5, 0.75, 0.75]]])


def test_posterize_rejects_bad_bits_and_dtypes():
    with pytest.raises(ValueError, match="bits should be between 0 and 8. Got 9"):
        F.posterize(_u8([[[1]]]), 9)
    with pytest.raises(TypeError, match="Only uint8 and floating point"):
        F.posterize(ember.zeros(1, 2, 2, dtype=ember.int16), 3)


def test_solarize_inverts_at_or_above_threshold():
    x = _u8([[[0, 127, 128, 255]]])
    assert F.solarize(x, 128).numpy().tolist() == [[[0, 127, 127, 0]]]
    y = ember.tensor([[[0.2, 0.6]]])
    np.testing.assert_allclose(F.solarize(y, 0.5).numpy(), [[[0.2, 0.4]]], rtol=1e-6)


def test_solarize_threshold_above_dtype_bound_raises():
    with pytest.raises(TypeError, match="Threshold should be less than bound of img"):
        F.solarize(ember.zeros(1, 2, 2), 2.0)


def test_colour_ops_need_channel_dimension():
    with pytest.raises(TypeError, match="at least 3 dimensions, but found 2"):
        F.solarize(_u8([[1, 2]]), 1)


def test_autocontrast_stretches_each_channel_and_keeps_flat_ones():
    x = _u8([[[50, 100, 150]], [[7, 7, 7]], [[0, 10, 20]]])
    assert F.autocontrast(x).numpy().tolist() == [[[0, 127, 255]], [[7, 7, 7]], [[0, 127, 255]]]


def _equalize_example() -> np.ndarray:
    """1020 pixels: half 0, a quarter 100, a quarter 200 -> PIL's step is (1020 - 255) // 255."""
    values = np.repeat(np.array([0, 100, 200], dtype=np.uint8), [510, 255, 255])
    return values.reshape(1, 30, 34)


def test_equalize_matches_hand_computed_lookup():
    # lut[k] = (cumsum(hist)[k - 1] + step // 2) // step with step = 3.
    out = F.equalize(_u8(_equalize_example())).numpy()
    assert sorted(set(out.ravel().tolist())) == [0, 170, 255]
    np.testing.assert_array_equal(out, np.select([_equalize_example() == 0,
                                                  _equalize_example() == 100],
                                                 [0, 170], 255))


def test_equalize_leaves_image_with_tiny_histogram_spread():
    x = _u8([[[10, 20], [30, 40]]])
    assert F.equalize(x).numpy().tolist() == x.numpy().tolist()


def test_equalize_batch_equals_each_image():
    _, a = _rgb(seed=1)
    _, b = _rgb(seed=2)
    batch = F.equalize(ember.stack([a, b])).numpy()
    np.testing.assert_array_equal(batch[0], F.equalize(a).numpy())
    np.testing.assert_array_equal(batch[1], F.equalize(b).numpy())


def test_equalize_float_works_on_uint8_levels():
    x = _u8(_equalize_example())
    out = F.equalize(x.float() / 255).numpy()
    np.testing.assert_allclose(out, F.equalize(x).numpy() / 255.0, atol=1e-6)


def test_adjust_sharpness_blends_with_smooth_filter_and_keeps_border():
    x = np.zeros((1, 5, 5), np.uint8)
    x[0, 2, 2] = 130
    smooth = F.adjust_sharpness(_u8(x), 0.0).numpy()[0]
    # Kernel [[1, 1, 1], [1, 5, 1], [1, 1, 1]] / 13: centre 5 * 130 / 13, neighbours 130 / 13.
    expected = np.zeros((5, 5), np.uint8)
    expected[1:4, 1:4] = 10
    expected[2, 2] = 50
    np.testing.assert_array_equal(smooth, expected)
    np.testing.assert_array_equal(F.adjust_sharpness(_u8(x), 1.0).numpy(), x)


def test_adjust_gamma_on_uint8():
    x = _u8([[[0, 64, 128, 255]]])
    expected = (np.array([0, 64, 128, 255]) / 255.0) ** 2 * (255 + 1 - 1e-3)
    assert F.adjust_gamma(x, 2.0).numpy().ravel().tolist() == expected.astype(int).tolist()
    with pytest.raises(ValueError, match="Gamma should be a non-negative real number"):
        F.adjust_gamma(x, -1.0)


def test_adjust_sharpness_rejects_negative_factor():
    with pytest.raises(ValueError, match=r"sharpness_factor \(-1\) is not non-negative"):
        F.adjust_sharpness(_u8(np.zeros((3, 4, 4))), -1)


@pytest.mark.parametrize("op,args", [(F.posterize, (3,)), (F.solarize, (100,)),
                                     (F.autocontrast, ()), (F.equalize, ()),
                                     (F.adjust_sharpness, (2.0,)), (F.adjust_sharpness, (0.3,)),
                                     (F.adjust_gamma, (0.7,)), (F.invert, ())])
def test_pil_and_tensor_paths_agree(op, args):
    pil, tensor = _rgb()
    low_contrast = Image.fromarray((np.asarray(pil) // 3 + 60).astype(np.uint8))
    for image in (pil, low_contrast):
        np.testing.assert_array_equal(_pil_chw(op(image, *args)),
                                      op(F.pil_to_tensor(image), *args).numpy())


# -- perspective and elastic warps ----------------------------------------------------------
def test_perspective_coefficients_of_identity():
    corners = [[0, 0], [9, 0], [9, 7], [0, 7]]
    np.testing.assert_allclose(F._get_perspective_coeffs(corners, corners),
                               [1, 0, 0, 0, 1, 0, 0, 0], atol=1e-6)
    _, tensor = _rgb(8, 10)
    np.testing.assert_array_equal(F.perspective(tensor, corners, corners).numpy(),
                                  tensor.numpy())


def test_perspective_needs_four_corners():
    with pytest.raises(ValueError, match="exactly four corners"):
        F._get_perspective_coeffs([[0, 0]] * 3, [[0, 0]] * 4)


def test_perspective_pil_and_tensor_agree_with_nearest():
    pil, tensor = _rgb()
    start = [[0, 0], [27, 0], [27, 23], [0, 23]]
    end = [[3, 1], [25, 2], [27, 20], [1, 23]]
    nearest = F.InterpolationMode.NEAREST
    pil_out = _pil_chw(F.perspective(pil, start, end, nearest))
    tensor_out = F.perspective(tensor, start, end, nearest).numpy()
    assert (pil_out != tensor_out).mean() < 0.01


def test_random_perspective_endpoints_stay_in_their_corners():
    ember.manual_seed(0)
    for _ in range(20):
        start, end = T.RandomPerspective.get_params(40, 30, 0.5)
        assert start == [[0, 0], [39, 0], [39, 29], [0, 29]]
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = end
        assert 0 <= x0 <= 10 and 0 <= y0 <= 7 and 29 <= x1 <= 39 and 0 <= y1 <= 7
        assert 29 <= x2 <= 39 and 22 <= y2 <= 29 and 0 <= x3 <= 10 and 22 <= y3 <= 29


def test_random_perspective_p_zero_is_identity_and_p_one_warps():
    _, tensor = _rgb()
    assert T.RandomPerspective(p=0.0)(tensor) is tensor
    ember.manual_seed(0)
    assert not np.array_equal(T.RandomPerspective(p=1.0)(tensor).numpy(), tensor.numpy())


def test_elastic_transform_without_strength_is_identity_and_repeats_with_seed():
    _, tensor = _rgb(32, 32)
    out = T.ElasticTransform(alpha=0.0, sigma=2.0)(tensor.float())
    np.testing.assert_allclose(out.numpy(), tensor.float().numpy(), atol=1e-4)
    transform = T.ElasticTransform(alpha=30.0, sigma=3.0)
    ember.manual_seed(3)
    first = transform(tensor).numpy()
    ember.manual_seed(3)
    np.testing.assert_array_equal(transform(tensor).numpy(), first)
    assert not np.array_equal(first, tensor.numpy())


def test_elastic_transform_checks_displacement_shape():
    _, tensor = _rgb(8, 8)
    with pytest.raises(ValueError, match=r"displacement shape should be \[1, 8, 8, 2\]"):
        F.elastic_transform(tensor, ember.zeros(1, 8, 7, 2))


def test_linear_transformation_whitens_flattened_images():
    x = ember.from_numpy(np.arange(12, dtype=np.float32).reshape(1, 3, 2, 2))
    matrix = ember.from_numpy(np.eye(12, dtype=np.float32) * 2)
    mean = ember.ones(12)
    out = T.LinearTransformation(matrix, mean)(x)
    np.testing.assert_allclose(out.numpy(), (x.numpy() - 1) * 2)
    with pytest.raises(ValueError, match="transformation_matrix should be square"):
        T.LinearTransformation(ember.zeros(3, 4), ember.zeros(3))
    with pytest.raises(ValueError, match="incompatible shape"):
        T.LinearTransformation(matrix, mean)(ember.zeros(1, 2, 2))


@pytest.mark.parametrize("transform,op", [
    (T.RandomPosterize(3, p=1.0), lambda x: F.posterize(x, 3)),
    (T.RandomSolarize(100, p=1.0), lambda x: F.solarize(x, 100)),
    (T.RandomAdjustSharpness(2.0, p=1.0), lambda x: F.adjust_sharpness(x, 2.0)),
    (T.RandomAutocontrast(p=1.0), F.autocontrast),
    (T.RandomEqualize(p=1.0), F.equalize),
    (T.RandomInvert(p=1.0), F.invert)])
def test_random_photometric_transforms_apply_with_probability(transform, op):
    _, tensor = _rgb()
    np.testing.assert_array_equal(transform(tensor).numpy(), op(tensor).numpy())
    transform.p = 0.0
    assert transform(tensor) is tensor


# -- automatic augmentation -----------------------------------------------------------------
def test_augmentation_space_magnitudes_match_torchvision_tables():
    space = T.AutoAugment()._augmentation_space(10, [331, 200])
    np.testing.assert_allclose(space["ShearX"][0], np.linspace(0, 0.3, 10), rtol=1e-6)
    np.testing.assert_allclose(space["TranslateX"][0][-1], 150.0, rtol=1e-6)
    np.testing.assert_allclose(space["TranslateY"][0][-1], 150.0 / 331.0 * 200, rtol=1e-6)
    assert space["Posterize"][0].tolist() == [8, 8, 7, 7, 6, 6, 5, 5, 4, 4]
    assert space["Solarize"][0][0] == 255.0 and space["Solarize"][0][-1] == 0.0
    assert space["Rotate"][1] and not space["Posterize"][1] and space["Invert"][0] is None
    wide = T.TrivialAugmentWide()._augmentation_space(31)
    assert wide["Posterize"][0].tolist()[:4] == [8, 8, 8, 7] and wide["Posterize"][0][-1] == 2
    assert wide["Rotate"][0][-1] == 135.0 and list(wide)[0] == "Identity"
    augmix = T.AugMix()._augmentation_space(10, (30, 60))
    assert augmix["Posterize"][0].tolist() == [4, 4, 3, 3, 2, 2, 1, 1, 0, 0]
    np.testing.assert_allclose(augmix["TranslateX"][0][-1], 20.0)
    assert "Brightness" not in T.AugMix(all_ops=False)._augmentation_space(10, (30, 60))


def test_randaugment_uses_the_configured_magnitude_bin():
    space = T.RandAugment()._augmentation_space(31, [32, 32])
    assert len(space) == 14 and "Invert" not in space
    np.testing.assert_allclose(space["ShearX"][0][9], 0.3 * 9 / 30, rtol=1e-6)
    np.testing.assert_allclose(space["Rotate"][0][9], 9.0, rtol=1e-6)


class _FirstImagenetPolicy(T.AutoAugment):
    """Sub-policy 0 (Posterize 0.4 @8, Rotate 0.6 @9), both applied, positive sign."""

    @staticmethod
    def get_params(transform_num):
        return 0, np.zeros(2), np.ones(2, dtype=np.int64)


def test_autoaugment_applies_its_sub_policy():
    _, tensor = _rgb()
    expected = F.rotate(F.posterize(tensor, 4), 30.0)
    np.testing.assert_array_equal(_FirstImagenetPolicy()(tensor).numpy(), expected.numpy())


def test_autoaugment_negative_sign_rotates_the_other_way():
    class Negative(_FirstImagenetPolicy):
        @staticmethod
        def get_params(transform_num):
            return 0, np.zeros(2), np.zeros(2, dtype=np.int64)

    _, tensor = _rgb()
    expected = F.rotate(F.posterize(tensor, 4), -30.0)
    np.testing.assert_array_equal(Negative()(tensor).numpy(), expected.numpy())


def test_randaugment_applies_num_ops_from_its_space():
    class OnlySolarize(T.RandAugment):
        def _augmentation_space(self, num_bins, image_size):
            return {"Solarize": (np.linspace(255.0, 0.0, num_bins, dtype=np.float32), False)}

    _, tensor = _rgb()
    out = OnlySolarize(num_ops=1, magnitude=10, num_magnitude_bins=31)(tensor)
    np.testing.assert_array_equal(out.numpy(), F.solarize(tensor, 255.0 * 20 / 30).numpy())
    assert T.RandAugment(num_ops=0)(tensor) is tensor


@pytest.mark.parametrize("make", [T.AutoAugment, lambda: T.AutoAugment(T.AutoAugmentPolicy.SVHN),
                                  T.RandAugment, T.TrivialAugmentWide, T.AugMix])
def test_policies_repeat_with_seed_and_keep_type_dtype_and_shape(make):
    transform = make()
    pil, tensor = _rgb()
    for image in (tensor, tensor.float() / 255, ember.stack([tensor, tensor]), pil):
        ember.manual_seed(7)
        first = transform(image)
        ember.manual_seed(7)
        again = transform(image)
        if isinstance(image, Image.Image):
            assert isinstance(first, Image.Image) and first.size == image.size
            np.testing.assert_array_equal(np.asarray(first), np.asarray(again))
        else:
            assert first.dtype == image.dtype and first.shape == image.shape
            np.testing.assert_array_equal(first.numpy(), again.numpy())


def test_policy_on_a_batch_applies_one_op_sequence_to_all_images():
    _, tensor = _rgb()
    transform = T.RandAugment(num_ops=3)
    ember.manual_seed(11)
    batch = transform(ember.stack([tensor, tensor])).numpy()
    ember.manual_seed(11)
    single = transform(tensor).numpy()
    np.testing.assert_array_equal(batch[0], single)
    np.testing.assert_array_equal(batch[1], single)


def test_policies_pil_and_tensor_draw_the_same_ops():
    pil, tensor = _rgb()
    for seed in range(6):
        ember.manual_seed(seed)
        from_pil = _pil_chw(T.TrivialAugmentWide()(pil)).astype(int)
        ember.manual_seed(seed)
        from_tensor = T.TrivialAugmentWide()(tensor).numpy().astype(int)
        assert np.abs(from_pil - from_tensor).mean() < 2.0


def test_float_images_solarize_at_the_same_fraction():
    class Solarize(T.RandAugment):
        def _augmentation_space(self, num_bins, image_size):
            return {"Solarize": (np.linspace(255.0, 0.0, num_bins, dtype=np.float32), False)}

    _, tensor = _rgb()
    as_float = Solarize(num_ops=1, magnitude=15)(tensor.float() / 255).numpy()
    as_uint8 = Solarize(num_ops=1, magnitude=15)(tensor).numpy()
    np.testing.assert_allclose(as_float * 255, as_uint8, atol=1e-3)


def test_augmix_with_all_weight_on_the_original_returns_it():
    class KeepOriginal(T.AugMix):
        def _sample_dirichlet(self, params):
            weights = np.zeros(params.shape, dtype=np.float32)
            weights[:, 0] = 1.0
            return weights

    _, tensor = _rgb()
    ember.manual_seed(0)
    np.testing.assert_array_equal(KeepOriginal()(tensor).numpy(), tensor.numpy())


def test_augmix_mixes_each_batch_image_with_its_own_weights():
    _, tensor = _rgb()
    ember.manual_seed(5)
    out = T.AugMix()(ember.stack([tensor, tensor])).numpy()
    assert not np.array_equal(out[0], out[1])


def test_policy_argument_errors():
    with pytest.raises(ValueError, match=r"severity must be between \[1, 10\]. Got 11"):
        T.AugMix(severity=11)
    with pytest.raises(ValueError, match="policy .* is not recognized"):
        T.AutoAugment(policy="imagenet")
    with pytest.raises(ValueError, match="operator Blur is not recognized"):
        T.autoaugment._apply_op(_rgb()[1], "Blur", 0.0, F.InterpolationMode.NEAREST, None)


def test_policy_reprs_follow_torchvision():
    assert repr(T.AutoAugment()) == "AutoAugment(policy=AutoAugmentPolicy.IMAGENET, fill=None)"
    assert repr(T.RandAugment()) == ("RandAugment(num_ops=2, magnitude=9, num_magnitude_bins=31,"
                                     " interpolation=InterpolationMode.NEAREST, fill=None)")
