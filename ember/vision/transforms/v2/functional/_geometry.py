"""Geometric functionals: images use the v1 kernels, masks the same with nearest
interpolation, bounding boxes move with them (and are clamped to the canvas after crops, pads,
rotations and affine warps, as in torchvision)."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ember import Tensor

from .... import tv_tensors
from ....tv_tensors import BoundingBoxFormat
from ... import _functional_tensor as F_t
from ... import functional as F1
from ...functional import InterpolationMode, _setup_size
from ._kernel import IMAGE_TYPES, _get_kernel, _register
from ._meta import boxes_xyxy_op

_MASK = tv_tensors.Mask
_BOXES = tv_tensors.BoundingBoxes


def horizontal_flip(inpt: Any) -> Any:
    """Mirror left-right."""
    return _get_kernel(horizontal_flip, type(inpt))(inpt)


def vertical_flip(inpt: Any) -> Any:
    """Mirror top-bottom."""
    return _get_kernel(vertical_flip, type(inpt))(inpt)


hflip = horizontal_flip
vflip = vertical_flip


def resize(inpt: Any, size: int | Sequence[int] | None,
           interpolation: InterpolationMode | int = InterpolationMode.BILINEAR,
           max_size: int | None = None, antialias: bool | None = True) -> Any:
    return _get_kernel(resize, type(inpt))(inpt, size, interpolation=interpolation,
                                           max_size=max_size, antialias=antialias)


def crop(inpt: Any, top: int, left: int, height: int, width: int) -> Any:
    return _get_kernel(crop, type(inpt))(inpt, top, left, height, width)


def center_crop(inpt: Any, output_size: int | Sequence[int]) -> Any:
    return _get_kernel(center_crop, type(inpt))(inpt, output_size)


def resized_crop(inpt: Any, top: int, left: int, height: int, width: int, size: Sequence[int],
                 interpolation: InterpolationMode | int = InterpolationMode.BILINEAR,
                 antialias: bool | None = True) -> Any:
    return _get_kernel(resized_crop, type(inpt))(inpt, top, left, height, width, size,
                                                 interpolation=interpolation,
                                                 antialias=antialias)


def pad(inpt: Any, padding: int | Sequence[int], fill: Any = 0,
        padding_mode: str = "constant") -> Any:
    return _get_kernel(pad, type(inpt))(inpt, padding, fill=fill, padding_mode=padding_mode)


def affine(inpt: Any, angle: float, translate: Sequence[float], scale: float,
           shear: float | Sequence[float],
           interpolation: InterpolationMode | int = InterpolationMode.NEAREST, fill: Any = None,
           center: Sequence[float] | None = None) -> Any:
    return _get_kernel(affine, type(inpt))(inpt, angle, translate, scale, shear,
                                           interpolation=interpolation, fill=fill,
                                           center=center)


def rotate(inpt: Any, angle: float,
           interpolation: InterpolationMode | int = InterpolationMode.NEAREST,
           expand: bool = False, center: Sequence[float] | None = None, fill: Any = None) -> Any:
    return _get_kernel(rotate, type(inpt))(inpt, angle, interpolation=interpolation,
                                           expand=expand, center=center, fill=fill)


# -- images and masks ---------------------------------------------------------------------------
_register(horizontal_flip, *IMAGE_TYPES, _MASK)(F1.hflip)
_register(vertical_flip, *IMAGE_TYPES, _MASK)(F1.vflip)
_register(resize, *IMAGE_TYPES)(F1.resize)
_register(crop, *IMAGE_TYPES, _MASK)(F1.crop)
_register(center_crop, *IMAGE_TYPES, _MASK)(F1.center_crop)
_register(resized_crop, *IMAGE_TYPES)(F1.resized_crop)
_register(pad, *IMAGE_TYPES, _MASK)(F1.pad)
_register(affine, *IMAGE_TYPES)(F1.affine)
_register(rotate, *IMAGE_TYPES)(F1.rotate)


@_register(resize, _MASK)
def resize_mask(mask: Tensor, size: int | Sequence[int] | None, interpolation: Any = None,
                max_size: int | None = None, antialias: bool | None = None) -> Tensor:
    """Masks are always resized with nearest interpolation."""
    return F1.resize(mask, size, InterpolationMode.NEAREST, max_size)


@_register(resized_crop, _MASK)
def resized_crop_mask(mask: Tensor, top: int, left: int, height: int, width: int,
                      size: Sequence[int], interpolation: Any = None,
                      antialias: bool | None = None) -> Tensor:
    return F1.resized_crop(mask, top, left, height, width, size, InterpolationMode.NEAREST)


@_register(affine, _MASK)
def affine_mask(mask: Tensor, angle: float, translate: Sequence[float], scale: float,
                shear: float | Sequence[float], interpolation: Any = None, fill: Any = None,
                center: Sequence[float] | None = None) -> Tensor:
    return F1.affine(mask, angle, list(translate), scale, shear, InterpolationMode.NEAREST,
                     fill, center)


@_register(rotate, _MASK)
def rotate_mask(mask: Tensor, angle: float, interpolation: Any = None, expand: bool = False,
                center: Sequence[float] | None = None, fill: Any = None) -> Tensor:
    return F1.rotate(mask, angle, InterpolationMode.NEAREST, expand, center, fill)


# -- bounding boxes -------------------------------------------------------------------------
def horizontal_flip_bounding_boxes(boxes: Tensor, format: BoundingBoxFormat,
                                   canvas_size: tuple[int, int]) -> Tensor:
    width = canvas_size[1]
    return boxes_xyxy_op(boxes, format, lambda b: np.stack(
        [width - b[:, 2], b[:, 1], width - b[:, 0], b[:, 3]], axis=1))


def vertical_flip_bounding_boxes(boxes: Tensor, format: BoundingBoxFormat,
                                 canvas_size: tuple[int, int]) -> Tensor:
    height = canvas_size[0]
    return boxes_xyxy_op(boxes, format, lambda b: np.stack(
        [b[:, 0], height - b[:, 3], b[:, 2], height - b[:, 1]], axis=1))


def resize_bounding_boxes(boxes: Tensor, canvas_size: tuple[int, int],
                          size: int | Sequence[int] | None, max_size: int | None = None,
                          format: BoundingBoxFormat = BoundingBoxFormat.XYXY
                          ) -> tuple[Tensor, tuple[int, int]]:
    """Scale the boxes with the image (not clamped); returns them and the new canvas."""
    size = [int(size)] if isinstance(size, (int, np.integer)) else size
    new_h, new_w = F1._compute_resized_output_size(canvas_size, size, max_size)
    ratios = [new_w / canvas_size[1], new_h / canvas_size[0]] * 2
    return boxes_xyxy_op(boxes, format, lambda b: b * np.asarray(ratios, b.dtype)), (new_h, new_w)


def crop_bounding_boxes(boxes: Tensor, format: BoundingBoxFormat, top: int, left: int,
                        height: int, width: int) -> tuple[Tensor, tuple[int, int]]:
    """Shift into the crop's frame and clamp to it; negative offsets mean implicit padding."""
    offset = [left, top, left, top]
    out = boxes_xyxy_op(boxes, format, lambda b: b - np.asarray(offset, b.dtype),
                        clamp_to=(height, width))
    return out, (height, width)


