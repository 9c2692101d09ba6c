"""Pointwise ops: arithmetic, comparisons, and elementwise math.

Binary ops take tensors or Python scalars; ``promote_binary`` applies PyTorch's promotion before
the op runs, so NumPy always sees operands of the result dtype (never a silent float64).
Gradients that broadcast are reduced to each input's shape by the engine.
"""
from __future__ import annotations

from ..autograd.function import Op
from ..autograd.grad_mode import no_grad
from .._tensor import Tensor
from . import _registry
from ._inplace import inplace_variant
from ._registry import export
from ._util import promote_binary, to_float


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
    if alpha != 1:
        other = mul(other, alpha)
    a, b = promote_binary(input, other)
    if a.__class__ is not Tensor and not isinstance(a, Tensor):
        return _out(Add.apply(neg(b), a), out)
    return _out(Sub.apply(a, b), out)


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
    return _out(Neg.apply(input), out)


negative = export(neg, name="negative")


@export
def pow(input, exponent, *, out=None) -> Tensor:
    a, b = promote_binary(input, exponent)
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
    if not isinstance(a, Tensor):
        return _out(FloorDivide.apply(full_like_scalar(b, a), b), out)
    return _out(FloorDivide.apply(a, b), out)


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


class Sign(Op):
    differentiable = False

    @staticmethod
    def forward(ctx, x):
        return ctx.xp.sign(x)


class Trunc(Op):
    differentiable = False

    @staticmethod
    def forward(ctx, x):
        return ctx.xp.trunc(x)


@export
def exp(input, *, out=None) -> Tensor:
    return _out(Exp.apply(to_float(input)), out)


@export
def log(input, *, out=None) -> Tensor:
    return _out(Log.apply(to_float(input)), out)


@export
def sqrt(input, *, out=None) -> Tensor:
    return _out(Sqrt.apply(to_float(input)), out)


@export
def tanh(input, *, out=None) -> Tensor:
    return _out(Tanh.apply(to_float(input)), out)


@export
def sigmoid(input, *, out=None) -> Tensor:
    return _out(Sigmoid.apply(to_float(input)), out)


@export(aliases=("absolute",))
def abs(input, *, out=None) -> Tensor:
    if input.dtype.is_bool:
        return input.clone()
    return _out(Abs.apply(input), out)


@export
def sign(input, *, out=None) -> Tensor:
    return _out(Sign.apply(input), out)


@export
def trunc(input, *, out=None) -> Tensor:
    return _out(Trunc.apply(input), out)


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
