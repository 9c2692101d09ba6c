"""ember.linalg beyond products: inverses, determinants, solves, decompositions (the norms are
in norms.py).

Decompositions are ops with hand-written backward formulas (PyTorch's, from
FunctionsManual.cpp) written in Ember ops, so they can be differentiated again; pinv, lstsq
and matrix_power are compositions."""
from __future__ import annotations

import builtins
import collections

import numpy as np

from .. import _dtype
from ..autograd import grad_mode
from ..autograd.function import Op
from .._tensor import Tensor, _make
from ._registry import export
from ._util import scalar_type_name
from .linalg import _broadcast_shape, _conj, _mH, _out, matmul


class LinAlgError(RuntimeError):
    """Raised for singular or non-positive-definite input (``torch.linalg.LinAlgError``)."""


def _return_type(name: str, fields: str):
    cls = collections.namedtuple(name, fields)
    cls.__module__ = "ember.return_types"
    return cls


SVDResult = _return_type("linalg_svd", "U S Vh")
QRResult = _return_type("linalg_qr", "Q R")
EighResult = _return_type("linalg_eigh", "eigenvalues eigenvectors")
SlogdetResult = _return_type("linalg_slogdet", "sign logabsdet")
LstsqResult = _return_type("linalg_lstsq", "solution residuals rank singular_values")


def _check_matrix(A, name: str, square: bool = True, floating: bool = True) -> None:
    if not isinstance(A, Tensor):
        raise TypeError(f"{name}(): argument 'A' (position 1) must be Tensor, not "
                        f"{type(A).__name__}")
    if A.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if square and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    if floating and not (A.dtype.is_floating_point or A.dtype.is_complex):
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got "
                           f"{scalar_type_name(A.dtype)}")
    if A.dtype in (_dtype.float16, _dtype.bfloat16):
        raise RuntimeError(f"{name}: Low precision dtypes not supported. Got "
                           f"{scalar_type_name(A.dtype)}")


def _batch_prefix(A, bad_index) -> str:
    if A.ndim <= 2:
        return ""
    return f"(Batch element {bad_index}): "


def _singular_error(A: np.ndarray, name: str) -> LinAlgError:
    """PyTorch's message naming the first zero pivot of the LU factorisation."""
    mats = A.reshape((-1,) + A.shape[-2:])
    for b, m in enumerate(mats):
        try:
            from scipy.linalg import lu_factor
            import warnings
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                lu, _ = lu_factor(m, check_finite=False)
            zeros = np.flatnonzero(np.diagonal(lu) == 0)
        except ImportError:  # pragma: no cover - SciPy is optional
            zeros = [np.linalg.matrix_rank(m)] if np.linalg.matrix_rank(m) < m.shape[0] else []
        if len(zeros):
            prefix = f"(Batch element {b}): " if A.ndim > 2 else ""
            return LinAlgError(f"{name}: {prefix}The diagonal element {int(zeros[0]) + 1} is "
                               "zero, the inversion could not be completed because the input "
                               "matrix is singular.")
    return LinAlgError(f"{name}: The inversion could not be completed because the input matrix "
                       "is singular.")


# -- inverse, determinant, solve -------------------------------------------------------------------
class Inv(Op):
    _backward_name = "LinalgInvExBackward0"

    @staticmethod
    def forward(ctx, A):
        try:
            out = ctx.xp.linalg.inv(A)
        except np.linalg.LinAlgError:
            raise _singular_error(A, "linalg.inv") from None
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        inv_a, = ctx.saved_tensors
        inv_h = _mH(inv_a)
        return -matmul(matmul(inv_h, grad), inv_h)


def inv(A, *, out=None) -> Tensor:
    """Inverse of square matrices (batched)."""
    _check_matrix(A, "linalg.inv")
    return _out(Inv.apply(A), out)


