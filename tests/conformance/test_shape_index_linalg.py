"""Shape, indexing, linear-algebra and random ops against PyTorch.

Each spec is one function ``fn(lib, *inputs)`` run with ``lib`` = ember and = torch on the same
float64 inputs; outputs and the gradients of a random weighted sum of them must agree. Random
ops are compared on shape and dtype only (the streams differ by design).
"""
from collections import namedtuple

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.filterwarnings("ignore:index_reduce\\(\\) is in beta"),
              pytest.mark.filterwarnings("ignore:torch.chain_matmul is deprecated")]

Spec = namedtuple("Spec", "name fn shapes domain grad")


def _s(name, fn, shapes=((3, 4),), domain="real", grad=True):
    return Spec(name, fn, shapes, domain, grad)


def _idx(m, values):
    return m.tensor(values)


def _spd(m, x):
    return x @ x.mT + 3 * m.eye(x.shape[-1], dtype=x.dtype)


SPECS = [
    # joining and splitting
    _s("cat", lambda m, a, b: m.cat([a, b], 1), ((3, 4), (3, 2))),
    _s("concatenate", lambda m, a, b: m.concatenate((a, b), dim=-2), ((3, 4), (1, 4))),
    _s("stack", lambda m, a, b: m.stack([a, b], dim=1), ((3, 4), (3, 4))),
    _s("hstack", lambda m, a, b: m.hstack([a, b]), ((3, 4), (3, 1))),
    _s("vstack", lambda m, a, b: m.vstack([a, b]), ((4,), (2, 4))),
    _s("dstack", lambda m, a, b: m.dstack([a, b]), ((3, 4), (3, 4))),
    _s("column_stack", lambda m, a, b: m.column_stack([a, b]), ((3,), (3, 2))),
    _s("split_int", lambda m, x: x.split(3, 1), ((3, 7),)),
    _s("split_sizes", lambda m, x: m.split(x, [1, 2], 0)),
    _s("tensor_split", lambda m, x: m.tensor_split(x, 3, 1), ((3, 7),)),
    _s("tensor_split_idx", lambda m, x: m.tensor_split(x, [1, 5], 1), ((3, 7),)),
    _s("hsplit", lambda m, x: m.hsplit(x, 2)),
    _s("chunk", lambda m, x: x.chunk(3, -1), ((3, 7),)),
    _s("unbind", lambda m, x: x.unbind(1)),
    _s("narrow", lambda m, x: x.narrow(1, -3, 2)),
    _s("select", lambda m, x: x.select(0, -1)),
    # reordering
    _s("flip", lambda m, x: x.flip((0, 1))),
    _s("fliplr", lambda m, x: m.fliplr(x)),
    _s("flipud", lambda m, x: m.flipud(x)),
    _s("roll_flat", lambda m, x: x.roll(5)),
    _s("roll_dims", lambda m, x: m.roll(x, (1, -2), (0, 1))),
    _s("movedim", lambda m, x: m.movedim(x, (0, 2), (1, 0)), ((2, 3, 4),)),
    _s("moveaxis", lambda m, x: m.moveaxis(x, -1, 0), ((2, 3, 4),)),
    _s("permute", lambda m, x: x.permute(2, 0, 1), ((2, 3, 4),)),
    # triangles and diagonals
    _s("tril", lambda m, x: x.tril(-1), ((2, 3, 4),)),
    _s("triu", lambda m, x: m.triu(x, 1)),
    _s("diag_vec", lambda m, x: m.diag(x, -1), ((4,),)),
    _s("diag_mat", lambda m, x: m.diag(x, 1)),
    _s("diagonal", lambda m, x: x.diagonal(1, 2, 0), ((3, 4, 5),)),
    _s("diag_embed", lambda m, x: m.diag_embed(x, 1, 0, 2)),
    _s("trace", lambda m, x: m.trace(x)),
    # repetition and broadcasting
    _s("repeat", lambda m, x: x.repeat(2, 1, 3)),
    _s("tile", lambda m, x: m.tile(x, (2,))),
    _s("repeat_interleave_int", lambda m, x: x.repeat_interleave(3, dim=1)),
    _s("repeat_interleave_flat", lambda m, x: m.repeat_interleave(x, 2)),
    _s("repeat_interleave_tensor",
       lambda m, x: x.repeat_interleave(_idx(m, [2, 0, 1]), dim=0)),
    _s("unflatten", lambda m, x: x.unflatten(1, (2, -1))),
    _s("broadcast_to", lambda m, x: m.broadcast_to(x, (2, 3, 4))),
    _s("broadcast_tensors", lambda m, a, b: m.broadcast_tensors(a, b), ((3, 1), (4,))),
    _s("expand", lambda m, x: x.expand(2, -1, 4), ((3, 1),)),
    _s("squeeze_dims", lambda m, x: x.squeeze((0, 2)), ((1, 3, 1, 2),)),
    _s("atleast_3d", lambda m, x: m.atleast_3d(x), ((3,),)),
    _s("ravel", lambda m, x: m.ravel(x.t())),
    _s("meshgrid_xy", lambda m, a, b: m.meshgrid(a, b, indexing="xy"), ((3,), (2,))),
    _s("unfold", lambda m, x: x.unfold(1, 3, 2), ((3, 7),)),
    _s("unfold_overlap", lambda m, x: x.unfold(0, 2, 1), ((4, 2),)),
    _s("as_strided", lambda m, x: m.as_strided(x, (3, 2), (1, 3), 2), ((3, 4),)),
    _s("rot90", lambda m, x: m.rot90(x, 1, (0, 1))),
    _s("rot90_neg", lambda m, x: m.rot90(x, -1, (1, 0))),
    _s("block_diag", lambda m, a, b, c: m.block_diag(a, b, c), ((2, 3), (), (2,))),
    _s("cartesian_prod", lambda m, a, b: m.cartesian_prod(a, b), ((2,), (3,))),
    _s("adjoint", lambda m, x: x.adjoint(), ((2, 3, 4),)),
    _s("narrow_copy", lambda m, x: m.narrow_copy(x, 1, 1, 2)),
    _s("diagonal_scatter", lambda m, x, s: m.diagonal_scatter(x, s, 1), ((3, 4), (3,))),
    _s("select_scatter", lambda m, x, s: m.select_scatter(x, s, 1, -1), ((3, 4), (3,))),
    _s("slice_scatter", lambda m, x, s: m.slice_scatter(x, s, 1, 1, None, 2), ((3, 4), (3, 2))),
    _s("view_as_real", lambda m, x: m.view_as_real(m.view_as_complex(x)) * 2, ((3, 2),)),
    # indexing
    _s("getitem_basic", lambda m, x: x[1:, None, ::2, ...], ((3, 4, 2),)),
    _s("getitem_neg", lambda m, x: x[-1, -3:]),
    _s("getitem_tensor", lambda m, x: x[_idx(m, [[0, 2], [2, 2]])]),
    _s("getitem_mixed", lambda m, x: x[_idx(m, [0, 1]), 1:, _idx(m, [1, 0])], ((2, 3, 2),)),
    _s("getitem_split_adv", lambda m, x: x[_idx(m, [0, 1]), :, _idx(m, [1, 0])], ((2, 3, 2),)),
    _s("getitem_list", lambda m, x: x[[2, 0, 0]]),
    _s("getitem_bool", lambda m, x: x[x > 0]),
    _s("getitem_bool_row", lambda m, x: x[_idx(m, [True, False, True])]),
    _s("gather", lambda m, x: x.gather(1, _idx(m, [[0, 3, 3], [1, 0, 0], [2, 2, 1]]))),
    _s("gather_small", lambda m, x: m.gather(x, 0, _idx(m, [[2], [0]]))),
    _s("scatter_src", lambda m, x, s: x.scatter(1, _idx(m, [[0, 3], [1, 2], [2, 1]]), s),
       ((3, 4), (3, 2))),
    _s("scatter_value", lambda m, x: x.scatter(0, _idx(m, [[2, 0, 1, 0]]), 1.5)),
    _s("scatter_add", lambda m, x, s: x.scatter_add(1, _idx(m, [[0, 0], [1, 1], [3, 3]]), s),
       ((3, 4), (3, 2))),
    _s("scatter_reduce_sum",
       lambda m, x, s: x.scatter_reduce(0, _idx(m, [0, 2, 0, 1]), s, "sum"), ((3,), (4,))),
    _s("scatter_reduce_mean",
       lambda m, x, s: x.scatter_reduce(0, _idx(m, [0, 2, 0, 1]), s, "mean",
                                        include_self=False), ((3,), (4,))),
    _s("scatter_reduce_amax",
       lambda m, x, s: x.scatter_reduce(0, _idx(m, [0, 2, 0, 1]), s, "amax"), ((3,), (4,))),
    _s("scatter_reduce_amin",
       lambda m, x, s: x.scatter_reduce(0, _idx(m, [0, 2, 0, 1]), s, "amin",
                                        include_self=False), ((3,), (4,))),
    _s("scatter_reduce_prod",
       lambda m, x, s: x.scatter_reduce(0, _idx(m, [0, 2, 0, 1]), s, "prod"), ((3,), (4,))),
    _s("scatter_reduce_prod_zeros",
       lambda m, x, s: (x * m.tensor([0.0, 1, 1])).scatter_reduce(
           0, _idx(m, [0, 2, 0, 1, 2]), s * m.tensor([0.0, 1, 1, 0, 1]), "prod"), ((3,), (5,))),
    _s("index_reduce_amax", lambda m, x, s: x.index_reduce(1, _idx(m, [3, 3]), s, "amax"),
       ((3, 4), (3, 2))),
    _s("index_reduce_mean", lambda m, x, s: x.index_reduce(0, _idx(m, [0, 2, 0]), s, "mean",
                                                           include_self=False), ((3, 4), (3, 4))),
    _s("index_select", lambda m, x: x.index_select(1, _idx(m, [3, 0, 3]))),
    _s("index_add", lambda m, x, s: x.index_add(0, _idx(m, [2, 0, 2]), s, alpha=-2),
       ((3, 4), (3, 4))),
    _s("index_copy", lambda m, x, s: x.index_copy(1, _idx(m, [3, 0]), s), ((3, 4), (3, 2))),
    _s("index_fill", lambda m, x: x.index_fill(1, _idx(m, [1, 2]), -1.0)),
    _s("index_put", lambda m, x, v: x.index_put((_idx(m, [0, 0, 2]),), v, accumulate=True),
       ((3, 4), (3, 4))),
    _s("masked_fill", lambda m, x: x.masked_fill(x > 0.5, 2.0)),
    _s("masked_scatter", lambda m, x, s: x.masked_scatter(_idx(m, [True, False, True, True]), s),
       ((3, 4), (12,))),
    _s("masked_select", lambda m, x: x.masked_select(_idx(m, [True, False, False, True]))),
    _s("take", lambda m, x: x.take(_idx(m, [[0, -1], [5, 5]]))),
    _s("take_along_dim", lambda m, x: m.take_along_dim(x, _idx(m, [[1], [0], [3]]), 1)),
    _s("take_along_dim_flat", lambda m, x: m.take_along_dim(x, _idx(m, [1, 7]))),
    _s("put", lambda m, x, s: x.put(_idx(m, [1, 6]), s), ((3, 4), (2,))),
    _s("put_accumulate", lambda m, x, s: x.put(_idx(m, [1, 1]), s, accumulate=True),
       ((3, 4), (2,))),
    _s("nonzero", lambda m, x: (x > 0).nonzero(), grad=False),
    _s("nonzero_tuple", lambda m, x: m.nonzero(x > 0, as_tuple=True), grad=False),
    _s("argwhere", lambda m, x: m.argwhere(x > 0), grad=False),
    _s("tril_indices", lambda m, x: m.tril_indices(3, 5, 1), grad=False),
    _s("triu_indices", lambda m, x: m.triu_indices(4, 3, -1), grad=False),
    # products
    _s("matmul_batched", lambda m, a, b: a @ b, ((2, 3, 4), (4, 5))),
    _s("matmul_vec", lambda m, a, b: m.matmul(a, b), ((4,), (2, 4, 3))),
    _s("mm", lambda m, a, b: m.mm(a, b), ((3, 4), (4, 2))),
    _s("bmm", lambda m, a, b: m.bmm(a, b), ((2, 3, 4), (2, 4, 2))),
    _s("mv", lambda m, a, b: m.mv(a, b), ((3, 4), (4,))),
    _s("dot", lambda m, a, b: m.dot(a, b), ((4,), (4,))),
    _s("vdot", lambda m, a, b: m.vdot(a, b), ((4,), (4,))),
    _s("outer", lambda m, a, b: m.outer(a, b), ((4,), (3,))),
    _s("ger", lambda m, a, b: m.ger(a, b), ((4,), (3,))),
    _s("addmm", lambda m, c, a, b: m.addmm(c, a, b, beta=0.5, alpha=-2),
       ((3,), (2, 4), (4, 3))),
    _s("addmv", lambda m, c, a, b: m.addmv(c, a, b, alpha=3), ((2,), (2, 4), (4,))),
    _s("addbmm", lambda m, c, a, b: m.addbmm(c, a, b, beta=2), ((2, 3), (4, 2, 5), (4, 5, 3))),
    _s("baddbmm", lambda m, c, a, b: m.baddbmm(c, a, b, beta=0.3, alpha=0.7),
       ((4, 2, 3), (4, 2, 5), (4, 5, 3))),
    _s("addr", lambda m, c, a, b: m.addr(c, a, b), ((2, 3), (2,), (3,))),
    _s("einsum_mm", lambda m, a, b: m.einsum("ij,jk->ik", a, b), ((3, 4), (4, 2))),
    _s("einsum_batch", lambda m, a, b: m.einsum("bij,bkj->bik", a, b), ((2, 3, 4), (2, 5, 4))),
    _s("einsum_diag", lambda m, x: m.einsum("ii->i", x), ((3, 3),)),
    _s("einsum_trace", lambda m, x: m.einsum("ii", x), ((3, 3),)),
    _s("einsum_implicit", lambda m, a, b: m.einsum("ba,ca", a, b), ((3, 4), (2, 4))),
    _s("einsum_ellipsis", lambda m, a, b: m.einsum("...ij,...jk->...ik", a, b),
       ((2, 3, 4), (4, 2))),
    _s("einsum_three", lambda m, a, b, c: m.einsum("i,ij,j->", a, b, c), ((3,), (3, 4), (4,))),
    _s("einsum_list", lambda m, a, b: m.einsum("ij,ij->i", [a, b]), ((3, 4), (3, 4))),
    _s("einsum_sum_out", lambda m, x: m.einsum("ijk->j", x), ((2, 3, 4),)),
    _s("tensordot", lambda m, a, b: m.tensordot(a, b, dims=([1, 0], [0, 2])),
       ((3, 4, 2), (4, 5, 3))),
    _s("tensordot_int", lambda m, a, b: m.tensordot(a, b, 1), ((3, 4), (4, 2))),
    _s("kron", lambda m, a, b: m.kron(a, b), ((2, 3), (3,))),
    _s("inner", lambda m, a, b: m.inner(a, b), ((2, 4), (3, 4))),
    _s("cross", lambda m, a, b: m.cross(a, b, dim=0), ((3, 4), (3, 4))),
    _s("linalg_cross", lambda m, a, b: m.linalg.cross(a, b), ((2, 3), (1, 3))),
    _s("cdist", lambda m, a, b: m.cdist(a, b), ((2, 4, 3), (2, 5, 3))),
    _s("cdist_p1", lambda m, a, b: m.cdist(a, b, p=1), ((4, 3), (5, 3))),
    _s("chain_matmul", lambda m, a, b: m.chain_matmul(a, b), ((2, 3), (3, 4))),
    # linalg
    _s("inv", lambda m, x: m.linalg.inv(x), ((2, 3, 3),)),
    _s("inverse", lambda m, x: x.inverse(), ((3, 3),)),
    _s("det", lambda m, x: m.linalg.det(x), ((2, 3, 3),)),
    _s("slogdet", lambda m, x: m.linalg.slogdet(x), ((3, 3),)),
    _s("logdet", lambda m, x: m.logdet(_spd(m, x)), ((3, 3),)),
    _s("solve", lambda m, a, b: m.linalg.solve(a, b), ((2, 3, 3), (3, 2))),
    _s("solve_vec", lambda m, a, b: m.linalg.solve(a, b), ((3, 3), (3,))),
    _s("solve_right", lambda m, a, b: m.linalg.solve(a, b, left=False), ((3, 3), (2, 3))),
    _s("solve_triangular", lambda m, a, b: m.linalg.solve_triangular(a + 3 * m.eye(3,
       dtype=a.dtype), b, upper=True), ((3, 3), (3, 2))),
    _s("cholesky", lambda m, x: m.linalg.cholesky(_spd(m, x)), ((2, 3, 3),)),
    _s("cholesky_upper", lambda m, x: m.linalg.cholesky(_spd(m, x), upper=True), ((3, 3),)),
    _s("cholesky_direct", lambda m, x: m.linalg.cholesky(x), ((3, 3),), domain="spd"),
    _s("qr", lambda m, x: m.linalg.qr(x), ((4, 3),)),
    _s("qr_square_batch", lambda m, x: m.linalg.qr(x), ((2, 3, 3),)),
    _s("qr_complete", lambda m, x: m.linalg.qr(x, mode="complete").R, ((4, 3),), grad=False),
    _s("eigh_values", lambda m, x: m.linalg.eigh(_spd(m, x)).eigenvalues, ((3, 3),)),
    _s("eigh_vectors_sq", lambda m, x: m.linalg.eigh(_spd(m, x)).eigenvectors ** 2, ((3, 3),)),
    _s("eigvalsh", lambda m, x: m.linalg.eigvalsh(x), ((3, 3),), domain="spd"),
    _s("eig_real_input", lambda m, x: (lambda r: (r.eigenvalues.real, r.eigenvalues.imag,
                                                  r.eigenvectors.abs()))(m.linalg.eig(x)),
       ((3, 3),)),
    _s("eigvals", lambda m, x: m.linalg.eigvals(x).real, ((2, 3, 3),)),
    _s("svdvals", lambda m, x: m.linalg.svdvals(x), ((4, 3),)),
    _s("svd_tall", lambda m, x: (lambda r: (r.U ** 2, r.S, r.Vh ** 2))(
        m.linalg.svd(x, full_matrices=False)), ((4, 3),)),
    _s("svd_wide", lambda m, x: (lambda r: (r.U ** 2, r.S, r.Vh ** 2))(
        m.linalg.svd(x, full_matrices=False)), ((2, 3, 5),)),
    _s("svd_full", lambda m, x: m.linalg.svd(x).S, ((4, 3),)),
    _s("pinv", lambda m, x: m.linalg.pinv(x), ((4, 3),)),
    _s("pinv_hermitian", lambda m, x: m.linalg.pinv(_spd(m, x), hermitian=True), ((3, 3),)),
    _s("pinverse", lambda m, x: m.pinverse(x), ((3, 4),)),
    _s("matrix_power", lambda m, x: m.linalg.matrix_power(x, 5), ((2, 3, 3),)),
    _s("matrix_power_neg", lambda m, x: m.linalg.matrix_power(x, -2), ((3, 3),)),
    _s("matrix_power_zero", lambda m, x: m.linalg.matrix_power(x, 0), ((3, 3),), grad=False),
    _s("lstsq", lambda m, a, b: m.linalg.lstsq(a, b).solution, ((5, 3), (5, 2))),
    _s("lstsq_gelsd", lambda m, a, b: m.linalg.lstsq(a, b, driver="gelsd")[:2],
       ((5, 3), (5, 2))),
    _s("matrix_rank", lambda m, x: m.linalg.matrix_rank(x @ x[:2].mT @ x[:2]), ((4, 4),),
       grad=False),
    _s("multi_dot", lambda m, a, b, c: m.linalg.multi_dot([a, b, c]), ((3,), (3, 4), (4, 2))),
    _s("vecdot", lambda m, a, b: m.linalg.vecdot(a, b), ((3, 4), (4,))),
    _s("vector_norm_2", lambda m, x: m.linalg.vector_norm(x)),
    _s("vector_norm_p", lambda m, x: m.linalg.vector_norm(x, 3, dim=1, keepdim=True)),
    _s("vector_norm_inf", lambda m, x: m.linalg.vector_norm(x, float("inf"), dim=0)),
    _s("vector_norm_0", lambda m, x: m.linalg.vector_norm(x, 0)),
    _s("vector_norm_small_p", lambda m, x: m.linalg.vector_norm(x, 0.5, dim=(0, 1))),
    _s("matrix_norm_fro", lambda m, x: m.linalg.matrix_norm(x), ((2, 3, 4),)),
    _s("matrix_norm_nuc", lambda m, x: m.linalg.matrix_norm(x, "nuc"), ((2, 3, 4),)),
    _s("matrix_norm_2", lambda m, x: m.linalg.matrix_norm(x, 2, keepdim=True), ((2, 3, 4),)),
    _s("matrix_norm_1", lambda m, x: m.linalg.matrix_norm(x, 1, dim=(0, 2)), ((2, 3, 4),)),
    _s("matrix_norm_ninf", lambda m, x: m.linalg.matrix_norm(x, -float("inf")), ((3, 4),)),
    _s("linalg_norm", lambda m, x: m.linalg.norm(x, dim=1)),
    _s("linalg_norm_ord", lambda m, x: m.linalg.norm(x, float("inf"))),
    # creation composites
    _s("complex_parts", lambda m, a, b: m.complex(a, b) * (2 - 1j), ((3,), (3,)), grad=False),
]

