"""Ops that copy elements into a new arrangement: flip, roll, rot90, repeat, tile, block_diag."""
from __future__ import annotations

import builtins

import numpy as np

from ..autograd.function import Op
from .._tensor import Tensor, _make
from ._registry import export
from ._util import cast, dims_tuple, result_type, wrap_dim
from .shape import _shape_arg, View, expand, reshape, unsqueeze


# -- reordering ----------------------------------------------------------------------------------
class Flip(Op):
    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return ctx.xp.flip(x, dims).copy()

    @staticmethod
    def backward(ctx, grad):
        return Flip.apply(grad, ctx.dims), None


@export
def flip(input, dims) -> Tensor:
    """A copy with the order of elements reversed along ``dims``."""
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    return Flip.apply(input, dims_tuple(dims, input.ndim) if dims else ())


@export
def fliplr(input) -> Tensor:
    if input.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


@export
def flipud(input) -> Tensor:
    if input.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


class Roll(Op):
    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return ctx.xp.roll(x, shifts, dims)

    @staticmethod
    def backward(ctx, grad):
        return Roll.apply(grad, tuple(-s for s in ctx.shifts), ctx.dims), None, None


@export
def roll(input, shifts, dims=None) -> Tensor:
    """Rotate elements along ``dims`` (over the flattened tensor when dims is None)."""
    shifts = (shifts,) if isinstance(shifts, (int, np.integer)) else tuple(shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                               "dims:0")
        return Roll.apply(input.flatten(), shifts, (0,)).view(input.shape)
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                           f"dims:{len(dims)}")
    dims = tuple(wrap_dim(int(d), input.ndim) for d in dims)
    return Roll.apply(input, tuple(int(s) for s in shifts), dims)


# -- repetition and broadcasting -------------------------------------------------------------------
@export(function=False)
def repeat(input, *sizes) -> Tensor:
    """Tile ``input`` ``sizes`` times per dim (a copy); gradients sum the copies."""
    sizes = _shape_arg(sizes)
    if len(sizes) < input.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    shape = (1,) * (len(sizes) - input.ndim) + tuple(input._data.shape)
    lifted, expanded, final = [], [], []
    for r, s in zip(sizes, shape):
        if r < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {r * s}: "
                               f"{[a * b for a, b in zip(sizes, shape)]}")
        lifted += [1, s]
        expanded += [r, s]
        final.append(r * s)
    return reshape(expand(reshape(input, tuple(lifted)), tuple(expanded)), tuple(final))


@export
def tile(input, dims) -> Tensor:
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    dims = (1,) * (input.ndim - len(dims)) + dims
    return repeat(input, dims)


@export
def repeat_interleave(input, repeats=None, dim=None, *, output_size=None) -> Tensor:
    """Repeat each element ``repeats`` times along ``dim`` (the flattened input when None).

    ``repeat_interleave(repeats)`` with one integer tensor gives the indices it would use.
    """
    if repeats is None:
        counts = input
        return _make(np.repeat(np.arange(counts.shape[0], dtype=counts._data.dtype),
                               counts._data), counts._device)
    if dim is None:
        input, d = input.flatten(), 0
    else:
        d = wrap_dim(dim, input.ndim)
    if isinstance(repeats, Tensor) and repeats.numel() == 1 and repeats.ndim <= 1 and \
            input._data.shape[d] != 1:
        repeats = int(repeats.item())
    if isinstance(repeats, (int, np.integer)):
        if repeats < 0:
            raise RuntimeError("Repeats must be non-negative")
        shape = input._data.shape
        x = unsqueeze(input, d + 1)
        x = expand(x, shape[:d + 1] + (int(repeats),) + shape[d + 1:])
        return reshape(x, shape[:d] + (shape[d] * int(repeats),) + shape[d + 1:])
    counts = repeats._data if isinstance(repeats, Tensor) else np.asarray(repeats)
    if counts.ndim != 1:
        raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
    if counts.shape[0] != input._data.shape[d]:
        raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                           f"repeats.size(0) = {counts.shape[0]} and input.size({d}) = "
                           f"{input._data.shape[d]}")
    if (counts < 0).any():
        raise RuntimeError("repeats can not be negative")
    index = _make(np.repeat(np.arange(counts.shape[0]), counts), input._device)
    from .index_select import index_select
    return index_select(input, d, index)


@export
def rot90(input, k: int = 1, dims=(0, 1)) -> Tensor:
    """Rotate by 90 degrees ``k`` times in the plane ``dims`` (from the first toward the second)."""
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.ndim}")
    d0, d1 = (wrap_dim(d, input.ndim) for d in dims)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and "
                           f"dim1 = {d1}")
    k %= 4
    if k == 1:
        return flip(input, (d1,)).transpose(d0, d1)
    if k == 2:
        return flip(input, (d0, d1))
    if k == 3:
        return flip(input, (d0,)).transpose(d0, d1)
    from .copy import clone
    return clone(input)


@export(method=False)
def block_diag(*tensors) -> Tensor:
    """A block-diagonal matrix of the given (0-, 1- or 2-D) tensors."""
    from .join import cat
    mats = []
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer "
                               f"dimensions. Input {i} has {t.ndim} dimensions")
        mats.append(View.apply(t, (1, 1) if t.ndim == 0 else (1, t.shape[0])) if t.ndim < 2
                    else t)
    if not mats:
        from .creation import empty
        return empty(1, 0)
    dt = result_type(*mats)
    total = builtins.sum(m.shape[1] for m in mats)
    rows, left = [], 0
    for m in mats:
        m = cast(m, dt)
        r, c = m.shape
        rows.append(cat([m.new_zeros((r, left)), m, m.new_zeros((r, total - left - c))], 1))
        left += c
    return cat(rows, 0)


@export(method=False)
def cartesian_prod(*tensors) -> Tensor:
    """All combinations of the elements of 1-D tensors, one per row."""
    from .join import stack
    if len(tensors) == 1:
        return tensors[0]
    from .creation import meshgrid
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1)
