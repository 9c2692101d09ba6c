"""Sizes of any input, and bounding-box format conversion and clamping."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ember import Tensor

from .... import tv_tensors
from ....tv_tensors import BoundingBoxFormat
from ... import _functional_tensor as F_t
from ... import functional as F1
from ._kernel import IMAGE_TYPES, _get_kernel, _register


def get_dimensions(inpt: Any) -> list[int]:
    """[channels, height, width] of an image."""
    return _get_kernel(get_dimensions, type(inpt))(inpt)


def get_num_channels(inpt: Any) -> int:
    return get_dimensions(inpt)[0]


def get_size(inpt: Any) -> list[int]:
    """[height, width] of an image or mask, or the canvas of bounding boxes."""
    return _get_kernel(get_size, type(inpt))(inpt)


_register(get_dimensions, *IMAGE_TYPES, rewrap=False)(F1.get_dimensions)


@_register(get_size, *IMAGE_TYPES, tv_tensors.Mask, rewrap=False)
def _get_size_image(image: Any) -> list[int]:
    return F1.get_dimensions(image)[1:]


@_register(get_size, tv_tensors.BoundingBoxes, rewrap=False)
def _get_size_bounding_boxes(boxes: tv_tensors.BoundingBoxes) -> list[int]:
    return list(boxes.canvas_size)


# -- box coordinates as arrays --------------------------------------------------------------------
def _xyxy_from(arr: np.ndarray, format: BoundingBoxFormat) -> np.ndarray:
    if format is BoundingBoxFormat.XYWH:
        return np.concatenate([arr[:, :2], arr[:, :2] + arr[:, 2:]], axis=1)
    if format is BoundingBoxFormat.CXCYWH:
        half = arr[:, 2:] / 2
        return np.concatenate([arr[:, :2] - half, arr[:, :2] + half], axis=1)
    return arr


def _xyxy_to(arr: np.ndarray, format: BoundingBoxFormat) -> np.ndarray:
    if format is BoundingBoxFormat.XYWH:
        return np.concatenate([arr[:, :2], arr[:, 2:] - arr[:, :2]], axis=1)
    if format is BoundingBoxFormat.CXCYWH:
        return np.concatenate([(arr[:, :2] + arr[:, 2:]) / 2, arr[:, 2:] - arr[:, :2]], axis=1)
    return arr


def _clamp_xyxy(xyxy: np.ndarray, canvas_size: tuple[int, int]) -> np.ndarray:
    height, width = canvas_size
    return np.clip(xyxy, 0, [width, height, width, height])


def boxes_xyxy_op(boxes: Tensor, format: BoundingBoxFormat,
                  op: Callable[[np.ndarray], np.ndarray],
                  clamp_to: tuple[int, int] | None = None,
                  out_format: BoundingBoxFormat | None = None) -> Tensor:
    """Apply ``op`` to the boxes as (N, 4) float XYXY corners, optionally clamp them to a
    canvas, and return them in ``out_format`` (default: ``format``) and their own dtype
    (integers rounded down)."""
    arr = np.asarray(boxes.detach())
    work = F_t._work_dtype(arr.dtype)
    xyxy = op(_xyxy_from(arr.reshape(-1, 4).astype(work), format))
    if clamp_to is not None:
        xyxy = _clamp_xyxy(xyxy, clamp_to)
    out = _xyxy_to(xyxy, out_format or format).reshape(arr.shape)
    if arr.dtype.kind in "iu":
        out = np.floor(out)
    return F_t._wrap(out.astype(arr.dtype), boxes)


def _parse_format(format: BoundingBoxFormat | str | None) -> BoundingBoxFormat | None:
    return None if format is None else tv_tensors._box_format(format)


def convert_bounding_box_format(inpt: Tensor,
                                old_format: BoundingBoxFormat | str | None = None,
                                new_format: BoundingBoxFormat | str | None = None,
                                inplace: bool = False) -> Tensor:
    """Boxes in ``new_format``; ``old_format`` is given for plain tensors only."""
    if new_format is None:
        raise TypeError("convert_bounding_box_format() missing 1 required argument: "
                        "'new_format'")
    old_format, new_format = _parse_format(old_format), _parse_format(new_format)
    if isinstance(inpt, tv_tensors.BoundingBoxes):
        if old_format is not None:
            raise ValueError("For bounding box tv_tensor inputs, `old_format` must not be "
                             "passed.")
        out = _convert(inpt, inpt.format, new_format, inplace)
        return tv_tensors.wrap(out, like=inpt, format=new_format)
    if not isinstance(inpt, Tensor) or isinstance(inpt, tv_tensors.TVTensor):
        raise TypeError("Input can either be a plain tensor or a bounding box tv_tensor, but "
                        f"got {type(inpt)} instead.")
    if old_format is None:
        raise ValueError("For pure tensor inputs, `old_format` has to be passed.")
    return _convert(inpt, old_format, new_format, inplace)


def _convert(boxes: Tensor, old_format: BoundingBoxFormat, new_format: BoundingBoxFormat,
             inplace: bool) -> Tensor:
    if old_format is new_format:
        return boxes
    out = boxes_xyxy_op(boxes, old_format, lambda xyxy: xyxy, out_format=new_format)
    if not inplace:
        return out
    np.asarray(boxes)[...] = np.asarray(out)
    return boxes


def clamp_bounding_boxes(inpt: Tensor, format: BoundingBoxFormat | str | None = None,
                         canvas_size: tuple[int, int] | None = None) -> Tensor:
    """Clip boxes to their canvas; ``format`` and ``canvas_size`` for plain tensors only."""
    format = _parse_format(format)
    if isinstance(inpt, tv_tensors.BoundingBoxes):
        if format is not None or canvas_size is not None:
            raise ValueError("For bounding box tv_tensor inputs, `format` and `canvas_size` "
                             "must not be passed.")
        out = boxes_xyxy_op(inpt, inpt.format, lambda xyxy: xyxy, clamp_to=inpt.canvas_size)
        return tv_tensors.wrap(out, like=inpt)
    if not isinstance(inpt, Tensor) or isinstance(inpt, tv_tensors.TVTensor):
        raise TypeError("Input can either be a plain tensor or a bounding box tv_tensor, but "
                        f"got {type(inpt)} instead.")
    if format is None or canvas_size is None:
        raise ValueError("For pure tensor inputs, `format` and `canvas_size` have to be "
                         "passed.")
    return boxes_xyxy_op(inpt, format, lambda xyxy: xyxy, clamp_to=tuple(canvas_size))
