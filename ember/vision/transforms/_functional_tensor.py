"""Tensor-image kernels behind ``transforms.functional``: NumPy on arrays shaped (..., C, H, W).

Geometric and colour transforms are not differentiable (as in torchvision's usual use): each
kernel reads the tensor's array, computes with vectorised NumPy and wraps a new tensor.
"""
from __future__ import annotations


import numpy as np

import ember
from ember import Tensor

_GRAY = (0.2989, 0.587, 0.114)


def _array(img: Tensor) -> np.ndarray:
    return np.asarray(img)


def _wrap(arr: np.ndarray, like: Tensor) -> Tensor:
    out = ember.from_numpy(np.ascontiguousarray(arr))
    return out if like.device.type == "cpu" else out.to(like.device)


def _assert_image_tensor(img: Tensor) -> None:
    if not isinstance(img, Tensor) or img.ndim < 2:
        raise TypeError("Tensor is not a torch image.")


def _max_value(np_dtype) -> float:
    np_dtype = np.dtype(np_dtype)
    if np_dtype.kind == "f":
        return 1.0
    if np_dtype.kind == "b":
        return 1
    return int(np.iinfo(np_dtype).max)


def _cast_back(arr: np.ndarray, np_dtype, rounding: bool = True) -> np.ndarray:
    """Float result to the image dtype: rounded and clipped for integer images."""
    np_dtype = np.dtype(np_dtype)
    if np_dtype.kind in "iub":
        if rounding:
            arr = np.rint(arr)
        info = np.iinfo(np_dtype) if np_dtype.kind != "b" else None
        if info is not None:
            arr = np.clip(arr, info.min, info.max)
    return arr.astype(np_dtype, copy=False)


def _work_dtype(np_dtype) -> np.dtype:
    return np.dtype(np_dtype) if np.dtype(np_dtype).kind == "f" else np.dtype(np.float32)


def get_dimensions(img: Tensor) -> list[int]:
    _assert_image_tensor(img)
    channels = 1 if img.ndim == 2 else img.shape[-3]
    return [channels, img.shape[-2], img.shape[-1]]


def _check_channels(img: Tensor, permitted: tuple) -> None:
    c = get_dimensions(img)[0]
    if c not in permitted:
        raise TypeError(f"Input image tensor permitted channel values are {list(permitted)}, "
                        f"but found {c}")


def hflip(img: Tensor) -> Tensor:
    _assert_image_tensor(img)
    return _wrap(_array(img)[..., ::-1], img)


def vflip(img: Tensor) -> Tensor:
    _assert_image_tensor(img)
    return _wrap(_array(img)[..., ::-1, :], img)


def crop(img: Tensor, top: int, left: int, height: int, width: int) -> Tensor:
    """Crop; regions outside the image are zero-filled, as in torchvision."""
    _assert_image_tensor(img)
    _, h, w = get_dimensions(img)
    right, bottom = left + width, top + height
    arr = _array(img)
    if left < 0 or top < 0 or right > w or bottom > h:
        out_arr = arr[..., max(top, 0):min(bottom, h), max(left, 0):min(right, w)]
        pads = [(0, 0)] * (arr.ndim - 2) + [(max(-top, 0), max(bottom - h, 0)),
                                             (max(-left, 0), max(right - w, 0))]
        return _wrap(np.pad(out_arr, pads), img)
    return _wrap(arr[..., top:bottom, left:right], img)


_NP_PAD_MODES = {"constant": "constant", "edge": "edge", "reflect": "reflect",
                 "symmetric": "symmetric"}


