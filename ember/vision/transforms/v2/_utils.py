"""Helpers shared by the v2 transforms: flattening samples, finding images and their sizes,
and per-type fill values."""
from __future__ import annotations

import numbers
from collections import defaultdict
from typing import Any, Callable, Sequence

from ember import Tensor

from ... import tv_tensors
from .._functional_pil import Image as _PIL
from .._functional_pil import _is_pil_image
from . import functional as F

PIL_IMAGE_TYPES: tuple[type, ...] = (_PIL.Image,) if _PIL is not None else ()


def is_pure_tensor(inpt: Any) -> bool:
    return isinstance(inpt, Tensor) and not isinstance(inpt, tv_tensors.TVTensor)


def check_type(obj: Any, types_or_checks: Sequence[type | Callable[[Any], bool]]) -> bool:
    return any(isinstance(obj, t) if isinstance(t, type) else t(obj) for t in types_or_checks)


def has_any(flat_inputs: list[Any], *types_or_checks) -> bool:
    return any(check_type(inpt, types_or_checks) for inpt in flat_inputs)


def is_image_like(inpt: Any) -> bool:
    """An image for the v2 transforms: ``tv_tensors.Image``, PIL image or pure tensor."""
    return isinstance(inpt, tv_tensors.Image) or _is_pil_image(inpt) or is_pure_tensor(inpt)


# -- samples as flat lists (torch.utils._pytree for lists, tuples and dicts) ---------------------
_LEAF = None


def tree_flatten(tree: Any) -> tuple[list[Any], Any]:
    """The leaves of nested lists, tuples and dicts in depth-first order, and the structure."""
    leaves: list[Any] = []

    def spec_of(node):
        if isinstance(node, dict):
            return dict, {key: spec_of(value) for key, value in node.items()}
        if isinstance(node, (list, tuple)):
            return type(node), [spec_of(child) for child in node]
        leaves.append(node)
        return _LEAF

    return leaves, spec_of(tree)


def tree_unflatten(leaves: list[Any], spec: Any) -> Any:
    remaining = iter(leaves)

    def build(node):
        if node is _LEAF:
            return next(remaining)
        kind, children = node
        if kind is dict:
            return {key: build(child) for key, child in children.items()}
        built = [build(child) for child in children]
        if kind is list:
            return built
        return kind(*built) if hasattr(kind, "_fields") else kind(built)

    return build(spec)


# -- sizes ------------------------------------------------------------------------------------
def query_size(flat_inputs: list[Any]) -> tuple[int, int]:
    """The (height, width) every image, mask and box set in the sample shares."""
    sizes = {tuple(F.get_size(inpt)) for inpt in flat_inputs
             if is_image_like(inpt) or isinstance(inpt, (tv_tensors.Mask,
                                                         tv_tensors.BoundingBoxes))}
    if not sizes:
        raise TypeError("No image, video, mask or bounding box was found in the sample")
    if len(sizes) > 1:
        raise ValueError(f"Found multiple HxW dimensions in the sample: "
                         f"{sorted(sizes)}")
    return sizes.pop()  # type: ignore[return-value]


def query_chw(flat_inputs: list[Any]) -> tuple[int, int, int]:
    """The (channels, height, width) every image in the sample shares."""
    dims = {tuple(F.get_dimensions(inpt)) for inpt in flat_inputs if is_image_like(inpt)}
    if not dims:
        raise TypeError("No image or video was found in the sample")
    if len(dims) > 1:
        raise ValueError(f"Found multiple CxHxW dimensions in the sample: {sorted(dims)}")
    return dims.pop()  # type: ignore[return-value]


# -- fill ---------------------------------------------------------------------------------------
def _check_fill_arg(fill: Any) -> None:
    if fill is not None and not isinstance(fill, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate fill arg, only Numbers, tuples, lists and dicts are "
                        "allowed.")


def setup_fill_arg(fill: Any) -> dict:
    """A per-type table of fill values: a dict as given (``"others"`` as catch-all), or the
    same value for every type."""
    if isinstance(fill, dict):
        for value in fill.values():
            _check_fill_arg(value)
        return fill
    _check_fill_arg(fill)
    return defaultdict(lambda: fill)


def get_fill(fill_args: dict, inpt_type: type) -> Any:
    if inpt_type in fill_args:
        return fill_args[inpt_type]
    return fill_args.get("others")
