"""Ops without gradients on values: logical and bitwise ops, and tests on values (isnan, isinf,
isfinite, isclose, allclose, equal, ...), plus nan_to_num and heaviside."""
from __future__ import annotations

from ..autograd.function import Op
from .._tensor import Tensor
from . import _registry
from ._inplace import inplace_variant
from ._registry import export
from ._util import check_broadcast, promote_binary, scalar_type_name
from .pointwise import (_iop, _is_integral, _not_implemented, _out, _reflected,
                        _require_tensor, eq, full_like_scalar, where)


def _boolean_op(name: str, np_name: str, bitwise: bool):
    op_cls = type(name.title().replace("_", ""), (Op,), {
        "differentiable": False,
        "forward": staticmethod(lambda ctx, a, b: getattr(ctx.xp, np_name)(a, b)),
    })

    def fn(input, other, *, out: Tensor | None = None) -> Tensor:
        if bitwise:
            a, b = promote_binary(input, other)
            for t in (a, b):
                if isinstance(t, Tensor) and (t.dtype.is_floating_point or t.dtype.is_complex):
                    raise _not_implemented(name, t)
            if not isinstance(a, Tensor):
                a, b = b, a
        else:
            _require_tensor(name, other, 2, "other")
            a, b = input, other
            check_broadcast(name, a, b)
        return _out(op_cls.apply(a, b), out)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"Elementwise ``{np_name}`` of integral or bool tensors." if bitwise else
                  f"Elementwise ``{np_name}`` of the operands' truth values; returns bool.")
    return fn


logical_and = export(_boolean_op("logical_and", "logical_and", False))
logical_or = export(_boolean_op("logical_or", "logical_or", False))
logical_xor = export(_boolean_op("logical_xor", "logical_xor", False))
bitwise_and = export(_boolean_op("bitwise_and", "bitwise_and", True))
bitwise_or = export(_boolean_op("bitwise_or", "bitwise_or", True))
bitwise_xor = export(_boolean_op("bitwise_xor", "bitwise_xor", True))


class Shift(Op):
    """a << b or a >> b; shifts outside [0, bits) give 0 (or the sign for >>), as in PyTorch."""

    differentiable = False

    @staticmethod
    def forward(ctx, a, b, left):
        xp = ctx.xp
        bits = a.dtype.itemsize * 8
        out_of_range = (b < 0) | (b >= bits)
        shift = xp.where(out_of_range, bits - 1, b).astype(a.dtype, copy=False)
        if left:
            return xp.where(out_of_range, 0, xp.left_shift(a, shift)).astype(a.dtype, copy=False)
        return xp.right_shift(a, shift)


def _shift(name: str, left: bool):
    def fn(input, other, *, out: Tensor | None = None) -> Tensor:
        a, b = promote_binary(input, other)
        if not isinstance(a, Tensor):
            a = full_like_scalar(b, a)
        elif not isinstance(b, Tensor):
            b = full_like_scalar(a, b)
        for t in (a, b):
            if not _is_integral(t) or t.dtype.is_bool:
                raise _not_implemented(name, t)
        return _out(Shift.apply(a, b, left), out)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise {'left' if left else 'arithmetic right'} shift of integers."
    return fn


bitwise_left_shift = export(_shift("bitwise_left_shift", True))
bitwise_right_shift = export(_shift("bitwise_right_shift", False))


class LogicalNot(Op):
    differentiable = False

    @staticmethod
    def forward(ctx, x):
        return ctx.xp.logical_not(x)


class BitwiseNot(Op):
    differentiable = False

    @staticmethod
    def forward(ctx, x):
        return ctx.xp.invert(x)


