"""Normalisation, blur, erasing, dtype conversion, lambdas and bounding-box housekeeping."""
from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np

import ember
from ember import Tensor

from ... import tv_tensors
from .. import transforms as v1
from . import functional as F
from ._transform import Transform, _RandomApplyTransform
from ._utils import (PIL_IMAGE_TYPES, has_any, is_image_like, is_pure_tensor, tree_flatten,
                     tree_unflatten)


class Identity(Transform):
    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return inpt


class Lambda(Transform):
    """Apply ``lambd`` to the inputs of ``types`` (every input by default)."""

    def __init__(self, lambd: Callable[[Any], Any], *types: type) -> None:
        super().__init__()
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {repr(type(lambd).__name__)}")
        self.lambd = lambd
        self.types = types or (object,)
        self._transformed_types = self.types

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self.lambd(inpt)

    def extra_repr(self) -> str:
        return f"{getattr(self.lambd, '__name__', self.lambd)}, types={list(self.types)}"


class Normalize(Transform, v1.Normalize):
    def check_inputs(self, flat_inputs: list[Any]) -> None:
        if has_any(flat_inputs, *PIL_IMAGE_TYPES):
            raise TypeError(f"{type(self).__name__}() does not support PIL images.")

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.normalize, inpt, mean=self.mean, std=self.std,
                                 inplace=self.inplace)


class GaussianBlur(Transform, v1.GaussianBlur):
    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        sigma = self.get_params(self.sigma[0], self.sigma[1])
        return dict(sigma=[sigma, sigma])

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.gaussian_blur, inpt, list(self.kernel_size), **params)


class RandomErasing(_RandomApplyTransform, v1.RandomErasing):
    """Erase one random rectangle of every image; masks and boxes pass through with a
    warning, as in torchvision."""

    def check_inputs(self, flat_inputs: list[Any]) -> None:
        if has_any(flat_inputs, *PIL_IMAGE_TYPES):
            raise TypeError(f"{type(self).__name__}() does not support PIL images.")

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        image = next(inpt for inpt in flat_inputs if is_image_like(inpt))
        value = None if isinstance(self.value, str) else (
            [float(self.value)] if isinstance(self.value, (int, float)) else list(self.value))
        if value is not None and len(value) not in (1, image.shape[-3]):
            raise ValueError("If value is a sequence, it should have either a single value or "
                             f"{image.shape[-3]} (number of input channels)")
        i, j, h, w, v = self.get_params(image, self.scale, self.ratio, value)
        return dict(i=i, j=j, h=h, w=w, v=None if v is image else v)

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        if isinstance(inpt, (tv_tensors.BoundingBoxes, tv_tensors.Mask)):
            warnings.warn(f"{type(self).__name__}() is currently passing through inputs of "
                          f"type tv_tensors.{type(inpt).__name__}. This will likely change in "
                          "the future.")
            return inpt
        if params["v"] is None:
            return inpt
        return self._call_kernel(F.erase, inpt, **params, inplace=self.inplace)


class ToDtype(Transform):
    """Cast images (and, with a dict ``{type: dtype, "others": ...}``, other inputs); with
    ``scale`` image values are rescaled to the new dtype's range."""

    _transformed_types = (Tensor,)

    def __init__(self, dtype: Any, scale: bool = False) -> None:
        super().__init__()
        if not isinstance(dtype, (dict, ember.dtype)):
            raise ValueError(f"dtype must be a dict or a torch.dtype, got {type(dtype)} instead")
        self.dtype = dtype
        self.scale = scale

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        is_image = is_pure_tensor(inpt) or isinstance(inpt, tv_tensors.Image)
        if not isinstance(self.dtype, dict):
            if not is_image:
                return inpt
            dtype = self.dtype
        elif type(inpt) in self.dtype:
            dtype = self.dtype[type(inpt)]
        elif "others" in self.dtype:
            dtype = self.dtype["others"]
        else:
            raise ValueError(f"No dtype was specified for type {type(inpt)}. If you only need "
                             "to convert the dtype of images or videos, you can just pass e.g. "
                             "dtype=ember.float32. If you're passing a dict as dtype, you can "
                             'use "others" as a catch-all key e.g. dtype={tv_tensors.Mask: '
                             'ember.int64, "others": None} to pass-through the rest of the '
                             "inputs.")
        if dtype is None:
            return inpt
        return self._call_kernel(F.to_dtype, inpt, dtype=dtype, scale=self.scale)


class ConvertImageDtype(ToDtype):
    """``ToDtype(dtype, scale=True)`` for images."""

    def __init__(self, dtype: Any = ember.float32) -> None:
        super().__init__(dtype, scale=True)


