"""Matrix products, einsum and ember.linalg: values, PyTorch's errors, and gradients."""
import numpy as np
import pytest

import ember
from tests.conftest import check_grad


def _r(*shape, dtype=ember.float64, seed=0):
    return ember.tensor(np.random.default_rng(seed).standard_normal(shape), dtype=dtype)


def _spd(x):
    """A symmetric positive-definite matrix from any square ``x`` (differentiable)."""
    n = x.shape[-1]
    return x @ x.mT + n * ember.eye(n, dtype=x.dtype)


# -- products -----------------------------------------------------------------------------------
def test_mm_shape_error_message():
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied "
                                           r"\(64x784 and 512x10\)"):
        ember.mm(ember.zeros(64, 784), ember.zeros(512, 10))


def test_matmul_dtype_mismatch_error():
    with pytest.raises(RuntimeError, match="expected m1 and m2 to have the same dtype, but got: "
                                           "float != double"):
        ember.zeros(2, 3) @ ember.zeros(3, 2, dtype=ember.float64)


def test_mm_requires_matrices():
    with pytest.raises(RuntimeError, match="self must be a matrix"):
        ember.mm(ember.zeros(3), ember.zeros(3, 2))


def test_bmm_mismatch_message():
    with pytest.raises(RuntimeError, match=r"Expected size for first two dimensions of batch2 "
                                           r"tensor to be: \[2, 4\] but got: \[2, 5\]."):
        ember.bmm(ember.zeros(2, 3, 4), ember.zeros(2, 5, 6))


def test_mv_dot_errors():
    with pytest.raises(RuntimeError, match=r"size mismatch, got input \(2\), mat \(2x3\), vec "
                                           r"\(4\)"):
        ember.mv(ember.zeros(2, 3), ember.zeros(4))
    with pytest.raises(RuntimeError, match="1D tensors expected, but got 2D and 2D tensors"):
        ember.dot(ember.zeros(2, 3), ember.zeros(4, 1))
    with pytest.raises(RuntimeError, match="dot : expected both vectors to have same dtype, but "
                                           "found Float and Double"):
        ember.dot(ember.zeros(3), ember.zeros(3, dtype=ember.float64))


def test_products_match_numpy():
    a, b, v = _r(3, 4), _r(4, 2, seed=1), _r(4, seed=2)
    np.testing.assert_allclose(ember.mm(a, b).numpy(), a.numpy() @ b.numpy())
    np.testing.assert_allclose(ember.mv(a, v).numpy(), a.numpy() @ v.numpy())
    np.testing.assert_allclose(ember.dot(v, v).item(), v.numpy() @ v.numpy())
    np.testing.assert_allclose(ember.outer(v, v).numpy(), np.outer(v.numpy(), v.numpy()))
    np.testing.assert_allclose(ember.kron(a, b).numpy(), np.kron(a.numpy(), b.numpy()))
    np.testing.assert_allclose(ember.tensordot(a, b, 1).numpy(),
                               np.tensordot(a.numpy(), b.numpy(), 1))
    np.testing.assert_allclose(ember.inner(a, v).numpy(), np.inner(a.numpy(), v.numpy()))


def test_matmul_grads_batched_and_vectors():
    check_grad(lambda a, b: a @ b, (2, 3, 4), (4, 2))
    check_grad(lambda a, b: a @ b, (4,), (3, 4, 2))
    check_grad(lambda a, b: ember.bmm(a, b), (2, 3, 4), (2, 4, 1))
    check_grad(lambda a, b: ember.dot(a, b), (3,), (3,))


@pytest.mark.parametrize("op,shapes", [
    (ember.addmm, ((2, 3), (2, 4), (4, 3))), (ember.addmv, ((2,), (2, 4), (4,))),
    (ember.addbmm, ((2, 3), (5, 2, 4), (5, 4, 3))), (ember.baddbmm, ((5, 2, 3), (5, 2, 4),
                                                                    (5, 4, 3))),
    (ember.addr, ((2, 3), (2,), (3,))),
])
def test_add_products_beta_alpha_grad(op, shapes):
    check_grad(lambda c, a, b: op(c, a, b, beta=0.5, alpha=2.0), *shapes)


def test_addmm_beta_zero_ignores_nan():
    c = ember.full((2, 2), float("nan"))
    out = ember.addmm(c, ember.eye(2), ember.eye(2), beta=0)
    assert out.tolist() == [[1.0, 0.0], [0.0, 1.0]]