class Det(Op):
    _backward_name = "LinalgDetBackward0"

    @staticmethod
    def forward(ctx, A):
        out = ctx.xp.asarray(ctx.xp.linalg.det(A), dtype=A.dtype)
        ctx.save_for_backward(A, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        A, det_a = ctx.saved_tensors
        g = grad.unsqueeze(-1).unsqueeze(-1)
        try:
            return g * _conj(det_a).unsqueeze(-1).unsqueeze(-1) * _mH(inv(A))
        except LinAlgError:
            return g * _adjugate_h(A)


def _adjugate_h(A: Tensor) -> Tensor:
    """adj(A)^H through the SVD, valid for singular A: phase(U, Vh) U diag(prod_{j!=i} S_j) Vh."""
    from .pointwise import where
    U, S, Vh = svd(A)
    n = S.shape[-1]
    others = where(_eye_mask(n, S), 1.0, S.unsqueeze(-2).expand(S.shape + (n,))).prod(-1)
    phase = _conj(Det.apply(U) * Det.apply(Vh)).unsqueeze(-1).unsqueeze(-1)
    return phase * matmul(U * others.unsqueeze(-2).to(U.dtype), Vh)


def det(A, *, out=None) -> Tensor:
    """Determinant of square matrices (batched)."""
    _check_matrix(A, "linalg.det")
    return _out(Det.apply(A), out)


class Slogdet(Op):
    _backward_name = "LinalgSlogdetBackward0"

    @staticmethod
    def forward(ctx, A):
        sign, logabs = ctx.xp.linalg.slogdet(A)
        sign = ctx.xp.asarray(sign, dtype=A.dtype)
        logabs = ctx.xp.asarray(logabs, dtype=_dtype.from_numpy_dtype(A.dtype).to_real().np)
        ctx.save_for_backward(A)
        ctx.mark_non_differentiable(sign)
        return sign, logabs

    @staticmethod
    def backward(ctx, grad_sign, grad_logabs):
        A, = ctx.saved_tensors
        return grad_logabs.unsqueeze(-1).unsqueeze(-1) * _mH(inv(A))


def slogdet(A, *, out=None) -> SlogdetResult:
    """(sign, log|det|) of square matrices; only ``logabsdet`` carries a gradient."""
    _check_matrix(A, "linalg.slogdet")
    return SlogdetResult(*Slogdet.apply(A))


@export(function=True, method=True)
def logdet(input) -> Tensor:
    """log(det(A)): nan for a negative determinant, -inf for zero."""
    sign, logabs = slogdet(input)
    from .pointwise import where
    nan = float("nan")
    return where(sign < 0, nan, logabs)


class Solve(Op):
    _backward_name = "LinalgSolveExBackward0"

    @staticmethod
    def forward(ctx, A, B):
        try:
            out = ctx.xp.linalg.solve(A, B)
        except np.linalg.LinAlgError:
            raise LinAlgError("torch.linalg.solve: The solver failed because the input matrix "
                              "is singular.") from None
        ctx.save_for_backward(A, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        A, X = ctx.saved_tensors
        grad_b = Solve.apply(_mH(A), grad)
        grad_a = -matmul(grad_b, _mH(X)) if ctx.needs_input_grad[0] else None
        return grad_a, grad_b if ctx.needs_input_grad[1] else None


def solve(A, B, *, left: bool = True, out=None) -> Tensor:
    """X with ``A @ X = B`` (``X @ A = B`` when ``left=False``); B may be a (batch of) vector."""
    _check_matrix(A, "linalg.solve")
    if A.dtype is not B.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found "
                           f"A of type {scalar_type_name(A.dtype)} and B of type "
                           f"{scalar_type_name(B.dtype)} instead")
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    if not left:
        if vector:
            raise RuntimeError("linalg.solve: Vector broadcasting of the left hand side is not "
                               "supported for left=False. In this case linalg.solve is "
                               "equivalent to B / A.squeeze(-1)")
        return _out(solve(A.mT, B.mT).mT, out)
    rhs = B.unsqueeze(-1) if vector else B
    n = A.shape[-1]
    if rhs.shape[-2] != n:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation AX = B"
                           f" ({A.shape[-2]}x{n} and {rhs.shape[-2]}x{rhs.shape[-1]})")
    batch = _broadcast_shape(A.shape[:-2], rhs.shape[:-2])
    A_b = A if tuple(A.shape[:-2]) == batch else A.expand(batch + (n, n))
    rhs = rhs if tuple(rhs.shape[:-2]) == batch else rhs.expand(batch + tuple(rhs.shape[-2:]))
    X = Solve.apply(A_b, rhs)
    return _out(X.squeeze(-1) if vector else X, out)


def solve_triangular(A, B, *, upper: bool, left: bool = True, unitriangular: bool = False,
                     out=None) -> Tensor:
    """Solve with the triangle of ``A`` (the other triangle is ignored)."""
    _check_matrix(A, "linalg.solve_triangular")
    tri = A.triu() if upper else A.tril()
    if unitriangular:
        from .diagonal import diag_embed
        tri = tri - diag_embed(tri.diagonal(0, -2, -1)) + \
            diag_embed(tri.new_ones(tri.shape[:-1]))
    return solve(tri, B, left=left, out=out)