@export
def logical_not(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    return _out(LogicalNot.apply(input), out)


@export
def bitwise_not(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    if input.dtype.is_floating_point or input.dtype.is_complex:
        raise _not_implemented("bitwise_not", input)
    return _out(BitwiseNot.apply(input), out)


# -- tests on values ---------------------------------------------------------------------------
def _predicate(name: str, array_fn):
    op_cls = type(name.title(), (Op,), {
        "differentiable": False, "forward": staticmethod(lambda ctx, x: array_fn(ctx.xp, x))})

    def fn(input: Tensor) -> Tensor:
        return op_cls.apply(input)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise ``{name}``; returns a bool tensor."
    return fn


isnan = export(_predicate("isnan", lambda xp, x: xp.isnan(x)))
isinf = export(_predicate("isinf", lambda xp, x: xp.isinf(x)))
isfinite = export(_predicate("isfinite", lambda xp, x: xp.isfinite(x)))
isposinf = export(_predicate("isposinf", lambda xp, x: xp.isposinf(x) if x.dtype.kind == "f"
                             else xp.zeros(x.shape, dtype=bool)))
isneginf = export(_predicate("isneginf", lambda xp, x: xp.isneginf(x) if x.dtype.kind == "f"
                             else xp.zeros(x.shape, dtype=bool)))
isreal = export(_predicate("isreal", lambda xp, x: xp.imag(x) == 0 if x.dtype.kind == "c"
                           else xp.ones(x.shape, dtype=bool)))


class Isclose(Op):
    differentiable = False

    @staticmethod
    def forward(ctx, a, b, rtol, atol, equal_nan):
        return ctx.xp.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)


@export
def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """|input - other| <= atol + rtol * |other|, elementwise."""
    if input.dtype is not other.dtype:
        raise RuntimeError(f"{scalar_type_name(input.dtype)} did not match "
                           f"{scalar_type_name(other.dtype)}")
    check_broadcast("isclose", input, other)
    return Isclose.apply(input, other, rtol=rtol, atol=atol, equal_nan=equal_nan)


@export
def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


@export
def equal(input: Tensor, other: Tensor) -> bool:
    """True when both tensors have the same shape and elements."""
    if input.shape != other.shape:
        return False
    return bool(eq(input, other)._data.all())


class NanToNum(Op):
    @staticmethod
    def forward(ctx, x, nan, posinf, neginf):
        if ctx.needs_input_grad:
            ctx.save_for_backward(ctx.xp.isfinite(x))
        return ctx.xp.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, grad):
        finite, = ctx.saved_tensors
        return where(finite, grad, grad.new_zeros(()))


@export
def nan_to_num(input: Tensor, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None, *, out: Tensor | None = None) -> Tensor:
    """Replace NaN/+inf/-inf (infinities default to the dtype's largest/smallest value)."""
    if _is_integral(input):
        return _out(input.clone(), out)
    return _out(NanToNum.apply(input, nan=nan, posinf=posinf, neginf=neginf), out)


class Heaviside(Op):
    differentiable = False

    @staticmethod
    def forward(ctx, x, values):
        step = (x > 0).astype(x.dtype)
        return ctx.xp.where(x == 0, values, step).astype(x.dtype, copy=False)


@export
def heaviside(input: Tensor, values: Tensor, *, out: Tensor | None = None) -> Tensor:
    if input.dtype is not values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    check_broadcast("heaviside", input, values)
    return _out(Heaviside.apply(input, values), out)


for _fn in (logical_and, logical_or, logical_xor, logical_not, bitwise_and, bitwise_or,
            bitwise_xor, bitwise_not, bitwise_left_shift, bitwise_right_shift, nan_to_num,
            heaviside):
    _registry.method(_fn.__name__ + "_", inplace_variant(_fn))
for _name, _fn in (("and", bitwise_and), ("or", bitwise_or), ("xor", bitwise_xor),
                   ("lshift", bitwise_left_shift), ("rshift", bitwise_right_shift)):
    _registry.method(f"__{_name}__", _fn)
    _registry.method(f"__r{_name}__", _reflected(_fn))
    _registry.method(f"__i{_name}__", _iop(_fn))
_registry.method("__invert__", bitwise_not)
