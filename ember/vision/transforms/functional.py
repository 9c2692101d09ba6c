"""Functional transforms (torchvision.transforms.functional): each takes a PIL image or a tensor
image shaped (..., C, H, W) and returns the same kind."""
from __future__ import annotations

import math
import numbers
from enum import Enum
from typing import Any, Sequence

import numpy as np

import ember
from ember import Tensor

from . import _functional_pil as F_pil
from . import _functional_tensor as F_t
from ._functional_pil import Image, _is_pil_image


class InterpolationMode(Enum):
    """Interpolation modes; values are the names torch's interpolate uses."""
    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


_PIL_MODES = {"nearest": 0, "nearest-exact": 0, "bilinear": 2, "bicubic": 3, "box": 4,
              "hamming": 5, "lanczos": 1}
_FROM_INT = {0: InterpolationMode.NEAREST, 2: InterpolationMode.BILINEAR,
             3: InterpolationMode.BICUBIC, 4: InterpolationMode.BOX,
             5: InterpolationMode.HAMMING, 1: InterpolationMode.LANCZOS}


def _interpolation(interpolation) -> InterpolationMode:
    if isinstance(interpolation, InterpolationMode):
        return interpolation
    if isinstance(interpolation, int) and interpolation in _FROM_INT:
        return _FROM_INT[interpolation]
    raise TypeError("Argument interpolation should be a InterpolationMode or a corresponding "
                    "Pillow integer constant")


def _is_tensor(img) -> bool:
    return isinstance(img, Tensor)


def _check_img(img) -> None:
    if not (_is_tensor(img) or _is_pil_image(img)):
        raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")


def get_dimensions(img) -> list[int]:
    """[channels, height, width]."""
    return F_t.get_dimensions(img) if _is_tensor(img) else F_pil.get_dimensions(img)


def get_image_size(img) -> list[int]:
    """[width, height]."""
    _, h, w = get_dimensions(img)
    return [w, h]


def get_image_num_channels(img) -> int:
    return get_dimensions(img)[0]


# -- conversion -----------------------------------------------------------------------------
_PIL_DTYPES = {"I": np.int32, "I;16": np.uint16, "I;16B": np.uint16, "F": np.float32}


def _pil_array(pic) -> np.ndarray:
    """A PIL image as an HxWxC array with its natural dtype."""
    if pic.mode == "1":
        arr = np.asarray(pic, dtype=np.uint8) * 255
    else:
        arr = np.asarray(pic, dtype=_PIL_DTYPES.get(pic.mode, np.uint8))
    return arr[:, :, None] if arr.ndim == 2 else arr


def to_tensor(pic) -> Tensor:
    """PIL image or HxWxC ndarray to a CxHxW tensor; uint8 scaled to float in [0, 1]."""
    if not (_is_pil_image(pic) or isinstance(pic, np.ndarray)):
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    if isinstance(pic, np.ndarray):
        if pic.ndim not in {2, 3}:
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        arr = pic[:, :, None] if pic.ndim == 2 else pic
    else:
        arr = _pil_array(pic)
    chw = np.ascontiguousarray(arr.transpose(2, 0, 1))
    if chw.dtype == np.uint8:
        float_np = ember.get_default_dtype().np
        return ember.from_numpy(chw.astype(float_np) * float_np.type(1.0 / 255.0))
    return ember.from_numpy(chw)


def pil_to_tensor(pic) -> Tensor:
    """PIL image to a CxHxW tensor of its own dtype (no scaling)."""
    if not _is_pil_image(pic):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    arr = np.asarray(pic)
    arr = arr[:, :, None] if arr.ndim == 2 else arr
    if arr.dtype == np.bool_:
        arr = arr.astype(np.uint8)
    return ember.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))


def _mode_for(arr: np.ndarray, mode: str | None) -> str:
    channels = arr.shape[2]
    if channels == 1:
        expected = {np.dtype(np.uint8): "L", np.dtype(np.int16): "I;16",
                    np.dtype(np.uint16): "I;16", np.dtype(np.int32): "I",
                    np.dtype(np.float32): "F"}.get(arr.dtype)
        if mode is not None and expected is not None and mode != expected and not (
                mode == "L" and arr.dtype == np.uint8):
            raise ValueError(f"Incorrect mode ({mode}) supplied for input type {arr.dtype}. "
                             f"Should be {expected}")
        if expected is None:
            raise TypeError(f"Input type {arr.dtype} is not supported")
        return mode or expected
    permitted = {2: ["LA"], 3: ["RGB", "YCbCr", "HSV", "LAB"], 4: ["RGBA", "CMYK", "RGBX"]}
    if channels not in permitted:
        raise ValueError(f"pic should not have > 4 channels. Got {channels} channels.")
    if mode is not None and mode not in permitted[channels]:
        raise ValueError(f"Only modes {permitted[channels]} are supported for "
                         f"{channels}D inputs")
    if arr.dtype != np.uint8:
        raise TypeError(f"Input type {arr.dtype} is not supported")
    return mode or permitted[channels][0]