def _parse_padding(padding) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) from an int or a 1-, 2- or 4-sequence."""
    if isinstance(padding, (int, np.integer)):
        return (int(padding),) * 4
    padding = [int(p) for p in padding]
    if len(padding) == 1:
        return (padding[0],) * 4
    if len(padding) == 2:
        return padding[0], padding[1], padding[0], padding[1]
    if len(padding) == 4:
        return tuple(padding)  # type: ignore[return-value]
    raise ValueError("Padding must be an int or a 1, 2, or 4 element tuple, not a "
                     f"{len(padding)} element tuple")


def pad_array(arr: np.ndarray, padding, fill=0, padding_mode: str = "constant",
              channel_axis: int | None = None) -> np.ndarray:
    """Pad the last two axes of ``arr`` (or HxW of an HWC array when ``channel_axis=-1``)."""
    left, top, right, bottom = _parse_padding(padding)
    hw = (arr.ndim - 3, arr.ndim - 2) if channel_axis == -1 else (arr.ndim - 2, arr.ndim - 1)
    if min(left, top, right, bottom) < 0:  # negative padding crops
        sl = [slice(None)] * arr.ndim
        sl[hw[0]] = slice(max(-top, 0), arr.shape[hw[0]] - max(-bottom, 0))
        sl[hw[1]] = slice(max(-left, 0), arr.shape[hw[1]] - max(-right, 0))
        arr = arr[tuple(sl)]
        left, top, right, bottom = (max(p, 0) for p in (left, top, right, bottom))
    pads = [(0, 0)] * arr.ndim
    pads[hw[0]] = (top, bottom)
    pads[hw[1]] = (left, right)
    if padding_mode != "constant":
        return np.pad(arr, pads, mode=_NP_PAD_MODES[padding_mode])
    if isinstance(fill, (tuple, list)) and len(fill) > 1:
        out = np.empty([s + a + b for s, (a, b) in zip(arr.shape, pads)], dtype=arr.dtype)
        fill_shape = [1] * arr.ndim
        fill_shape[channel_axis if channel_axis is not None else arr.ndim - 3] = len(fill)
        out[...] = np.asarray(fill, dtype=arr.dtype).reshape(fill_shape)
        out[tuple(slice(a, a + s) for s, (a, _) in zip(arr.shape, pads))] = arr
        return out
    if isinstance(fill, (tuple, list)):
        fill = fill[0]
    return np.pad(arr, pads, mode="constant", constant_values=fill)


def pad(img: Tensor, padding, fill=0, padding_mode: str = "constant") -> Tensor:
    _assert_image_tensor(img)
    if padding_mode not in _NP_PAD_MODES:
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    return _wrap(pad_array(_array(img), padding, 0 if fill is None else fill, padding_mode), img)


# -- resampling ---------------------------------------------------------------------------------
def _cubic(x: np.ndarray, a: float) -> np.ndarray:
    x = np.abs(x)
    return np.where(x <= 1, ((a + 2) * x - (a + 3)) * x * x + 1,
                    np.where(x < 2, (((x - 5) * x + 8) * x - 4) * a, 0.0))


def resize_weights(in_size: int, out_size: int, mode: str, antialias: bool) -> np.ndarray:
    """The (out_size, in_size) matrix that resamples one axis, as torch's interpolate does
    (and, with ``antialias``, as PIL's filters do when shrinking)."""
    scale = in_size / out_size
    out_idx = np.arange(out_size)
    weights = np.zeros((out_size, in_size), dtype=np.float64)
    if mode in ("nearest", "nearest-exact"):
        offset = 0.5 if mode == "nearest-exact" else 0.0
        src = np.minimum(np.floor((out_idx + offset) * scale).astype(np.int64), in_size - 1)
        weights[out_idx, src] = 1.0
        return weights
    if antialias:
        support, a = (1.0, 0.0) if mode == "bilinear" else (2.0, -0.5)
        centers = (out_idx + 0.5) * scale
        dist = (np.arange(in_size)[None, :] + 0.5 - centers[:, None]) / max(scale, 1.0)
        if mode == "bilinear":
            weights = np.clip(1.0 - np.abs(dist), 0.0, None)
        else:
            weights = _cubic(dist, a) * (np.abs(dist) < support)
        return weights / weights.sum(axis=1, keepdims=True)
    src = (out_idx + 0.5) * scale - 0.5
    if mode == "bilinear":
        src = np.maximum(src, 0.0)
        i0 = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
        i1 = np.minimum(i0 + 1, in_size - 1)
        frac = src - i0
        np.add.at(weights, (out_idx, i0), 1.0 - frac)
        np.add.at(weights, (out_idx, i1), frac)
        return weights
    i0 = np.floor(src).astype(np.int64)
    frac = src - i0
    for k in range(-1, 3):
        idx = np.clip(i0 + k, 0, in_size - 1)
        np.add.at(weights, (out_idx, idx), _cubic(frac - k, -0.75))
    return weights


def resize(img: Tensor, size: list[int], interpolation: str = "bilinear",
           antialias: bool | None = True) -> Tensor:
    """Resize to ``size`` = [h, w] by separable resampling (two matrix products)."""
    _assert_image_tensor(img)
    if interpolation not in ("nearest", "nearest-exact", "bilinear", "bicubic"):
        raise ValueError(f"Interpolation mode '{interpolation}' is unsupported with Tensor "
                         "input")
    arr = _array(img)
    h, w = arr.shape[-2:]
    out_h, out_w = size
    if (out_h, out_w) == (h, w):
        return img
    work = _work_dtype(arr.dtype)
    wh = resize_weights(h, out_h, interpolation, bool(antialias)).astype(work)
    ww = resize_weights(w, out_w, interpolation, bool(antialias)).astype(work)
    out = wh @ arr.astype(work, copy=False) @ ww.T
    if interpolation.startswith("nearest"):
        return _wrap(out.astype(arr.dtype), img)
    if arr.dtype == np.uint8 or interpolation == "bicubic" and arr.dtype.kind in "iu":
        out = np.clip(out, 0, _max_value(arr.dtype))
    return _wrap(_cast_back(out, arr.dtype), img)


# -- affine warps ---------------------------------------------------------------------------
def grid_sample_array(arr: np.ndarray, px: np.ndarray, py: np.ndarray, interpolation: str,
                      fill) -> np.ndarray:
    """Sample ``arr`` (..., H, W) at source pixel coordinates ``px``/``py`` (each out_h x out_w,
    pixel centres at integers): torch's grid_sample(align_corners=False, padding zeros), then
    torchvision's ``fill`` for points that fall outside."""
    h, w = arr.shape[-2:]
    out_h, out_w = px.shape
    work = _work_dtype(arr.dtype)
    src = arr.astype(work, copy=False)
    if interpolation == "nearest":
        ix, iy = np.rint(px).astype(np.int64), np.rint(py).astype(np.int64)
        valid = (ix >= 0) & (ix < w) & (iy >= 0) & (iy < h)
        out = src[..., np.clip(iy, 0, h - 1), np.clip(ix, 0, w - 1)] * valid
        mask = valid.astype(work)
    elif interpolation == "bilinear":
        x0, y0 = np.floor(px).astype(np.int64), np.floor(py).astype(np.int64)
        fx, fy = (px - x0).astype(work), (py - y0).astype(work)
        out = np.zeros(arr.shape[:-2] + (out_h, out_w), dtype=work)
        mask = np.zeros((out_h, out_w), dtype=work)
        for dy, wy in ((0, 1 - fy), (1, fy)):
            for dx, wx in ((0, 1 - fx), (1, fx)):
                xi, yi = x0 + dx, y0 + dy
                weight = wx * wy * ((xi >= 0) & (xi < w) & (yi >= 0) & (yi < h))
                out += src[..., np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)] * weight
                mask += weight
    else:
        raise ValueError(f"Interpolation mode '{interpolation}' is unsupported with Tensor "
                         "input")
    if fill is not None:
        channels = arr.shape[-3] if arr.ndim >= 3 else 1
        fill_arr = np.asarray(fill if isinstance(fill, (list, tuple)) else [fill], dtype=work)
        if fill_arr.size not in (1, channels):
            raise ValueError("The number of elements in 'fill' does not match the number of "
                             f"channels of the image ({fill_arr.size} != {channels})")
        fill_arr = fill_arr.reshape(-1, 1, 1) if arr.ndim >= 3 else fill_arr.reshape(1, 1)
        if interpolation == "nearest":
            out = np.where(mask < 0.5, fill_arr, out)
        else:
            out = out * mask + (1.0 - mask) * fill_arr
    return _cast_back(out, arr.dtype, rounding=interpolation == "bilinear")


