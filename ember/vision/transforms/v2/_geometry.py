"""Geometric v2 transforms: the v1 classes' arguments and random draws, applied to every image,
mask and box set of a sample with the same parameters."""
from __future__ import annotations

from typing import Any

from .. import transforms as v1
from .._functional_tensor import _parse_padding
from .._geometry import _resized_crop_params
from .._transform import _randint
from . import functional as F
from ._transform import Transform, _RandomApplyTransform
from ._utils import get_fill, query_size, setup_fill_arg


class RandomHorizontalFlip(_RandomApplyTransform, v1.RandomHorizontalFlip):
    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.horizontal_flip, inpt)


class RandomVerticalFlip(_RandomApplyTransform, v1.RandomVerticalFlip):
    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.vertical_flip, inpt)


class Resize(Transform, v1.Resize):
    """Resize images and masks (nearest) and scale boxes; ``size=None`` with ``max_size``
    bounds the longer edge."""

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.resize, inpt, self.size, interpolation=self.interpolation,
                                 max_size=self.max_size, antialias=self.antialias)


class CenterCrop(Transform, v1.CenterCrop):
    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.center_crop, inpt, output_size=self.size)


class RandomResizedCrop(Transform, v1.RandomResizedCrop):
    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        height, width = query_size(flat_inputs)
        top, left, h, w = _resized_crop_params(height, width, self.scale, self.ratio)
        return dict(top=top, left=left, height=h, width=w)

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.resized_crop, inpt, **params, size=list(self.size),
                                 interpolation=self.interpolation, antialias=self.antialias)


def _fill(transform: Any, inpt: Any) -> Any:
    """v2's ``fill``: one value for every type, or a dict of values per type."""
    return get_fill(setup_fill_arg(transform.fill), type(inpt))


class Pad(Transform, v1.Pad):
    def __init__(self, padding, fill: Any = 0, padding_mode: str = "constant") -> None:
        super().__init__(padding, 0, padding_mode)
        setup_fill_arg(fill)
        self.fill = fill

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.pad, inpt, padding=self.padding,
                                 fill=_fill(self, inpt),
                                 padding_mode=self.padding_mode)


class RandomCrop(Transform, v1.RandomCrop):
    """A random crop after optional padding; unlike v1 no random number is drawn along an
    axis the crop already spans (as in torchvision v2)."""

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        height, width = query_size(flat_inputs)
        left = top = right = bottom = 0
        if self.padding is not None:
            left, top, right, bottom = _parse_padding(self.padding)
        padded_h, padded_w = height + top + bottom, width + left + right
        crop_h, crop_w = self.size
        if self.pad_if_needed and padded_h < crop_h:
            diff = crop_h - padded_h
            top, bottom, padded_h = top + diff, bottom + diff, padded_h + 2 * diff
        if self.pad_if_needed and padded_w < crop_w:
            diff = crop_w - padded_w
            left, right, padded_w = left + diff, right + diff, padded_w + 2 * diff
        if padded_h < crop_h or padded_w < crop_w:
            raise ValueError(f"Required crop size {(crop_h, crop_w)} is larger than "
                             f"{'padded ' if self.padding is not None else ''}input image size "
                             f"{(padded_h, padded_w)}.")
        crop_top = _randint(0, padded_h - crop_h + 1) if padded_h > crop_h else 0
        crop_left = _randint(0, padded_w - crop_w + 1) if padded_w > crop_w else 0
        return dict(padding=[left, top, right, bottom], top=crop_top, left=crop_left,
                    height=crop_h, width=crop_w)

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        if any(params["padding"]):
            inpt = self._call_kernel(F.pad, inpt, padding=params["padding"],
                                     fill=_fill(self, inpt),
                                     padding_mode=self.padding_mode)
        return self._call_kernel(F.crop, inpt, top=params["top"], left=params["left"],
                                 height=params["height"], width=params["width"])


class RandomRotation(Transform, v1.RandomRotation):
    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        return dict(angle=self.get_params(self.degrees))

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.rotate, inpt, params["angle"],
                                 interpolation=self.interpolation, expand=self.expand,
                                 center=self.center, fill=_fill(self, inpt))


class RandomAffine(Transform, v1.RandomAffine):
    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        height, width = query_size(flat_inputs)
        angle, translate, scale, shear = self.get_params(self.degrees, self.translate,
                                                         self.scale, self.shear, [width, height])
        return dict(angle=angle, translate=list(translate), scale=scale, shear=list(shear))

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.affine, inpt, **params, interpolation=self.interpolation,
                                 fill=_fill(self, inpt), center=self.center)