_DOMAINS = {
    "real": lambda rng, s: rng.standard_normal(s),
    "spd": lambda rng, s: (lambda a: a @ a.T + 3 * np.eye(s[-1]))(rng.standard_normal(s)),
}


def _flatten(out):
    if isinstance(out, (tuple, list)):
        return [o for item in out for o in _flatten(item)]
    return [out]


def _run(lib, spec, arrays):
    inputs = [lib.tensor(a, dtype=lib.float64, requires_grad=spec.grad) for a in arrays]
    outputs = _flatten(spec.fn(lib, *inputs))
    return inputs, outputs


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_matches_torch(spec):
    rng = np.random.default_rng(0)
    arrays = [_DOMAINS[spec.domain](rng, s) for s in spec.shapes]
    e_in, e_out = _run(ember, spec, arrays)
    t_in, t_out = _run(torch, spec, arrays)
    assert len(e_out) == len(t_out)
    for e, t in zip(e_out, t_out):
        assert tuple(e.shape) == tuple(t.shape)
        assert e.dtype.name == str(t.dtype).replace("torch.", "")
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-7,
                                   atol=1e-9)
    if not spec.grad:
        return
    pairs = [(e, t) for e, t in zip(e_out, t_out) if t.requires_grad]
    weights = [rng.standard_normal(tuple(t.shape)) for _, t in pairs]
    e_loss = sum((e * ember.tensor(w)).sum() for (e, _), w in zip(pairs, weights))
    t_loss = sum((t * torch.tensor(w)).sum() for (_, t), w in zip(pairs, weights))
    t_grads = torch.autograd.grad(t_loss, t_in, allow_unused=True)
    e_grads = ember.autograd.grad(e_loss, e_in, allow_unused=True)
    for eg, tg in zip(e_grads, t_grads):
        if tg is None:
            assert eg is None or not eg.numpy().any()
            continue
        np.testing.assert_allclose(eg.numpy(), tg.numpy(), rtol=1e-6, atol=1e-8)


