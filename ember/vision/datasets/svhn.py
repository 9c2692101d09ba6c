"""SVHN (Street View House Numbers) from the cropped-digits .mat files (needs SciPy)."""
from __future__ import annotations

import os
from typing import Any, Callable

import numpy as np

from .utils import check_integrity, download_url, verify_str_arg
from .vision import VisionDataset


class SVHN(VisionDataset):
    """``split`` train / test / extra; reads ``root/<split>_32x32.mat``. Label 10 becomes 0."""

    split_list = {
        "train": ["http://ufldl.stanford.edu/housenumbers/train_32x32.mat", "train_32x32.mat",
                  "e26dedcc434d2e4c54c9b2d4a06d8373"],
        "test": ["http://ufldl.stanford.edu/housenumbers/test_32x32.mat", "test_32x32.mat",
                 "eb5a983be6a315427106f1a6d0b4fad9"],
        "extra": ["http://ufldl.stanford.edu/housenumbers/extra_32x32.mat", "extra_32x32.mat",
                  "a93ce644f1a588dc4d68dda5feec44a7"],
    }

    def __init__(self, root: str | os.PathLike, split: str = "train",
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.split = verify_str_arg(split, "split", tuple(self.split_list.keys()))
        self.url, self.filename, self.file_md5 = self.split_list[split]
        if download:
            self.download()
        if not self._check_integrity():
            raise RuntimeError("Dataset not found or corrupted. You can use download=True to "
                               f"download it, or place {self.filename} in {self.root}")
        import scipy.io as sio
        loaded_mat = sio.loadmat(os.path.join(self.root, self.filename))
        self.data = np.transpose(loaded_mat["X"], (3, 2, 0, 1))
        self.labels = loaded_mat["y"].astype(np.int64).squeeze(axis=1) if \
            loaded_mat["y"].ndim == 2 else loaded_mat["y"].astype(np.int64)
        np.place(self.labels, self.labels == 10, 0)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        from PIL import Image
        img = Image.fromarray(np.transpose(self.data[index], (1, 2, 0)))
        target = int(self.labels[index])
        return self._transformed(img, target)

    def __len__(self) -> int:
        return len(self.data)

    def _check_integrity(self) -> bool:
        return check_integrity(os.path.join(self.root, self.filename), self.file_md5)

    def download(self) -> None:
        download_url(self.url, self.root, self.filename, self.file_md5)

    def extra_repr(self) -> str:
        return "Split: {split}".format(**self.__dict__)
