"""Automatic augmentation policies (torchvision.transforms.autoaugment): AutoAugment,
RandAugment, TrivialAugmentWide and AugMix, over PIL images and (..., 1 or 3, H, W) tensors.

Random choices come from Ember's default generator, so ``ember.manual_seed`` repeats them.
torchvision's v1 policies accept uint8 tensors only (posterize and equalize reject floats);
here float tensors work too, as in torchvision v2: the Solarize threshold is scaled to the
dtype's maximum and posterize/equalize act on the float image's uint8 levels.
"""
from __future__ import annotations

import math
from enum import Enum
from typing import Callable

import numpy as np

from ember import Tensor
from ember._ops.random import rng as _rng

from . import _functional_tensor as F_t
from . import functional as F
from .functional import InterpolationMode, _interpolation
from ._transform import _Transform, _fill_for_tensor

__all__ = ["AutoAugmentPolicy", "AutoAugment", "RandAugment", "TrivialAugmentWide", "AugMix"]


def _shear(axis: int) -> Callable:
    def op(img, magnitude, interpolation, fill):
        shear = [0.0, 0.0]
        shear[axis] = math.degrees(math.atan(magnitude))
        return F.affine(img, angle=0.0, translate=[0, 0], scale=1.0, shear=shear,
                        interpolation=interpolation, fill=fill, center=[0, 0])
    return op


def _translate(axis: int) -> Callable:
    def op(img, magnitude, interpolation, fill):
        translate = [0, 0]
        translate[axis] = int(magnitude)
        return F.affine(img, angle=0.0, translate=translate, scale=1.0, shear=[0.0, 0.0],
                        interpolation=interpolation, fill=fill)
    return op


def _solarize(img, magnitude, interpolation, fill):
    # Magnitudes are on the uint8 scale; float tensors are solarized at the same fraction.
    if isinstance(img, Tensor) and img.is_floating_point():
        magnitude /= 255.0
    return F.solarize(img, magnitude)


_OPS: dict[str, Callable] = {
    "Identity": lambda img, m, interpolation, fill: img,
    "ShearX": _shear(0),
    "ShearY": _shear(1),
    "TranslateX": _translate(0),
    "TranslateY": _translate(1),
    "Rotate": lambda img, m, interpolation, fill: F.rotate(img, m, interpolation=interpolation,
                                                           fill=fill),
    "Brightness": lambda img, m, interpolation, fill: F.adjust_brightness(img, 1.0 + m),
    "Color": lambda img, m, interpolation, fill: F.adjust_saturation(img, 1.0 + m),
    "Contrast": lambda img, m, interpolation, fill: F.adjust_contrast(img, 1.0 + m),
    "Sharpness": lambda img, m, interpolation, fill: F.adjust_sharpness(img, 1.0 + m),
    "Posterize": lambda img, m, interpolation, fill: F.posterize(img, int(m)),
    "Solarize": _solarize,
    "AutoContrast": lambda img, m, interpolation, fill: F.autocontrast(img),
    "Equalize": lambda img, m, interpolation, fill: F.equalize(img),
    "Invert": lambda img, m, interpolation, fill: F.invert(img),
}


def _apply_op(img, op_name: str, magnitude: float, interpolation: InterpolationMode, fill):
    if op_name not in _OPS:
        raise ValueError(f"The provided operator {op_name} is not recognized.")
    return _OPS[op_name](img, magnitude, interpolation, fill)


# An augmentation space maps op names to (magnitudes or None, signed); magnitudes are float32
# as torch.linspace makes them, so the values equal torchvision's.
Space = dict[str, tuple[np.ndarray | None, bool]]


def _linspace(start: float, end: float, num_bins: int) -> np.ndarray:
    return np.linspace(start, end, num_bins, dtype=np.float32)


def _geometric_space(num_bins: int, shear: float, translate_x: float, translate_y: float,
                     rotate: float) -> Space:
    return {"ShearX": (_linspace(0.0, shear, num_bins), True),
            "ShearY": (_linspace(0.0, shear, num_bins), True),
            "TranslateX": (_linspace(0.0, translate_x, num_bins), True),
            "TranslateY": (_linspace(0.0, translate_y, num_bins), True),
            "Rotate": (_linspace(0.0, rotate, num_bins), True)}