# -- random ops: same shapes and dtypes as PyTorch -------------------------------------------------
RANDOM_SPECS = [
    ("rand", lambda m: m.rand(2, 3, dtype=m.float64)),
    ("randn", lambda m: m.randn((4,))),
    ("randint", lambda m: m.randint(3, 9, (2, 2))),
    ("randperm", lambda m: m.randperm(5)),
    ("normal_tensors", lambda m: m.normal(m.zeros(2, 3), m.ones(3))),
    ("normal_scalars", lambda m: m.normal(1.0, 2.0, (3,))),
    ("normal_mean_tensor", lambda m: m.normal(m.zeros(2, dtype=m.float64), 3.0)),
    ("bernoulli", lambda m: m.bernoulli(m.full((3,), 0.5, dtype=m.float64))),
    ("bernoulli_p", lambda m: m.bernoulli(m.zeros(2, 2), 0.3)),
    ("multinomial", lambda m: m.multinomial(m.ones(2, 5), 3)),
    ("multinomial_replacement", lambda m: m.multinomial(m.ones(5), 7, replacement=True)),
    ("poisson", lambda m: m.poisson(m.ones(3))),
    ("rand_like", lambda m: m.rand_like(m.zeros(2, dtype=m.float64))),
    ("randn_like", lambda m: m.randn_like(m.zeros(2, 3))),
    ("randint_like", lambda m: m.randint_like(m.zeros(2, dtype=m.int32), 5)),
    ("uniform_", lambda m: m.zeros(3).uniform_(-1, 1)),
    ("normal_", lambda m: m.zeros(3, dtype=m.float64).normal_(2, 3)),
    ("random_", lambda m: m.zeros(3, dtype=m.int16).random_()),
    ("bernoulli_", lambda m: m.zeros(3, dtype=m.uint8).bernoulli_(0.5)),
    ("exponential_", lambda m: m.zeros(3).exponential_()),
    ("geometric_", lambda m: m.zeros(3, dtype=m.int64).geometric_(0.3)),
    ("cauchy_", lambda m: m.zeros(3).cauchy_()),
    ("log_normal_", lambda m: m.zeros(3).log_normal_()),
]


