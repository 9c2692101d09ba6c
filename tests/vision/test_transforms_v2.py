"""ember.vision.transforms.v2 and ember.vision.tv_tensors: whole samples (image, boxes, masks,
labels) transformed consistently, box kernels on known coordinates, and v1 parity."""
import pickle
import warnings

import numpy as np
import pytest
from PIL import Image

import ember
from ember.vision import transforms as T
from ember.vision import tv_tensors as tv
from ember.vision.transforms import v2
from ember.vision.transforms.v2 import functional as F

XYXY = tv.BoundingBoxFormat.XYXY


def _sample(h=30, w=40):
    """An image with one bright rectangle, its box and its mask."""
    image = np.zeros((3, h, w), np.uint8)
    image[:, 5:15, 8:20] = 255
    mask = (image[0] > 0).astype(np.uint8)
    boxes = tv.BoundingBoxes([[8, 5, 20, 15]], format="XYXY", canvas_size=(h, w),
                             dtype=ember.float32)
    return tv.Image(ember.from_numpy(image)), boxes, tv.Mask(ember.from_numpy(mask))


def _extent(arr) -> list[int]:
    """[x0, y0, x1, y1] of the non-zero pixels of a (..., H, W) array."""
    ys, xs = np.nonzero(np.asarray(arr).reshape(-1, *np.asarray(arr).shape[-2:]).max(axis=0))
    return [int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1]


def _boxes(values, fmt="XYXY", canvas=(10, 20)):
    return tv.BoundingBoxes(values, format=fmt, canvas_size=canvas, dtype=ember.float32)


# -- tv_tensors ---------------------------------------------------------------------------------
def test_image_adds_channel_dim_and_reads_pil():
    assert tv.Image(ember.zeros(4, 5)).shape == (1, 4, 5)
    pil = Image.fromarray(np.zeros((4, 5, 3), np.uint8))
    image = tv.Image(pil)
    assert image.shape == (3, 4, 5) and image.dtype == ember.uint8
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        tv.Image(ember.zeros(3))


def test_bounding_boxes_metadata_and_validation():
    boxes = tv.BoundingBoxes([1, 2, 3, 4], format="cxcywh", canvas_size=[10, 20])
    assert boxes.shape == (1, 4) and boxes.format is tv.BoundingBoxFormat.CXCYWH
    assert boxes.canvas_size == (10, 20)
    assert "format=BoundingBoxFormat.CXCYWH, canvas_size=(10, 20)" in repr(boxes)
    with pytest.raises(ValueError, match="Unknown bounding box format 'xyz'"):
        tv.BoundingBoxes([1, 2, 3, 4], format="xyz", canvas_size=(1, 1))
    with pytest.raises(ValueError, match="Expected a 1D or 2D tensor, got 3D"):
        tv.BoundingBoxes(ember.zeros(1, 1, 4), format="XYXY", canvas_size=(1, 1))


def test_ops_unwrap_but_clone_to_and_wrap_keep_type():
    boxes = _boxes([[1, 2, 3, 4]])
    assert type(boxes + 1) is ember.Tensor
    assert type(boxes.clone()) is tv.BoundingBoxes and boxes.clone().canvas_size == (10, 20)
    assert boxes.to(ember.float64).dtype == ember.float64
    rewrapped = tv.wrap(boxes * 2, like=boxes, canvas_size=(20, 40))
    assert type(rewrapped) is tv.BoundingBoxes and rewrapped.canvas_size == (20, 40)
    assert rewrapped.format is XYXY


def test_tv_tensors_pickle_with_metadata():
    boxes = pickle.loads(pickle.dumps(_boxes([[1, 2, 3, 4]], "XYWH")))
    assert type(boxes) is tv.BoundingBoxes and boxes.format is tv.BoundingBoxFormat.XYWH
    assert boxes.canvas_size == (10, 20) and boxes.tolist() == [[1, 2, 3, 4]]