def _enhance_space(num_bins: int, strength: float) -> Space:
    return {name: (_linspace(0.0, strength, num_bins), True)
            for name in ("Brightness", "Color", "Contrast", "Sharpness")}


def _tonal_space(num_bins: int, top_bits: int, bit_span: int) -> Space:
    bits = top_bits - np.round(np.arange(num_bins) / ((num_bins - 1) / bit_span)).astype(int)
    return {"Posterize": (bits, False),
            "Solarize": (_linspace(255.0, 0.0, num_bins), False),
            "AutoContrast": (None, False),
            "Equalize": (None, False)}


def _standard_space(num_bins: int, width: int, height: int) -> Space:
    """The space of AutoAugment and RandAugment (torchvision's ``_augmentation_space``)."""
    return {**_geometric_space(num_bins, 0.3, 150.0 / 331.0 * width, 150.0 / 331.0 * height,
                               30.0),
            **_enhance_space(num_bins, 0.9), **_tonal_space(num_bins, 8, 4)}


def _magnitude(magnitudes: np.ndarray | None, index: int) -> float:
    return 0.0 if magnitudes is None else float(magnitudes[index])


class _AutoAugmentBase(_Transform):
    def __init__(self, interpolation=InterpolationMode.NEAREST, fill=None) -> None:
        super().__init__()
        self.interpolation = _interpolation(interpolation)
        self.fill = fill

    def _signed(self, magnitude: float, signed: bool) -> float:
        """Negate half the time, drawing a coin only for signed ops (as torchvision does)."""
        return -magnitude if signed and _rng().integers(2) else magnitude

    def extra_repr(self) -> str:
        return f"interpolation={self.interpolation}, fill={self.fill}"


class AutoAugmentPolicy(Enum):
    """AutoAugment policies learned on different datasets."""
    IMAGENET = "imagenet"
    CIFAR10 = "cifar10"
    SVHN = "svhn"


