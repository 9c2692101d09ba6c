"""Digits: scikit-learn's bundled 8x8 handwritten digits, MNIST-style (no download needed)."""
from __future__ import annotations

import functools
from typing import Any, Callable

import numpy as np

import ember

from ..transforms._functional_tensor import resize_weights
from .vision import VisionDataset


@functools.lru_cache(maxsize=2)
def _load(size: int) -> tuple[np.ndarray, np.ndarray]:
    """All 1,797 images as uint8 (N, size, size) and their int64 labels (read once)."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:
        raise ImportError("Digits needs scikit-learn: pip install scikit-learn") from exc
    bunch = load_digits()
    images = bunch.images.astype(np.float64) * (255.0 / 16.0)
    if size == 28:
        weights = resize_weights(8, 20, "bilinear", True)
        images = np.pad(weights @ images @ weights.T, ((0, 0), (4, 4), (4, 4)))
    images = np.clip(np.rint(images), 0, 255).astype(np.uint8)
    images.flags.writeable = False
    return images, bunch.target.astype(np.int64)


class Digits(VisionDataset):
    """The 1,797 UCI handwritten digits shipped with scikit-learn, as PIL 'L' images.

    ``size=8`` keeps the original 8x8 images; ``size=28`` lays them out like MNIST (the digit
    resampled to 20x20 and centred on a 28x28 canvas). Pixels are scaled from 0..16 to 0..255.
    The train/test split is fixed: a seeded shuffle puts 20% (359 images) in the test set.
    ``root`` and ``download`` are accepted for symmetry with MNIST; the data ships with
    scikit-learn.
    """

    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine"]
    test_fraction = 0.2
    split_seed = 0

    def __init__(self, root: str | None = None, train: bool = True,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False, size: int = 8) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        if size not in (8, 28):
            raise ValueError(f"Digits size must be 8 or 28, got {size}")
        images, labels = _load(size)
        order = np.random.default_rng(self.split_seed).permutation(len(images))
        n_test = int(round(len(images) * self.test_fraction))
        chosen = order[n_test:] if train else order[:n_test]
        self.train = train
        self.size = size
        self.data = ember.from_numpy(np.ascontiguousarray(images[chosen]))
        self.targets = ember.from_numpy(labels[chosen])

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {_class: i for i, _class in enumerate(self.classes)}

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        from PIL import Image
        img = Image.fromarray(self.data.numpy()[index], mode="L")
        target = int(self.targets.numpy()[index])
        return self._transformed(img, target)

    def __len__(self) -> int:
        return len(self.data)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train else 'Test'}\nSize: {self.size}x{self.size}"
