"""Pointwise ops: arithmetic, comparisons, where, and the primitive elementwise math (exp, log,
sqrt, tanh, sigmoid, abs, sign, trunc). The rest of the family: transcendental.py (log1p, trig,
erf, ...), rounding.py (floor, remainder, maximum, clamp, ...), complex.py (conj, real, imag, sgn),
logical.py (logical and bitwise ops, value tests).

Binary ops take tensors or Python scalars; ``promote_binary`` applies PyTorch's promotion before
the op runs, so NumPy always sees operands of the result dtype (never a silent float64).
Gradients that broadcast are reduced to each input's shape by the engine.
"""
from __future__ import annotations

from .. import _dtype
from ..autograd.function import Op
from ..autograd.grad_mode import no_grad
from .._tensor import Tensor
from . import _registry
from ._inplace import inplace_variant
from ._registry import export
from ._util import as_tensor_on, cast, promote_binary, result_type, scalar_type_name, to_float


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
                           f"with dtype {scalar_type_name(condition.dtype)}")
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        input = as_tensor_on(input, condition)  # two scalars: promoted as scalars are
    a, b = promote_binary(input, other)
    if not isinstance(a, Tensor):
        a = full_like_scalar(b, a) if isinstance(b, Tensor) else a
    if not isinstance(b, Tensor):
        b = full_like_scalar(a, b)
    return _out(Where.apply(condition, a, b), out)


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


@export
def square(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    if input.dtype.is_bool:
        input = input.to(_dtype.int64)
    return _out(pow(input, 2), out)


def _not_implemented(op: str, t: Tensor) -> NotImplementedError:
    return NotImplementedError(f'"{op}_cpu" not implemented for \'{scalar_type_name(t.dtype)}\'')


def _require_tensor(op: str, value, position: int, arg: str) -> None:
    if not isinstance(value, Tensor):
        raise TypeError(f"{op}(): argument '{arg}' (position {position}) must be Tensor, not "
                        f"{type(value).__name__}")


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


# -- operators and in-place variants of the ops above ------------------------------------------
for _fn in (square, lerp, addcmul, addcdiv):
    _registry.method(_fn.__name__ + "_", inplace_variant(_fn))