_POLICIES = {
    AutoAugmentPolicy.IMAGENET: [
        (("Posterize", 0.4, 8), ("Rotate", 0.6, 9)),
        (("Solarize", 0.6, 5), ("AutoContrast", 0.6, None)),
        (("Equalize", 0.8, None), ("Equalize", 0.6, None)),
        (("Posterize", 0.6, 7), ("Posterize", 0.6, 6)),
        (("Equalize", 0.4, None), ("Solarize", 0.2, 4)),
        (("Equalize", 0.4, None), ("Rotate", 0.8, 8)),
        (("Solarize", 0.6, 3), ("Equalize", 0.6, None)),
        (("Posterize", 0.8, 5), ("Equalize", 1.0, None)),
        (("Rotate", 0.2, 3), ("Solarize", 0.6, 8)),
        (("Equalize", 0.6, None), ("Posterize", 0.4, 6)),
        (("Rotate", 0.8, 8), ("Color", 0.4, 0)),
        (("Rotate", 0.4, 9), ("Equalize", 0.6, None)),
        (("Equalize", 0.0, None), ("Equalize", 0.8, None)),
        (("Invert", 0.6, None), ("Equalize", 1.0, None)),
        (("Color", 0.6, 4), ("Contrast", 1.0, 8)),
        (("Rotate", 0.8, 8), ("Color", 1.0, 2)),
        (("Color", 0.8, 8), ("Solarize", 0.8, 7)),
        (("Sharpness", 0.4, 7), ("Invert", 0.6, None)),
        (("ShearX", 0.6, 5), ("Equalize", 1.0, None)),
        (("Color", 0.4, 0), ("Equalize", 0.6, None)),
        (("Equalize", 0.4, None), ("Solarize", 0.2, 4)),
        (("Solarize", 0.6, 5), ("AutoContrast", 0.6, None)),
        (("Invert", 0.6, None), ("Equalize", 1.0, None)),
        (("Color", 0.6, 4), ("Contrast", 1.0, 8)),
        (("Equalize", 0.8, None), ("Equalize", 0.6, None)),
    ],
    AutoAugmentPolicy.CIFAR10: [
        (("Invert", 0.1, None), ("Contrast", 0.2, 6)),
        (("Rotate", 0.7, 2), ("TranslateX", 0.3, 9)),
        (("Sharpness", 0.8, 1), ("Sharpness", 0.9, 3)),
        (("ShearY", 0.5, 8), ("TranslateY", 0.7, 9)),
        (("AutoContrast", 0.5, None), ("Equalize", 0.9, None)),
        (("ShearY", 0.2, 7), ("Posterize", 0.3, 7)),
        (("Color", 0.4, 3), ("Brightness", 0.6, 7)),
        (("Sharpness", 0.3, 9), ("Brightness", 0.7, 9)),
        (("Equalize", 0.6, None), ("Equalize", 0.5, None)),
        (("Contrast", 0.6, 7), ("Sharpness", 0.6, 5)),
        (("Color", 0.7, 7), ("TranslateX", 0.5, 8)),
        (("Equalize", 0.3, None), ("AutoContrast", 0.4, None)),
        (("TranslateY", 0.4, 3), ("Sharpness", 0.2, 6)),
        (("Brightness", 0.9, 6), ("Color", 0.2, 8)),
        (("Solarize", 0.5, 2), ("Invert", 0.0, None)),
        (("Equalize", 0.2, None), ("AutoContrast", 0.6, None)),
        (("Equalize", 0.2, None), ("Equalize", 0.6, None)),
        (("Color", 0.9, 9), ("Equalize", 0.6, None)),
        (("AutoContrast", 0.8, None), ("Solarize", 0.2, 8)),
        (("Brightness", 0.1, 3), ("Color", 0.7, 0)),
        (("Solarize", 0.4, 5), ("AutoContrast", 0.9, None)),
        (("TranslateY", 0.9, 9), ("TranslateY", 0.7, 9)),
        (("AutoContrast", 0.9, None), ("Solarize", 0.8, 3)),
        (("Equalize", 0.8, None), ("Invert", 0.1, None)),
        (("TranslateY", 0.7, 9), ("AutoContrast", 0.9, None)),
    ],
    AutoAugmentPolicy.SVHN: [
        (("ShearX", 0.9, 4), ("Invert", 0.2, None)),
        (("ShearY", 0.9, 8), ("Invert", 0.7, None)),
        (("Equalize", 0.6, None), ("Solarize", 0.6, 6)),
        (("Invert", 0.9, None), ("Equalize", 0.6, None)),
        (("Equalize", 0.6, None), ("Rotate", 0.9, 3)),
        (("ShearX", 0.9, 4), ("AutoContrast", 0.8, None)),
        (("ShearY", 0.9, 8), ("Invert", 0.4, None)),
        (("ShearY", 0.9, 5), ("Solarize", 0.2, 6)),
        (("Invert", 0.9, None), ("AutoContrast", 0.8, None)),
        (("Equalize", 0.6, None), ("Rotate", 0.9, 3)),
        (("ShearX", 0.9, 4), ("Solarize", 0.3, 3)),
        (("ShearY", 0.8, 8), ("Invert", 0.7, None)),
        (("Equalize", 0.9, None), ("TranslateY", 0.6, 6)),
        (("Invert", 0.9, None), ("Equalize", 0.6, None)),
        (("Contrast", 0.3, 3), ("Rotate", 0.8, 4)),
        (("Invert", 0.8, None), ("TranslateY", 0.0, 2)),
        (("ShearY", 0.7, 6), ("Solarize", 0.4, 8)),
        (("Invert", 0.6, None), ("Rotate", 0.8, 4)),
        (("ShearY", 0.3, 7), ("TranslateX", 0.9, 3)),
        (("ShearX", 0.1, 6), ("Invert", 0.6, None)),
        (("Solarize", 0.7, 2), ("TranslateY", 0.6, 7)),
        (("ShearY", 0.8, 4), ("Invert", 0.8, None)),
        (("ShearX", 0.7, 9), ("TranslateY", 0.8, 3)),
        (("ShearY", 0.8, 5), ("AutoContrast", 0.7, None)),
        (("ShearX", 0.7, 2), ("Invert", 0.1, None)),
    ],
}


