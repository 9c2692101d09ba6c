"""Scans along one dim: cumsum, cumprod, logcumsumexp, cummax, cummin."""
from __future__ import annotations

from ..autograd import grad_mode
from ..autograd.function import Op
from .._tensor import Tensor, _make
from ._registry import export
from ._util import scalar_type_name, wrap_dim
from .pointwise import _out, where
from .reduce import (_CUMMAX, _CUMMIN, GatherAlong, _index_tensor, _reduce_dtype,
                     sum)


# -- scans ---------------------------------------------------------------------------------------
class Cumsum(Op):
    @staticmethod
    def forward(ctx, x, axis, dtype):
        ctx.axis = axis
        return ctx.xp.cumsum(x, axis=axis, dtype=dtype)

    @staticmethod
    def backward(ctx, grad):
        return _reverse_cumsum(grad, ctx.axis), None, None


def _reverse_cumsum(t: Tensor, axis: int) -> Tensor:
    """Sum from each position to the end of ``axis``."""
    return sum(t, axis, keepdim=True) - cumsum(t, axis) + t


class Cumprod(Op):
    """Running product. With zeros in a slice the gradient is exact, its own gradient only when
    the slice holds at most one zero (PyTorch is exact there too)."""

    @staticmethod
    def forward(ctx, x, axis, dtype):
        out = ctx.xp.cumprod(x, axis=axis, dtype=dtype)
        ctx.axis = axis
        ctx.save_for_backward(x, out)
        if ctx.needs_input_grad and (x == 0).any():
            zero = x == 0
            ctx.first_zero = zero & (ctx.xp.cumsum(zero, axis=axis) == 1)
        else:
            ctx.first_zero = None
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        axis = ctx.axis
        if ctx.first_zero is None:
            return _reverse_cumsum(grad * out.conj(), axis) / x.conj(), None, None
        # Past a slice's first zero only that zero matters: its gradient is the cumprod with the
        # zero replaced by one; later zeros get none.
        first = _make(ctx.first_zero, x._device)
        nonzero = x != 0
        safe = where(nonzero, x, 1)
        regular = _reverse_cumsum(grad * out.conj(), axis) / safe.conj()
        skipped = cumprod(where(first, 1, x), axis)
        at_zero = _reverse_cumsum(grad * skipped.conj(), axis)
        return where(nonzero, regular, where(first, at_zero, 0)), None, None


@export
def cumsum(input: Tensor, dim: int, *, dtype=None, out=None) -> Tensor:
    """Running sum along ``dim``; integral and bool inputs give int64, as PyTorch."""
    axis = wrap_dim(dim, input.ndim)
    x = input if input.ndim else input.reshape(1)
    result = Cumsum.apply(x, axis, _reduce_dtype(input, dtype))
    return _out(result if input.ndim else result.reshape(()), out)


@export
def cumprod(input: Tensor, dim: int, *, dtype=None, out=None) -> Tensor:
    axis = wrap_dim(dim, input.ndim)
    x = input if input.ndim else input.reshape(1)
    result = Cumprod.apply(x, axis, _reduce_dtype(input, dtype))
    return _out(result if input.ndim else result.reshape(()), out)


class LogCumSumExp(Op):
    """Running log-sum-exp by ``logaddexp.accumulate``: exact at any range (a shift by the
    slice's max would underflow the early terms to -inf)."""

    _backward_name = "LogcumsumexpBackward0"

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        out = ctx.xp.logaddexp.accumulate(x, axis=axis)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        # d out_j / d x_i = exp(x_i - out_j) for i <= j.
        x, out = ctx.saved_tensors
        axis = ctx.axis
        if grad_mode.state.enabled:
            return _logcumsumexp_grad_composite(x, grad, axis), None
        # Positive and negative parts of the gradient go through reversed logcumsumexps
        # separately, so nothing overflows.
        log_grad = grad.abs().log()
        neg_inf = float("-inf")

        def part(mask):
            logs = where(mask, log_grad, neg_inf) - out
            return (logcumsumexp(logs.flip(axis), axis).flip(axis) + x).exp()
        return part(grad > 0) - part(grad < 0), None


def _logcumsumexp_grad_composite(x: Tensor, grad: Tensor, axis: int) -> Tensor:
    """The same gradient as an (n, n) sum per slice, from ops that differentiate exactly (for
    create_graph; O(n^2) memory along ``axis``)."""
    xm, gm = x.movedim(axis, -1), grad.movedim(axis, -1)
    om = logcumsumexp(xm, -1)
    n = xm.shape[-1]
    upper = _make(x._device.backend.xp.triu(x._device.backend.xp.ones((n, n), dtype=bool)),
                  x._device)
    diff = where(upper, xm.unsqueeze(-1) - om.unsqueeze(-2), float("-inf"))
    return (diff.exp() * gm.unsqueeze(-2)).sum(-1).movedim(-1, axis)


@export
def logcumsumexp(input: Tensor, dim: int, *, out=None) -> Tensor:
    """log(cumsum(exp(input))) along ``dim``, computed without overflow."""
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise NotImplementedError(f'"logcumsumexp_out_cpu" not implemented for '
                                  f"'{scalar_type_name(input.dtype)}'")
    axis = wrap_dim(dim, input.ndim)
    x = input if input.ndim else input.reshape(1)
    result = LogCumSumExp.apply(x, axis)
    return _out(result if input.ndim else result.reshape(()), out)


def _cum_extreme(name, accumulate, result_cls):
    def fn(input: Tensor, dim: int):
        axis = wrap_dim(dim, input.ndim)
        x = input if input.ndim else input.reshape(1)
        data = x._data
        xp = x._device.backend.xp
        running = getattr(xp, accumulate).accumulate(data, axis=axis)
        hits = data == running
        if data.dtype.kind in "fc":  # every NaN takes over the index, as in PyTorch
            hits |= xp.isnan(data)
        shape = [1] * data.ndim
        shape[axis] = data.shape[axis]
        positions = xp.arange(data.shape[axis]).reshape(shape)
        index = xp.maximum.accumulate(xp.where(hits, positions, 0), axis=axis)
        result = result_cls(GatherAlong.apply(x, index, axis), _index_tensor(index, x, axis, True))
        if not input.ndim:
            result = result_cls(result[0].reshape(()), result[1].reshape(()))
        return result
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Named (values, indices) of the running {name[3:]}imum along ``dim``."
    return fn


cummax = export(_cum_extreme("cummax", "maximum", _CUMMAX))
cummin = export(_cum_extreme("cummin", "minimum", _CUMMIN))
