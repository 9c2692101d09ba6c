"""The v2 Transform base: one call transforms a whole sample (image, boxes, masks, labels...)
consistently, drawing its random parameters once."""
from __future__ import annotations

import enum
from typing import Any, Callable

from ember import Tensor, nn
from ember._ops.random import rng as _rng

from ._utils import (PIL_IMAGE_TYPES, check_type, has_any, is_pure_tensor, tree_flatten,
                     tree_unflatten)
from ... import tv_tensors
from .functional._kernel import _get_kernel


class Transform(nn.Module):
    """Base class of the v2 transforms. Subclasses set ``make_params`` (random draws, from the
    inputs that will be transformed) and ``transform`` (one input with those params).

    Inputs whose type is not in ``_transformed_types`` pass through; of several pure tensors
    only the first is treated as an image, and none when the sample holds an explicit image.
    """

    _transformed_types: tuple[type | Callable[[Any], bool], ...] = (Tensor,) + PIL_IMAGE_TYPES

    def check_inputs(self, flat_inputs: list[Any]) -> None:
        pass

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        return {}

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        raise NotImplementedError

    def _call_kernel(self, functional: Callable, inpt: Any, *args: Any, **kwargs: Any) -> Any:
        return _get_kernel(functional, type(inpt), allow_passthrough=True)(inpt, *args, **kwargs)

    def _skip(self) -> bool:
        """Whether this call leaves the sample untouched (random-apply transforms)."""
        return False

    def forward(self, *inputs: Any) -> Any:
        sample = inputs if len(inputs) > 1 else inputs[0]
        flat_inputs, spec = tree_flatten(sample)
        self.check_inputs(flat_inputs)
        if self._skip():
            return sample
        needs_transform = self._needs_transform_list(flat_inputs)
        params = self.make_params([inpt for inpt, needed in zip(flat_inputs, needs_transform)
                                   if needed])
        flat_outputs = [self.transform(inpt, params) if needed else inpt
                        for inpt, needed in zip(flat_inputs, needs_transform)]
        return tree_unflatten(flat_outputs, spec)

    def _needs_transform_list(self, flat_inputs: list[Any]) -> list[bool]:
        transform_pure_tensor = not has_any(flat_inputs, tv_tensors.Image, *PIL_IMAGE_TYPES)
        needs = []
        for inpt in flat_inputs:
            needed = check_type(inpt, self._transformed_types)
            if needed and is_pure_tensor(inpt):
                needed, transform_pure_tensor = transform_pure_tensor, False
            needs.append(needed)
        return needs

    def extra_repr(self) -> str:
        return ", ".join(f"{name}={value}" for name, value in self.__dict__.items()
                         if not name.startswith("_") and name != "training"
                         and isinstance(value, (bool, int, float, str, tuple, list, enum.Enum)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


class _RandomApplyTransform(Transform):
    """Applies to the whole sample with probability ``p`` (one draw per call)."""

    def _skip(self) -> bool:
        return bool(_rng().random() >= self.p)
