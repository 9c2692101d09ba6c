"""Norms: torch.norm, and ember.linalg's vector_norm, matrix_norm and norm."""
from __future__ import annotations

import builtins
import math

import numpy as np

from .._tensor import Tensor
from ..autograd.function import Op
from ._registry import export
from ._util import dims_tuple, scalar_type_name, wrap_dim
from .decomposition import svdvals
from .linalg import _out
from .reduce import _expand_back


# -- norms -----------------------------------------------------------------------------------------
class VectorNorm(Op):
    _backward_name = "LinalgVectorNormBackward0"

    @staticmethod
    def forward(ctx, x, ord, axes, keepdim):
        xp = ctx.xp
        ctx.ord, ctx.axes, ctx.keepdim = ord, axes, keepdim
        a = xp.abs(x)
        if ord == math.inf:
            out = a.max(axis=axes, keepdims=keepdim, initial=0)
        elif ord == -math.inf:
            out = a.min(axis=axes, keepdims=keepdim)
        elif ord == 0:
            out = (a != 0).sum(axis=axes, keepdims=keepdim).astype(a.dtype)
        elif ord == 1:
            out = a.sum(axis=axes, keepdims=keepdim)
        elif ord == 2:
            out = xp.sqrt((a * a).sum(axis=axes, keepdims=keepdim))
        else:
            p = xp.asarray(ord, dtype=a.dtype)
            out = ((a ** p).sum(axis=axes, keepdims=keepdim)) ** (1 / p)
        out = xp.asarray(out, dtype=a.dtype)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        from .pointwise import where
        x, norm = ctx.saved_tensors
        ord, axes = ctx.ord, ctx.axes
        grad = _expand_back(grad, x.shape, axes, ctx.keepdim)
        norm = _expand_back(norm, x.shape, axes, ctx.keepdim)
        if ord == 0:
            return x * 0, None, None, None
        a = x.abs()
        sgn = x / where(a == 0, 1.0, a) if x.is_complex() else x.sign()
        if ord == 1:
            return grad * sgn, None, None, None
        if ord in (math.inf, -math.inf):
            hit = (a == norm).to(grad.dtype)
            return grad * sgn * hit / hit.sum(axes, keepdim=True), None, None, None
        safe = where(norm == 0, 1.0, norm)
        if ord == 2:
            return grad * x / safe, None, None, None
        scaled = sgn * (a / safe) ** (ord - 1)
        # A zero norm (any zero entry when ord < 0) has a zero gradient, as in PyTorch.
        return where((a == 0) | (norm == 0), 0.0, grad * scaled), None, None, None


def vector_norm(x, ord=2, dim=None, keepdim: bool = False, *, dtype=None, out=None) -> Tensor:
    """The ``ord``-norm of ``x`` over ``dim`` (all elements when None), as a vector."""
    if isinstance(ord, str) or not isinstance(ord, (int, float, np.number)):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' must be Number, not "
                        f"{type(ord).__name__}")
    if not (x.dtype.is_floating_point or x.dtype.is_complex):
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {scalar_type_name(x.dtype)}")
    if dtype is not None:
        x = x.to(dtype)
    if isinstance(dim, (list, tuple)) and len(dim) == 0:
        dim = None
    axes = dims_tuple(dim, x.ndim) if x.ndim else ()
    if ord < 0 and x.numel() == 0:
        raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on an empty "
                           "tensor because the operation does not have an identity")
    return _out(VectorNorm.apply(x, float(ord), axes, bool(keepdim)), out)


@export
def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """The vector p-norm over ``dim`` (all elements when None), as ``linalg.vector_norm``;
    ``'fro'`` is the 2-norm, ``'nuc'`` the nuclear norm of the matrices in ``dim`` (default the
    last two)."""
    if p == "nuc":
        return matrix_norm(input, "nuc", (-2, -1) if dim is None else dim, keepdim, dtype=dtype)
    if p == "fro" or p is None:
        p = 2
    if isinstance(p, str):
        raise RuntimeError(f"norm(): p={p!r} is not supported; use 'fro', 'nuc' or a number")
    return vector_norm(input, p, dim, keepdim, dtype=dtype)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None,
                out=None) -> Tensor:
    """Frobenius, nuclear, 1, -1, 2, -2, inf or -inf norm of the matrices in ``dim``."""
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.")
    if dtype is not None:
        A = A.to(dtype)
    d0, d1 = (wrap_dim(d, A.ndim) for d in dim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, "
                           f"{dim[1]})")
    if ord == "fro":
        return _out(vector_norm(A, 2, (d0, d1), keepdim), out)
    inf = math.inf
    if ord in ("nuc", 2, -2):
        S = svdvals(A.movedim((d0, d1), (-2, -1)))
        result = S.sum(-1) if ord == "nuc" else vector_norm(S, inf if ord == 2 else -inf, -1)
        if keepdim:
            result = result.unsqueeze(builtins.min(d0, d1)).unsqueeze(builtins.max(d0, d1))
        return _out(result, out)
    if ord in (1, -1, inf, -inf):
        first, second = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = vector_norm(A, 1, first, keepdim=True)
        result = vector_norm(sums, inf if ord in (1, inf) else -inf, second, keepdim=True)
        if not keepdim:
            result = result.squeeze((d0, d1))
        return _out(result, out)
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def linalg_norm(A, ord=None, dim=None, keepdim: bool = False, *, out=None,
                dtype=None) -> Tensor:
    """``ember.linalg.norm``: a vector norm for an int ``dim`` (or 1-D input), a matrix norm for
    two dims (or 2-D input with ``ord``); without ``ord`` and ``dim``, the 2-norm of all."""
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None:
        if len(dim) == 1:
            return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype, out=out)
        return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype, out=out)
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype, out=out)
    if A.ndim == 1:
        return vector_norm(A, ord, None, keepdim, dtype=dtype, out=out)
    if A.ndim == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype, out=out)
    raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D "
                       f"or 2D. Got {A.ndim}D.")
