"""Distances and similarities: ``dist`` (between two tensors), ``pdist`` (between the rows of one
matrix), ``cdist`` (two sets of rows), ``pairwise_distance`` and ``cosine_similarity`` (row by
row), and ``normalize`` (divide by the p-norm).
"""
from __future__ import annotations

import math

import numpy as np

from .. import _dtype
from .._tensor import Tensor, _make
from ._registry import export
from ._util import scalar_type_name
from .index_select import index_select
from .norms import norm, vector_norm
from .rounding import clamp_min


@export
def dist(input: Tensor, other: Tensor, p: float = 2) -> Tensor:
    """The p-norm of ``input - other`` (broadcast), over all elements."""
    return vector_norm(input - other, p)


@export(nn=True, method=False)
def pdist(input: Tensor, p: float = 2) -> Tensor:
    """||x_i - x_j||_p for every pair of rows i < j of an (N, M) matrix: the N(N-1)/2 values of
    the distance matrix's upper triangle, row by row.

    As in PyTorch, with ``p=inf`` every element tied for the largest ``|x_i - x_j|`` gets the
    full gradient (``vector_norm`` shares it out among the ties instead).
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"pdist(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"pdist(): argument 'p' must be float, not {type(p).__name__}")
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if not input.dtype.is_floating_point:
        raise RuntimeError("pdist only supports floating-point dtypes")
    if not p >= 0:
        raise RuntimeError("pdist only supports non-negative p values")
    if input.dtype not in (_dtype.float32, _dtype.float64):
        raise NotImplementedError(f'"pdist" not implemented for '
                                  f"'{scalar_type_name(input.dtype)}'")
    xp = input._device.backend.xp
    first, second = (_make(xp.asarray(i), input._device)
                     for i in np.triu_indices(input.shape[0], 1))
    diff = index_select(input, 0, first) - index_select(input, 0, second)
    dist = vector_norm(diff, p, -1)
    if p != math.inf:
        return dist
    size = diff.abs()
    ties = (size == dist.detach().unsqueeze(-1)).to(input.dtype)
    return dist.detach() + ((size - size.detach()) * ties).sum(-1)


@export(method=False)
def cdist(x1, x2, p: float = 2.0, compute_mode: str = "use_mm_for_euclid_dist_if_necessary"
          ) -> Tensor:
    """p-norm distances between the rows of ``x1`` (B, P, M) and ``x2`` (B, R, M): (B, P, R)."""
    for name, x in (("X1", x1), ("X2", x2)):
        if x.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {x.ndim}D")
        if not x.dtype.is_floating_point:
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{scalar_type_name(x.dtype)}")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{x1.shape[-1]} X2: {x2.shape[-1]}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    if p != math.inf or diff.shape[-1] == 0:
        return vector_norm(diff, p, -1)
    # PyTorch's cdist gives every tied largest |difference| the full gradient (a max-norm's
    # gradient would share it): the value of amax, the gradient of |diff| where it ties.
    size = diff.abs()
    dist = size.amax(-1).detach()
    ties = size.detach() == dist.unsqueeze(-1)
    return dist + ((size - size.detach()) * ties).sum(-1)


@export(nn=True, method=False)
def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p over the last dim (0-d inputs: over their single element).

    p=0 counts the non-zero differences; the result keeps a graph with zero gradients, where
    PyTorch's backward leaves the inputs' ``.grad`` as None.
    """
    from .norms import vector_norm
    dim = max(x1.ndim, x2.ndim) - 1
    return vector_norm(x1 - x2 + eps, p, None if dim < 0 else dim, keepdim)


@export(nn=True, method=False)
def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """x1 . x2 / (max(||x1||, eps) max(||x2||, eps)) along ``dim``; 0-d inputs (dim 0 or -1)
    are vectors of one element."""
    from ._util import wrap_dim
    from .shape import broadcast_tensors
    x1, x2 = broadcast_tensors(x1, x2)
    if x1.ndim == 0:
        wrap_dim(dim, 1)
        return cosine_similarity(x1.reshape(1), x2.reshape(1), 0, eps)
    n1 = norm(x1, 2, dim, True)
    n2 = norm(x2, 2, dim, True)
    n1 = n1 + (clamp_min(n1.detach(), eps) - n1.detach())
    n2 = n2 + (clamp_min(n2.detach(), eps) - n2.detach())
    return ((x1 / n1) * (x2 / n2)).sum(dim)


@export(nn=True, function=False, method=False)
def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out: Tensor | None = None) -> Tensor:
    """input / max(||input||_p, eps) along ``dim``."""
    denom = clamp_min(norm(input, p, dim, True), eps)
    result = input / denom
    if out is not None:
        out.copy_(result)
        return out
    return result