# -- box kernels on known coordinates -------------------------------------------------------
def test_convert_bounding_box_format_round_trips():
    xyxy = _boxes([[2, 3, 6, 11]])
    xywh = F.convert_bounding_box_format(xyxy, new_format="XYWH")
    cxcywh = F.convert_bounding_box_format(xyxy, new_format=tv.BoundingBoxFormat.CXCYWH)
    assert xywh.tolist() == [[2, 3, 4, 8]] and xywh.format is tv.BoundingBoxFormat.XYWH
    assert cxcywh.tolist() == [[4, 7, 4, 8]]
    assert F.convert_bounding_box_format(cxcywh, new_format="XYXY").tolist() == [[2, 3, 6, 11]]
    plain = F.convert_bounding_box_format(ember.tensor([[2, 3, 6, 11]]), old_format="XYXY",
                                          new_format="CXCYWH")
    assert type(plain) is ember.Tensor and plain.tolist() == [[4, 7, 4, 8]]


def test_convert_bounding_box_format_argument_errors():
    with pytest.raises(ValueError, match="`old_format` has to be passed"):
        F.convert_bounding_box_format(ember.zeros(1, 4), new_format="XYXY")
    with pytest.raises(ValueError, match="`old_format` must not be passed"):
        F.convert_bounding_box_format(_boxes([[0, 0, 1, 1]]), old_format="XYXY",
                                      new_format="XYWH")


def test_clamp_bounding_boxes_to_canvas():
    boxes = _boxes([[-3, 2, 25, 12]])
    assert F.clamp_bounding_boxes(boxes).tolist() == [[0, 2, 20, 10]]
    plain = F.clamp_bounding_boxes(ember.tensor([[-3., 2, 25, 12]]), format="XYXY",
                                   canvas_size=(10, 20))
    assert plain.tolist() == [[0, 2, 20, 10]]


@pytest.mark.parametrize("fmt,values,flipped", [
    ("XYXY", [2, 3, 5, 7], [15, 3, 18, 7]),
    ("XYWH", [2, 3, 3, 4], [15, 3, 3, 4]),
    ("CXCYWH", [3.5, 5, 3, 4], [16.5, 5, 3, 4])])
def test_horizontal_flip_boxes_in_each_format(fmt, values, flipped):
    out = F.horizontal_flip(_boxes([values], fmt))
    assert out.tolist() == [flipped] and out.format.name == fmt


def test_vertical_flip_boxes():
    assert F.vertical_flip(_boxes([[2, 3, 5, 7]])).tolist() == [[2, 3, 5, 7]]
    assert F.vertical_flip(_boxes([[2, 1, 5, 4]])).tolist() == [[2, 6, 5, 9]]


def test_resize_scales_boxes_and_canvas():
    out = F.resize(_boxes([[2, 3, 5, 7]]), [20, 10])
    assert out.tolist() == [[1, 6, 2.5, 14]] and out.canvas_size == (20, 10)
    assert F.resize(_boxes([[2, 3, 5, 7]]), 5).canvas_size == (5, 10)


def test_crop_shifts_and_clamps_boxes():
    out = F.crop(_boxes([[2, 3, 15, 9]]), top=2, left=4, height=5, width=8)
    assert out.tolist() == [[0, 1, 8, 5]] and out.canvas_size == (5, 8)


def test_pad_shifts_boxes_and_grows_canvas():
    out = F.pad(_boxes([[2, 3, 5, 7]]), [1, 2, 3, 4])
    assert out.tolist() == [[3, 5, 6, 9]] and out.canvas_size == (16, 24)
    with pytest.raises(ValueError, match="Padding mode 'reflect' is not supported with bounding"):
        F.pad(_boxes([[2, 3, 5, 7]]), 1, padding_mode="reflect")


def test_integer_boxes_keep_their_dtype():
    boxes = tv.BoundingBoxes([[2, 3, 5, 7]], format="XYXY", canvas_size=(10, 20))
    out = F.resize(boxes, [20, 40])
    assert out.dtype == boxes.dtype and out.tolist() == [[4, 6, 10, 14]]


def test_functional_rejects_unsupported_types():
    with pytest.raises(TypeError, match="F.horizontal_flip supports inputs of type"):
        F.horizontal_flip("not an image")