def test_kron_tensordot_inner_cross_grads():
    check_grad(lambda a, b: ember.kron(a, b), (2, 3), (2, 2))
    check_grad(lambda a, b: ember.tensordot(a, b, ([0, 2], [1, 0])), (2, 3, 4), (4, 2, 5))
    check_grad(lambda a, b: ember.inner(a, b), (2, 3), (4, 3))
    check_grad(lambda a, b: ember.linalg.cross(a, b), (2, 3), (1, 3))


def test_cross_default_dim_is_first_size_3():
    a, b = _r(3, 2), _r(3, 2, seed=1)
    np.testing.assert_allclose(ember.cross(a, b).numpy(), np.cross(a.numpy(), b.numpy(), axis=0))


def test_trace_integer_is_long():
    out = ember.trace(ember.ones(2, 3, dtype=ember.int32))
    assert out.item() == 2 and out.dtype is ember.int64
    with pytest.raises(RuntimeError, match="trace: expected a matrix, but got tensor with dim 3"):
        ember.trace(ember.zeros(2, 2, 2))


# -- einsum -------------------------------------------------------------------------------------
@pytest.mark.parametrize("eq,shapes", [
    ("ij,jk->ik", ((2, 3), (3, 4))), ("bij,bjk->bik", ((2, 2, 3), (2, 3, 4))),
    ("ii->i", ((3, 3),)), ("ii", ((3, 3),)), ("ij->", ((2, 3),)), ("ij", ((2, 3),)),
    ("ji", ((2, 3),)), ("i,j->ij", ((2,), (3,))), ("...ij,...jk", ((2, 2, 3), (3, 4))),
    ("bn,anm,bm->ba", ((2, 3), (4, 3, 5), (2, 5))), ("i,i,i->", ((3,), (3,), (3,))),
])
def test_einsum_matches_numpy_and_grads(eq, shapes):
    ops = [_r(*s, seed=i) for i, s in enumerate(shapes)]
    np.testing.assert_allclose(ember.einsum(eq, *ops).numpy(),
                               np.einsum(eq, *[o.numpy() for o in ops]), rtol=1e-10, atol=1e-12)
    check_grad(lambda *xs: ember.einsum(eq, *xs), *shapes)


def test_einsum_operand_list_and_sublist_formats():
    a, b = _r(2, 3), _r(3, 4, seed=1)
    want = (a @ b).numpy()
    np.testing.assert_allclose(ember.einsum("ij,jk->ik", [a, b]).numpy(), want)
    np.testing.assert_allclose(ember.einsum(a, [0, 1], b, [1, 2], [0, 2]).numpy(), want)


def test_einsum_broadcasts_size_one():
    a, b = _r(2, 1), _r(1, 3, seed=1)
    assert ember.einsum("ij,ij->ij", a, b).shape == (2, 3)
    check_grad(lambda a, b: ember.einsum("ij,ij->ij", a, b), (2, 1), (1, 3))


def test_einsum_errors():
    with pytest.raises(RuntimeError, match="subscript j has size 4 for operand 1 which does not "
                                           "broadcast with previously seen size 3"):
        ember.einsum("ij,jk->ik", ember.zeros(2, 3), ember.zeros(4, 4))
    with pytest.raises(RuntimeError, match="fewer operands were provided"):
        ember.einsum("ij,jk", ember.zeros(2, 3))


# -- decompositions -------------------------------------------------------------------------------
def test_inv_det_slogdet_match_numpy():
    a = _r(2, 3, 3)
    np.testing.assert_allclose(ember.linalg.inv(a).numpy(), np.linalg.inv(a.numpy()))
    np.testing.assert_allclose(ember.linalg.det(a).numpy(), np.linalg.det(a.numpy()))
    sign, logabs = ember.linalg.slogdet(a)
    want_sign, want_log = np.linalg.slogdet(a.numpy())
    np.testing.assert_allclose(sign.numpy(), want_sign)
    np.testing.assert_allclose(logabs.numpy(), want_log)


def test_inv_singular_is_linalg_error():
    with pytest.raises(ember.linalg.LinAlgError, match="The diagonal element 2 is zero"):
        ember.linalg.inv(ember.tensor([[1.0, 2.0], [2.0, 4.0]]))
    assert issubclass(ember.linalg.LinAlgError, RuntimeError)


