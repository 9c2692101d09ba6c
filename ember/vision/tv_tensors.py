"""Tensor subclasses that tell transforms v2 what a tensor holds (torchvision.tv_tensors).

As in torchvision, ordinary ops on a TVTensor return a plain ``Tensor`` (metadata such as a box
format cannot be trusted after arbitrary math); ``clone``, ``to`` and ``detach`` keep the type,
and :func:`wrap` re-wraps a result. Rotated box formats and ``Video`` are not provided.
"""
from __future__ import annotations

from enum import Enum
from typing import Any, Sequence

import ember
from ember import Tensor

__all__ = ["TVTensor", "Image", "Mask", "BoundingBoxes", "BoundingBoxFormat", "wrap"]

_new = object.__new__


def _rewrap(cls: type, tensor: Tensor) -> Tensor:
    """A ``cls`` instance sharing ``tensor``'s memory and autograd state."""
    out = _new(cls)
    out._data = tensor._data
    out._device = tensor._device
    out._requires_grad = tensor._requires_grad
    out.grad = tensor.grad
    out.grad_fn = tensor.grad_fn
    for name in ("_output_nr", "_vc", "_base", "_view_fn"):
        if name in tensor.__dict__:
            out.__dict__[name] = tensor.__dict__[name]
    return out


def _to_tensor(data: Any, dtype=None, device=None, requires_grad: bool | None = None) -> Tensor:
    from .transforms.functional import _is_pil_image, pil_to_tensor
    if _is_pil_image(data):
        data = pil_to_tensor(data)
    if requires_grad is None:
        requires_grad = isinstance(data, Tensor) and data.requires_grad
    return ember.as_tensor(data, dtype=dtype, device=device).requires_grad_(requires_grad)


class TVTensor(Tensor):
    """Base of the tv_tensors; construct a subclass (``Image(data)``), not this."""

    def __init__(self, *args, **kwargs) -> None:
        pass  # everything happens in __new__; Tensor.__init__ would rebuild the data

    @classmethod
    def _wrap(cls, tensor: Tensor, **metadata: Any) -> "TVTensor":
        out = _rewrap(cls, tensor)
        out.__dict__.update(metadata)
        return out

    def _metadata(self) -> dict[str, Any]:
        return {}

    def as_subclass(self, cls: type) -> Tensor:
        """The same data viewed as ``cls`` (``Tensor`` for a plain tensor)."""
        return _rewrap(cls, self)

    def clone(self, *args, **kwargs) -> "TVTensor":
        return wrap(super().clone(*args, **kwargs), like=self)

    def to(self, *args, **kwargs) -> "TVTensor":
        return wrap(super().to(*args, **kwargs), like=self)

    def detach(self) -> "TVTensor":
        return wrap(super().detach(), like=self)

    def __repr__(self) -> str:
        name = type(self).__name__
        # Continuation lines are indented for "tensor("; re-indent them for the class name.
        text = super().__repr__().replace("\n" + " " * 7, "\n" + " " * (len(name) + 1))
        text = name + text[len("tensor"):]
        extra = "".join(f", {k}={v}" for k, v in self._metadata().items())
        return text[:-1] + extra + ")"


class Image(TVTensor):
    """A (..., C, H, W) image; a PIL image is converted with ``pil_to_tensor`` and an (H, W)
    tensor gains a channel dimension."""

    def __new__(cls, data: Any, *, dtype=None, device=None,
                requires_grad: bool | None = None) -> "Image":
        tensor = _to_tensor(data, dtype, device, requires_grad)
        if tensor.ndim < 2:
            raise ValueError(f"Image needs at least 2 dimensions (H, W), got {tensor.ndim}")
        if tensor.ndim == 2:
            tensor = tensor.unsqueeze(0)
        return cls._wrap(tensor)


class Mask(TVTensor):
    """A (..., H, W) segmentation or detection mask: resampled with nearest interpolation and
    left alone by colour transforms."""

    def __new__(cls, data: Any, *, dtype=None, device=None,
                requires_grad: bool | None = None) -> "Mask":
        return cls._wrap(_to_tensor(data, dtype, device, requires_grad))


class BoundingBoxFormat(Enum):
    """Box coordinate layouts: corners, corner plus size, centre plus size."""
    XYXY = "XYXY"
    XYWH = "XYWH"
    CXCYWH = "CXCYWH"


class BoundingBoxes(TVTensor):
    """(N, 4) boxes in ``format`` on an image of ``canvas_size`` = (height, width)."""

    format: BoundingBoxFormat
    canvas_size: tuple[int, int]

    def __new__(cls, data: Any, *, format: BoundingBoxFormat | str,
                canvas_size: Sequence[int], dtype=None, device=None,
                requires_grad: bool | None = None) -> "BoundingBoxes":
        tensor = _to_tensor(data, dtype, device, requires_grad)
        if tensor.ndim == 1:
            tensor = tensor.unsqueeze(0)
        elif tensor.ndim != 2:
            raise ValueError(f"Expected a 1D or 2D tensor, got {tensor.ndim}D")
        if tensor.shape[-1] != 4:
            raise ValueError(f"Expected boxes of 4 coordinates, got shape {tuple(tensor.shape)}")
        return cls._wrap(tensor, format=_box_format(format), canvas_size=_canvas(canvas_size))

    def _metadata(self) -> dict[str, Any]:
        return {"format": self.format, "canvas_size": self.canvas_size}


def _box_format(format: BoundingBoxFormat | str) -> BoundingBoxFormat:
    if isinstance(format, str):
        try:
            return BoundingBoxFormat[format.upper()]
        except KeyError:
            raise ValueError(f"Unknown bounding box format {format!r}; expected one of "
                             f"{[f.name for f in BoundingBoxFormat]}") from None
    if not isinstance(format, BoundingBoxFormat):
        raise TypeError(f"format should be a BoundingBoxFormat or str, got {type(format)}")
    return format


def _canvas(canvas_size: Sequence[int]) -> tuple[int, int]:
    if len(canvas_size) != 2:
        raise ValueError(f"canvas_size should be (height, width), got {canvas_size}")
    return int(canvas_size[0]), int(canvas_size[1])


def wrap(wrappee: Tensor, *, like: TVTensor, **kwargs: Any) -> TVTensor:
    """``wrappee`` as the type of ``like``, with its metadata unless overridden by ``kwargs``
    (e.g. ``canvas_size`` after a resize)."""
    metadata = {**like._metadata(), **kwargs}
    if "format" in metadata:
        metadata["format"] = _box_format(metadata["format"])
    if "canvas_size" in metadata:
        metadata["canvas_size"] = _canvas(metadata["canvas_size"])
    return type(like)._wrap(wrappee, **metadata)
