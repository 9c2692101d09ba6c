"""Image-grid helpers: make_grid and save_image (torchvision.utils)."""
from __future__ import annotations

import math
import os
from typing import BinaryIO

import numpy as np

import ember
from ember import Tensor


def _as_batch(tensor) -> np.ndarray:
    if isinstance(tensor, (list, tuple)):
        if not all(isinstance(t, Tensor) for t in tensor):
            raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
        arr = np.stack([np.asarray(t.detach()) for t in tensor])
    elif isinstance(tensor, Tensor):
        arr = np.asarray(tensor.detach())
    else:
        raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim == 3:
        arr = arr[None]
    if arr.shape[1] == 1:
        arr = np.concatenate([arr, arr, arr], axis=1)
    return arr


def _norm_range(arr: np.ndarray, value_range) -> np.ndarray:
    low, high = value_range if value_range is not None else (arr.min(), arr.max())
    return (np.clip(arr, low, high) - low) / max(float(high - low), 1e-5)


def make_grid(tensor, nrow: int = 8, padding: int = 2, normalize: bool = False,
              value_range: tuple[float, float] | None = None, scale_each: bool = False,
              pad_value: float = 0.0) -> Tensor:
    """Tile a (B, C, H, W) batch (or list of images) into one (C, H', W') image, ``nrow`` per
    row; one-channel images become three-channel."""
    arr = _as_batch(tensor)
    if normalize:
        arr = arr.astype(np.float32) if arr.dtype.kind != "f" else arr.copy()
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max "
                            "are numbers")
        if scale_each:
            arr = np.stack([_norm_range(a, value_range) for a in arr]).astype(arr.dtype)
        else:
            arr = _norm_range(arr, value_range).astype(arr.dtype)
    if arr.shape[0] == 1:
        return ember.from_numpy(np.ascontiguousarray(arr[0]))
    nmaps, channels, h, w = arr.shape
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(float(nmaps) / xmaps))
    tiles = np.full((ymaps * xmaps, channels, h + padding, w + padding), pad_value,
                    dtype=arr.dtype)
    tiles[:nmaps, :, padding:, padding:] = arr
    grid = tiles.reshape(ymaps, xmaps, channels, h + padding, w + padding)
    grid = grid.transpose(2, 0, 3, 1, 4).reshape(channels, ymaps * (h + padding),
                                                 xmaps * (w + padding))
    grid = np.pad(grid, ((0, 0), (0, padding), (0, padding)), constant_values=pad_value)
    return ember.from_numpy(np.ascontiguousarray(grid))


def save_image(tensor, fp: str | os.PathLike | BinaryIO, format: str | None = None,
               **kwargs) -> None:
    """Save a tensor (or batch, tiled with make_grid's ``kwargs``) in [0, 1] as an image file."""
    from PIL import Image
    grid = np.asarray(make_grid(tensor, **kwargs))
    ndarr = np.clip(grid * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    Image.fromarray(np.ascontiguousarray(ndarr)).save(fp, format=format)