# -- one sample, consistent geometry ----------------------------------------------------------
@pytest.mark.parametrize("transform", [
    v2.RandomHorizontalFlip(p=1.0), v2.RandomVerticalFlip(p=1.0), v2.CenterCrop(20),
    v2.CenterCrop((50, 45)), v2.RandomCrop(20), v2.RandomCrop(36, padding=2, pad_if_needed=True),
    v2.Pad([3, 4, 5, 6]), v2.RandomRotation((90, 90)), v2.RandomRotation((90, 90), expand=True),
    v2.RandomAffine(0, translate=(0.2, 0.2)), v2.Resize((60, 20), v2.InterpolationMode.NEAREST)],
    ids=lambda t: repr(t)[:40])
def test_geometric_transforms_move_image_box_and_mask_together(transform):
    image, boxes, mask = _sample()
    ember.manual_seed(1)
    image_out, boxes_out, mask_out = transform(image, boxes, mask)
    assert type(image_out) is tv.Image and type(mask_out) is tv.Mask
    assert tuple(image_out.shape[-2:]) == tuple(mask_out.shape) == boxes_out.canvas_size
    assert np.round(boxes_out.numpy()[0]).tolist() == _extent(mask_out) == _extent(image_out)


def test_random_resized_crop_boxes_follow_the_mask_to_a_pixel():
    image, boxes, mask = _sample()
    for seed in range(5):
        ember.manual_seed(seed)
        transform = v2.RandomResizedCrop(16, scale=(0.5, 1.0),
                                         interpolation=v2.InterpolationMode.NEAREST)
        _, boxes_out, mask_out = transform(image, boxes, mask)
        if mask_out.numpy().any():
            np.testing.assert_allclose(boxes_out.numpy()[0], _extent(mask_out), atol=1.0)


def test_rotation_by_45_degrees_bounds_the_rotated_box():
    image, boxes, mask = _sample()
    _, boxes_out, mask_out = v2.RandomRotation((45, 45))(image, boxes, mask)
    x0, y0, x1, y1 = boxes_out.numpy()[0]
    mx0, my0, mx1, my1 = _extent(mask_out)
    assert abs(x0 - mx0) <= 1 and abs(y0 - my0) <= 1 and abs(x1 - mx1) <= 1 and abs(y1 - my1) <= 1


def test_masks_are_resized_with_nearest_labels():
    labels = np.random.default_rng(0).integers(0, 4, (12, 12)).astype(np.int64)
    mask = tv.Mask(ember.from_numpy(labels))
    out = v2.Resize(7)(mask)
    assert out.dtype == ember.int64 and set(np.unique(out.numpy())) <= {0, 1, 2, 3}


def test_sample_structure_and_non_tensors_pass_through():
    image, boxes, mask = _sample()
    sample = {"image": image, "target": {"boxes": boxes, "masks": mask, "labels":
                                         ember.tensor([3])}, "id": 17, "name": "cat"}
    out = v2.RandomHorizontalFlip(p=1.0)(sample)
    assert out["id"] == 17 and out["name"] == "cat" and out["target"]["labels"].tolist() == [3]
    assert out["target"]["boxes"].tolist() == [[20, 5, 32, 15]]


def test_only_the_first_pure_tensor_is_an_image_unless_an_image_is_present():
    first, second = ember.arange(6).reshape(1, 2, 3), ember.arange(6).reshape(1, 2, 3)
    flipped, untouched = v2.RandomHorizontalFlip(p=1.0)(first, second)
    assert flipped.tolist() == [[[2, 1, 0], [5, 4, 3]]] and untouched is second
    image = tv.Image(ember.arange(6).reshape(1, 2, 3))
    plain, image_out = v2.RandomHorizontalFlip(p=1.0)(first, image)
    assert plain is first and image_out.tolist() == [[[2, 1, 0], [5, 4, 3]]]


def test_mismatched_sizes_in_a_sample_raise():
    image, _, _ = _sample()
    boxes = _boxes([[0, 0, 1, 1]], canvas=(5, 5))
    with pytest.raises(ValueError, match="Found multiple HxW dimensions in the sample"):
        v2.RandomCrop(4)(image, boxes)


