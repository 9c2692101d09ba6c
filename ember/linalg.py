"""ember.linalg: linear algebra (``torch.linalg``). The ops live in ``ember/_ops/decomposition.py``
(matmul and cross in ``ember/_ops/linalg.py``)."""
from __future__ import annotations

from ._ops.decomposition import (LinAlgError, cholesky, det, eig, eigh, eigvals,  # noqa: F401
                                 eigvalsh, inv, lstsq, matrix_norm, matrix_power, matrix_rank,
                                 multi_dot, pinv, qr, slogdet, solve, solve_triangular, svd,
                                 svdvals, vecdot, vector_norm)
from ._ops.decomposition import linalg_norm as norm  # noqa: F401
from ._ops.decomposition import _linalg_diagonal as diagonal  # noqa: F401
from ._ops.linalg import linalg_cross as cross, matmul  # noqa: F401

__all__ = ["LinAlgError", "cholesky", "cross", "det", "diagonal", "eig", "eigh", "eigvals",
           "eigvalsh", "inv", "lstsq", "matmul", "matrix_norm", "matrix_power", "matrix_rank", "multi_dot", "norm",
           "pinv", "qr", "slogdet", "solve", "solve_triangular", "svd", "svdvals", "vecdot",
           "vector_norm"]
