"""Padding (pad: constant, reflect, replicate, circular) and the take/index-add ops it uses."""
from __future__ import annotations

from ..autograd.function import Op
from .._tensor import Tensor
from ._registry import export
from .conv import _dims


# -- gather / scatter-add along one dim (padding modes, nearest resampling, embedding) ----------
class TakeOp(Op):
    """``x`` read at integer ``index`` along ``axis`` (index dims replace that axis)."""

    _backward_name = "IndexSelectBackward0"

    @staticmethod
    def forward(ctx, x, index, axis, scale=None):
        ctx.size, ctx.axis = x.shape[axis], axis
        ctx.save_for_backward(index, scale)
        return ctx.xp.take(x, index, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        index, scale = ctx.saved_tensors
        axis, k = ctx.axis, index.ndim
        flat = index.reshape(-1)
        g = grad.reshape(tuple(grad.shape[:axis]) + (-1,) + tuple(grad.shape[axis + k:]))
        if scale is not None:
            g = g * scale.reshape((-1,) + (1,) * (g.ndim - axis - 1))
        return IndexAddOp.apply(g, flat, axis, ctx.size), None, None, None


class IndexAddOp(Op):
    """Slices of ``values`` along ``axis`` summed into zeros of length ``size`` at ``index`` (1-D),
    by one sort and one ``add.reduceat`` (no ``add.at``)."""

    _backward_name = "IndexAddBackward0"

    @staticmethod
    def forward(ctx, values, index, axis, size):
        xp = ctx.xp
        ctx.axis = axis
        ctx.save_for_backward(index)
        moved = xp.moveaxis(values, axis, 0)
        out = xp.zeros((size,) + moved.shape[1:], dtype=values.dtype)
        if index.size:
            order = xp.argsort(index, kind="stable")
            ordered = index[order]
            starts = xp.flatnonzero(xp.concatenate((xp.ones(1, dtype=bool),
                                                    ordered[1:] != ordered[:-1])))
            out[ordered[starts]] = xp.add.reduceat(moved[order], starts, axis=0)
        return xp.moveaxis(out, 0, axis)

    @staticmethod
    def backward(ctx, grad):
        index, = ctx.saved_tensors
        return TakeOp.apply(grad, index, ctx.axis), None, None, None


# -- padding -------------------------------------------------------------------------------------
def _check_padded_size(n: int, lo: int, hi: int, axis: int) -> None:
    if n + lo + hi < 0:
        raise RuntimeError(f"The input size {n}, plus negative padding {lo} and {hi} resulted in "
                           f"a negative output size, which is invalid. Check dimension {axis} of "
                           "your input.")


class ConstantPadOp(Op):
    """Pads (low, high) per trailing dim with ``value``; negative amounts crop."""

    _backward_name = "ConstantPadNdBackward0"

    @staticmethod
    def forward(ctx, x, pads, value):
        xp = ctx.xp
        lead = x.ndim - len(pads)
        ctx.pads = pads
        for axis, (n, (lo, hi)) in enumerate(zip(x.shape[lead:], pads), lead):
            _check_padded_size(n, lo, hi, axis)
        shape = x.shape[:lead] + tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[lead:], pads))
        out = xp.full(shape, value, dtype=x.dtype)
        src = [slice(None)] * lead
        dst = [slice(None)] * lead
        for n, (lo, hi) in zip(x.shape[lead:], pads):
            src.append(slice(max(0, -lo), n - max(0, -hi)))
            dst.append(slice(max(0, lo), max(0, lo) + max(0, n - max(0, -lo) - max(0, -hi))))
        out[tuple(dst)] = x[tuple(src)]
        return out

    @staticmethod
    def backward(ctx, grad):
        return ConstantPadOp.apply(grad, tuple((-lo, -hi) for lo, hi in ctx.pads), 0), None, None


def _pad_index(xp, n: int, lo: int, hi: int, mode: str):
    if mode == "circular":  # wraps within what is left after cropping, as PyTorch does
        start = max(0, -lo)
        kept = n - start - max(0, -hi)
        return xp.arange(-max(lo, 0), kept + max(hi, 0)) % kept + start
    pos = xp.arange(-lo, n + hi)
    if mode == "reflect":
        pos = xp.abs(pos)
        return xp.where(pos >= n, 2 * (n - 1) - pos, pos)
    return xp.clip(pos, 0, n - 1)


_PAD_HELP = ("Supported combinations for non-constant padding:\n"
             "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
             "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
             "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")


@export(nn=True, method=False, function=False)
def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad trailing dims by ``pad`` = (last_lo, last_hi, prev_lo, prev_hi, ...); modes
    'constant' (any dims, negative crops), 'reflect', 'replicate', 'circular'."""
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    k = len(pad) // 2
    if k > input.ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of dimension "
                           f"{input.ndim}")
    pads = tuple((pad[2 * i], pad[2 * i + 1]) for i in range(k))[::-1]
    if mode == "constant":
        return ConstantPadOp.apply(input, pads, 0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if k not in (1, 2, 3) or input.ndim not in (k + 1, k + 2):
        raise NotImplementedError(f"Padding size {len(pad)} is not supported for {input.ndim}D "
                                  f"input tensor.\n{_PAD_HELP}")
    xp = input._device.backend.xp
    out = input
    for i, (lo, hi) in enumerate(pads):
        axis = input.ndim - k + i
        n = input.shape[axis]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(f"Argument #{2 * input.ndim}: Padding size should be less than the "
                               f"corresponding input dimension, but got: padding ({lo}, {hi}) "
                               f"at dimension {axis} of input {_dims(input.shape)}")
        if mode == "circular" and (lo > n or hi > n):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        _check_padded_size(n, lo, hi, axis)
        if lo == 0 and hi == 0:
            continue
        index = Tensor._make(_pad_index(xp, n, lo, hi, mode), input._device)
        out = TakeOp.apply(out, index, axis)
    return out
