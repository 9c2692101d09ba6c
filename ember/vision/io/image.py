"""Read, write, encode and decode images as uint8 CxHxW tensors."""
from __future__ import annotations

import io
import os
from enum import Enum

import numpy as np

import ember
from ember import Tensor


class ImageReadMode(Enum):
    UNCHANGED = 0
    GRAY = 1
    GRAY_ALPHA = 2
    RGB = 3
    RGB_ALPHA = 4
    RGBA = 4


_PIL_MODES = {ImageReadMode.GRAY: "L", ImageReadMode.GRAY_ALPHA: "LA",
              ImageReadMode.RGB: "RGB", ImageReadMode.RGB_ALPHA: "RGBA"}


def read_file(path: str | os.PathLike) -> Tensor:
    """The file's bytes as a 1-d uint8 tensor."""
    with open(path, "rb") as f:
        return ember.from_numpy(np.frombuffer(f.read(), dtype=np.uint8).copy())


def write_file(filename: str | os.PathLike, data: Tensor) -> None:
    with open(filename, "wb") as f:
        f.write(np.asarray(data, dtype=np.uint8).tobytes())


def decode_image(input: Tensor | str | os.PathLike,
                 mode: ImageReadMode = ImageReadMode.UNCHANGED) -> Tensor:
    """Decode encoded bytes (a uint8 tensor, or a path) to a uint8 CxHxW tensor."""
    from PIL import Image
    if isinstance(input, (str, os.PathLike)):
        input = read_file(input)
    if not isinstance(input, Tensor) or input.dtype != ember.uint8 or input.ndim != 1:
        raise RuntimeError("Expected a 1-d uint8 tensor of encoded image bytes")
    img = Image.open(io.BytesIO(np.asarray(input).tobytes()))
    if mode != ImageReadMode.UNCHANGED:
        img = img.convert(_PIL_MODES[mode])
    elif img.mode not in ("L", "LA", "RGB", "RGBA"):
        img = img.convert("RGBA" if "A" in img.getbands() else "RGB")
    arr = np.asarray(img)
    arr = arr[:, :, None] if arr.ndim == 2 else arr
    return ember.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))


decode_png = decode_image
decode_jpeg = decode_image


def read_image(path: str | os.PathLike, mode: ImageReadMode = ImageReadMode.UNCHANGED) -> Tensor:
    """Read a PNG/JPEG/... file into a uint8 CxHxW tensor."""
    return decode_image(read_file(path), mode)


def _to_pil(input: Tensor):
    from PIL import Image
    if not isinstance(input, Tensor) or input.dtype != ember.uint8 or input.ndim != 3:
        raise RuntimeError("Input tensor should be a uint8 tensor of shape (C, H, W)")
    arr = np.asarray(input).transpose(1, 2, 0)
    if arr.shape[2] not in (1, 3, 4):
        raise RuntimeError(f"The number of channels should be 1, 3 or 4, got {arr.shape[2]}")
    return Image.fromarray(np.ascontiguousarray(arr[:, :, 0] if arr.shape[2] == 1 else arr))


def encode_png(input: Tensor, compression_level: int = 6) -> Tensor:
    if not 0 <= compression_level <= 9:
        raise ValueError("Compression level should be between 0 and 9")
    buffer = io.BytesIO()
    _to_pil(input).save(buffer, format="PNG", compress_level=compression_level)
    return ember.from_numpy(np.frombuffer(buffer.getvalue(), dtype=np.uint8).copy())


def write_png(input: Tensor, filename: str | os.PathLike, compression_level: int = 6) -> None:
    write_file(filename, encode_png(input, compression_level))


def encode_jpeg(input: Tensor, quality: int = 75) -> Tensor:
    if not 1 <= quality <= 100:
        raise ValueError("Image quality should be a positive number between 1 and 100")
    buffer = io.BytesIO()
    _to_pil(input).save(buffer, format="JPEG", quality=quality)
    return ember.from_numpy(np.frombuffer(buffer.getvalue(), dtype=np.uint8).copy())


def write_jpeg(input: Tensor, filename: str | os.PathLike, quality: int = 75) -> None:
    write_file(filename, encode_jpeg(input, quality))
