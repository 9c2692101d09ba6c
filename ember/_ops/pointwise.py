"""Pointwise ops: arithmetic, comparisons, and elementwise math (logical, bitwise and value
tests are in logical.py).

Binary ops take tensors or Python scalars; ``promote_binary`` applies PyTorch's promotion before
the op runs, so NumPy always sees operands of the result dtype (never a silent float64).
Gradients that broadcast are reduced to each input's shape by the engine.
"""
from __future__ import annotations

import numpy as np

from .. import _dtype
from ..autograd.function import Op
from ..autograd.grad_mode import no_grad
from .._tensor import Tensor
from . import _registry
from ._inplace import inplace_variant
from ._registry import export
from ._util import as_tensor_on, cast, check_broadcast, promote_binary, result_type, to_float


# -- arithmetic ----------------------------------------------------------------------------------
class Add(Op):
    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad):
        return grad, grad


class Sub(Op):
    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, grad):
        return grad, (-grad if ctx.needs_input_grad[1] else None)


class Mul(Op):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad[:2]
        return (mul(grad, _conj(b)) if need_a else None,
                mul(grad, _conj(a)) if need_b else None)


class Div(Op):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad[:2]
        grad_a = div(grad, _conj(b)) if need_a else None
        grad_b = None
        if need_b:
            grad_b = neg(mul(grad, _conj(div(div(a, b), b))))
        return grad_a, grad_b


class Neg(Op):
    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, grad):
        return neg(grad)


class Pow(Op):
    @staticmethod
    def forward(ctx, a, b):
        if getattr(b, "dtype", None) is not None and b.dtype.kind in "iu":
            out = _integer_pow(ctx.xp, a, b)
        else:
            out = a ** b
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad[:2]
        grad_a = grad_b = None
        if need_a:
            if isinstance(b, Tensor):
                grad_a = grad * b * where(b == 0, 1.0, a ** (b - 1))
            elif b == 0:
                grad_a = grad * 0
            else:
                grad_a = grad * b * a ** (b - 1)
        if need_b:
            log_a = log(where(a == 0, 1.0, a)) if isinstance(a, Tensor) else _pylog(a)
            grad_b = grad * out * log_a
            if isinstance(a, Tensor):
                grad_b = where((a == 0) & (b >= 0), 0.0, grad_b)
        return grad_a, grad_b


def _integer_pow(xp, a, b):
    """Integer a ** b; a negative exponent gives 0 unless |a| == 1, as in PyTorch."""
    negative = b < 0
    if not negative.any():
        return a ** b
    out = a ** xp.abs(b)
    return xp.where(negative & (xp.abs(a) != 1), 0, out).astype(out.dtype, copy=False)


def _pylog(x):
    import math
    return math.log(x) if x > 0 else float("nan")


def _conj(t):
    return t.conj() if isinstance(t, Tensor) and t.is_complex() else t


@export
def add(input, other, *, alpha=1, out=None) -> Tensor:
    """input + alpha * other."""
    if alpha != 1:
        other = mul(other, alpha)
    a, b = promote_binary(input, other)
    return _out(Add.apply(a, b), out)


@export(aliases=("subtract",))
def sub(input, other, *, alpha=1, out=None) -> Tensor:
    """input - alpha * other."""
    _check_not_bool_sub(input, other)
    if alpha != 1:
        other = mul(other, alpha)
    a, b = promote_binary(input, other)
    if a.__class__ is not Tensor and not isinstance(a, Tensor):
        return _out(Add.apply(neg(b), a), out)
    return _out(Sub.apply(a, b), out)


def _check_not_bool_sub(input, other) -> None:
    a_bool = input.dtype.is_bool if isinstance(input, Tensor) else input.__class__ is bool
    b_bool = other.dtype.is_bool if isinstance(other, Tensor) else other.__class__ is bool
    if not (a_bool or b_bool):
        return
    if a_bool and b_bool:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                       "If you are trying to invert a mask, use the `~` or `logical_not()` "
                       "operator instead.")


@export(aliases=("multiply",))
def mul(input, other, *, out=None) -> Tensor:
    a, b = promote_binary(input, other)
    if not isinstance(a, Tensor):
        a, b = b, a
    return _out(Mul.apply(a, b), out)


