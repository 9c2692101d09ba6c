"""Colour v2 transforms: images change, masks and boxes pass through untouched."""
from __future__ import annotations

from typing import Any

from .. import transforms as v1
from . import functional as F
from ._transform import Transform, _RandomApplyTransform
from ._utils import query_chw


class Grayscale(Transform, v1.Grayscale):
    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.rgb_to_grayscale, inpt,
                                 num_output_channels=self.num_output_channels)


class RandomGrayscale(_RandomApplyTransform, v1.RandomGrayscale):
    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        return dict(num_input_channels=query_chw(flat_inputs)[0])

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.rgb_to_grayscale, inpt,
                                 num_output_channels=params["num_input_channels"])


class ColorJitter(Transform, v1.ColorJitter):
    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        fn_idx, *factors = self.get_params(self.brightness, self.contrast, self.saturation,
                                           self.hue)
        return dict(fn_idx=fn_idx, factors=factors)

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        adjust = (F.adjust_brightness, F.adjust_contrast, F.adjust_saturation, F.adjust_hue)
        for fn_id in params["fn_idx"]:
            factor = params["factors"][fn_id]
            if factor is not None:
                inpt = self._call_kernel(adjust[fn_id], inpt, factor)
        return inpt


class RandomInvert(_RandomApplyTransform, v1.RandomInvert):
    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.invert, inpt)


class RandomPosterize(_RandomApplyTransform, v1.RandomPosterize):
    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.posterize, inpt, bits=self.bits)


class RandomSolarize(_RandomApplyTransform, v1.RandomSolarize):
    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.solarize, inpt, threshold=self.threshold)


class RandomAdjustSharpness(_RandomApplyTransform, v1.RandomAdjustSharpness):
    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.adjust_sharpness, inpt,
                                 sharpness_factor=self.sharpness_factor)


class RandomAutocontrast(_RandomApplyTransform, v1.RandomAutocontrast):
    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.autocontrast, inpt)


class RandomEqualize(_RandomApplyTransform, v1.RandomEqualize):
    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.equalize, inpt)
