"""Distances between the rows of one matrix: ``pdist``.

``cdist`` (two sets of rows) lives with the norms in ``linalg``; ``pairwise_distance`` and
``cosine_similarity`` (row by row) with the losses that use them.
"""
from __future__ import annotations

import math

import numpy as np

from .. import _dtype
from .._tensor import Tensor, _make
from ._inplace import _type_name
from ._registry import export
from .index import index_select
from .linalg import vector_norm

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
        raise NotImplementedError(f'"pdist" not implemented for \'{_type_name(input.dtype)}\'')
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