@export(aliases=("divide",))
def div(input, other, *, rounding_mode=None, out=None) -> Tensor:
    """True division (integers give floats); ``rounding_mode`` 'trunc' or 'floor' rounds."""
    if rounding_mode is not None:
        if rounding_mode not in ("trunc", "floor"):
            raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                             f"but found '{rounding_mode}'")
        a, b = promote_binary(input, other)
        if rounding_mode == "floor":
            return _out(floor_divide(a, b), out)
        _check_int_divisor(a, b)
        q = Div.apply(*promote_binary(a, b, floating=True)) if _is_t(a) or _is_t(b) else a / b
        result = trunc(q)
        dt = a.dtype if _is_t(a) else b.dtype
        return _out(result if result.dtype is dt else result.to(dt), out)
    a, b = promote_binary(input, other, floating=True)
    if not isinstance(a, Tensor):
        return _out(mul(reciprocal(b), a), out)
    return _out(Div.apply(a, b), out)


true_divide = export(div, name="true_divide")


def _is_t(x):
    return isinstance(x, Tensor)


@export
def neg(input, *, out=None) -> Tensor:
    if input.dtype.is_bool:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you "
                           "are trying to invert a mask, use the `~` or `logical_not()` operator "
                           "instead.")
    return _out(Neg.apply(input), out)


negative = export(neg, name="negative")


@export
def pow(input, exponent, *, out=None) -> Tensor:
    a, b = promote_binary(input, exponent)
    if b.__class__ is int and b < 0 and _is_integral(a):
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    return _out(Pow.apply(a, b), out)


@export
def reciprocal(input, *, out=None) -> Tensor:
    return _out(Reciprocal.apply(to_float(input)), out)


class Reciprocal(Op):
    @staticmethod
    def forward(ctx, x):
        out = 1 / x
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out, = ctx.saved_tensors
        return -grad * _conj(out * out)


class FloorDivide(Op):
    differentiable = False

    @staticmethod
    def forward(ctx, a, b):
        return ctx.xp.floor_divide(a, b)


@export
def floor_divide(input, other, *, out=None) -> Tensor:
    a, b = promote_binary(input, other)
    _check_int_divisor(a, b)
    if not isinstance(a, Tensor):
        return _out(FloorDivide.apply(full_like_scalar(b, a), b), out)
    return _out(FloorDivide.apply(a, b), out)


def _check_int_divisor(a, b) -> None:
    """Integer division by zero raises, as in PyTorch (NumPy returns 0 with a warning)."""
    if _is_integral(a if isinstance(a, Tensor) else b) and bool(
            (b._data == 0).any() if isinstance(b, Tensor) else b == 0):
        raise RuntimeError("ZeroDivisionError")


def full_like_scalar(like: Tensor, value) -> Tensor:
    from .creation import full_like
    return full_like(like, value)


# -- elementwise math -----------------------------------------------------------------------
class Exp(Op):
    @staticmethod
    def forward(ctx, x):
        out = ctx.xp.exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out, = ctx.saved_tensors
        return grad * _conj(out)


class Log(Op):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.log(x)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad / _conj(x)


class Sqrt(Op):
    @staticmethod
    def forward(ctx, x):
        out = ctx.xp.sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out, = ctx.saved_tensors
        return grad / (2 * _conj(out))


class Tanh(Op):
    @staticmethod
    def forward(ctx, x):
        out = ctx.xp.tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out, = ctx.saved_tensors
        return grad * (1 - _conj(out * out))


class Sigmoid(Op):
    @staticmethod
    def forward(ctx, x):
        xp = ctx.xp
        # exp of -|x| never overflows; float32 stays float32 throughout.
        e = xp.exp(-xp.abs(x))
        out = xp.where(x >= 0, 1 / (1 + e), e / (1 + e))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out, = ctx.saved_tensors
        return grad * out * (1 - out)


class Abs(Op):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.abs(x)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * sign(x)


class _ZeroGrad(Op):
    """Piecewise-constant ops (sign, floor, ...): PyTorch records them with a zero gradient."""

    @staticmethod
    def backward(ctx, grad):
        return _zeros(grad)


class Sign(_ZeroGrad):
    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind == "f":  # (x > 0) - (x < 0), as PyTorch: sign(nan) is 0, not nan
            return ctx.xp.subtract(x > 0, x < 0, dtype=x.dtype)
        return ctx.xp.sign(x)