def test_random_crop_too_large_raises():
    with pytest.raises(ValueError, match=r"Required crop size \(50, 50\) is larger than input"):
        v2.RandomCrop(50)(_sample()[0])


def test_colour_transforms_leave_boxes_and_masks_alone():
    image, boxes, mask = _sample()
    ember.manual_seed(0)
    image_out, boxes_out, mask_out = v2.ColorJitter(0.5, 0.5, 0.5, 0.2)(image, boxes, mask)
    assert boxes_out is boxes and mask_out is mask and type(image_out) is tv.Image


def test_pil_images_go_through_v2():
    pil = Image.fromarray(np.random.default_rng(0).integers(0, 256, (20, 24, 3), np.uint8))
    out = v2.Compose([v2.RandomHorizontalFlip(p=1.0), v2.CenterCrop(10)])(pil)
    assert isinstance(out, Image.Image) and out.size == (10, 10)
    np.testing.assert_array_equal(np.asarray(out), np.asarray(pil)[5:15, 7:17][:, ::-1])


# -- v1 parity ------------------------------------------------------------------------------
@pytest.mark.parametrize("v1_transform,v2_transform", [
    (T.RandomResizedCrop(16), v2.RandomResizedCrop(16)),
    (T.RandomRotation(30), v2.RandomRotation(30)),
    (T.RandomAffine(20, (0.1, 0.1), (0.8, 1.2), 10), v2.RandomAffine(20, (0.1, 0.1), (0.8, 1.2),
                                                                     10)),
    (T.ColorJitter(0.4, 0.4, 0.4, 0.1), v2.ColorJitter(0.4, 0.4, 0.4, 0.1)),
    (T.GaussianBlur(5), v2.GaussianBlur(5)), (T.RandomGrayscale(0.5), v2.RandomGrayscale(0.5)),
    (T.RandomErasing(p=0.7), v2.RandomErasing(p=0.7)),
    (T.RandomEqualize(), v2.RandomEqualize()), (T.AutoAugment(), v2.AutoAugment()),
    (T.RandAugment(), v2.RandAugment()), (T.AugMix(), v2.AugMix())],
    ids=lambda t: type(t).__name__)
def test_v2_matches_v1_on_a_single_image_with_the_same_seed(v1_transform, v2_transform):
    rng = np.random.default_rng(0)
    image = ember.from_numpy(rng.integers(0, 256, (2, 3, 24, 28), dtype=np.uint8))
    for seed in range(4):
        ember.manual_seed(seed)
        expected = v1_transform(image).numpy()
        ember.manual_seed(seed)
        np.testing.assert_array_equal(v2_transform(image).numpy(), expected)


# -- conversion, dtype, normalisation ---------------------------------------------------------
def test_to_image_from_array_pil_and_tensor():
    arr = np.arange(24, dtype=np.uint8).reshape(2, 4, 3)
    from_array = v2.ToImage()(arr)
    assert type(from_array) is tv.Image and from_array.tolist() == arr.transpose(2, 0, 1).tolist()
    assert v2.ToImage()(Image.fromarray(arr)).tolist() == from_array.tolist()
    assert type(v2.ToImage()(ember.zeros(3, 2, 2))) is tv.Image


def test_to_dtype_scales_images_and_casts_others_by_dict():
    image, boxes, mask = _sample()
    image_out, boxes_out, mask_out = v2.ToDtype(ember.float32, scale=True)(image, boxes, mask)
    assert image_out.dtype == ember.float32 and float(image_out.numpy().max()) == 1.0
    assert mask_out is mask and boxes_out is boxes
    by_type = v2.ToDtype({tv.Image: ember.float64, tv.Mask: ember.int64, "others": None})
    image_out, boxes_out, mask_out = by_type(image, boxes, mask)
    assert image_out.dtype == ember.float64 and float(image_out.numpy().max()) == 255.0
    assert mask_out.dtype == ember.int64 and type(mask_out) is tv.Mask and boxes_out is boxes
    with pytest.raises(ValueError, match="No dtype was specified for type"):
        v2.ToDtype({tv.Image: ember.float32})(image, mask)
    with pytest.raises(ValueError, match="dtype must be a dict or a torch.dtype"):
        v2.ToDtype("float32")