def center_crop_bounding_boxes(boxes: Tensor, format: BoundingBoxFormat,
                               canvas_size: tuple[int, int], output_size: int | Sequence[int]
                               ) -> tuple[Tensor, tuple[int, int]]:
    crop_h, crop_w = _setup_size(output_size, "Please provide only two dimensions (h, w) for "
                                              "size.")
    top, left = (_center_crop_offset(image, cropped)
                 for image, cropped in zip(canvas_size, (crop_h, crop_w)))
    return crop_bounding_boxes(boxes, format, top, left, crop_h, crop_w)


def _center_crop_offset(image: int, cropped: int) -> int:
    """Where F.center_crop starts: the centred offset, or minus the leading zero-padding
    when the crop is larger than the image."""
    if cropped > image:
        return -((cropped - image) // 2)
    return int(round((image - cropped) / 2.0))


def resized_crop_bounding_boxes(boxes: Tensor, format: BoundingBoxFormat, top: int, left: int,
                                height: int, width: int, size: Sequence[int]
                                ) -> tuple[Tensor, tuple[int, int]]:
    boxes, canvas_size = crop_bounding_boxes(boxes, format, top, left, height, width)
    return resize_bounding_boxes(boxes, canvas_size, size, format=format)


def pad_bounding_boxes(boxes: Tensor, format: BoundingBoxFormat, canvas_size: tuple[int, int],
                       padding: int | Sequence[int], padding_mode: str = "constant"
                       ) -> tuple[Tensor, tuple[int, int]]:
    if padding_mode != "constant":
        raise ValueError(f"Padding mode '{padding_mode}' is not supported with bounding boxes")
    left, top, right, bottom = F_t._parse_padding(padding)
    new_canvas = (canvas_size[0] + top + bottom, canvas_size[1] + left + right)
    offset = [left, top, left, top]
    out = boxes_xyxy_op(boxes, format, lambda b: b + np.asarray(offset, b.dtype),
                        clamp_to=new_canvas)
    return out, new_canvas


def _affine_bounding_boxes_with_expand(boxes: Tensor, format: BoundingBoxFormat,
                                       canvas_size: tuple[int, int], angle: float,
                                       translate: Sequence[float], scale: float,
                                       shear: float | Sequence[float],
                                       center: Sequence[float] | None = None,
                                       expand: bool = False
                                       ) -> tuple[Tensor, tuple[int, int]]:
    """Map each box's corners through the forward affine matrix and take their bounds."""
    height, width = canvas_size
    shear = [float(shear), 0.0] if isinstance(shear, (int, float)) else list(shear)
    shear = shear * 2 if len(shear) == 1 else shear
    pivot = [width * 0.5, height * 0.5] if center is None else list(center)
    matrix = np.asarray(F1._get_inverse_affine_matrix(pivot, angle, list(translate), scale,
                                                      shear, inverted=False)).reshape(2, 3)
    shift = np.zeros(2)
    if expand:
        frame = np.array([[0.0, 0.0], [0.0, height], [width, height], [width, 0.0]])
        shift = (frame @ matrix[:, :2].T + matrix[:, 2]).min(axis=0)
        inverse = F1._get_inverse_affine_matrix([0.0, 0.0], angle, list(translate), scale,
                                                shear)
        new_w, new_h = F_t._affine_output_size(inverse, width, height)
        canvas_size = (new_h, new_w)

    def warp(b: np.ndarray) -> np.ndarray:
        corners = b[:, [[0, 1], [2, 1], [2, 3], [0, 3]]]
        points = corners @ matrix[:, :2].T.astype(b.dtype) + (matrix[:, 2] - shift)
        return np.concatenate([points.min(axis=1), points.max(axis=1)], axis=1)

    return boxes_xyxy_op(boxes, format, warp, clamp_to=canvas_size), canvas_size


def affine_bounding_boxes(boxes: Tensor, format: BoundingBoxFormat,
                          canvas_size: tuple[int, int], angle: float,
                          translate: Sequence[float], scale: float,
                          shear: float | Sequence[float],
                          center: Sequence[float] | None = None) -> Tensor:
    return _affine_bounding_boxes_with_expand(boxes, format, canvas_size, angle, translate,
                                              scale, shear, center)[0]


def rotate_bounding_boxes(boxes: Tensor, format: BoundingBoxFormat,
                          canvas_size: tuple[int, int], angle: float, expand: bool = False,
                          center: Sequence[float] | None = None
                          ) -> tuple[Tensor, tuple[int, int]]:
    return _affine_bounding_boxes_with_expand(boxes, format, canvas_size, -angle, [0.0, 0.0],
                                              1.0, [0.0, 0.0], center, expand)


@_register(horizontal_flip, _BOXES, rewrap=False)
def _hflip_boxes(inpt: tv_tensors.BoundingBoxes) -> tv_tensors.BoundingBoxes:
    return tv_tensors.wrap(horizontal_flip_bounding_boxes(inpt, inpt.format, inpt.canvas_size),
                           like=inpt)


@_register(vertical_flip, _BOXES, rewrap=False)
def _vflip_boxes(inpt: tv_tensors.BoundingBoxes) -> tv_tensors.BoundingBoxes:
    return tv_tensors.wrap(vertical_flip_bounding_boxes(inpt, inpt.format, inpt.canvas_size),
                           like=inpt)


@_register(resize, _BOXES, rewrap=False)
def _resize_boxes(inpt: tv_tensors.BoundingBoxes, size, max_size=None, **kwargs):
    out, canvas = resize_bounding_boxes(inpt, inpt.canvas_size, size, max_size, inpt.format)
    return tv_tensors.wrap(out, like=inpt, canvas_size=canvas)


@_register(crop, _BOXES, rewrap=False)
def _crop_boxes(inpt: tv_tensors.BoundingBoxes, top, left, height, width):
    out, canvas = crop_bounding_boxes(inpt, inpt.format, top, left, height, width)
    return tv_tensors.wrap(out, like=inpt, canvas_size=canvas)


@_register(center_crop, _BOXES, rewrap=False)
def _center_crop_boxes(inpt: tv_tensors.BoundingBoxes, output_size):
    out, canvas = center_crop_bounding_boxes(inpt, inpt.format, inpt.canvas_size, output_size)
    return tv_tensors.wrap(out, like=inpt, canvas_size=canvas)


@_register(resized_crop, _BOXES, rewrap=False)
def _resized_crop_boxes(inpt: tv_tensors.BoundingBoxes, top, left, height, width, size,
                        **kwargs):
    out, canvas = resized_crop_bounding_boxes(inpt, inpt.format, top, left, height, width,
                                              size)
    return tv_tensors.wrap(out, like=inpt, canvas_size=canvas)


@_register(pad, _BOXES, rewrap=False)
def _pad_boxes(inpt: tv_tensors.BoundingBoxes, padding, fill=None, padding_mode="constant"):
    out, canvas = pad_bounding_boxes(inpt, inpt.format, inpt.canvas_size, padding, padding_mode)
    return tv_tensors.wrap(out, like=inpt, canvas_size=canvas)


@_register(affine, _BOXES, rewrap=False)
def _affine_boxes(inpt: tv_tensors.BoundingBoxes, angle, translate, scale, shear,
                  center=None, **kwargs):
    out = affine_bounding_boxes(inpt, inpt.format, inpt.canvas_size, angle, translate, scale,
                                shear, center)
    return tv_tensors.wrap(out, like=inpt)


@_register(rotate, _BOXES, rewrap=False)
def _rotate_boxes(inpt: tv_tensors.BoundingBoxes, angle, expand=False, center=None, **kwargs):
    out, canvas = rotate_bounding_boxes(inpt, inpt.format, inpt.canvas_size, angle, expand,
                                        center)
    return tv_tensors.wrap(out, like=inpt, canvas_size=canvas)
