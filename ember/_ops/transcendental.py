"""Transcendental ops past exp/log: log1p, log2, trig, hyperbolic, erf, gamma, atan2, logaddexp."""
from __future__ import annotations

from ..autograd.function import Op
from .._tensor import Tensor
from . import _registry
from ._inplace import inplace_variant
from ._registry import export
from ._util import promote_binary, to_float
from .pointwise import _conj, _out, exp, full_like_scalar, reciprocal


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


# -- in-place variants of the binary ops --------------------------------------------------------
for _fn in (atan2, hypot, logaddexp):
    _registry.method(_fn.__name__ + "_", inplace_variant(_fn))
_registry.method("arctan2_", inplace_variant(atan2))