def test_to_pure_tensor_unwraps_every_tv_tensor():
    image, boxes, _ = _sample()
    image_out, boxes_out = v2.ToPureTensor()(image, boxes)
    assert type(image_out) is ember.Tensor and type(boxes_out) is ember.Tensor


def test_normalize_rejects_pil_and_skips_boxes():
    image, boxes, _ = _sample()
    out, boxes_out = v2.Normalize([0.5] * 3, [0.5] * 3)(F.to_dtype(image, ember.float32, True),
                                                         boxes)
    assert type(out) is tv.Image and float(out.numpy().max()) == 1.0 and boxes_out is boxes
    with pytest.raises(TypeError, match="Normalize\\(\\) does not support PIL images"):
        v2.Normalize([0.5], [0.5])(Image.new("L", (4, 4)))


# -- augmentation and housekeeping --------------------------------------------------------------
def test_random_erasing_warns_and_passes_masks_through():
    image, boxes, mask = _sample()
    ember.manual_seed(0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        image_out, mask_out = v2.RandomErasing(p=1.0)(F.to_dtype(image, ember.float32), mask)
    assert mask_out is mask and "passing through inputs of type tv_tensors.Mask" in str(
        caught[0].message)
    assert type(image_out) is tv.Image


def test_auto_augment_rejects_boxes_and_keeps_the_image_type():
    image, boxes, _ = _sample()
    with pytest.raises(TypeError, match="Inputs of type BoundingBoxes are not supported by "
                                        "TrivialAugmentWide"):
        v2.TrivialAugmentWide()(image, boxes)
    ember.manual_seed(0)
    out, label = v2.TrivialAugmentWide()(image, 3)
    assert type(out) is tv.Image and label == 3


def test_sanitize_bounding_boxes_drops_degenerate_boxes_with_labels_and_masks():
    boxes = _boxes([[0, 0, 5, 5], [3, 3, 3.5, 9], [2, 2, 4, 30]], canvas=(10, 20))
    masks = tv.Mask(ember.from_numpy(np.arange(3).reshape(3, 1, 1) * np.ones((3, 10, 20))))
    sample = (ember.zeros(3, 10, 20), {"boxes": boxes, "masks": masks,
                                       "labels": ember.tensor([7, 8, 9])})
    _, target = v2.SanitizeBoundingBoxes()(*sample)
    assert target["boxes"].tolist() == [[0, 0, 5, 5]] and target["labels"].tolist() == [7]
    assert target["masks"].shape == (1, 10, 20) and type(target["masks"]) is tv.Mask
    with pytest.raises(ValueError, match="Could not infer where the labels are"):
        v2.SanitizeBoundingBoxes()({"boxes": boxes})


def test_containers():
    image, boxes, _ = _sample()
    unchanged = v2.RandomApply([v2.RandomHorizontalFlip(p=1.0)], p=0.0)(image, boxes)
    assert unchanged[0] is image and unchanged[1] is boxes
    ember.manual_seed(0)
    chosen = v2.RandomChoice([v2.RandomHorizontalFlip(p=1.0)])(image, boxes)
    assert chosen[1].tolist() == [[20, 5, 32, 15]]
    ember.manual_seed(0)
    both = v2.RandomOrder([v2.RandomHorizontalFlip(p=1.0), v2.RandomVerticalFlip(p=1.0)])(boxes)
    assert both.tolist() == [[20, 15, 32, 25]]
    with pytest.raises(ValueError, match="Pass at least one transform"):
        v2.Compose([])
    with pytest.raises(ValueError, match="Length of p doesn't match"):
        v2.RandomChoice([v2.Identity()], p=[0.5, 0.5])


def test_lambda_applies_only_to_its_types():
    image, boxes, _ = _sample()
    image_out, boxes_out = v2.Lambda(lambda b: b.clone() * 0, tv.BoundingBoxes)(image, boxes)
    assert image_out is image and boxes_out.tolist() == [[0, 0, 0, 0]]