class Trunc(_ZeroGrad):
    @staticmethod
    def forward(ctx, x):
        return ctx.xp.trunc(x)


def _zeros(like: Tensor) -> Tensor:
    from .creation import zeros_like
    return zeros_like(like)


@export
def exp(input, *, out=None) -> Tensor:
    return _out(Exp.apply(to_float(input)), out)


@export
def log(input, *, out=None) -> Tensor:
    return _out(Log.apply(to_float(input)), out)


@export
def sqrt(input, *, out=None) -> Tensor:
    return _out(Sqrt.apply(to_float(input)), out)


@export(nn=True)
def tanh(input, *, out=None) -> Tensor:
    return _out(Tanh.apply(to_float(input)), out)


@export(nn=True)
def sigmoid(input, *, out=None) -> Tensor:
    return _out(Sigmoid.apply(to_float(input)), out)


@export(aliases=("absolute",))
def abs(input, *, out=None) -> Tensor:
    if input.dtype.is_bool:
        raise _not_implemented("abs", input)
    return _out(Abs.apply(input), out)


@export
def sign(input, *, out=None) -> Tensor:
    if input.dtype.is_bool:
        return _out(input.clone(), out)
    return _out(Sign.apply(input), out)


@export(aliases=("fix",))
def trunc(input, *, out=None) -> Tensor:
    if _is_integral(input):
        return _out(input.clone(), out)
    return _out(Trunc.apply(input), out)


def _is_integral(t: Tensor) -> bool:
    return not (t.dtype.is_floating_point or t.dtype.is_complex)


# -- comparisons (never differentiable) ----------------------------------------------------------
def _comparison(name, np_name):
    op_cls = type(name.capitalize(), (Op,), {
        "differentiable": False,
        "forward": staticmethod(lambda ctx, a, b: getattr(ctx.xp, np_name)(a, b)),
    })

    def fn(input, other, *, out=None) -> Tensor:
        a, b = promote_binary(input, other)
        if not isinstance(a, Tensor):
            a, b = b, a
            return _out(_FLIPPED[name](a, b), out)
        return _out(op_cls.apply(a, b), out)
    fn.__name__ = name
    fn.__doc__ = f"Elementwise ``{np_name}``; returns a bool tensor."
    return fn


eq = export(_comparison("eq", "equal"))
ne = export(_comparison("ne", "not_equal"), aliases=("not_equal",))
lt = export(_comparison("lt", "less"), aliases=("less",))
le = export(_comparison("le", "less_equal"), aliases=("less_equal",))
gt = export(_comparison("gt", "greater"), aliases=("greater",))
ge = export(_comparison("ge", "greater_equal"), aliases=("greater_equal",))
_FLIPPED = {"eq": eq, "ne": ne, "lt": gt, "le": ge, "gt": lt, "ge": le}


# -- selection -------------------------------------------------------------------------------
class Where(Op):
    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.cond = cond
        return ctx.xp.where(cond, a, b)

    @staticmethod
    def backward(ctx, grad):
        from .._tensor import _make
        cond = _make(ctx.cond, ctx.device)
        zero = grad.new_zeros(())
        return (None,
                where(cond, grad, zero) if ctx.needs_input_grad[1] else None,
                where(cond, zero, grad) if ctx.needs_input_grad[2] else None)


@export
def where(condition, input=None, other=None, *, out=None):
    """``where(cond, x, y)`` picks elementwise; ``where(cond)`` is ``nonzero(as_tuple=True)``."""
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    if condition.dtype.name != "bool":
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {_type_label(condition.dtype)}")
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        input = as_tensor_on(input, condition)  # two scalars: promoted as scalars are
    a, b = promote_binary(input, other)
    if not isinstance(a, Tensor):
        a = full_like_scalar(b, a) if isinstance(b, Tensor) else a
    if not isinstance(b, Tensor):
        b = full_like_scalar(a, b)
    return _out(Where.apply(condition, a, b), out)


def _type_label(d):
    return {"float32": "Float", "float64": "Double", "int64": "Long", "int32": "Int",
            "uint8": "Byte"}.get(d.name, d.name)