# -- decompositions --------------------------------------------------------------------------------
class Cholesky(Op):
    _backward_name = "LinalgCholeskyExBackward0"

    @staticmethod
    def forward(ctx, A):
        try:
            L = ctx.xp.linalg.cholesky(A)
        except np.linalg.LinAlgError:
            raise _not_pd(A) from None
        ctx.save_for_backward(L)
        return L

    @staticmethod
    def backward(ctx, grad):
        L, = ctx.saved_tensors
        phi = matmul(_mH(L), grad).tril()
        phi = phi - 0.5 * _diag_part(phi)
        L_inv = inv(L)
        grad_a = matmul(matmul(_mH(L_inv), phi), L_inv)
        return 0.5 * (grad_a + _mH(grad_a))


def _diag_part(t: Tensor) -> Tensor:
    from .diagonal import diag_embed
    return diag_embed(t.diagonal(0, -2, -1))


def _not_pd(A: np.ndarray) -> LinAlgError:
    mats = A.reshape((-1,) + A.shape[-2:])
    for b, m in enumerate(mats):
        for k in range(1, m.shape[-1] + 1):
            try:
                np.linalg.cholesky(m[:k, :k])
            except np.linalg.LinAlgError:
                prefix = f"(Batch element {b}): " if A.ndim > 2 else ""
                return LinAlgError(f"linalg.cholesky: {prefix}The factorization could not be "
                                   f"completed because the input is not positive-definite (the "
                                   f"leading minor of order {k} is not positive-definite).")
    return LinAlgError("linalg.cholesky: The factorization could not be completed because the "
                       "input is not positive-definite.")


def cholesky(A, *, upper: bool = False, out=None) -> Tensor:
    """L with ``A = L @ L^H`` (U with ``A = U^H @ U`` when ``upper``)."""
    _check_matrix(A, "linalg.cholesky")
    L = Cholesky.apply(A)
    return _out(_mH(L) if upper else L, out)


class QR(Op):
    _backward_name = "LinalgQrBackward0"

    @staticmethod
    def forward(ctx, A, mode):
        ctx.mode = mode
        if mode == "r":
            R = ctx.xp.linalg.qr(A, mode="r")
            return ctx.xp.zeros((0,), dtype=A.dtype), R
        Q, R = ctx.xp.linalg.qr(A, mode=mode)
        ctx.save_for_backward(Q, R)
        ctx.m, ctx.n = A.shape[-2:]
        return Q, R

    @staticmethod
    def backward(ctx, grad_q, grad_r):
        if ctx.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed "
                               "when mode='r'. Please use linalg.qr(A, mode='reduced') if you "
                               "are going to differentiate through linalg.qr.")
        if ctx.mode == "complete" and ctx.m > ctx.n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' "
                               "and nrows > ncols.")
        if ctx.m < ctx.n:
            raise NotImplementedError("linalg.qr backward for wide matrices (m < n) is not "
                                      "implemented in Ember")
        Q, R = ctx.saved_tensors
        # gA = [gQ + Q syminvadj(triu(gR R^H - Q^H gQ))] R^{-H}
        M = matmul(grad_r, _mH(R)) - matmul(_mH(Q), grad_q)
        M = M.triu()
        diag = M.diagonal(0, -2, -1)
        if diag.is_complex():
            diag = diag.real.to(M.dtype)
        M = M + _mH(M) - diag.diag_embed()
        grad_a = grad_q + matmul(Q, M)
        return _mH(solve_triangular(R, _mH(grad_a), upper=True)), None


