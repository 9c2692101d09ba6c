"""Resampling images: interpolate (nearest, linear family, bicubic, area, antialiased), pixel
and channel shuffles, affine_grid and grid_sample.

Linear, bicubic and antialiased interpolation are separable: one small weight matrix per
spatial axis, applied with matmul, so the gradient is the transposed matrices."""
from __future__ import annotations

import math

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ._registry import export
from ._util import scalar_type_name
from .padding import TakeOp
from .pooling import _FlatGather, _adaptive_avg, _apply_separable
from .shape import reshape, transpose


_LINEAR_MODES = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}


def _source(xp, n_in: int, n_out: int, scale, align_corners: bool, cubic: bool = False):
    """Source coordinate of every output position (PyTorch's area_pixel_compute_source_index)."""
    dst = xp.arange(n_out, dtype=np.float64)
    if align_corners:
        return dst * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    src = (dst + 0.5) * scale - 0.5
    return src if cubic else xp.maximum(src, 0.0)


def _cubic_weights(t):
    a = -0.75

    def near(x):
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return (far(t + 1), near(t), near(1 - t), far(2 - t))


def _taps(xp, mode: str, n_in: int, n_out: int, scale, align_corners: bool):
    """[(source index, weight or None)] whose weighted sum gives each output position."""
    if mode in ("nearest", "nearest-exact"):
        s = np.float32(scale)
        dst = xp.arange(n_out, dtype=np.float32)
        src = (dst + np.float32(0.5)) * s if mode == "nearest-exact" else dst * s
        return [(xp.minimum(xp.floor(src).astype(np.int64), n_in - 1), None)]
    if mode == "bicubic":
        src = _source(xp, n_in, n_out, scale, align_corners, cubic=True)
        base = xp.floor(src)
        weights = _cubic_weights(src - base)
        base = base.astype(np.int64)
        return [(xp.clip(base + k - 1, 0, n_in - 1), w) for k, w in enumerate(weights)]
    src = _source(xp, n_in, n_out, scale, align_corners)
    low = xp.floor(src).astype(np.int64)
    low = xp.minimum(low, n_in - 1)
    high = xp.minimum(low + 1, n_in - 1)
    frac = src - low
    return [(low, 1.0 - frac), (high, frac)]


def _resample(x: Tensor, axis: int, taps) -> Tensor:
    out = None
    for index, weight in taps:
        part = TakeOp.apply(x, Tensor._make(index, x._device), axis)
        if weight is not None:
            shape = (-1,) + (1,) * (x.ndim - axis - 1)
            w = Tensor._make(weight.astype(x._data.dtype).reshape(shape), x._device)
            part = part * w
        out = part if out is None else out + part
    return out


def _cubic_filter(x, a: float):
    """Keys' cubic convolution kernel at distance |x| (zero beyond 2)."""
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return np.where(x < 1, near, np.where(x < 2, far, 0.0))


# mode: (half-width of the filter at scale 1, filter of |x|); bicubic uses a = -0.5 here, as PIL
_AA_FILTERS = {
    "bilinear": (1.0, lambda x: np.maximum(1.0 - x, 0.0)),
    "bicubic": (2.0, lambda x: _cubic_filter(x, -0.5)),
    "lanczos": (3.0, lambda x: np.where(x < 3, np.sinc(x) * np.sinc(x / 3), 0.0)),
}


def _antialias_matrix(xp, mode: str, n_in: int, n_out: int, scale: float, dtype):
    """The (n_out, n_in) weights of PyTorch's antialiased resampling along one axis: when
    shrinking, the filter is stretched by the scale so every input pixel contributes; each row is
    normalised to sum to one."""
    half_width, kernel = _AA_FILTERS[mode]
    support = half_width * scale if scale >= 1.0 else half_width
    width = int(math.ceil(support)) * 2 + 1
    invscale = 1.0 / scale if scale >= 1.0 else 1.0
    center = scale * (np.arange(n_out) + 0.5)
    first = np.maximum(np.trunc(center - support + 0.5), 0).astype(np.int64)
    count = np.clip(np.minimum(np.trunc(center + support + 0.5).astype(np.int64), n_in) - first,
                    0, width)
    taps = np.arange(width)
    weights = kernel(np.abs((taps + first[:, None] - center[:, None] + 0.5) * invscale))
    used = taps < count[:, None]
    weights = np.where(used, weights, 0.0)
    total = weights.sum(1, keepdims=True)
    weights = weights / np.where(total == 0, 1.0, total)
    matrix = np.zeros((n_out, n_in))
    rows = np.broadcast_to(np.arange(n_out)[:, None], used.shape)
    matrix[rows[used], (first[:, None] + taps)[used]] = weights[used]
    return xp.asarray(matrix.astype(dtype))