class AutoAugment(_AutoAugmentBase):
    """AutoAugment (Cubuk et al., 2019): one of the policy's 25 sub-policies per image, each
    two ops applied with their own probability at a fixed magnitude (of 10 bins)."""

    def __init__(self, policy: AutoAugmentPolicy = AutoAugmentPolicy.IMAGENET,
                 interpolation=InterpolationMode.NEAREST, fill=None) -> None:
        super().__init__(interpolation, fill)
        if policy not in _POLICIES:
            raise ValueError(f"The provided policy {policy} is not recognized.")
        self.policy = policy
        self.policies = _POLICIES[policy]

    def _augmentation_space(self, num_bins: int, image_size: list[int]) -> Space:
        return {**_standard_space(num_bins, image_size[0], image_size[1]),
                "Invert": (None, False)}

    @staticmethod
    def get_params(transform_num: int) -> tuple[int, np.ndarray, np.ndarray]:
        """Sub-policy index, the two application draws and the two sign draws."""
        return int(_rng().integers(transform_num)), _rng().random(2), _rng().integers(2, size=2)

    def forward(self, img):
        fill = _fill_for_tensor(img, self.fill)
        transform_id, probs, signs = self.get_params(len(self.policies))
        op_meta = self._augmentation_space(10, F.get_image_size(img))
        for i, (op_name, p, magnitude_id) in enumerate(self.policies[transform_id]):
            if probs[i] <= p:
                magnitudes, signed = op_meta[op_name]
                magnitude = _magnitude(magnitudes, magnitude_id)
                if signed and signs[i] == 0:
                    magnitude = -magnitude
                img = _apply_op(img, op_name, magnitude, self.interpolation, fill)
        return img

    def extra_repr(self) -> str:
        return f"policy={self.policy}, fill={self.fill}"


class RandAugment(_AutoAugmentBase):
    """RandAugment (Cubuk et al., 2020): ``num_ops`` uniformly chosen ops, all at bin
    ``magnitude`` of ``num_magnitude_bins``."""

    def __init__(self, num_ops: int = 2, magnitude: int = 9, num_magnitude_bins: int = 31,
                 interpolation=InterpolationMode.NEAREST, fill=None) -> None:
        super().__init__(interpolation, fill)
        self.num_ops = num_ops
        self.magnitude = magnitude
        self.num_magnitude_bins = num_magnitude_bins

    def _augmentation_space(self, num_bins: int, image_size: list[int]) -> Space:
        return {"Identity": (None, False),
                **_standard_space(num_bins, image_size[0], image_size[1])}

    def forward(self, img):
        fill = _fill_for_tensor(img, self.fill)
        for _ in range(self.num_ops):
            op_meta = self._augmentation_space(self.num_magnitude_bins, F.get_image_size(img))
            op_name = list(op_meta)[int(_rng().integers(len(op_meta)))]
            magnitudes, signed = op_meta[op_name]
            magnitude = self._signed(_magnitude(magnitudes, self.magnitude), signed)
            img = _apply_op(img, op_name, magnitude, self.interpolation, fill)
        return img

    def extra_repr(self) -> str:
        return (f"num_ops={self.num_ops}, magnitude={self.magnitude}, "
                f"num_magnitude_bins={self.num_magnitude_bins}, {super().extra_repr()}")


class TrivialAugmentWide(_AutoAugmentBase):
    """TrivialAugment (Müller and Hutter, 2021): one uniformly chosen op at a uniformly chosen
    magnitude from the wide ranges."""

    def __init__(self, num_magnitude_bins: int = 31, interpolation=InterpolationMode.NEAREST,
                 fill=None) -> None:
        super().__init__(interpolation, fill)
        self.num_magnitude_bins = num_magnitude_bins

    def _augmentation_space(self, num_bins: int) -> Space:
        return {"Identity": (None, False),
                **_geometric_space(num_bins, 0.99, 32.0, 32.0, 135.0),
                **_enhance_space(num_bins, 0.99), **_tonal_space(num_bins, 8, 6)}

    def forward(self, img):
        fill = _fill_for_tensor(img, self.fill)
        op_meta = self._augmentation_space(self.num_magnitude_bins)
        op_name = list(op_meta)[int(_rng().integers(len(op_meta)))]
        magnitudes, signed = op_meta[op_name]
        index = 0 if magnitudes is None else int(_rng().integers(len(magnitudes)))
        magnitude = self._signed(_magnitude(magnitudes, index), signed)
        return _apply_op(img, op_name, magnitude, self.interpolation, fill)

    def extra_repr(self) -> str:
        return f"num_magnitude_bins={self.num_magnitude_bins}, {super().extra_repr()}"