# -- the out= convention -------------------------------------------------------------------------
def _out(result: Tensor, out):
    """Honour ``out=``: resize-free copy into ``out`` (PyTorch resizes empty outs; so do we)."""
    if out is None:
        return result
    from ._inplace import write_inplace
    if out.shape != result.shape:
        if out.numel() == 0:
            out._data = out._device.backend.xp.empty(result.shape, dtype=out._data.dtype)
        else:
            raise RuntimeError(f"Expected out tensor to have shape {list(result.shape)}, but got "
                               f"{list(out.shape)}")
    with no_grad():
        return write_inplace(out, result.detach() if result._requires_grad else result)


# -- operators and in-place variants ---------------------------------------------------------
def _reflected(fn):
    return lambda self, other: fn(other, self)


for _name, _fn in (("add", add), ("sub", sub), ("mul", mul), ("truediv", div), ("pow", pow),
                   ("floordiv", floor_divide)):
    _registry.method(f"__{_name}__", _fn)
    _registry.method(f"__r{_name}__", _reflected(_fn))
for _name, _fn in (("eq", eq), ("ne", ne), ("lt", lt), ("le", le), ("gt", gt), ("ge", ge)):
    _registry.method(f"__{_name}__", _fn)
_registry.method("__neg__", neg)
_registry.method("__abs__", abs)
_registry.method("__pos__", lambda self: self)
_registry.method("__div__", div)


def _iop(fn):
    ip = inplace_variant(fn)
    return lambda self, other: ip(self, other)


for _name, _fn in (("add", add), ("sub", sub), ("mul", mul), ("truediv", div), ("pow", pow),
                   ("floordiv", floor_divide)):
    _registry.method(f"__i{_name}__", _iop(_fn))
for _fn in (add, sub, mul, div, neg, pow, exp, log, sqrt, tanh, sigmoid, abs, sign, trunc,
            reciprocal, floor_divide):
    _registry.method(_fn.__name__ + "_", inplace_variant(_fn))
_registry.method("true_divide_", inplace_variant(div))
_registry.method("subtract_", inplace_variant(sub))
_registry.method("multiply_", inplace_variant(mul))
_registry.method("divide_", inplace_variant(div))
_registry.method("fix_", inplace_variant(trunc))


# -- more elementwise math: one derivative formula per op, on Tensors --------------------------
_LN2 = 0.6931471805599453
_LN10 = 2.302585092994046
_TWO_OVER_SQRT_PI = 1.1283791670955126
_SQRT_PI_OVER_TWO = 0.886226925452758


def _unary_op(name: str, forward, derivative):
    """An elementwise Op class named ``name`` (so grad_fn reads ``<name>Backward0``).

    ``forward(ctx, x)`` maps arrays; ``derivative(x, out)`` gives d out/d x as a Tensor built from
    Ember ops, so higher-order gradients work. Complex inputs get ``grad * conj(derivative)``.
    """
    def fwd(ctx, x):
        out = forward(ctx, x)
        ctx.save_for_backward(x, out)
        return out

    def bwd(ctx, grad):
        x, out = ctx.saved_tensors
        return grad * _conj(derivative(x, out))
    return type(name, (Op,), {"forward": staticmethod(fwd), "backward": staticmethod(bwd),
                              "__doc__": f"Elementwise {name.lower()}."})


def _digamma_array(ctx, x):
    out = ctx.backend.digamma(x)
    return ctx.xp.where(x == 0, -ctx.xp.inf, out).astype(x.dtype, copy=False)