def _affine_sample(arr: np.ndarray, matrix: list[float], out_h: int, out_w: int,
                   interpolation: str, fill) -> np.ndarray:
    """Sample through the inverse affine ``matrix`` given in pixel coordinates centred on the
    image."""
    h, w = arr.shape[-2:]
    xs = np.arange(out_w, dtype=np.float64) - out_w * 0.5 + 0.5
    ys = (np.arange(out_h, dtype=np.float64) - out_h * 0.5 + 0.5)[:, None]
    px = matrix[0] * xs + matrix[1] * ys + matrix[2] + w * 0.5 - 0.5
    py = matrix[3] * xs + matrix[4] * ys + matrix[5] + h * 0.5 - 0.5
    return grid_sample_array(arr, px, py, interpolation, fill)


def affine(img: Tensor, matrix: list[float], interpolation: str = "nearest",
           fill=None) -> Tensor:
    _assert_image_tensor(img)
    arr = _array(img)
    h, w = arr.shape[-2:]
    return _wrap(_affine_sample(arr, matrix, h, w, interpolation, fill), img)


def _affine_output_size(matrix: list[float], w: int, h: int) -> tuple[int, int]:
    # float32 throughout, as torch computes it: the tolerance trick relies on that rounding.
    pts = np.array([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0],
                    [0.5 * w, 0.5 * h, 1.0], [0.5 * w, -0.5 * h, 1.0]], dtype=np.float32)
    new_pts = pts @ np.asarray(matrix, dtype=np.float32).reshape(2, 3).T
    half = np.array([w * 0.5, h * 0.5], dtype=np.float32)
    min_vals = new_pts.min(axis=0) + half
    max_vals = new_pts.max(axis=0) + half
    tol = np.float32(1e-4)
    cmax = np.ceil(np.trunc(max_vals / tol) * tol)
    cmin = np.floor(np.trunc(min_vals / tol) * tol)
    size = cmax - cmin
    return int(size[0]), int(size[1])


