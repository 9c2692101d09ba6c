"""Colour functionals: defined for images only (masks and boxes pass through the transforms)."""
from __future__ import annotations

from typing import Any

from ... import functional as F1
from ._kernel import IMAGE_TYPES, _get_kernel, _register


def adjust_brightness(inpt: Any, brightness_factor: float) -> Any:
    return _get_kernel(adjust_brightness, type(inpt))(inpt, brightness_factor)


def adjust_contrast(inpt: Any, contrast_factor: float) -> Any:
    return _get_kernel(adjust_contrast, type(inpt))(inpt, contrast_factor)


def adjust_saturation(inpt: Any, saturation_factor: float) -> Any:
    return _get_kernel(adjust_saturation, type(inpt))(inpt, saturation_factor)


def adjust_hue(inpt: Any, hue_factor: float) -> Any:
    return _get_kernel(adjust_hue, type(inpt))(inpt, hue_factor)


def adjust_sharpness(inpt: Any, sharpness_factor: float) -> Any:
    return _get_kernel(adjust_sharpness, type(inpt))(inpt, sharpness_factor)


def adjust_gamma(inpt: Any, gamma: float, gain: float = 1) -> Any:
    return _get_kernel(adjust_gamma, type(inpt))(inpt, gamma, gain)


def posterize(inpt: Any, bits: int) -> Any:
    return _get_kernel(posterize, type(inpt))(inpt, bits)


def solarize(inpt: Any, threshold: float) -> Any:
    return _get_kernel(solarize, type(inpt))(inpt, threshold)


def autocontrast(inpt: Any) -> Any:
    return _get_kernel(autocontrast, type(inpt))(inpt)


def equalize(inpt: Any) -> Any:
    return _get_kernel(equalize, type(inpt))(inpt)


def invert(inpt: Any) -> Any:
    return _get_kernel(invert, type(inpt))(inpt)


def rgb_to_grayscale(inpt: Any, num_output_channels: int = 1) -> Any:
    return _get_kernel(rgb_to_grayscale, type(inpt))(inpt, num_output_channels)


to_grayscale = rgb_to_grayscale

for _functional, _kernel in (
        (adjust_brightness, F1.adjust_brightness), (adjust_contrast, F1.adjust_contrast),
        (adjust_saturation, F1.adjust_saturation), (adjust_hue, F1.adjust_hue),
        (adjust_sharpness, F1.adjust_sharpness), (adjust_gamma, F1.adjust_gamma),
        (posterize, F1.posterize), (solarize, F1.solarize), (autocontrast, F1.autocontrast),
        (equalize, F1.equalize), (invert, F1.invert), (rgb_to_grayscale, F1.rgb_to_grayscale)):
    _register(_functional, *IMAGE_TYPES)(_kernel)