def test_square_and_dtype_checks():
    with pytest.raises(RuntimeError, match="linalg.inv: A must be batches of square matrices, "
                                           "but they are 2 by 3 matrices"):
        ember.linalg.inv(ember.zeros(2, 3))
    with pytest.raises(RuntimeError, match="linalg.inv: Expected a floating point or complex "
                                           "tensor as input. Got Long"):
        ember.linalg.inv(ember.zeros(2, 2, dtype=ember.int64))


def test_inv_det_slogdet_grads():
    check_grad(lambda a: ember.linalg.inv(a), (2, 3, 3))
    check_grad(lambda a: ember.linalg.det(a), (3, 3))
    check_grad(lambda a: ember.linalg.slogdet(a).logabsdet, (2, 3, 3))


def test_solve_forms_and_grads():
    a, b = _r(3, 3), _r(3, 2, seed=1)
    np.testing.assert_allclose(ember.linalg.solve(a, b).numpy(),
                               np.linalg.solve(a.numpy(), b.numpy()))
    v = _r(3, seed=2)
    np.testing.assert_allclose(ember.linalg.solve(a, v).numpy(),
                               np.linalg.solve(a.numpy(), v.numpy()))
    x = ember.linalg.solve(a, b.mT, left=False)
    np.testing.assert_allclose((x @ a).numpy(), b.mT.numpy(), atol=1e-12)
    check_grad(lambda a, b: ember.linalg.solve(a, b), (2, 3, 3), (3, 2))
    check_grad(lambda a, b: ember.linalg.solve(a, b), (3, 3), (3,))


def test_cholesky_values_errors_and_grad():
    a = _spd(_r(3, 3))
    np.testing.assert_allclose(ember.linalg.cholesky(a).numpy(), np.linalg.cholesky(a.numpy()))
    u = ember.linalg.cholesky(a, upper=True)
    np.testing.assert_allclose((u.mT @ u).numpy(), a.numpy())
    with pytest.raises(ember.linalg.LinAlgError, match="the leading minor of order 1 is not "
                                                       "positive-definite"):
        ember.linalg.cholesky(-ember.eye(2))
    check_grad(lambda x: ember.linalg.cholesky(_spd(x)), (2, 3, 3))


def test_qr_reconstructs_and_grad():
    a = _r(4, 3)
    q, r = ember.linalg.qr(a)
    np.testing.assert_allclose((q @ r).numpy(), a.numpy(), atol=1e-12)
    assert ember.linalg.qr(a, mode="complete").Q.shape == (4, 4)
    assert ember.linalg.qr(a, mode="r").Q.shape == (0,)
    check_grad(lambda x: ember.linalg.qr(x).Q, (4, 3))
    check_grad(lambda x: ember.linalg.qr(x).R, (2, 3, 3))


def test_eigh_values_and_grad():
    a = _spd(_r(3, 3))
    w, v = ember.linalg.eigh(a)
    np.testing.assert_allclose(w.numpy(), np.linalg.eigvalsh(a.numpy()))
    np.testing.assert_allclose(ember.linalg.eigvalsh(a).numpy(), w.numpy())
    check_grad(lambda x: ember.linalg.eigh(x + x.mT).eigenvalues, (3, 3))
    check_grad(lambda x: ember.linalg.eigh(x + x.mT).eigenvectors.abs(), (3, 3),
               gradgrad=False)


@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (2, 3, 3)])
def test_svd_reconstructs_and_grads(shape):
    a = _r(*shape)
    u, s, vh = ember.linalg.svd(a, full_matrices=False)
    np.testing.assert_allclose((u * s.unsqueeze(-2) @ vh).numpy(), a.numpy(), atol=1e-12)
    np.testing.assert_allclose(ember.linalg.svdvals(a).numpy(),
                               np.linalg.svd(a.numpy(), compute_uv=False))
    check_grad(lambda x: ember.linalg.svdvals(x), shape)
    check_grad(lambda x: (lambda r: (r.U ** 2, r.Vh ** 2))(ember.linalg.svd(x, False)), shape,
               gradgrad=False)


def test_svd_full_matrices_shapes():
    u, s, vh = ember.linalg.svd(_r(4, 2))
    assert u.shape == (4, 4) and s.shape == (2,) and vh.shape == (2, 2)