def rotate(img: Tensor, matrix: list[float], interpolation: str = "nearest",
           expand: bool = False, fill=None) -> Tensor:
    _assert_image_tensor(img)
    arr = _array(img)
    h, w = arr.shape[-2:]
    ow, oh = _affine_output_size(matrix, w, h) if expand else (w, h)
    return _wrap(_affine_sample(arr, matrix, oh, ow, interpolation, fill), img)


def perspective(img: Tensor, coeffs: list[float], interpolation: str = "bilinear",
                fill=None) -> Tensor:
    """Warp through PIL's 8 perspective coefficients (output pixel -> input pixel)."""
    _assert_image_tensor(img)
    if len(coeffs) != 8:
        raise ValueError("Argument coeffs should have 8 float values")
    arr = _array(img)
    h, w = arr.shape[-2:]
    xs = np.arange(w, dtype=np.float64) + 0.5
    ys = (np.arange(h, dtype=np.float64) + 0.5)[:, None]
    denom = coeffs[6] * xs + coeffs[7] * ys + 1.0
    px = (coeffs[0] * xs + coeffs[1] * ys + coeffs[2]) / denom - 0.5
    py = (coeffs[3] * xs + coeffs[4] * ys + coeffs[5]) / denom - 0.5
    return _wrap(grid_sample_array(arr, px, py, interpolation, fill), img)


def elastic_transform(img: Tensor, displacement: np.ndarray, interpolation: str = "bilinear",
                      fill=None) -> Tensor:
    """Sample at identity + ``displacement`` (1 x H x W x 2, in grid_sample's [-1, 1] units)."""
    _assert_image_tensor(img)
    arr = _array(img)
    h, w = arr.shape[-2:]
    px = np.arange(w, dtype=np.float64) + displacement[0, :, :, 0] * (w * 0.5)
    py = np.arange(h, dtype=np.float64)[:, None] + displacement[0, :, :, 1] * (h * 0.5)
    return _wrap(grid_sample_array(arr, px, py, interpolation, fill), img)


# -- colour -------------------------------------------------------------------------------
def _gray_array(arr: np.ndarray) -> np.ndarray:
    r, g, b = arr[..., 0, :, :], arr[..., 1, :, :], arr[..., 2, :, :]
    work = _work_dtype(arr.dtype)
    gray = (_GRAY[0] * r.astype(work) + _GRAY[1] * g + _GRAY[2] * b).astype(work)
    return gray.astype(arr.dtype, copy=False)[..., None, :, :]


def rgb_to_grayscale(img: Tensor, num_output_channels: int = 1) -> Tensor:
    _assert_image_tensor(img)
    _check_channels(img, (1, 3))
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    arr = _array(img)
    gray = _gray_array(arr) if get_dimensions(img)[0] == 3 else arr
    if num_output_channels == 3:
        gray = np.broadcast_to(gray, gray.shape[:-3] + (3,) + gray.shape[-2:])
    return _wrap(gray, img)


