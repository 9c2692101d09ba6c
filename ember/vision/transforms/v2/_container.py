"""Containers: chain, randomly apply, choose or shuffle transforms over a whole sample."""
from __future__ import annotations

from typing import Any, Callable, Sequence

from ember._ops.random import rng as _rng

from ._transform import Transform


def _run(transforms: Sequence[Callable], inputs: tuple) -> Any:
    """Feed the sample through ``transforms`` in order; several inputs stay unpacked."""
    needs_unpacking = len(inputs) > 1
    outputs = inputs if needs_unpacking else inputs[0]
    for transform in transforms:
        outputs = transform(*inputs)
        inputs = outputs if needs_unpacking else (outputs,)
    return outputs


class _Container(Transform):
    def __init__(self, transforms: Sequence[Callable]) -> None:
        super().__init__()
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence of callables")
        if not transforms:
            raise ValueError("Pass at least one transform")
        self.transforms = transforms

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__}("] + [f"    {t}" for t in self.transforms]
        return "\n".join(lines) + "\n)"


class Compose(_Container):
    """Apply ``transforms`` in order to the whole sample."""

    def forward(self, *inputs: Any) -> Any:
        return _run(self.transforms, inputs)


class RandomApply(_Container):
    """Apply all of ``transforms`` with probability ``p``."""

    def __init__(self, transforms: Sequence[Callable], p: float = 0.5) -> None:
        super().__init__(transforms)
        if not 0.0 <= p <= 1.0:
            raise ValueError("`p` should be a floating point value in the interval [0.0, 1.0].")
        self.p = p

    def forward(self, *inputs: Any) -> Any:
        if _rng().random() >= self.p:
            return inputs if len(inputs) > 1 else inputs[0]
        return _run(self.transforms, inputs)


class RandomChoice(_Container):
    """Apply one of ``transforms``, picked with probabilities ``p`` (uniform by default)."""

    def __init__(self, transforms: Sequence[Callable], p: list[float] | None = None) -> None:
        super().__init__(transforms)
        if p is None:
            p = [1.0] * len(transforms)
        elif len(p) != len(transforms):
            raise ValueError(f"Length of p doesn't match the number of transforms: {len(p)} != "
                             f"{len(transforms)}")
        total = sum(p)
        self.p = [prob / total for prob in p]

    def forward(self, *inputs: Any) -> Any:
        return self.transforms[int(_rng().choice(len(self.transforms), p=self.p))](*inputs)


class RandomOrder(_Container):
    """Apply all of ``transforms`` in a random order."""

    def forward(self, *inputs: Any) -> Any:
        order = [self.transforms[int(i)] for i in _rng().permutation(len(self.transforms))]
        return _run(order, inputs)