def _check_sizes(in_size: tuple, out: tuple) -> None:
    if all(n > 0 for n in in_size) and all(o > 0 for o in out):
        return
    names = ("D", "H", "W")[-len(in_size):]
    shown_in = ", ".join(f"{k}: {n}" for k, n in zip(names, in_size))
    shown_out = ", ".join(f"{k}: {o}" for k, o in zip(names, out))
    joiner = " and" if len(in_size) == 1 else ""
    raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                       f"({shown_in}){joiner} output ({shown_out})")


_MODE_ERROR = ("Input Error: Only 3D, 4D and 5D input Tensors supported (got {}D) for the modes: "
               "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | "
               "nearest-exact (got {})")


@export(nn=True, method=False, function=False)
def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resize the spatial dims of (N, C, *spatial) to ``size`` or by ``scale_factor``.

    Modes: nearest, nearest-exact, linear, bilinear, bicubic, trilinear, area, and (with
    ``antialias=True``, 4-D input only) lanczos. ``antialias`` applies to bilinear and bicubic
    too: a filter widened by the downscale factor, as PIL's resize does. Antialiasing takes
    float32/float64 input only (PyTorch also takes uint8)."""
    nd = input.ndim - 2
    if mode in ("nearest", "nearest-exact", "area") and align_corners is not None:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    in_size = tuple(input.shape[2:])
    if size is not None:
        out = tuple(int(s) for s in size) if isinstance(size, (tuple, list)) else (int(size),) * nd
        if len(out) != nd:
            raise ValueError(f"Input and output must have the same number of spatial dimensions, "
                             f"but got input with spatial dimensions of {list(in_size)} and "
                             f"output size of {list(out)}. Please provide input tensor in (N, C,"
                             f" d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) "
                             f"format.")
        if recompute_scale_factor:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        factors = None
    elif scale_factor is not None:
        factors = (tuple(float(f) for f in scale_factor) if isinstance(scale_factor, (tuple, list))
                   else (float(scale_factor),) * nd)
        if len(factors) != nd:
            raise ValueError(f"Input and scale_factor must have the same number of spatial "
                             f"dimensions, but got input with spatial dimensions of "
                             f"{list(in_size)} and scale_factor of shape {list(factors)}. Please"
                             f" provide input tensor in (N, C, d1, d2, ...,dK) format and "
                             f"scale_factor in (s1, s2, ...,sK) format.")
        out = tuple(int(math.floor(n * f)) for n, f in zip(in_size, factors))
        if recompute_scale_factor:
            factors = None
    else:
        raise ValueError("either size or scale_factor should be defined")
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input.ndim == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes "
                         "and requires a 4-D tensor as input")
    if mode == "lanczos" and input.ndim == 4:
        if align_corners:
            raise ValueError("Lanczos mode does not support align_corners=True")
        if not antialias:
            raise ValueError("Lanczos mode requires antialias=True")
    if mode in _LINEAR_MODES and _LINEAR_MODES[mode] != nd:
        need = _LINEAR_MODES[mode] + 2
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs {need}D "
                                  f"input")
    known = ("nearest", "nearest-exact", "area", "lanczos") + tuple(_LINEAR_MODES)
    if mode not in known or nd not in (1, 2, 3) or (mode == "lanczos" and nd != 2):
        raise NotImplementedError(_MODE_ERROR.format(input.ndim, mode))
    if mode == "area":
        return _adaptive_avg(f"adaptive_avg_pool{nd}d", nd, input, out)
    _check_sizes(in_size, out)
    scales = (tuple(n / o for n, o in zip(in_size, out)) if factors is None
              else tuple(1.0 / f for f in factors))
    xp = input._device.backend.xp
    if antialias:
        if input.dtype not in (_dtype.float32, _dtype.float64):
            raise NotImplementedError(f'"compute_index_ranges_weights" not implemented for '
                                      f"'{scalar_type_name(input.dtype)}'")
        if align_corners:
            scales = tuple((n - 1) / (o - 1) if o > 1 else 0.0 for n, o in zip(in_size, out))
        return _apply_separable(input, [
            None if n == o and s == 1.0
            else _antialias_matrix(xp, mode, n, o, s, input._data.dtype)
            for n, o, s in zip(in_size, out, scales)])
    x = input
    for i, (n, o, s) in enumerate(zip(in_size, out, scales)):
        if n == o and mode in ("nearest", "nearest-exact") and s == 1.0:
            continue
        x = _resample(x, 2 + i, _taps(xp, mode, n, o, s, bool(align_corners)))
    return x


@export(nn=True, method=False, function=False)
def upsample(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
             align_corners: bool | None = None) -> Tensor:
    """Deprecated alias of interpolate."""
    return interpolate(input, size, scale_factor, mode, align_corners)


@export(nn=True, method=False, function=False)
def upsample_nearest(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated: interpolate(..., mode='nearest')."""
    return interpolate(input, size, scale_factor, mode="nearest")