_UNARY = {
    # name: (Op class name, array forward, derivative(x, out))
    "log1p": ("Log1P", lambda c, x: c.xp.log1p(x), lambda x, y: reciprocal(x + 1)),
    "expm1": ("Expm1", lambda c, x: c.xp.expm1(x), lambda x, y: y + 1),
    "rsqrt": ("Rsqrt", lambda c, x: 1 / c.xp.sqrt(x), lambda x, y: y * y * y * -0.5),
    "log2": ("Log2", lambda c, x: c.xp.log2(x), lambda x, y: reciprocal(x * _LN2)),
    "log10": ("Log10", lambda c, x: c.xp.log10(x), lambda x, y: reciprocal(x * _LN10)),
    "exp2": ("Exp2", lambda c, x: c.xp.exp2(x), lambda x, y: y * _LN2),
    "sin": ("Sin", lambda c, x: c.xp.sin(x), lambda x, y: cos(x)),
    "cos": ("Cos", lambda c, x: c.xp.cos(x), lambda x, y: -sin(x)),
    "tan": ("Tan", lambda c, x: c.xp.tan(x), lambda x, y: y * y + 1),
    "asin": ("Asin", lambda c, x: c.xp.arcsin(x), lambda x, y: rsqrt(1 - x * x)),
    "acos": ("Acos", lambda c, x: c.xp.arccos(x), lambda x, y: -rsqrt(1 - x * x)),
    "atan": ("Atan", lambda c, x: c.xp.arctan(x), lambda x, y: reciprocal(x * x + 1)),
    "sinh": ("Sinh", lambda c, x: c.xp.sinh(x), lambda x, y: cosh(x)),
    "cosh": ("Cosh", lambda c, x: c.xp.cosh(x), lambda x, y: sinh(x)),
    "asinh": ("Asinh", lambda c, x: c.xp.arcsinh(x), lambda x, y: rsqrt(x * x + 1)),
    "acosh": ("Acosh", lambda c, x: c.xp.arccosh(x), lambda x, y: rsqrt((x - 1) * (x + 1))),
    "atanh": ("Atanh", lambda c, x: c.xp.arctanh(x), lambda x, y: reciprocal(1 - x * x)),
    "erf": ("Erf", lambda c, x: c.backend.erf(x),
            lambda x, y: exp(-x * x) * _TWO_OVER_SQRT_PI),
    "erfc": ("Erfc", lambda c, x: c.backend.erfc(x),
             lambda x, y: exp(-x * x) * -_TWO_OVER_SQRT_PI),
    "erfinv": ("Erfinv", lambda c, x: c.backend.erfinv(x),
               lambda x, y: exp(y * y) * _SQRT_PI_OVER_TWO),
    "lgamma": ("Lgamma", lambda c, x: c.backend.lgamma(x), lambda x, y: digamma(x)),
    "digamma": ("Digamma", _digamma_array, lambda x, y: polygamma(1, x)),
}
_ALIASES = {"asin": ("arcsin",), "acos": ("arccos",), "atan": ("arctan",), "asinh": ("arcsinh",),
            "acosh": ("arccosh",), "atanh": ("arctanh",)}
_UNARY_OPS = {}


def _make_unary(name: str, op_cls):
    def fn(input: Tensor, *, out: Tensor | None = None) -> Tensor:
        return _out(op_cls.apply(to_float(input)), out)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise ``{name}``; integral inputs compute in the default float dtype."
    return fn


_UNARY_FUNCTIONS = {}
for _name, (_cls_name, _forward, _derivative) in _UNARY.items():
    _UNARY_OPS[_name] = _unary_op(_cls_name, _forward, _derivative)
    _UNARY_FUNCTIONS[_name] = export(_make_unary(_name, _UNARY_OPS[_name]),
                                     aliases=_ALIASES.get(_name, ()))
    for _alias in (_name,) + _ALIASES.get(_name, ()):
        _registry.method(_alias + "_", inplace_variant(_UNARY_FUNCTIONS[_name]))
(log1p, expm1, rsqrt, log2, log10, exp2, sin, cos, tan, asin, acos, atan, sinh, cosh, asinh, acosh,
 atanh, erf, erfc, erfinv, lgamma, digamma) = _UNARY_FUNCTIONS.values()


class Polygamma(Op):
    @staticmethod
    def forward(ctx, x, n):
        ctx.save_for_backward(x)
        ctx.n = n
        if n == 0:
            return _digamma_array(ctx, x)
        poly = getattr(ctx.backend, "polygamma", None)
        if poly is not None:
            return poly(n, x)
        from scipy import special  # the backend has no polygamma: compute on the host
        host = ctx.backend.to_host(x)
        return ctx.backend.from_host(special.polygamma(n, host).astype(host.dtype))

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * polygamma(ctx.n + 1, x), None


