"""Normalisation, blur, erasing and type/dtype conversion functionals."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

import ember
from ember import Tensor

from .... import tv_tensors
from ... import functional as F1
from ._kernel import IMAGE_TYPES, _get_kernel, _register

_TENSOR_IMAGES = (Tensor, tv_tensors.Image)


def normalize(inpt: Any, mean: Sequence[float], std: Sequence[float],
              inplace: bool = False) -> Any:
    """Per-channel ``(x - mean) / std`` of a float tensor image (PIL images are rejected)."""
    return _get_kernel(normalize, type(inpt))(inpt, mean, std, inplace)


def gaussian_blur(inpt: Any, kernel_size: Sequence[int], sigma: Sequence[float] | None = None):
    return _get_kernel(gaussian_blur, type(inpt))(inpt, kernel_size, sigma)


def erase(inpt: Any, i: int, j: int, h: int, w: int, v: Any, inplace: bool = False) -> Any:
    """Set the (h, w) box at (i, j) of a tensor image to ``v``."""
    return _get_kernel(erase, type(inpt))(inpt, i, j, h, w, v, inplace)


def to_dtype(inpt: Any, dtype=ember.float32, scale: bool = False) -> Any:
    """Cast; with ``scale`` image values are rescaled between the dtypes' ranges (as
    ``convert_image_dtype``). Masks and boxes are only cast."""
    return _get_kernel(to_dtype, type(inpt))(inpt, dtype, scale)


_register(normalize, *_TENSOR_IMAGES)(F1.normalize)
_register(gaussian_blur, *IMAGE_TYPES)(F1.gaussian_blur)
_register(erase, *_TENSOR_IMAGES)(F1.erase)


@_register(to_dtype, *_TENSOR_IMAGES)
def to_dtype_image(image: Tensor, dtype=ember.float32, scale: bool = False) -> Tensor:
    if scale:
        return F1.convert_image_dtype(image, dtype)
    return image.to(dtype)


@_register(to_dtype, tv_tensors.Mask, tv_tensors.BoundingBoxes)
def _to_dtype_plain(inpt: Tensor, dtype=ember.float32, scale: bool = False) -> Tensor:
    return inpt.to(dtype)


def to_image(inpt: Any) -> tv_tensors.Image:
    """A ``tv_tensors.Image`` from a PIL image, an (H, W[, C]) ndarray or a tensor."""
    if isinstance(inpt, np.ndarray):
        hwc = inpt[:, :, None] if inpt.ndim == 2 else inpt
        output = ember.from_numpy(np.ascontiguousarray(np.moveaxis(hwc, -1, -3)))
    elif isinstance(inpt, Tensor):
        output = inpt
    elif F1._is_pil_image(inpt):
        output = F1.pil_to_tensor(inpt)
    else:
        raise TypeError(f"Input can either be a pure Tensor, a numpy array, or a PIL image, "
                        f"but got {type(inpt)} instead.")
    return tv_tensors.Image(output)


def to_pure_tensor(inpt: Tensor) -> Tensor:
    return inpt.as_subclass(Tensor) if isinstance(inpt, tv_tensors.TVTensor) else inpt


to_pil_image = F1.to_pil_image
pil_to_tensor = F1.pil_to_tensor
convert_image_dtype = F1.convert_image_dtype