@export(nn=True, method=False, function=False)
def upsample_bilinear(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated: interpolate(..., mode='bilinear', align_corners=True)."""
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# -- pixel and channel shuffles ----------------------------------------------------------------
@export(nn=True, method=False)
def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r)."""
    r = int(upscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_shuffle expects its input to have at least 3 dimensions, but "
                           f"got input with {input.ndim} dimension(s)")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)={c} "
                           f"is not divisible by {r * r}")
    k = len(lead)
    x = reshape(input, tuple(lead) + (c // (r * r), r, r, h, w))
    x = x.permute(tuple(range(k)) + (k, k + 3, k + 1, k + 4, k + 2))
    return reshape(x, tuple(lead) + (c // (r * r), h * r, w * r))


@export(nn=True, method=False)
def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W)."""
    r = int(downscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle expects its input to have at least 3 dimensions, "
                           f"but got input with {input.ndim} dimension(s)")
    *lead, c, h, w = input.shape
    for name, size, dim in (("height", h, -2), ("width", w, -1)):
        if size % r:
            raise RuntimeError(f"pixel_unshuffle expects {name} to be divisible by "
                               f"downscale_factor, but input.size({dim})={size} is not divisible"
                               f" by {r}")
    k = len(lead)
    x = reshape(input, tuple(lead) + (c, h // r, r, w // r, r))
    x = x.permute(tuple(range(k)) + (k, k + 2, k + 4, k + 1, k + 3))
    return reshape(x, tuple(lead) + (c * r * r, h // r, w // r))


@export(nn=True, method=False, aliases=("native_channel_shuffle",))
def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """(N, C, *) with channels regrouped: (g, C/g) order becomes (C/g, g)."""
    if input.ndim < 3:
        raise RuntimeError(f"channel_shuffle expects input to have at least 3 dimensions, but "
                           f"got input with sizes {list(input.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of "
                           f"groups:{groups}")
    n, c, *rest = input.shape
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels "
                           f"and {groups} groups.")
    x = reshape(input, (n, groups, c // groups) + tuple(rest))
    return reshape(transpose(x, 1, 2), input.shape)


# -- spatial transformers: affine_grid and grid_sample ------------------------------------------
def _base_coords(xp, steps: int, align_corners: bool, dtype):
    if steps <= 1:
        return xp.zeros(max(steps, 1), dtype=dtype)
    lin = np.linspace(-1.0, 1.0, steps)
    if not align_corners:
        lin = lin * (steps - 1) / steps
    return xp.asarray(lin.astype(dtype))


@export(nn=True, method=False, function=False)
def affine_grid(theta: Tensor, size, align_corners: bool | None = None) -> Tensor:
    """Sampling grid (N, H, W, 2) or (N, D, H, W, 3) of the affine maps ``theta`` (N, 2, 3) or
    (N, 3, 4), in normalised [-1, 1] coordinates."""
    if not theta.dtype.is_floating_point:
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = tuple(int(s) for s in size)
    shown = f"torch.Size({list(size)})"
    if len(size) == 4:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (2, 3):
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size "
                             f"{shown}. Got torch.Size({list(theta.shape)}).")
        spatial = size[2:]
    elif len(size) == 5:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (3, 4):
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size "
                             f"{shown}. Got torch.Size({list(theta.shape)}).")
        spatial = size[2:]
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {shown}.")
    if min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {shown}")
    xp = theta._device.backend.xp
    dtype = theta._data.dtype
    axes = [_base_coords(xp, s, bool(align_corners), dtype) for s in spatial]
    mesh = xp.meshgrid(*axes, indexing="ij")  # (D,) H, W order; coordinates are x, y(, z)
    base = xp.stack(list(mesh[::-1]) + [xp.ones_like(mesh[0])], axis=-1)
    base = Tensor._make(base.reshape(1, -1, len(spatial) + 1), theta._device)
    grid = base @ theta.mT
    return reshape(grid, (size[0],) + spatial + (len(spatial),))


def _unnormalize(coord: Tensor, size: int, align_corners: bool) -> Tensor:
    if align_corners:
        return (coord + 1) * ((size - 1) / 2)
    return ((coord + 1) * size - 1) / 2


def _reflect(coord: Tensor, twice_low: int, twice_high: int) -> Tensor:
    """PyTorch's reflect_coordinates, with the fold count taken as a constant."""
    if twice_low == twice_high:
        return coord * 0
    low = twice_low / 2
    span = (twice_high - twice_low) / 2
    dist = (coord - low).abs()
    flips = np.floor(dist._data / span)
    odd = Tensor._make((flips % 2).astype(dist._data.dtype), coord._device)
    extra = dist - Tensor._make((flips * span).astype(dist._data.dtype), coord._device)
    return low + span * odd + extra * (1 - 2 * odd)


def _source_coord(coord: Tensor, size: int, padding_mode: str, align_corners: bool) -> Tensor:
    coord = _unnormalize(coord, size, align_corners)
    if padding_mode == "border":
        coord = coord.clamp(0, size - 1)
    elif padding_mode == "reflection":
        if align_corners:
            coord = _reflect(coord, 0, 2 * (size - 1))
        else:
            coord = _reflect(coord, -1, 2 * size - 1)
        coord = coord.clamp(0, size - 1)
    return coord


@export(nn=True, method=False, function=False)
def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear",
                padding_mode: str = "zeros", align_corners: bool | None = None) -> Tensor:
    """Sample (N, C, H, W) at the normalised (x, y) locations of ``grid`` (N, Ho, Wo, 2);
    modes 'bilinear' and 'nearest', padding 'zeros', 'border' or 'reflection'."""
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if input.ndim != 4 or mode == "bicubic":
        raise NotImplementedError("grid_sample: Ember supports 4-D input with 'bilinear' or "
                                  "'nearest' mode")
    if grid.ndim != 4 or grid.shape[-1] != 2 or grid.shape[0] != input.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid to have size 2 in last dimension and "
                           f"the same batch size as input, but got input with sizes "
                           f"{list(input.shape)} and grid with sizes {list(grid.shape)}")
    align = bool(align_corners)
    n, c, h, w = input.shape
    ho, wo = grid.shape[1], grid.shape[2]
    x = _source_coord(grid[:, :, :, 0], w, padding_mode, align)
    y = _source_coord(grid[:, :, :, 1], h, padding_mode, align)
    planes = reshape(input, (n * c, h * w))
    xp = input._device.backend.xp

    def tap(xi, yi):
        """Input values at integer (xi, yi) (N, Ho, Wo), zero outside, as (N, C, Ho, Wo)."""
        inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
        flat = xp.clip(yi, 0, h - 1) * w + xp.clip(xi, 0, w - 1)
        flat = xp.broadcast_to(flat.reshape(n, 1, -1), (n, c, ho * wo)).reshape(n * c, -1)
        values = reshape(_FlatGather.apply(planes, Tensor._make(flat, input._device)),
                         (n, c, ho, wo))
        mask = Tensor._make(inside.astype(input._data.dtype)[:, None], input._device)
        return values * mask

    if mode == "nearest":
        return tap(xp.rint(x._data).astype(np.int64), xp.rint(y._data).astype(np.int64))
    x0 = xp.floor(x._data)
    y0 = xp.floor(y._data)
    fx = (x - Tensor._make(x0, x._device)).unsqueeze(1)
    fy = (y - Tensor._make(y0, y._device)).unsqueeze(1)
    x0, y0 = x0.astype(np.int64), y0.astype(np.int64)
    return (tap(x0, y0) * ((1 - fx) * (1 - fy)) + tap(x0 + 1, y0) * (fx * (1 - fy))
            + tap(x0, y0 + 1) * ((1 - fx) * fy) + tap(x0 + 1, y0 + 1) * (fx * fy))