@pytest.mark.parametrize("name,fn", RANDOM_SPECS, ids=[n for n, _ in RANDOM_SPECS])
def test_random_shapes_and_dtypes_match_torch(name, fn):
    e, t = fn(ember), fn(torch)
    assert tuple(e.shape) == tuple(t.shape)
    assert e.dtype.name == str(t.dtype).replace("torch.", "")


# -- errors: same exception type -------------------------------------------------------------------
ERROR_SPECS = [
    ("cat_dims", lambda m: m.cat([m.zeros(2, 3), m.zeros(3)])),
    ("stack_sizes", lambda m: m.stack([m.zeros(2), m.zeros(3)])),
    ("narrow_start", lambda m: m.zeros(3).narrow(0, 5, 1)),
    ("index_oob", lambda m: m.zeros(3)[3]),
    ("index_float", lambda m: m.zeros(3)[m.tensor([1.0])]),
    ("index_step", lambda m: m.zeros(3)[::-1]),
    ("gather_oob", lambda m: m.zeros(2, 2).gather(1, m.tensor([[2]]))),
    ("index_select_matrix", lambda m: m.zeros(2).index_select(0, m.tensor([[0]]))),
    ("mm_shapes", lambda m: m.mm(m.zeros(2, 3), m.zeros(2, 3))),
    ("matmul_dtypes", lambda m: m.zeros(2, 2) @ m.zeros(2, 2, dtype=m.float64)),
    ("inv_singular", lambda m: m.linalg.inv(m.zeros(2, 2))),
    ("cholesky_not_pd", lambda m: m.linalg.cholesky(-m.eye(2))),
    ("matrix_norm_ord", lambda m: m.linalg.matrix_norm(m.zeros(2, 2), 3)),
    ("multinomial_neg", lambda m: m.multinomial(m.tensor([-1.0, 1.0]), 1)),
    ("meshgrid_indexing", lambda m: m.meshgrid(m.zeros(2), indexing="x")),
]