@export(method=False)
def polygamma(n: int, input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The n-th derivative of digamma."""
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    return _out(Polygamma.apply(to_float(input), n=int(n)), out)


_registry.method("polygamma", lambda self, n: polygamma(n, self))
_registry.method("polygamma_", lambda self, n: inplace_variant(
    lambda x: polygamma(n, x))(self))


@export
def square(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    if input.dtype.is_bool:
        input = input.to(_dtype.int64)
    return _out(pow(input, 2), out)


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


def _not_implemented(op: str, t: Tensor) -> NotImplementedError:
    return NotImplementedError(f'"{op}_cpu" not implemented for \'{_type_name(t.dtype)}\'')


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


# -- binary math --------------------------------------------------------------------------------
class Atan2(Op):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return ctx.xp.arctan2(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        scale = grad / (a * a + b * b)
        return scale * b, -scale * a


class Hypot(Op):
    @staticmethod
    def forward(ctx, a, b):
        out = ctx.xp.hypot(a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        scale = grad / out
        return scale * a, scale * b


class Logaddexp(Op):
    """log(e^a + e^b); the subclass does base 2. d/da = base^(a - out)."""

    _xp_name = "logaddexp"
    _power = staticmethod(lambda t: exp(t))

    @classmethod
    def forward(cls, ctx, a, b):
        out = getattr(ctx.xp, cls._xp_name)(a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @classmethod
    def backward(cls, ctx, grad):
        a, b, out = ctx.saved_tensors
        return grad * cls._power(a - out), grad * cls._power(b - out)


class Logaddexp2(Logaddexp):
    _xp_name = "logaddexp2"
    _power = staticmethod(lambda t: exp2(t))


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


def _float_binary(op_cls, input, other, out):
    a, b = promote_binary(input, other, floating=True)
    if not isinstance(a, Tensor):
        a = full_like_scalar(b, a)
    return _out(op_cls.apply(a, b), out)


@export(aliases=("arctan2",))
def atan2(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    return _float_binary(Atan2, input, other, out)


@export
def hypot(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    return _float_binary(Hypot, input, other, out)


@export
def logaddexp(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """log(exp(input) + exp(other)), computed without overflow."""
    return _float_binary(Logaddexp, input, other, out)


@export
def logaddexp2(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    return _float_binary(Logaddexp2, input, other, out)


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


def _require_tensor(op: str, value, position: int, arg: str) -> None:
    if not isinstance(value, Tensor):
        raise TypeError(f"{op}(): argument '{arg}' (position {position}) must be Tensor, not "
                        f"{type(value).__name__}")


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


@export
def lerp(input: Tensor, end: Tensor, weight, *, out: Tensor | None = None) -> Tensor:
    """input + weight * (end - input)."""
    return _out(input + weight * (end - input), out)


@export
def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1,
            out: Tensor | None = None) -> Tensor:
    """input + value * tensor1 * tensor2."""
    input, tensor1, tensor2 = _promote_three(input, tensor1, tensor2)
    prod = tensor1 * tensor2
    return _out(input + (prod if value == 1 else prod * value), out)


@export
def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1,
            out: Tensor | None = None) -> Tensor:
    """input + value * tensor1 / tensor2 (integral tensor1 and tensor2 are refused, as PyTorch)."""
    if _is_integral(tensor1) and _is_integral(tensor2):
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future  release "
            "addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv "
            "behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2))"
            ".to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) for "
            "float inputs. The future addcdiv behavior is just the latter implementation: "
            "(input + value * tensor1 / tensor2), for all dtypes.")
    input, tensor1, tensor2 = _promote_three(input, tensor1, tensor2)
    quot = tensor1 / tensor2
    return _out(input + (quot if value == 1 else quot * value), out)


def _promote_three(*tensors) -> tuple:
    """Cast to the common dtype of all three first, as PyTorch computes in it (a float32
    tensor1 * tensor2 rounded before meeting a float64 input would lose precision)."""
    dt = result_type(*tensors)
    return tuple(cast(t, dt) for t in tensors)


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


def _type_name(d) -> str:
    from ._inplace import _type_name as name
    return name(d)


# -- operators and in-place variants of the ops above ------------------------------------------
for _fn in (square, floor, ceil, round, frac, sgn, atan2, hypot, logaddexp, remainder, fmod,
            clamp, clamp_min, clamp_max, lerp, addcmul, addcdiv):
    _registry.method(_fn.__name__ + "_", inplace_variant(_fn))
_registry.method("clip_", inplace_variant(clamp))
_registry.method("arctan2_", inplace_variant(atan2))
_registry.method("__mod__", remainder)
_registry.method("__rmod__", _reflected(remainder))
_registry.method("__imod__", _iop(remainder))
