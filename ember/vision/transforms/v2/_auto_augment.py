"""The automatic augmentation policies for v2 samples: the v1 policy runs on the sample's one
image; boxes and masks are rejected (the policies' shears and rotations would not move them)."""
from __future__ import annotations

from typing import Any

from ... import tv_tensors
from .. import autoaugment as v1
from ._transform import Transform
from ._utils import is_image_like, tree_flatten, tree_unflatten


class _AutoAugmentBase:
    """Mixin placed before the v1 policy class and after it ``Transform``."""

    def forward(self, *inputs: Any) -> Any:
        flat_inputs, spec = tree_flatten(inputs if len(inputs) > 1 else inputs[0])
        needs_transform = self._needs_transform_list(flat_inputs)
        positions = []
        for position, (inpt, needed) in enumerate(zip(flat_inputs, needs_transform)):
            if not needed:
                continue
            if isinstance(inpt, (tv_tensors.BoundingBoxes, tv_tensors.Mask)):
                raise TypeError(f"Inputs of type {type(inpt).__name__} are not supported by "
                                f"{type(self).__name__}()")
            if is_image_like(inpt):
                positions.append(position)
        if len(positions) != 1:
            raise TypeError(f"Found {'multiple' if positions else 'no'} image or video in the "
                            "sample.")
        image = flat_inputs[positions[0]]
        out = super().forward(image)
        if isinstance(image, tv_tensors.TVTensor):
            out = tv_tensors.wrap(out, like=image)
        flat_inputs[positions[0]] = out
        return tree_unflatten(flat_inputs, spec)


class AutoAugment(_AutoAugmentBase, v1.AutoAugment, Transform):
    pass


class RandAugment(_AutoAugmentBase, v1.RandAugment, Transform):
    pass


class TrivialAugmentWide(_AutoAugmentBase, v1.TrivialAugmentWide, Transform):
    pass


class AugMix(_AutoAugmentBase, v1.AugMix, Transform):
    pass