class ConvertBoundingBoxFormat(Transform):
    _transformed_types = (tv_tensors.BoundingBoxes,)

    def __init__(self, format: tv_tensors.BoundingBoxFormat | str) -> None:
        super().__init__()
        self.format = tv_tensors._box_format(format)

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return F.convert_bounding_box_format(inpt, new_format=self.format)


class ClampBoundingBoxes(Transform):
    _transformed_types = (tv_tensors.BoundingBoxes,)

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return F.clamp_bounding_boxes(inpt)


def _default_labels(sample: Any) -> Any:
    """The "labels" entry (or the first key containing "label") of a dict sample or of the
    dict second item of an (image, target) tuple."""
    target = sample[1] if isinstance(sample, tuple) else sample
    if not isinstance(target, dict):
        raise ValueError("When using the default labels_getter, the input passed to forward "
                         "must be a dictionary or a two-tuple whose second item is a "
                         f"dictionary or a tensor, but got {type(target)} instead.")
    keys = [k for k in target if isinstance(k, str) and k.lower() == "labels"] or \
        [k for k in target if isinstance(k, str) and "label" in k.lower()]
    if not keys:
        raise ValueError("Could not infer where the labels are in the sample. Try passing a "
                         "callable as the labels_getter parameter?If there are no labels in "
                         "the sample by design, pass labels_getter=None.")
    return target[keys[0]]


class SanitizeBoundingBoxes(Transform):
    """Drop degenerate boxes (side below ``min_size``, area below ``min_area``, or outside
    the canvas) together with their labels and masks."""

    def __init__(self, min_size: float = 1.0, min_area: float = 1.0,
                 labels_getter: Callable[[Any], Any] | str | None = "default") -> None:
        super().__init__()
        if min_size < 1:
            raise ValueError(f"min_size must be >= 1, got {min_size}.")
        if min_area < 1:
            raise ValueError(f"min_area must be >= 1, got {min_area}.")
        if labels_getter == "default":
            labels_getter = _default_labels
        elif labels_getter is not None and not callable(labels_getter):
            raise ValueError("labels_getter should either be 'default', a callable, or None, "
                             f"but got {labels_getter}.")
        self.min_size = min_size
        self.min_area = min_area
        self._labels_getter = labels_getter

    def forward(self, *inputs: Any) -> Any:
        sample = inputs if len(inputs) > 1 else inputs[0]
        labels = self._labels_getter(sample) if self._labels_getter is not None else None
        if isinstance(labels, Tensor):
            labels = (labels,)
        elif labels is not None and not (isinstance(labels, (tuple, list)) and all(
                isinstance(label, Tensor) for label in labels)):
            raise ValueError("The labels in the input to forward() must be a tensor or None, "
                             f"got {type(labels)} instead.")
        flat_inputs, spec = tree_flatten(sample)
        boxes = [inpt for inpt in flat_inputs if isinstance(inpt, tv_tensors.BoundingBoxes)]
        if len(boxes) != 1:
            raise ValueError(f"Found {len(boxes)} bounding box instances in the sample, but "
                             "exactly one is expected.")
        for label in labels or ():
            if label.shape[0] != boxes[0].shape[0]:
                raise ValueError(f"Number of boxes (shape={tuple(boxes[0].shape)}) and must "
                                 "match the number of labels. Found labels with "
                                 f"shape={tuple(label.shape)}).")
        params = dict(keep=self._valid(boxes[0]), labels=labels or ())
        return tree_unflatten([self.transform(inpt, params) for inpt in flat_inputs], spec)

    def _valid(self, boxes: tv_tensors.BoundingBoxes) -> Tensor:
        xyxy = np.asarray(F.convert_bounding_box_format(boxes, new_format="XYXY"))
        height, width = boxes.canvas_size
        ws, hs = xyxy[:, 2] - xyxy[:, 0], xyxy[:, 3] - xyxy[:, 1]
        valid = ((ws >= self.min_size) & (hs >= self.min_size) & (ws * hs >= self.min_area)
                 & (xyxy >= 0).all(axis=1) & (xyxy[:, 0::2] <= width).all(axis=1)
                 & (xyxy[:, 1::2] <= height).all(axis=1))
        return ember.from_numpy(np.flatnonzero(valid))

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        is_label = any(inpt is label for label in params["labels"])
        if not (is_label or isinstance(inpt, (tv_tensors.BoundingBoxes, tv_tensors.Mask))):
            return inpt
        kept = inpt.index_select(0, params["keep"])
        return kept if is_label else tv_tensors.wrap(kept, like=inpt)
