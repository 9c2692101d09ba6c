"""FakeData: random images, the same for the same index on every run."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

import ember

from .vision import VisionDataset


class FakeData(VisionDataset):
    """``size`` random PIL images of ``image_size`` (C, H, W) with random integer targets."""

    def __init__(self, size: int = 1000, image_size: tuple[int, int, int] = (3, 224, 224),
                 num_classes: int = 10, transform: Callable | None = None,
                 target_transform: Callable | None = None, random_offset: int = 0) -> None:
        super().__init__(None, transform=transform, target_transform=target_transform)
        self.size = size
        self.num_classes = num_classes
        self.image_size = image_size
        self.random_offset = random_offset

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        if index >= len(self):
            raise IndexError(f"{self.__class__.__name__} index out of range")
        rng = np.random.Generator(np.random.Philox(index + self.random_offset))
        img = ember.from_numpy(rng.standard_normal(self.image_size).astype(np.float32))
        target = int(rng.integers(0, self.num_classes))
        from ..transforms import functional as F
        img = F.to_pil_image(img)
        return self._transformed(img, target)

    def __len__(self) -> int:
        return self.size
