"""ember.linalg: linear algebra (``torch.linalg``). The ops live in ``ember/_ops/linalg.py``."""
from __future__ import annotations

from ._ops.linalg import (LinAlgError, cholesky, det, eig, eigh, eigvals, eigvalsh,  # noqa: F401
                          inv, lstsq, matmul, matrix_norm, matrix_power, matrix_rank, multi_dot,
                          pinv, qr, slogdet, solve, solve_triangular, svd, svdvals, vecdot,
                          vector_norm)
from ._ops.linalg import linalg_cross as cross, linalg_norm as norm  # noqa: F401
from ._ops.linalg import _linalg_diagonal as diagonal  # noqa: F401

__all__ = ["LinAlgError", "cholesky", "cross", "det", "diagonal", "eig", "eigh", "eigvals",
           "eigvalsh", "inv", "lstsq", "matmul", "matrix_norm", "matrix_power", "matrix_rank", "multi_dot", "norm",
           "pinv", "qr", "slogdet", "solve", "solve_triangular", "svd", "svdvals", "vecdot",
           "vector_norm"]