def to_pil_image(pic, mode: str | None = None):
    """CxHxW tensor or HxWxC ndarray to a PIL image; float tensors are scaled by 255."""
    if Image is None:
        raise ImportError("to_pil_image requires Pillow: pip install pillow")
    if _is_tensor(pic):
        if pic.ndim not in {2, 3}:
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        arr = np.asarray(pic.detach())
        arr = arr[None] if arr.ndim == 2 else arr
        if arr.dtype.kind == "f" and mode != "F":
            arr = np.clip(arr * 255, 0, 255).astype(np.uint8)
        arr = arr.transpose(1, 2, 0)
    elif isinstance(pic, np.ndarray):
        if pic.ndim not in {2, 3}:
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        arr = pic[:, :, None] if pic.ndim == 2 else pic
    else:
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    mode = _mode_for(arr, mode)
    if arr.shape[2] == 1:
        arr = arr[:, :, 0]
        if mode == "I;16":
            arr = arr.astype(np.uint16)
    return Image.fromarray(np.ascontiguousarray(arr), mode=mode)


def convert_image_dtype(image: Tensor, dtype=ember.float32) -> Tensor:
    return F_t.convert_image_dtype(image, dtype)


def normalize(tensor: Tensor, mean: Sequence[float], std: Sequence[float],
              inplace: bool = False) -> Tensor:
    """(tensor - mean) / std per channel; differentiable, like torchvision's."""
    if not _is_tensor(tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). Got "
                         f"tensor.size() = {tuple(tensor.shape)}")
    np_dtype = tensor.dtype.np
    mean_arr = np.asarray(mean, dtype=np_dtype).reshape(-1, 1, 1)
    std_arr = np.asarray(std, dtype=np_dtype).reshape(-1, 1, 1)
    if (std_arr == 0).any():
        raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading "
                         "to division by zero.")
    if not inplace:
        if tensor.requires_grad:
            return (tensor - ember.as_tensor(mean_arr, device=tensor.device)) / \
                ember.as_tensor(std_arr, device=tensor.device)
        out = np.subtract(np.asarray(tensor), mean_arr)
        out /= std_arr
        return F_t._wrap(out, tensor)
    return tensor.sub_(ember.as_tensor(mean_arr, device=tensor.device)).div_(
        ember.as_tensor(std_arr, device=tensor.device))


# -- geometry ---------------------------------------------------------------------------------
def _compute_resized_output_size(image_size: tuple[int, int], size, max_size=None) -> list[int]:
    h, w = image_size
    if isinstance(size, (list, tuple)) and len(size) == 2:
        return [int(size[0]), int(size[1])]
    requested = int(size[0]) if isinstance(size, (list, tuple)) and size else None
    short, long = (w, h) if w <= h else (h, w)
    if requested is None:
        if max_size is None:
            raise ValueError("max_size must be an integer when size is None, but got None")
        new_short, new_long = int(max_size * short / long), max_size
    else:
        new_short, new_long = requested, int(requested * long / short)
        if max_size is not None:
            if max_size <= requested:
                raise ValueError(f"max_size = {max_size} must be strictly greater than the "
                                 f"requested size for the smaller edge size = {size}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
    return [new_long, new_short] if w <= h else [new_short, new_long]


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size: int | None = None,
           antialias: bool | None = True):
    """Resize to (h, w), or match the smaller edge to ``size`` when it is an int."""
    interpolation = _interpolation(interpolation)
    if isinstance(size, (int, np.integer)):
        size = [int(size)]
    elif size is not None and not isinstance(size, (list, tuple)):
        raise TypeError(f"Size should be int or sequence. Got {type(size)}")
    if isinstance(size, (list, tuple)) and len(size) not in (1, 2):
        raise ValueError("If size is a sequence, it should have 1 or 2 values")
    if isinstance(size, (list, tuple)) and len(size) == 2 and max_size is not None:
        raise ValueError("max_size should only be passed if size specifies the length of the "
                         "smaller edge, i.e. size should be an int or a sequence of length 1 in "
                         "torchscript mode.")
    _, h, w = get_dimensions(img)
    output_size = _compute_resized_output_size((h, w), size, max_size)
    if [h, w] == output_size:
        return img
    if _is_tensor(img):
        return F_t.resize(img, output_size, interpolation.value, antialias)
    return F_pil.resize(img, output_size, _PIL_MODES[interpolation.value])


