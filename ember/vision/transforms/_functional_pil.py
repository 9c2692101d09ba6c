"""PIL-image kernels behind ``transforms.functional`` (Pillow is an optional dependency)."""
from __future__ import annotations

import numbers

import numpy as np

try:
    from PIL import Image, ImageEnhance, ImageOps
except ImportError:  # pragma: no cover - exercised only without Pillow
    Image = ImageEnhance = ImageOps = None

from ._functional_tensor import _parse_padding, pad_array


def _is_pil_image(img) -> bool:
    return Image is not None and isinstance(img, Image.Image)


def _assert_pil(img) -> None:
    if not _is_pil_image(img):
        raise TypeError(f"img should be PIL Image. Got {type(img)}")


def get_dimensions(img) -> list[int]:
    _assert_pil(img)
    channels = len(img.getbands())
    width, height = img.size
    return [channels, height, width]


def hflip(img):
    _assert_pil(img)
    return img.transpose(Image.FLIP_LEFT_RIGHT)


def vflip(img):
    _assert_pil(img)
    return img.transpose(Image.FLIP_TOP_BOTTOM)


def crop(img, top: int, left: int, height: int, width: int):
    _assert_pil(img)
    return img.crop((left, top, left + width, top + height))


def _fill_for(img, fill):
    """A fill value in the form Pillow expects for ``img``'s mode."""
    if fill is None:
        fill = 0
    bands = len(img.getbands())
    if isinstance(fill, numbers.Number):
        return tuple([fill] * bands) if bands > 1 else fill
    fill = tuple(fill)
    if len(fill) == 1:
        fill = fill * bands
    if len(fill) != bands:
        raise ValueError(f"The number of elements in 'fill' does not match the number of bands "
                         f"of the image ({len(fill)} != {bands})")
    return fill if bands > 1 else fill[0]


def pad(img, padding, fill=0, padding_mode: str = "constant"):
    _assert_pil(img)
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    fill = _fill_for(img, fill)
    left, top, right, bottom = _parse_padding(padding)
    if padding_mode == "constant" and min(left, top, right, bottom) >= 0 and img.mode != "P":
        width, height = img.size
        out = Image.new(img.mode, (width + left + right, height + top + bottom), fill)
        out.paste(img, (left, top))
        return out
    arr = np.asarray(img)
    palette = img.getpalette() if img.mode == "P" else None
    if arr.ndim == 3:
        out = pad_array(arr, padding, fill, padding_mode, channel_axis=-1)
    else:
        out = pad_array(arr, padding, fill, padding_mode)
    result = Image.fromarray(out, mode=img.mode) if img.mode != "1" else \
        Image.fromarray(out).convert("1")
    if palette is not None:
        result.putpalette(palette)
    return result


def resize(img, size: list[int], interpolation: int):
    """``size`` is [h, w]."""
    _assert_pil(img)
    return img.resize((size[1], size[0]), interpolation)


def affine(img, matrix: list[float], interpolation: int, fill=None):
    _assert_pil(img)
    return img.transform(img.size, Image.AFFINE, matrix, interpolation,
                         fillcolor=_fill_for(img, fill))


def rotate(img, angle: float, interpolation: int, expand: bool = False, center=None,
           fill=None):
    _assert_pil(img)
    return img.rotate(angle, interpolation, expand, center, fillcolor=_fill_for(img, fill))


def adjust_brightness(img, brightness_factor: float):
    _assert_pil(img)
    return ImageEnhance.Brightness(img).enhance(brightness_factor)


def adjust_contrast(img, contrast_factor: float):
    _assert_pil(img)
    return ImageEnhance.Contrast(img).enhance(contrast_factor)


def adjust_saturation(img, saturation_factor: float):
    _assert_pil(img)
    return ImageEnhance.Color(img).enhance(saturation_factor)


def adjust_hue(img, hue_factor: float):
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    _assert_pil(img)
    input_mode = img.mode
    if input_mode in {"L", "1", "I", "F"}:
        return img
    h, s, v = img.convert("HSV").split()
    np_h = (np.asarray(h, dtype=np.int16) + int(hue_factor * 255)) % 256
    h = Image.fromarray(np_h.astype(np.uint8), "L")
    return Image.merge("HSV", (h, s, v)).convert(input_mode)


def to_grayscale(img, num_output_channels: int = 1):
    _assert_pil(img)
    if num_output_channels == 1:
        return img.convert("L")
    if num_output_channels == 3:
        gray = np.asarray(img.convert("L"))
        return Image.fromarray(np.dstack([gray, gray, gray]), "RGB")
    raise ValueError("num_output_channels should be either 1 or 3")


def invert(img):
    _assert_pil(img)
    return ImageOps.invert(img)


def posterize(img, bits: int):
    _assert_pil(img)
    return ImageOps.posterize(img, bits)


def solarize(img, threshold: float):
    _assert_pil(img)
    return ImageOps.solarize(img, threshold)


def autocontrast(img):
    _assert_pil(img)
    return ImageOps.autocontrast(img)


def equalize(img):
    _assert_pil(img)
    return ImageOps.equalize(img)


def adjust_sharpness(img, sharpness_factor: float):
    _assert_pil(img)
    return ImageEnhance.Sharpness(img).enhance(sharpness_factor)


def adjust_gamma(img, gamma: float, gain: float = 1):
    _assert_pil(img)
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    input_mode = img.mode
    img = img.convert("RGB")
    lut = (255 + 1 - 1e-3) * gain * (np.arange(256) / 255.0) ** gamma
    img = img.point(np.clip(lut, 0, 255).astype(int).tolist() * 3)
    return img.convert(input_mode)


def perspective(img, perspective_coeffs: list[float], interpolation: int, fill=None):
    _assert_pil(img)
    return img.transform(img.size, Image.PERSPECTIVE, perspective_coeffs, interpolation,
                         fillcolor=_fill_for(img, fill))
