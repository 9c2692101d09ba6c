"""Rounding, modulo and clamping: floor, ceil, round, frac, fmod, maximum, minimum, clamp."""
from __future__ import annotations

import numpy as np

from ..autograd.function import Op
from .._tensor import Tensor
from . import _registry
from ._inplace import inplace_variant
from ._registry import export
from ._util import cast, check_broadcast, promote_binary, result_type
from .pointwise import (_ZeroGrad, _check_int_divisor, _iop, _is_integral, _not_implemented, _out,
                        _reflected, _require_tensor, _zeros, div, full_like_scalar, where)


# -- rounding: zero gradient, integral inputs pass through -------------------------------------
class Floor(_ZeroGrad):
    @staticmethod
    def forward(ctx, x):
        return ctx.xp.floor(x)


class Ceil(_ZeroGrad):
    @staticmethod
    def forward(ctx, x):
        return ctx.xp.ceil(x)


class Round(_ZeroGrad):
    @staticmethod
    def forward(ctx, x, decimals):
        return ctx.xp.round(x, decimals)

    @staticmethod
    def backward(ctx, grad):
        return _zeros(grad), None


class Frac(Op):
    @staticmethod
    def forward(ctx, x):
        return x - ctx.xp.trunc(x)

    @staticmethod
    def backward(ctx, grad):
        return grad


@export
def floor(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    if _is_integral(input):
        return _out(input.clone(), out)
    return _out(Floor.apply(input), out)


@export
def ceil(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    if _is_integral(input):
        return _out(input.clone(), out)
    return _out(Ceil.apply(input), out)


@export
def round(input: Tensor, *, decimals: int = 0, out: Tensor | None = None) -> Tensor:
    """Round half to even; ``decimals`` rounds to that many decimal places."""
    if _is_integral(input):
        if decimals != 0:
            raise _not_implemented("round", input)
        return _out(input.clone(), out)
    return _out(Round.apply(input, decimals=int(decimals)), out)


@export
def frac(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    if _is_integral(input):
        raise _not_implemented("frac", input)
    return _out(Frac.apply(input), out)


class Remainder(Op):
    """Python's modulo (sign of the divisor); d/d other = -floor(input / other)."""

    _rounding = "floor"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        if isinstance(ctx, Fmod):
            return ctx.xp.fmod(a, b)
        return ctx.xp.remainder(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        grad_b = None
        if ctx.needs_input_grad[1]:
            grad_b = -grad * div(a, b, rounding_mode=type(ctx)._rounding)
        return grad, grad_b


class Fmod(Remainder):
    """C's fmod (sign of the dividend); d/d other = -trunc(input / other)."""

    _rounding = "trunc"


def _modulo(op_cls, input, other, out):
    a, b = promote_binary(input, other)
    if not isinstance(a, Tensor):
        a = full_like_scalar(b, a)
    _check_int_divisor(a, b)
    return _out(op_cls.apply(a, b), out)


@export
def remainder(input, other, *, out: Tensor | None = None) -> Tensor:
    return _modulo(Remainder, input, other, out)


@export
def fmod(input: Tensor, other, *, out: Tensor | None = None) -> Tensor:
    return _modulo(Fmod, input, other, out)


class _Select2(Op):
    """maximum/minimum/fmax/fmin: the gradient goes to the operand picked, split on ties."""

    _pick = "maximum"

    @staticmethod
    def forward(ctx, a, b):
        xp = ctx.xp
        out = getattr(xp, type(ctx)._pick)(a, b)
        if ctx.needs_input_grad:
            took_a, took_b = a == out, b == out
            weight_a = xp.where(took_a, xp.where(took_b, 0.5, 1.0), 0.0).astype(out.dtype)
            weight_b = xp.where(took_b, xp.where(took_a, 0.5, 1.0), 0.0).astype(out.dtype)
            ctx.save_for_backward(weight_a, weight_b)
        return out

    @staticmethod
    def backward(ctx, grad):
        weight_a, weight_b = ctx.saved_tensors
        return grad * weight_a, grad * weight_b


class Maximum(_Select2):
    _pick = "maximum"


class Minimum(_Select2):
    _pick = "minimum"


class Fmax(_Select2):
    _pick = "fmax"


class Fmin(_Select2):
    _pick = "fmin"


def _select2(op_cls, name):
    def fn(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
        _require_tensor(name, input, 1, "input")
        _require_tensor(name, other, 2, "other")
        a, b = promote_binary(input, other)
        return _out(op_cls.apply(a, b), out)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"Elementwise {name}" + (", ignoring NaN." if name.startswith("f") else
                                            ", propagating NaN."))
    return fn


maximum = export(_select2(Maximum, "maximum"))
minimum = export(_select2(Minimum, "minimum"))
fmax = export(_select2(Fmax, "fmax"))
fmin = export(_select2(Fmin, "fmin"))


class Clamp(Op):
    @staticmethod
    def forward(ctx, x, lo, hi):
        xp = ctx.xp
        out = x if lo is None else xp.maximum(x, lo)
        out = out if hi is None else xp.minimum(out, hi)
        if ctx.needs_input_grad:
            keep_x = xp.ones(out.shape, dtype=bool)
            below = xp.zeros(out.shape, dtype=bool)
            if lo is not None:
                keep_x = keep_x & (x >= lo)
                below = x < lo
            if hi is not None:
                keep_x = keep_x & (x <= hi)
                if lo is not None:
                    below = below & (lo <= hi)
            above = ~(keep_x | below)
            ctx.save_for_backward(keep_x, below, above)
        return out

    @staticmethod
    def backward(ctx, grad):
        keep_x, below, above = ctx.saved_tensors
        need = ctx.needs_input_grad
        zero = grad.new_zeros(())
        return (where(keep_x, grad, zero) if need[0] else None,
                where(below, grad, zero) if need[1] else None,
                where(above, grad, zero) if need[2] else None)


@export(aliases=("clip",))
def clamp(input: Tensor, min=None, max=None, *, out: Tensor | None = None) -> Tensor:
    """Clamp into [min, max]; bounds are scalars or tensors (broadcast), either may be None."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    dt = result_type(input, min, max)
    x = cast(input, dt)
    lo, hi = (_bound(v, dt) for v in (min, max))
    if isinstance(lo, Tensor) or isinstance(hi, Tensor):
        check_broadcast("clamp", *(t for t in (x, lo, hi) if isinstance(t, Tensor)))
    return _out(Clamp.apply(x, lo, hi), out)


def _bound(value, dt):
    if value is None or isinstance(value, Tensor):
        return None if value is None else cast(value, dt)
    if isinstance(value, np.generic):
        value = value.item()
    return float(value) if dt.is_floating_point else value


@export
def clamp_min(input: Tensor, min, *, out: Tensor | None = None) -> Tensor:
    return clamp(input, min=min, out=out)


@export
def clamp_max(input: Tensor, max, *, out: Tensor | None = None) -> Tensor:
    return clamp(input, max=max, out=out)


# -- in-place variants and the modulo operators -------------------------------------------------
for _fn in (floor, ceil, round, frac, remainder, fmod, clamp, clamp_min, clamp_max):
    _registry.method(_fn.__name__ + "_", inplace_variant(_fn))
_registry.method("clip_", inplace_variant(clamp))
_registry.method("__mod__", remainder)
_registry.method("__rmod__", _reflected(remainder))
_registry.method("__imod__", _iop(remainder))
