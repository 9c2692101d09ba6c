"""Conversions between PIL images, arrays, plain tensors and tv_tensors."""
from __future__ import annotations

from typing import Any

import numpy as np

from ... import tv_tensors
from . import functional as F
from ._transform import Transform
from ._utils import PIL_IMAGE_TYPES, is_pure_tensor


class ToImage(Transform):
    """PIL image, ndarray (H, W, C) or plain tensor -> ``tv_tensors.Image`` (no scaling)."""

    _transformed_types = (is_pure_tensor, np.ndarray) + PIL_IMAGE_TYPES

    def transform(self, inpt: Any, params: dict[str, Any]) -> tv_tensors.Image:
        return F.to_image(inpt)


class PILToTensor(Transform):
    """PIL image -> plain CxHxW tensor of the image's dtype."""

    _transformed_types = PIL_IMAGE_TYPES

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return F.pil_to_tensor(inpt)


class ToPILImage(Transform):
    """Image tensor or ndarray -> PIL image (float values are scaled by 255)."""

    _transformed_types = (is_pure_tensor, tv_tensors.Image, np.ndarray)

    def __init__(self, mode: str | None = None) -> None:
        super().__init__()
        self.mode = mode

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return F.to_pil_image(inpt, mode=self.mode)


class ToPureTensor(Transform):
    """Every tv_tensor -> plain ``Tensor`` sharing its data (metadata dropped)."""

    _transformed_types = (tv_tensors.TVTensor,)

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return F.to_pure_tensor(inpt)