def qr(A, mode: str = "reduced", *, out=None) -> QRResult:
    """Q (orthonormal columns) and R (upper triangular) with ``A = Q @ R``."""
    if mode not in ("reduced", "r", "complete"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    _check_matrix(A, "linalg.qr", square=False)
    return QRResult(*QR.apply(A, mode))


class Eigh(Op):
    _backward_name = "LinalgEighBackward0"

    @staticmethod
    def forward(ctx, A, uplo):
        try:
            values, vectors = ctx.xp.linalg.eigh(A, UPLO=uplo)
        except np.linalg.LinAlgError:
            raise LinAlgError("linalg.eigh: The algorithm failed to converge because the input "
                              "matrix is ill-conditioned or has too many repeated eigenvalues "
                              "(error code: 1).") from None
        ctx.save_for_backward(values, vectors)
        return values, vectors

    @staticmethod
    def backward(ctx, grad_values, grad_vectors):
        L, V = ctx.saved_tensors
        VhgV = matmul(_mH(V), grad_vectors.to(V.dtype))
        VhgV = 0.5 * (VhgV - _mH(VhgV))
        E = L.unsqueeze(-2) - L.unsqueeze(-1)
        from .pointwise import where
        eye_mask = _eye_mask(L.shape[-1], L)
        middle = where(eye_mask, grad_values.unsqueeze(-1).expand(E.shape).to(VhgV.dtype),
                       VhgV / where(eye_mask, 1.0, E))
        return matmul(matmul(V, middle), _mH(V)), None


def _eye_mask(n: int, like: Tensor) -> Tensor:
    return _make(np.eye(n, dtype=bool), like.device)


def eigh(A, UPLO: str = "L", *, out=None) -> EighResult:
    """Eigenvalues (ascending) and eigenvectors of Hermitian matrices (one triangle is read)."""
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    _check_matrix(A, "linalg.eigh")
    return EighResult(*Eigh.apply(A, UPLO))


def eigvalsh(A, UPLO: str = "L", *, out=None) -> Tensor:
    """Eigenvalues (ascending) of Hermitian matrices."""
    if not (A._requires_grad and grad_mode.state.enabled):
        _check_matrix(A, "linalg.eigvalsh")
        values = np.linalg.eigvalsh(A._data, UPLO=UPLO)
        return _out(_make(values, A.device), out)
    return _out(eigh(A, UPLO).eigenvalues, out)


EigResult = _return_type("linalg_eig", "eigenvalues eigenvectors")


class Eig(Op):
    _backward_name = "LinalgEigBackward0"

    @staticmethod
    def forward(ctx, A):
        cplx = np.complex128 if A.dtype in (np.float64, np.complex128) else np.complex64
        try:
            values, vectors = ctx.xp.linalg.eig(A)
        except np.linalg.LinAlgError:
            raise LinAlgError("linalg.eig: The algorithm failed to converge.") from None
        values, vectors = values.astype(cplx), vectors.astype(cplx)
        ctx.real_input = A.dtype.kind == "f"
        ctx.save_for_backward(values, vectors)
        return values, vectors

    @staticmethod
    def backward(ctx, grad_values, grad_vectors):
        from .pointwise import where
        L, V = ctx.saved_tensors
        grad_values, grad_vectors = grad_values.to(L.dtype), grad_vectors.to(V.dtype)
        Vh = _mH(V)
        VhgV = matmul(Vh, grad_vectors)
        diag_re = VhgV.diagonal(0, -2, -1).real.to(V.dtype)
        VhgV = VhgV - matmul(Vh, V * diag_re.unsqueeze(-2))
        Lc = L.conj()
        eye_mask = _eye_mask(L.shape[-1], L)
        E = where(eye_mask, 1.0, Lc.unsqueeze(-2) - Lc.unsqueeze(-1))
        middle = where(eye_mask, grad_values.unsqueeze(-1).expand(E.shape), VhgV / E)
        grad_a = solve(Vh, matmul(middle, Vh))
        return grad_a.real if ctx.real_input else grad_a


def eig(A, *, out=None) -> EigResult:
    """Eigenvalues and eigenvectors of general square matrices (always complex)."""
    _check_matrix(A, "linalg.eig")
    return EigResult(*Eig.apply(A))


def eigvals(A, *, out=None) -> Tensor:
    """Eigenvalues of general square matrices (complex)."""
    return _out(eig(A).eigenvalues, out)


class SVD(Op):
    _backward_name = "LinalgSvdBackward0"

    @staticmethod
    def forward(ctx, A, full_matrices):
        try:
            U, S, Vh = ctx.xp.linalg.svd(A, full_matrices=full_matrices)
        except np.linalg.LinAlgError:
            raise LinAlgError("linalg.svd: The algorithm failed to converge because the input "
                              "matrix is ill-conditioned or has too many repeated singular "
                              "values (error code: 1).") from None
        ctx.save_for_backward(U, S, Vh)
        return U, S, Vh

    @staticmethod
    def backward(ctx, gU, gS, gVh):
        U, S, Vh = ctx.saved_tensors
        gU, gVh = gU.to(U.dtype), gVh.to(U.dtype)  # zeros filled in by the engine may be real
        m, n = U.shape[-2], Vh.shape[-1]
        k = S.shape[-1]
        U, Vh = U[..., :, :k], Vh[..., :k, :]
        gU, gVh = gU[..., :, :k], gVh[..., :k, :]
        V, gV = _mH(Vh), _mH(gVh)
        from .pointwise import where
        eye_mask = _eye_mask(k, S)
        UhgU = matmul(_mH(U), gU)
        VhgV = matmul(_mH(V), gV)
        UhgU = UhgU - _mH(UhgU)
        VhgV = VhgV - _mH(VhgV)
        S2 = S * S
        E = S2.unsqueeze(-2) - S2.unsqueeze(-1)
        E = where(eye_mask, 1.0, E)
        gA = (UhgU * S.unsqueeze(-2) + S.unsqueeze(-1) * VhgV) / E
        gA = where(eye_mask, 0.0, gA) + gS.to(gA.dtype).diag_embed()
        if gA.is_complex():  # the phase of each singular pair: Im(diag(U^H gU)) / S
            gA = gA + (UhgU.diagonal(0, -2, -1) / (2 * S)).diag_embed()
        if m > k:  # gA = [U gA + (I - U U^H) gU S^-1] V^H
            gUSinv = gU / S.unsqueeze(-2)
            gA = matmul(U, gA) + gUSinv - matmul(U, matmul(_mH(U), gUSinv))
            return matmul(gA, Vh), None
        if n > k:  # gA = U [gA V^H + S^-1 gV^H (I - V V^H)]
            gVSinv_h = _mH(gV / S.unsqueeze(-2))
            gA = matmul(gA, Vh) + gVSinv_h - matmul(matmul(gVSinv_h, V), Vh)
            return matmul(U, gA), None
        return matmul(matmul(U, gA), Vh), None


def svd(A, full_matrices: bool = True, *, driver=None, out=None) -> SVDResult:
    """U, S (descending), Vh with ``A = U @ diag(S) @ Vh``."""
    _check_matrix(A, "linalg.svd", square=False)
    return SVDResult(*SVD.apply(A, bool(full_matrices)))


def svdvals(A, *, driver=None, out=None) -> Tensor:
    """Singular values (descending)."""
    _check_matrix(A, "linalg.svdvals", square=False)
    if not (A._requires_grad and grad_mode.state.enabled):
        return _out(_make(np.linalg.svd(A._data, compute_uv=False), A.device), out)
    return _out(svd(A, full_matrices=False).S, out)


# -- composites ------------------------------------------------------------------------------------
def _default_rtol(A: Tensor, atol, rtol):
    if rtol is None:
        eps = np.finfo(A.dtype.to_real().np).eps
        rtol = 0.0 if atol is not None and _positive(atol) else eps * builtins.max(A.shape[-2:])
    return 0.0 if atol is None else atol, rtol


def _positive(value) -> bool:
    return bool((value._data > 0).any()) if isinstance(value, Tensor) else value > 0


def _tol_array(value, like: np.ndarray):
    return value._data[..., None] if isinstance(value, Tensor) else value


def pinv(A, *, atol=None, rtol=None, hermitian: bool = False, out=None) -> Tensor:
    """Moore-Penrose pseudo-inverse; singular values below max(atol, rtol * max(S)) dropped."""
    _check_matrix(A, "linalg.pinv", square=hermitian)
    atol, rtol = _default_rtol(A, atol, rtol)
    from .pointwise import where
    if hermitian:
        values, vectors = eigh(A)
        mags = np.abs(values._data)
        cutoff = np.maximum(_tol_array(atol, mags), _tol_array(rtol, mags) *
                            mags.max(-1, keepdims=True, initial=0))
        keep = _make(mags > cutoff, A.device)
        inv_vals = where(keep, 1 / where(keep, values, 1.0), 0.0)
        return _out(matmul(vectors * inv_vals.unsqueeze(-2).to(vectors.dtype), _mH(vectors)),
                    out)
    U, S, Vh = svd(A, full_matrices=False)
    s = S._data
    cutoff = np.maximum(_tol_array(atol, s), _tol_array(rtol, s) *
                        s.max(-1, keepdims=True, initial=0))
    keep = _make(s > cutoff, A.device)
    inv_s = where(keep, 1 / where(keep, S, 1.0), 0.0)
    return _out(matmul(_mH(Vh) * inv_s.unsqueeze(-2).to(U.dtype), _mH(U)), out)


def matrix_rank(A, *, atol=None, rtol=None, hermitian: bool = False, out=None) -> Tensor:
    """Number of singular values above max(atol, rtol * max(S)) (int64)."""
    _check_matrix(A, "linalg.matrix_rank", square=hermitian)
    atol, rtol = _default_rtol(A, atol, rtol)
    data = A._data
    s = np.abs(np.linalg.eigvalsh(data)) if hermitian else np.linalg.svd(data, compute_uv=False)
    cutoff = np.maximum(_tol_array(atol, s), _tol_array(rtol, s) *
                        s.max(-1, keepdims=True, initial=0))
    return _out(_make((s > cutoff).sum(-1).astype(np.int64), A.device), out)


def matrix_power(A, n: int, *, out=None) -> Tensor:
    """``A`` multiplied by itself ``n`` times (``inv(A)`` for negative ``n``; I for 0)."""
    _check_matrix(A, "linalg.matrix_power", floating=n < 0)
    if n == 0:
        from .creation import eye
        e = eye(A.shape[-1], dtype=A.dtype, device=A.device)
        return _out(e.expand(A.shape).clone(), out)
    if n < 0:
        A, n = inv(A), -n
    result, base = None, A
    while n:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return _out(result, out)


def lstsq(A, B, rcond=None, *, driver=None) -> LstsqResult:
    """Least-squares solution of ``A X = B`` (via the pseudo-inverse, so it is differentiable).

    As PyTorch on CPU: the default driver 'gelsy' returns the rank but no residuals or singular
    values; 'gelsd' and 'gelss' return singular values and, for tall full-rank A, residuals.
    """
    _check_matrix(A, "linalg.lstsq", square=False)
    if driver not in (None, "gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError(f"torch.linalg.lstsq: parameter `driver` should be one of (gels, "
                           f"gelsy, gelsd, gelss), but got {driver}")
    driver = driver or "gelsy"
    if A.dtype is not B.dtype:
        raise RuntimeError(f"torch.linalg.lstsq: Expected input and other to have the same "
                           f"dtype, but got input's dtype {A.dtype} and other's dtype "
                           f"{B.dtype}")
    vector = B.ndim == A.ndim - 1
    rhs = B.unsqueeze(-1) if vector else B
    m, n = A.shape[-2:]
    if rhs.shape[-2] != m:
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    eps = np.finfo(A.dtype.to_real().np).eps
    rtol = eps * builtins.max(m, n) if rcond is None or rcond < 0 else rcond
    X = matmul(pinv(A, rtol=rtol), rhs)
    real = A.dtype.to_real()
    empty = _make(np.zeros((0,), dtype=real.np), A.device)
    s = np.linalg.svd(A._data, compute_uv=False)
    rank_arr = (s > rtol * s.max(-1, keepdims=True, initial=0)).sum(-1).astype(np.int64)
    rank = _make(rank_arr, A.device) if driver != "gels" else \
        _make(np.zeros((0,), dtype=np.int64), A.device)
    svals = _make(s, A.device) if driver in ("gelsd", "gelss") else empty
    residuals = empty
    if driver != "gelsy" and m > n and bool((rank_arr == n).all()):
        diff = matmul(A, X) - rhs
        residuals = (diff.abs() ** 2).sum(-2) if diff.is_complex() else (diff * diff).sum(-2)
        if vector:
            residuals = residuals.squeeze(-1)
    return LstsqResult(X.squeeze(-1) if vector else X, residuals, rank, svals)


def _linalg_diagonal(A, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    return A.diagonal(offset, dim1, dim2)


@export
def pinverse(input, rcond: float = 1e-15) -> Tensor:
    """Pseudo-inverse with singular values below ``rcond * max(S)`` dropped."""
    return pinv(input, rtol=rcond)


export(inv, name="inverse")
export(det, name="det")
export(slogdet, name="slogdet")
export(matrix_power, name="matrix_power")


@export
def cholesky_inverse(input, upper: bool = False, *, out=None) -> Tensor:
    """Inverse of ``A`` from its Cholesky factor."""
    L = _mH(input) if upper else input
    return _out(inv(matmul(L, _mH(L))), out)