class AugMix(_AutoAugmentBase):
    """AugMix (Hendrycks et al., 2020): a Dirichlet-weighted mix of ``mixture_width`` op
    chains, blended with the original by a Beta weight; every image of a batch gets its own
    weights, the chains are shared.

    The weights come from NumPy's Dirichlet sampler, not torch's ``_sample_dirichlet``."""

    _PARAMETER_MAX = 10

    def __init__(self, severity: int = 3, mixture_width: int = 3, chain_depth: int = -1,
                 alpha: float = 1.0, all_ops: bool = True,
                 interpolation=InterpolationMode.BILINEAR, fill=None) -> None:
        super().__init__(interpolation, fill)
        if not 1 <= severity <= self._PARAMETER_MAX:
            raise ValueError(f"The severity must be between [1, {self._PARAMETER_MAX}]. Got "
                             f"{severity} instead.")
        self.severity = severity
        self.mixture_width = mixture_width
        self.chain_depth = chain_depth
        self.alpha = alpha
        self.all_ops = all_ops

    def _augmentation_space(self, num_bins: int, image_size: tuple[int, int]) -> Space:
        height, width = image_size
        space = {**_geometric_space(num_bins, 0.3, width / 3.0, height / 3.0, 30.0),
                 **_tonal_space(num_bins, 4, 4)}
        if self.all_ops:
            space.update(_enhance_space(num_bins, 0.9))
        return space

    def _sample_dirichlet(self, params: np.ndarray) -> np.ndarray:
        """One Dirichlet draw per row of ``params``, whose rows are all alike (a method so
        tests can replace it)."""
        return _rng().dirichlet(params[0], size=len(params)).astype(np.float32)

    def forward(self, orig_img):
        fill = self.fill
        channels, height, width = F.get_dimensions(orig_img)
        if isinstance(orig_img, Tensor):
            img = orig_img
            fill = _fill_for_tensor(orig_img, fill)
        else:
            img = F.pil_to_tensor(orig_img)
        op_meta = self._augmentation_space(self._PARAMETER_MAX, (height, width))
        orig_shape = tuple(img.shape)
        batch = img.reshape([1] * max(4 - img.ndim, 0) + list(orig_shape))
        batch_arr = np.asarray(batch)
        n = batch_arr.shape[0]
        weights_shape = (n,) + (1,) * (batch_arr.ndim - 1)
        m = self._sample_dirichlet(np.full((n, 2), self.alpha))
        combined = self._sample_dirichlet(np.full((n, self.mixture_width), self.alpha))
        combined = combined * m[:, 1:2]
        mix = m[:, 0].reshape(weights_shape) * batch_arr
        for i in range(self.mixture_width):
            aug = batch
            depth = self.chain_depth if self.chain_depth > 0 else int(_rng().integers(1, 4))
            for _ in range(depth):
                op_name = list(op_meta)[int(_rng().integers(len(op_meta)))]
                magnitudes, signed = op_meta[op_name]
                index = 0 if magnitudes is None else int(_rng().integers(self.severity))
                magnitude = self._signed(_magnitude(magnitudes, index), signed)
                aug = _apply_op(aug, op_name, magnitude, self.interpolation, fill)
            mix += combined[:, i].reshape(weights_shape) * np.asarray(aug)
        out = F_t._wrap(mix.reshape(orig_shape).astype(batch_arr.dtype), img)
        return out if isinstance(orig_img, Tensor) else F.to_pil_image(out)

    def extra_repr(self) -> str:
        return (f"severity={self.severity}, mixture_width={self.mixture_width}, "
                f"chain_depth={self.chain_depth}, alpha={self.alpha}, all_ops={self.all_ops}, "
                f"{super().extra_repr()}")