@pytest.mark.parametrize("name,fn", ERROR_SPECS, ids=[n for n, _ in ERROR_SPECS])
def test_errors_match_torch(name, fn):
    with pytest.raises(Exception) as t_exc:
        fn(torch)
    with pytest.raises(Exception) as e_exc:
        fn(ember)
    t_type = t_exc.type
    if t_type.__name__ in ("LinAlgError", "_LinAlgError"):
        assert e_exc.type is ember.linalg.LinAlgError
    else:
        assert e_exc.type is t_type, (e_exc.value, t_exc.value)
    assert str(e_exc.value) == str(t_exc.value)


# -- complex inputs: values and (conjugate Wirtinger) gradients ------------------------------------
COMPLEX_SPECS = [
    _s("c_matmul", lambda m, a, b: a @ b, ((3, 3), (3, 2))),
    _s("c_inv", lambda m, a: m.linalg.inv(a), ((3, 3),)),
    _s("c_det", lambda m, a: m.linalg.det(a), ((3, 3),)),
    _s("c_slogdet", lambda m, a: m.linalg.slogdet(a).logabsdet, ((3, 3),)),
    _s("c_solve", lambda m, a, b: m.linalg.solve(a, b), ((3, 3), (3, 2))),
    _s("c_einsum", lambda m, a, b: m.einsum("ij,kj->ik", a, b), ((3, 3), (2, 3))),
    _s("c_vector_norm", lambda m, a: m.linalg.vector_norm(a, dim=1), ((3, 3),)),
    _s("c_vdot", lambda m, a, b: m.vdot(a, b), ((3,), (3,))),
    _s("c_cross", lambda m, a, b: m.linalg.cross(a, b), ((3,), (3,))),
    _s("c_index", lambda m, a: a[m.tensor([1, 1])], ((3, 3),)),
    _s("c_cholesky", lambda m, a: m.linalg.cholesky(a @ a.mH + 3 * m.eye(3)), ((3, 3),)),
    _s("c_eigh", lambda m, a: (lambda r: (r.eigenvalues, r.eigenvectors.abs()))(
        m.linalg.eigh(a @ a.mH + 3 * m.eye(3))), ((3, 3),)),
    _s("c_svd_tall", lambda m, a: [t.abs() for t in m.linalg.svd(a, full_matrices=False)],
       ((4, 3),)),
    _s("c_svd_wide", lambda m, a: [t.abs() for t in m.linalg.svd(a, full_matrices=False)],
       ((3, 4),)),
    _s("c_pinv", lambda m, a: m.linalg.pinv(a), ((3, 2),)),
    _s("c_eig", lambda m, a: (lambda r: (r.eigenvalues, r.eigenvectors.abs()))(m.linalg.eig(a)),
       ((3, 3),)),
    _s("c_qr", lambda m, a: m.linalg.qr(a), ((4, 3),)),
]


@pytest.mark.parametrize("spec", COMPLEX_SPECS, ids=[s.name for s in COMPLEX_SPECS])
def test_complex_matches_torch(spec):
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(s) + 1j * rng.standard_normal(s) for s in spec.shapes]
    results = []
    for lib in (ember, torch):
        inputs = [lib.tensor(a, requires_grad=True) for a in arrays]
        outputs = _flatten(spec.fn(lib, *inputs))
        loss = 0
        for k, out in enumerate(outputs):
            w = np.full(tuple(out.shape), 0.3 + 0.7j * k if out.is_complex() else 0.3 + k)
            term = (out * lib.tensor(w if out.is_complex() else w.real)).sum()
            loss = loss + (term.real if term.is_complex() else term)
        grads = lib.autograd.grad(loss, inputs)
        results.append(([o.detach().numpy() for o in outputs], [g.numpy() for g in grads]))
    (e_out, e_grads), (t_out, t_grads) = results
    for e, t in zip(e_out + e_grads, t_out + t_grads):
        np.testing.assert_allclose(e, t, rtol=1e-7, atol=1e-9)
