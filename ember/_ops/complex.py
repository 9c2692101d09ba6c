"""Complex parts: conj, real, imag, and sgn (z / |z|)."""
from __future__ import annotations

from ..autograd.function import Op
from .._tensor import Tensor
from . import _registry
from ._inplace import inplace_variant
from ._registry import export
from .pointwise import _out, abs, sign, where


class Sgn(Op):
    """sgn of a complex tensor: z / |z| (0 at 0); real tensors use sign."""

    @staticmethod
    def forward(ctx, z):
        ctx.save_for_backward(z)
        mag = ctx.xp.abs(z)
        return z / ctx.xp.where(mag == 0, 1, mag)

    @staticmethod
    def backward(ctx, grad):
        z, = ctx.saved_tensors
        mag = abs(z)
        safe = where(mag == 0, 1.0, mag)
        s = z / safe
        # d sgn: (grad - s * Re(grad * conj(s))) / |z|, zero where z == 0
        g = (grad - s * real(grad * s.conj())) / safe
        return where(mag == 0, 0.0, g)


@export
def sgn(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    if not input.dtype.is_complex:
        return _out(sign(input), out)
    return _out(Sgn.apply(input), out)


# -- complex parts -------------------------------------------------------------------------------
class Conj(Op):
    @staticmethod
    def forward(ctx, z):
        return ctx.xp.conj(z)

    @staticmethod
    def backward(ctx, grad):
        return conj(grad)


class Real(Op):
    _is_view = True

    @staticmethod
    def forward(ctx, z):
        return z.real

    @staticmethod
    def backward(ctx, grad):
        return grad * (1 + 0j)


class Imag(Op):
    _is_view = True

    @staticmethod
    def forward(ctx, z):
        return z.imag

    @staticmethod
    def backward(ctx, grad):
        return grad * 1j


@export(aliases=("conj_physical", "resolve_conj"))
def conj(input: Tensor) -> Tensor:
    """Complex conjugate; a real tensor is returned as is."""
    return Conj.apply(input) if input.dtype.is_complex else input


@export
def real(input: Tensor) -> Tensor:
    return Real.apply(input) if input.dtype.is_complex else input


@export
def imag(input: Tensor) -> Tensor:
    if not input.dtype.is_complex:
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return Imag.apply(input)


_registry.method("is_conj", lambda self: False)
_registry.method("real", property(real))
_registry.method("imag", property(imag))
_registry.method("conj_physical_", inplace_variant(conj))
_registry.method("sgn_", inplace_variant(sgn))
