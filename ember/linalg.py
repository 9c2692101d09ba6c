"""ember.linalg: linear algebra (``torch.linalg``). The ops live in ``ember/_ops/decomposition.py``
(norms in ``ember/_ops/norms.py``; matmul, cross, multi_dot and vecdot in
``ember/_ops/linalg.py``)."""
from __future__ import annotations

from ._ops.decomposition import (LinAlgError, cholesky, det, eig, eigh, eigvals,  # noqa: F401
                                 eigvalsh, inv, lstsq, matrix_power, matrix_rank, pinv, qr,
                                 slogdet, solve, solve_triangular, svd, svdvals)
from ._ops.decomposition import _linalg_diagonal as diagonal  # noqa: F401
from ._ops.linalg import linalg_cross as cross, matmul, multi_dot, vecdot  # noqa: F401
from ._ops.norms import linalg_norm as norm, matrix_norm, vector_norm  # noqa: F401

__all__ = ["LinAlgError", "cholesky", "cross", "det", "diagonal", "eig", "eigh", "eigvals",
           "eigvalsh", "inv", "lstsq", "matmul", "matrix_norm", "matrix_power", "matrix_rank", "multi_dot", "norm",
           "pinv", "qr", "slogdet", "solve", "solve_triangular", "svd", "svdvals", "vecdot",
           "vector_norm"]