def _blend(arr1: np.ndarray, arr2, ratio: float) -> np.ndarray:
    bound = _max_value(arr1.dtype)
    work = _work_dtype(arr1.dtype)
    out = ratio * arr1.astype(work) + (1.0 - ratio) * np.asarray(arr2, dtype=work)
    out = np.clip(out, 0, bound)
    return out.astype(arr1.dtype) if arr1.dtype.kind == "f" else out.astype(arr1.dtype)


def adjust_brightness(img: Tensor, brightness_factor: float) -> Tensor:
    if brightness_factor < 0:
        raise ValueError(f"brightness_factor ({brightness_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _check_channels(img, (1, 3))
    return _wrap(_blend(_array(img), 0.0, brightness_factor), img)


def adjust_contrast(img: Tensor, contrast_factor: float) -> Tensor:
    if contrast_factor < 0:
        raise ValueError(f"contrast_factor ({contrast_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _check_channels(img, (3, 1))
    arr = _array(img)
    work = _work_dtype(arr.dtype)
    gray = _gray_array(arr) if get_dimensions(img)[0] == 3 else arr
    mean = gray.astype(work).mean(axis=(-3, -2, -1), keepdims=True)
    return _wrap(_blend(arr, mean, contrast_factor), img)


def adjust_saturation(img: Tensor, saturation_factor: float) -> Tensor:
    if saturation_factor < 0:
        raise ValueError(f"saturation_factor ({saturation_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _check_channels(img, (1, 3))
    if get_dimensions(img)[0] == 1:
        return img
    arr = _array(img)
    return _wrap(_blend(arr, _gray_array(arr), saturation_factor), img)


def _rgb2hsv(arr: np.ndarray) -> np.ndarray:
    r, g, b = arr[..., 0, :, :], arr[..., 1, :, :], arr[..., 2, :, :]
    maxc, minc = arr.max(axis=-3), arr.min(axis=-3)
    eqc = maxc == minc
    cr = maxc - minc
    ones = np.ones_like(maxc)
    s = cr / np.where(eqc, ones, maxc)
    cr_divisor = np.where(eqc, ones, cr)
    rc, gc, bc = (maxc - r) / cr_divisor, (maxc - g) / cr_divisor, (maxc - b) / cr_divisor
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = np.mod((hr + hg + hb) / 6.0 + 1.0, 1.0)
    return np.stack((h, s, maxc), axis=-3)


def _hsv2rgb(arr: np.ndarray) -> np.ndarray:
    h, s, v = arr[..., 0, :, :], arr[..., 1, :, :], arr[..., 2, :, :]
    i = np.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.astype(np.int64) % 6
    p = np.clip(v * (1.0 - s), 0.0, 1.0)
    q = np.clip(v * (1.0 - s * f), 0.0, 1.0)
    t = np.clip(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    table = np.stack((np.stack((v, q, p, p, t, v), axis=0), np.stack((t, v, v, q, p, p), axis=0),
                      np.stack((p, p, t, v, v, q), axis=0)), axis=0)  # (3, 6, ...)
    picked = np.take_along_axis(table, i[None, None], axis=1)[:, 0]
    return np.moveaxis(picked, 0, -3)


def adjust_hue(img: Tensor, hue_factor: float) -> Tensor:
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    _assert_image_tensor(img)
    _check_channels(img, (1, 3))
    if get_dimensions(img)[0] == 1:
        return img
    arr = _array(img)
    work = _work_dtype(arr.dtype)
    as_float = arr.astype(work) / _max_value(arr.dtype)
    hsv = _rgb2hsv(as_float)
    hsv[..., 0, :, :] = np.mod(hsv[..., 0, :, :] + hue_factor, 1.0)
    rgb = _hsv2rgb(hsv).astype(work)
    if arr.dtype.kind != "f":
        return _wrap(convert_array_dtype(rgb, arr.dtype), img)
    return _wrap(rgb, img)


def invert(img: Tensor) -> Tensor:
    _assert_image_tensor(img)
    _check_channels(img, (1, 3))
    arr = _array(img)
    return _wrap((_max_value(arr.dtype) - arr).astype(arr.dtype), img)


def _assert_color_image(img: Tensor) -> None:
    _assert_image_tensor(img)
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found "
                        f"{img.ndim}")
    _check_channels(img, (1, 3))


def posterize(img: Tensor, bits: int) -> Tensor:
    """Keep the top ``bits`` bits of each uint8 value; float images are quantised to
    ``2 ** bits`` levels as torchvision's v2 kernel does (v1 accepts uint8 only)."""
    _assert_color_image(img)
    arr = _array(img)
    if arr.dtype.kind == "f":
        levels = 1 << bits
        out = np.clip(np.floor(arr * levels), 0, levels - 1) * (1.0 / levels)
        return _wrap(out.astype(arr.dtype), img)
    if arr.dtype != np.uint8:
        raise TypeError(f"Only uint8 and floating point image tensors are supported, but found "
                        f"{img.dtype}")
    return _wrap(arr & np.uint8((0xFF << (8 - bits)) & 0xFF), img)


def solarize(img: Tensor, threshold: float) -> Tensor:
    """Invert every value at or above ``threshold``."""
    _assert_color_image(img)
    arr = _array(img)
    bound = _max_value(arr.dtype)
    if threshold > bound:
        raise TypeError("Threshold should be less than bound of img.")
    return _wrap(np.where(arr >= threshold, (bound - arr).astype(arr.dtype), arr), img)


def autocontrast(img: Tensor) -> Tensor:
    """Stretch each channel so its minimum maps to 0 and its maximum to the dtype's maximum."""
    _assert_color_image(img)
    arr = _array(img)
    bound = _max_value(arr.dtype)
    work = _work_dtype(arr.dtype)
    minimum = arr.min(axis=(-2, -1), keepdims=True).astype(work)
    maximum = arr.max(axis=(-2, -1), keepdims=True).astype(work)
    flat = maximum == minimum
    scale = bound / np.where(flat, 1, maximum - minimum)
    minimum = np.where(flat, 0, minimum)
    scale = np.where(flat, 1, scale).astype(work)
    out = np.clip((arr - minimum) * scale, 0, bound)
    return _wrap(out.astype(arr.dtype), img)


def equalize(img: Tensor) -> Tensor:
    """Histogram-equalise each channel with PIL's lookup table, all channels at once.

    torchvision v1 takes uint8 only (3 or 4 dims); like its v2 kernel, float images are
    equalised on their uint8 quantisation and any number of leading dimensions is accepted."""
    _assert_color_image(img)
    arr = _array(img)
    if arr.dtype != np.uint8 and arr.dtype.kind != "f":
        raise TypeError(f"Only uint8 and floating point image tensors are supported, but found "
                        f"{img.dtype}")
    as_u8 = convert_array_dtype(arr, np.uint8)
    flat = as_u8.reshape(-1, as_u8.shape[-2] * as_u8.shape[-1]).astype(np.int64)
    rows = flat.shape[0]
    hist = np.bincount((flat + 256 * np.arange(rows)[:, None]).ravel(),
                       minlength=256 * rows).reshape(rows, 256)
    # PIL ignores the count of the largest value present when choosing the step.
    top_count = hist[np.arange(rows), flat.max(axis=1)]
    step = (flat.shape[1] - top_count) // 255
    safe_step = np.maximum(step, 1)[:, None]
    lut = (np.cumsum(hist, axis=1) + safe_step // 2) // safe_step
    lut = np.clip(np.concatenate([np.zeros((rows, 1), np.int64), lut[:, :-1]], axis=1), 0, 255)
    lut = np.where(step[:, None] == 0, np.arange(256), lut).astype(np.uint8)
    out = np.take_along_axis(lut, flat, axis=1).reshape(as_u8.shape)
    return _wrap(convert_array_dtype(out, arr.dtype), img)


def adjust_sharpness(img: Tensor, sharpness_factor: float) -> Tensor:
    """Blend with PIL's SMOOTH-filtered image (border pixels kept)."""
    if sharpness_factor < 0:
        raise ValueError(f"sharpness_factor ({sharpness_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _check_channels(img, (1, 3))
    arr = _array(img)
    if arr.shape[-1] <= 2 or arr.shape[-2] <= 2:
        return img
    src = arr.astype(_work_dtype(arr.dtype))
    # The 3x3 kernel [[1, 1, 1], [1, 5, 1], [1, 1, 1]] / 13 is a box sum plus 4x the centre.
    rows = src[..., :, :-2] + src[..., :, 1:-1] + src[..., :, 2:]
    box = rows[..., :-2, :] + rows[..., 1:-1, :] + rows[..., 2:, :]
    blurred = arr.copy()
    blurred[..., 1:-1, 1:-1] = _cast_back((box + 4 * src[..., 1:-1, 1:-1]) / 13, arr.dtype)
    return _wrap(_blend(arr, blurred, sharpness_factor), img)


def adjust_gamma(img: Tensor, gamma: float, gain: float = 1) -> Tensor:
    """``gain * img ** gamma`` on values scaled to [0, 1]."""
    if not isinstance(img, Tensor):
        raise TypeError("Input img should be a Tensor.")
    _check_channels(img, (1, 3))
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    arr = _array(img)
    as_float = convert_array_dtype(arr, _work_dtype(arr.dtype))
    out = np.clip(gain * as_float ** gamma, 0, 1).astype(as_float.dtype)
    return _wrap(convert_array_dtype(out, arr.dtype), img)


def erase(img: Tensor, i: int, j: int, h: int, w: int, v, inplace: bool = False) -> Tensor:
    _assert_image_tensor(img)
    if not inplace:
        img = img.clone()
    arr = _array(img)
    arr[..., i:i + h, j:j + w] = np.asarray(v if not isinstance(v, Tensor) else np.asarray(v),
                                            dtype=arr.dtype)
    return img


def convert_array_dtype(arr: np.ndarray, np_dtype) -> np.ndarray:
    """torchvision's convert_image_dtype on arrays: rescale values between dtype ranges."""
    src, dst = arr.dtype, np.dtype(np_dtype)
    if src == dst:
        return arr
    if src.kind == "f":
        if dst.kind == "f":
            return arr.astype(dst)
        if (src == np.float32 and dst in (np.int32, np.int64)) or (
                src == np.float64 and dst == np.int64):
            raise RuntimeError(f"The cast from {src} to {dst} cannot be performed safely.")
        eps = 1e-3
        max_val = float(_max_value(dst))
        return (arr * (max_val + 1.0 - eps)).astype(dst)
    input_max = float(_max_value(src))
    if dst.kind == "f":
        return (arr.astype(dst) / input_max).astype(dst)
    output_max = float(_max_value(dst))
    if input_max > output_max:
        factor = int((input_max + 1) // (output_max + 1))
        return (arr // factor).astype(dst)
    factor = int((output_max + 1) // (input_max + 1))
    return arr.astype(dst) * factor


def convert_image_dtype(image: Tensor, dtype) -> Tensor:
    if not isinstance(image, Tensor):
        raise TypeError("Input img should be Tensor Image")
    return _wrap(convert_array_dtype(_array(image), ember._dtype.to_dtype(dtype).np), image)


def gaussian_kernel1d(kernel_size: int, sigma: float) -> np.ndarray:
    half = (kernel_size - 1) * 0.5
    x = np.linspace(-half, half, kernel_size)
    pdf = np.exp(-0.5 * (x / sigma) ** 2)
    return pdf / pdf.sum()


def gaussian_blur(img: Tensor, kernel_size: list[int], sigma: list[float]) -> Tensor:
    """Separable Gaussian blur with reflect padding (torchvision's tensor kernel)."""
    _assert_image_tensor(img)
    arr = _array(img)
    work = _work_dtype(arr.dtype)
    out = arr.astype(work)
    for axis, (ksize, s) in ((-1, (kernel_size[0], sigma[0])), (-2, (kernel_size[1], sigma[1]))):
        kernel = gaussian_kernel1d(ksize, s).astype(work)
        pads = [(0, 0)] * out.ndim
        pads[axis] = (ksize // 2, ksize // 2)
        padded = np.pad(out, pads, mode="reflect")
        windows = np.lib.stride_tricks.sliding_window_view(padded, ksize, axis=axis)
        out = windows @ kernel
    return _wrap(_cast_back(out, arr.dtype), img)