def crop(img, top: int, left: int, height: int, width: int):
    _check_img(img)
    if _is_tensor(img):
        return F_t.crop(img, top, left, height, width)
    return F_pil.crop(img, top, left, height, width)


def _setup_size(size, error_msg: str) -> tuple[int, int]:
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError(error_msg)
    return size[0], size[1]


def center_crop(img, output_size):
    """Crop the centre; pads with zeros first when the image is smaller than the crop."""
    crop_h, crop_w = _setup_size(output_size, "Please provide only two dimensions (h, w) for "
                                              "size.")
    _, image_h, image_w = get_dimensions(img)
    if crop_w > image_w or crop_h > image_h:
        padding = [(crop_w - image_w) // 2 if crop_w > image_w else 0,
                   (crop_h - image_h) // 2 if crop_h > image_h else 0,
                   (crop_w - image_w + 1) // 2 if crop_w > image_w else 0,
                   (crop_h - image_h + 1) // 2 if crop_h > image_h else 0]
        img = pad(img, padding, fill=0)
        _, image_h, image_w = get_dimensions(img)
        if crop_w == image_w and crop_h == image_h:
            return img
    top = int(round((image_h - crop_h) / 2.0))
    left = int(round((image_w - crop_w) / 2.0))
    return crop(img, top, left, crop_h, crop_w)


def resized_crop(img, top: int, left: int, height: int, width: int, size,
                 interpolation=InterpolationMode.BILINEAR, antialias: bool | None = True):
    return resize(crop(img, top, left, height, width), size, interpolation,
                  antialias=antialias)


def pad(img, padding, fill=0, padding_mode: str = "constant"):
    """Pad by an int, (left/right, top/bottom) or (left, top, right, bottom)."""
    if not isinstance(padding, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if isinstance(padding, (tuple, list)) and len(padding) not in (1, 2, 4):
        raise ValueError("Padding must be an int or a 1, 2, or 4 element tuple, not a "
                         f"{len(padding)} element tuple")
    if _is_tensor(img):
        return F_t.pad(img, padding, fill, padding_mode)
    return F_pil.pad(img, padding, fill, padding_mode)


def hflip(img):
    return F_t.hflip(img) if _is_tensor(img) else F_pil.hflip(img)


def vflip(img):
    return F_t.vflip(img) if _is_tensor(img) else F_pil.vflip(img)


def five_crop(img, size):
    """Four corners and the centre."""
    crop_h, crop_w = _setup_size(size, "Please provide only two dimensions (h, w) for size.")
    _, image_h, image_w = get_dimensions(img)
    if crop_w > image_w or crop_h > image_h:
        raise ValueError(f"Requested crop size {size} is bigger than input size "
                         f"{(image_h, image_w)}")
    tl = crop(img, 0, 0, crop_h, crop_w)
    tr = crop(img, 0, image_w - crop_w, crop_h, crop_w)
    bl = crop(img, image_h - crop_h, 0, crop_h, crop_w)
    br = crop(img, image_h - crop_h, image_w - crop_w, crop_h, crop_w)
    return tl, tr, bl, br, center_crop(img, [crop_h, crop_w])


def ten_crop(img, size, vertical_flip: bool = False):
    first = five_crop(img, size)
    flipped = vflip(img) if vertical_flip else hflip(img)
    return first + five_crop(flipped, size)


def _get_inverse_affine_matrix(center: list[float], angle: float, translate: list[float],
                               scale: float, shear: list[float],
                               inverted: bool = True) -> list[float]:
    """Inverse of T * C * RotateScaleShear * C^-1 (or, with ``inverted=False``, the forward
    matrix itself), as a 2x3 row-major list."""
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    if not inverted:
        matrix = [a * scale, b * scale, 0.0, c * scale, d * scale, 0.0]
        matrix[2] += cx + tx - matrix[0] * cx - matrix[1] * cy
        matrix[5] += cy + ty - matrix[3] * cx - matrix[4] * cy
        return matrix
    matrix = [x / scale for x in (d, -b, 0.0, -c, a, 0.0)]
    matrix[2] += matrix[0] * (-cx - tx) + matrix[1] * (-cy - ty)
    matrix[5] += matrix[3] * (-cx - tx) + matrix[4] * (-cy - ty)
    matrix[2] += cx
    matrix[5] += cy
    return matrix


def rotate(img, angle: float, interpolation=InterpolationMode.NEAREST, expand: bool = False,
           center: list[int] | None = None, fill: list[float] | None = None):
    """Rotate counter-clockwise by ``angle`` degrees."""
    interpolation = _interpolation(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    if not _is_tensor(img):
        return F_pil.rotate(img, angle, _PIL_MODES[interpolation.value], expand, center, fill)
    center_f = [0.0, 0.0]
    if center is not None:
        _, height, width = get_dimensions(img)
        center_f = [1.0 * (c - s * 0.5) for c, s in zip(center, [width, height])]
    matrix = _get_inverse_affine_matrix(center_f, -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
    return F_t.rotate(img, matrix, interpolation.value, expand, fill)


def affine(img, angle: float, translate: list[int], scale: float, shear,
           interpolation=InterpolationMode.NEAREST, fill: list[float] | None = None,
           center: list[int] | None = None):
    """Rotation, translation, scale and shear about the centre, keeping the image size."""
    interpolation = _interpolation(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if not isinstance(translate, (list, tuple)) or len(translate) != 2:
        raise TypeError("Argument translate should be a sequence of length 2")
    if scale <= 0.0:
        raise ValueError("Argument scale should be positive")
    if isinstance(shear, numbers.Number):
        shear = [shear, 0.0]
    shear = list(shear)
    if len(shear) == 1:
        shear = [shear[0], shear[0]]
    if len(shear) != 2:
        raise ValueError(f"Shear should be a sequence containing two values. Got {shear}")
    _, height, width = get_dimensions(img)
    if not _is_tensor(img):
        pil_center = center if center is not None else [width * 0.5, height * 0.5]
        matrix = _get_inverse_affine_matrix(pil_center, angle, translate, scale, shear)
        return F_pil.affine(img, matrix, _PIL_MODES[interpolation.value], fill)
    center_f = [0.0, 0.0]
    if center is not None:
        center_f = [1.0 * (c - s * 0.5) for c, s in zip(center, [width, height])]
    matrix = _get_inverse_affine_matrix(center_f, angle, [1.0 * t for t in translate], scale,
                                        shear)
    return F_t.affine(img, matrix, interpolation.value, fill)


def _get_perspective_coeffs(startpoints: Sequence[Sequence[float]],
                            endpoints: Sequence[Sequence[float]]) -> list[float]:
    """PIL's 8 coefficients mapping output (end) points back to input (start) points."""
    if len(startpoints) != 4 or len(endpoints) != 4:
        raise ValueError(f"Please provide exactly four corners, got {len(startpoints)} "
                         f"startpoints and {len(endpoints)} endpoints.")
    end = np.asarray(endpoints, dtype=np.float64)
    start = np.asarray(startpoints, dtype=np.float64)
    a_matrix = np.zeros((8, 8))
    a_matrix[0::2, 0:2] = end
    a_matrix[0::2, 2] = 1.0
    a_matrix[1::2, 3:5] = end
    a_matrix[1::2, 5] = 1.0
    a_matrix[0::2, 6:8] = -start[:, :1] * end
    a_matrix[1::2, 6:8] = -start[:, 1:] * end
    solution = np.linalg.lstsq(a_matrix, start.reshape(8), rcond=None)[0]
    return solution.astype(np.float32).tolist()


def perspective(img, startpoints: list[list[int]], endpoints: list[list[int]],
                interpolation=InterpolationMode.BILINEAR, fill: list[float] | None = None):
    """Warp so that the four ``startpoints`` land on ``endpoints``."""
    coeffs = _get_perspective_coeffs(startpoints, endpoints)
    interpolation = _interpolation(interpolation)
    if _is_tensor(img):
        return F_t.perspective(img, coeffs, interpolation.value, fill)
    return F_pil.perspective(img, coeffs, _PIL_MODES[interpolation.value], fill)


def elastic_transform(img, displacement: Tensor, interpolation=InterpolationMode.BILINEAR,
                      fill: list[float] | None = None):
    """Move each pixel by ``displacement`` (1 x H x W x 2, in [-1, 1] grid units)."""
    interpolation = _interpolation(interpolation)
    if not _is_tensor(displacement):
        raise TypeError("Argument displacement should be a Tensor")
    _check_img(img)
    tensor_img = img if _is_tensor(img) else pil_to_tensor(img)
    expected = (1,) + tuple(tensor_img.shape[-2:]) + (2,)
    if tuple(displacement.shape) != expected:
        raise ValueError(f"Argument displacement shape should be {list(expected)}, but given "
                         f"{list(displacement.shape)}")
    out = F_t.elastic_transform(tensor_img, np.asarray(displacement.detach()),
                                interpolation.value, fill)
    return out if _is_tensor(img) else to_pil_image(out, mode=img.mode)


# -- colour -----------------------------------------------------------------------------------
def _dispatch(name: str, img, *args):
    _check_img(img)
    return getattr(F_t if _is_tensor(img) else F_pil, name)(img, *args)


def adjust_brightness(img, brightness_factor: float):
    return _dispatch("adjust_brightness", img, brightness_factor)


def adjust_contrast(img, contrast_factor: float):
    return _dispatch("adjust_contrast", img, contrast_factor)


def adjust_saturation(img, saturation_factor: float):
    return _dispatch("adjust_saturation", img, saturation_factor)


def adjust_hue(img, hue_factor: float):
    return _dispatch("adjust_hue", img, hue_factor)


def adjust_sharpness(img, sharpness_factor: float):
    return _dispatch("adjust_sharpness", img, sharpness_factor)


def adjust_gamma(img, gamma: float, gain: float = 1):
    return _dispatch("adjust_gamma", img, gamma, gain)


def posterize(img, bits: int):
    """Keep the top ``bits`` bits of each value (float tensors: ``2 ** bits`` levels, which
    torchvision v1 rejects and v2 accepts)."""
    if not 0 <= bits <= 8:
        raise ValueError(f"The number if bits should be between 0 and 8. Got {bits}")
    return _dispatch("posterize", img, bits)


def solarize(img, threshold: float):
    return _dispatch("solarize", img, threshold)


def autocontrast(img):
    return _dispatch("autocontrast", img)


def equalize(img):
    """Histogram equalisation (float tensors are accepted, as in torchvision v2)."""
    return _dispatch("equalize", img)


def rgb_to_grayscale(img, num_output_channels: int = 1):
    if _is_tensor(img):
        return F_t.rgb_to_grayscale(img, num_output_channels)
    return F_pil.to_grayscale(img, num_output_channels)


def to_grayscale(img, num_output_channels: int = 1):
    if not _is_pil_image(img):
        raise TypeError("Input should be PIL Image")
    return F_pil.to_grayscale(img, num_output_channels)


def invert(img):
    return _dispatch("invert", img)


def erase(img: Tensor, i: int, j: int, h: int, w: int, v: Any, inplace: bool = False) -> Tensor:
    """Set the (h, w) box at (i, j) to ``v``."""
    if not _is_tensor(img):
        raise TypeError(f"img should be Tensor Image. Got {type(img)}")
    return F_t.erase(img, i, j, h, w, v, inplace)


def gaussian_blur(img, kernel_size: list[int], sigma: list[float] | None = None):
    if isinstance(kernel_size, int):
        kernel_size = [kernel_size, kernel_size]
    for k in kernel_size:
        if k % 2 == 0 or k < 0:
            raise ValueError(f"kernel_size should have odd and positive integers. Got "
                             f"{kernel_size}")
    if sigma is None:
        sigma = [ksize * 0.15 + 0.35 for ksize in kernel_size]
    if isinstance(sigma, (int, float)):
        sigma = [float(sigma), float(sigma)]
    elif len(sigma) == 1:
        sigma = [sigma[0], sigma[0]]
    if any(s <= 0 for s in sigma):
        raise ValueError(f"sigma should have positive values. Got {sigma}")
    if _is_tensor(img):
        return F_t.gaussian_blur(img, kernel_size, sigma)
    _check_img(img)
    blurred = F_t.gaussian_blur(pil_to_tensor(img), kernel_size, sigma)
    return to_pil_image(blurred, mode=img.mode)