def test_pinv_lstsq_matrix_power():
    a = _r(4, 3)
    np.testing.assert_allclose(ember.linalg.pinv(a).numpy(), np.linalg.pinv(a.numpy()),
                               atol=1e-12)
    b = _r(4, 2, seed=1)
    sol = ember.linalg.lstsq(a, b)
    np.testing.assert_allclose(sol.solution.numpy(),
                               np.linalg.lstsq(a.numpy(), b.numpy(), rcond=None)[0], atol=1e-12)
    assert sol.rank.item() == 3 and sol.residuals.shape == (0,)
    m = _r(3, 3)
    np.testing.assert_allclose(ember.linalg.matrix_power(m, 3).numpy(),
                               np.linalg.matrix_power(m.numpy(), 3))
    np.testing.assert_allclose(ember.linalg.matrix_power(m, -2).numpy(),
                               np.linalg.matrix_power(m.numpy(), -2), rtol=1e-10)
    check_grad(lambda x: ember.linalg.pinv(x), (4, 3))
    check_grad(lambda x: ember.linalg.matrix_power(x, -3), (3, 3))


def test_matrix_rank():
    a = ember.tensor([[1.0, 2.0], [2.0, 4.0]])
    assert ember.linalg.matrix_rank(a).item() == 1


# -- norms -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("ord", [2, 1, 0, 3.5, float("inf"), -float("inf"), 0.5])
def test_vector_norm_matches_numpy_and_grads(ord):
    x = _r(3, 4)
    np.testing.assert_allclose(ember.linalg.vector_norm(x, ord, dim=1).numpy(),
                               np.linalg.norm(x.numpy(), ord, axis=1))
    check_grad(lambda x: ember.linalg.vector_norm(x, ord, dim=(0, 1)), (3, 4),
               gradgrad=ord not in (0, float("inf"), -float("inf")))


def test_vector_norm_zero_input_grad_is_zero():
    x = ember.zeros(3, requires_grad=True)
    ember.linalg.vector_norm(x).backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("ord", ["fro", "nuc", 1, -1, 2, -2, float("inf"), -float("inf")])
def test_matrix_norm_matches_numpy(ord):
    x = _r(2, 3, 4)
    np.testing.assert_allclose(ember.linalg.matrix_norm(x, ord).numpy(),
                               np.linalg.norm(x.numpy(), ord, axis=(-2, -1)), rtol=1e-10)
    assert ember.linalg.matrix_norm(x, ord, keepdim=True).shape == (2, 1, 1)


def test_norm_dispatch_and_errors():
    x = _r(3, 3)
    np.testing.assert_allclose(ember.linalg.norm(x).item(), np.linalg.norm(x.numpy()))
    np.testing.assert_allclose(x.norm(1).item(), np.abs(x.numpy()).sum())
    with pytest.raises(RuntimeError, match="linalg.matrix_norm: Order 3 not supported."):
        ember.linalg.matrix_norm(x, 3)
    with pytest.raises(RuntimeError, match="If dim is not specified but ord is, the input must "
                                           "be 1D or 2D. Got 3D."):
        ember.linalg.norm(ember.ones(2, 2, 2), 2)
    with pytest.raises(RuntimeError, match="linalg.vector_norm: Expected a floating point"):
        ember.linalg.vector_norm(ember.ones(3, dtype=ember.int64))


def test_det_grad_of_singular_matrix_is_the_cofactor_matrix():
    a = ember.tensor([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 1.0, 1.0]], dtype=ember.float64,
                     requires_grad=True)
    ember.linalg.det(a).backward()
    cofactors = [[-2.0, -2.0, 2.0], [1.0, 1.0, -1.0], [0.0, 0.0, 0.0]]
    np.testing.assert_allclose(a.grad.numpy(), cofactors, atol=1e-12)


def test_cdist_matches_numpy_and_errors():
    a, b = _r(4, 3), _r(5, 3, seed=1)
    want = np.sqrt(((a.numpy()[:, None] - b.numpy()[None]) ** 2).sum(-1))
    np.testing.assert_allclose(ember.cdist(a, b).numpy(), want)
    with pytest.raises(RuntimeError, match="X1 and X2 must have the same number of columns"):
        ember.cdist(_r(2, 3), _r(2, 4))
    check_grad(lambda a, b: ember.cdist(a, b, p=3), (3, 2), (4, 2))


def test_eig_general_matrix_values_and_grad():
    a = _r(3, 3)
    w, v = ember.linalg.eig(a)
    assert w.dtype is ember.complex128 and v.dtype is ember.complex128
    np.testing.assert_allclose((a.to(ember.complex128) @ v).numpy(), (v * w).numpy(),
                               atol=1e-12)
    check_grad(lambda x: ember.linalg.eigvals(x).real, (3, 3), gradgrad=False)
