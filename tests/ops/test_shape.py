"""Shape ops: values, views sharing memory, errors, and gradients (gradcheck + gradgradcheck)."""
import numpy as np
import pytest

import ember
from tests.conftest import check_grad


def _t(shape, dtype=ember.float32):
    return ember.arange(int(np.prod(shape)), dtype=dtype).reshape(shape)


# -- joining --------------------------------------------------------------------------------------
def test_cat_matches_numpy():
    a, b = _t((2, 3)), _t((2, 2))
    assert np.array_equal(ember.cat([a, b], 1).numpy(),
                          np.concatenate([a.numpy(), b.numpy()], 1))


def test_cat_promotes_dtypes():
    out = ember.cat([ember.zeros(2, dtype=ember.int64), ember.zeros(2, dtype=ember.float64)])
    assert out.dtype is ember.float64


def test_cat_skips_legacy_empty_1d():
    assert ember.cat([_t((2, 3)), ember.zeros(0)]).shape == (2, 3)


def test_cat_size_mismatch_message():
    with pytest.raises(RuntimeError, match="Sizes of tensors must match except in dimension 0. "
                                           "Expected size 3 but got size 4 for tensor number 1"):
        ember.cat([ember.zeros(2, 3), ember.zeros(3, 4)])


def test_cat_empty_list_is_value_error():
    with pytest.raises(ValueError, match="expected a non-empty list"):
        ember.cat([])


def test_cat_grad():
    check_grad(lambda a, b: ember.cat([a, b], -1), (2, 3), (2, 4))


def test_stack_new_dim_and_grad():
    assert ember.stack([_t((2, 3))] * 4, dim=1).shape == (2, 4, 3)
    check_grad(lambda a, b: ember.stack([a, b], 2), (2, 3), (2, 3))


def test_stack_unequal_message():
    with pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size, but got "
                                           r"\[2, 3\] at entry 0 and \[2, 4\] at entry 1"):
        ember.stack([ember.zeros(2, 3), ember.zeros(2, 4)])


@pytest.mark.parametrize("fn,np_fn", [(ember.hstack, np.hstack), (ember.vstack, np.vstack),
                                       (ember.dstack, np.dstack)])
def test_hvd_stack_match_numpy(fn, np_fn):
    a, b = _t((3,)), _t((3,))
    assert np.array_equal(fn([a, b]).numpy(), np_fn([a.numpy(), b.numpy()]))


def test_atleast_shapes():
    s = ember.tensor(1.0)
    assert ember.atleast_1d(s).shape == (1,)
    assert ember.atleast_2d(_t((3,))).shape == (1, 3)
    assert ember.atleast_3d(_t((3,))).shape == (1, 3, 1)
    assert ember.atleast_3d(_t((2, 3))).shape == (2, 3, 1)
    assert isinstance(ember.atleast_2d(s, s), tuple)


# -- splitting -----------------------------------------------------------------------------------
def test_split_sizes_and_views():
    x = _t((5, 2))
    parts = x.split(2)
    assert [p.shape[0] for p in parts] == [2, 2, 1]
    parts[1][0, 0] = 100
    assert x[2, 0].item() == 100


def test_split_with_sizes_error():
    with pytest.raises(RuntimeError, match="split_with_sizes expects split_sizes to sum exactly"):
        _t((3, 4)).split([1, 1])


def test_split_grad_through_some_pieces():
    check_grad(lambda x: x.split([1, 2], 1)[1] * 2, (3, 3))


def test_chunk_count():
    assert [c.shape[0] for c in _t((5,)).chunk(3)] == [2, 2, 1]
    with pytest.raises(RuntimeError, match="chunk expects `chunks` to be greater than 0"):
        _t((3,)).chunk(0)


def test_tensor_split_matches_numpy():
    x = _t((7,))
    for arg in (3, [1, 5]):
        got = [p.numpy() for p in ember.tensor_split(x, arg)]
        want = np.array_split(x.numpy(), arg)
        assert all(np.array_equal(g, w) for g, w in zip(got, want))


def test_unbind_views_and_grad():
    x = _t((3, 2))
    rows = x.unbind(0)
    assert len(rows) == 3 and rows[1].shape == (2,)
    assert rows[1].data_ptr() == x[1].data_ptr()
    check_grad(lambda x: ember.stack(x.unbind(1)[::-1], 0), (2, 3))


def test_narrow_view_and_errors():
    x = _t((3, 4))
    assert np.array_equal(x.narrow(1, 1, 2).numpy(), x.numpy()[:, 1:3])
    with pytest.raises(IndexError, match=r"start out of range \(expected to be in range of "
                                         r"\[-4, 4\], but got 5\)"):
        x.narrow(1, 5, 1)
    with pytest.raises(RuntimeError, match=r"start \(2\) \+ length \(3\) exceeds dimension"):
        x.narrow(1, 2, 3)


def test_select_matches_indexing():
    x = _t((3, 4))
    assert np.array_equal(x.select(1, -1).numpy(), x.numpy()[:, -1])


# -- reordering ----------------------------------------------------------------------------------
def test_flip_roll_match_numpy():
    x = _t((3, 4))
    assert np.array_equal(x.flip((0, 1)).numpy(), x.numpy()[::-1, ::-1])
    assert np.array_equal(x.roll(1).numpy(), np.roll(x.numpy(), 1))
    assert np.array_equal(x.roll((1, -1), (0, 1)).numpy(), np.roll(x.numpy(), (1, -1), (0, 1)))


def test_fliplr_needs_2d():
    with pytest.raises(RuntimeError, match="Input must be >= 2-d."):
        _t((3,)).fliplr()


def test_flip_roll_grad():
    check_grad(lambda x: x.flip(0).roll((1, 2), (0, 1)), (3, 4))


def test_movedim_matches_numpy():
    x = _t((2, 3, 4))
    assert ember.movedim(x, (0, 1), (2, 0)).shape == np.moveaxis(x.numpy(), (0, 1), (2, 0)).shape
    with pytest.raises(RuntimeError, match="movedim: repeated dim in `destination`"):
        x.movedim((0, 1), (1, 1))


# -- triangles and diagonals ---------------------------------------------------------------------
@pytest.mark.parametrize("k", [-1, 0, 2])
def test_tril_triu_match_numpy(k):
    x = _t((2, 3, 4))
    assert np.array_equal(x.tril(k).numpy(), np.tril(x.numpy(), k))
    assert np.array_equal(x.triu(k).numpy(), np.triu(x.numpy(), k))


def test_tril_grad():
    check_grad(lambda x: x.tril(-1) + x.triu(1), (3, 4))


def test_diagonal_is_writable_view():
    x = _t((3, 3))
    d = x.diagonal()
    d[0] = -1
    assert x[0, 0].item() == -1


@pytest.mark.parametrize("offset,d1,d2", [(0, 0, 1), (1, 0, 2), (-1, 2, 0)])
def test_diagonal_matches_numpy(offset, d1, d2):
    x = _t((3, 4, 5))
    assert np.array_equal(x.diagonal(offset, d1, d2).numpy(),
                          np.diagonal(x.numpy(), offset, d1, d2))


def test_diagonal_and_diag_embed_grad():
    check_grad(lambda x: x.diagonal(1, -1, 0), (3, 4, 2))
    check_grad(lambda x: ember.diag_embed(x, -1, 0, 2), (2, 3))


def test_diag_both_directions():
    v = _t((3,))
    assert np.array_equal(ember.diag(v, 1).numpy(), np.diag(v.numpy(), 1))
    m = _t((3, 4))
    assert np.array_equal(ember.diag(m, -1).numpy(), np.diag(m.numpy(), -1))
    with pytest.raises(RuntimeError, match="diag\\(\\): Supports 1D or 2D tensors. Got 3D"):
        ember.diag(_t((2, 2, 2)))


# -- repetition and broadcasting ------------------------------------------------------------------
def test_repeat_and_tile_match_numpy():
    x = _t((2, 3))
    assert np.array_equal(x.repeat(2, 1, 3).numpy(), np.tile(x.numpy(), (2, 1, 3)))
    assert np.array_equal(x.tile((2,)).numpy(), np.tile(x.numpy(), (1, 2)))


def test_repeat_grad():
    check_grad(lambda x: x.repeat(2, 3), (2, 3))


def test_repeat_interleave_forms():
    x = _t((2, 3))
    assert np.array_equal(x.repeat_interleave(2).numpy(), np.repeat(x.numpy(), 2))
    counts = ember.tensor([1, 0, 2])
    assert np.array_equal(x.repeat_interleave(counts, dim=1).numpy(),
                          np.repeat(x.numpy(), [1, 0, 2], axis=1))
    assert ember.repeat_interleave(counts).tolist() == [0, 2, 2]


def test_repeat_interleave_grad():
    check_grad(lambda x: x.repeat_interleave(ember.tensor([2, 1]), dim=0), (2, 3))


def test_unflatten():
    assert _t((2, 12)).unflatten(1, (3, -1)).shape == (2, 3, 4)
    with pytest.raises(RuntimeError, match="don't multiply up"):
        _t((3, 4)).unflatten(1, (3, 2))


def test_broadcast_tensors_are_views():
    a, b = ember.broadcast_tensors(_t((3, 1)), _t((4,)))
    assert a.shape == b.shape == (3, 4)
    assert ember.broadcast_shapes((2, 1), (3,)) == (2, 3)
    with pytest.raises(RuntimeError, match="The size of tensor a"):
        ember.broadcast_tensors(_t((3,)), _t((2,)))


def test_squeeze_tuple_dims():
    x = ember.zeros(1, 3, 1, 2)
    assert x.squeeze((0, 2)).shape == (3, 2)
    with pytest.raises(IndexError):
        x.squeeze((0, 5))


def test_view_as_other_dtype():
    x = ember.zeros(3, 4)
    assert x.view(ember.int16).shape == (3, 8)
    assert x.view(ember.int32).dtype is ember.int32


# -- in-place variants -----------------------------------------------------------------------------
def test_inplace_view_ops_take_the_graph():
    x = ember.zeros(2, 3, requires_grad=True)
    y = x * 2
    y.unsqueeze_(0).transpose_(0, 2)
    assert y.shape == (3, 2, 1)
    (y * ember.arange(3.0).reshape(3, 1, 1)).sum().backward()
    assert x.grad.tolist() == [[0.0, 2.0, 4.0], [0.0, 2.0, 4.0]]


def test_inplace_view_on_leaf_requiring_grad_raises():
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        ember.zeros(2, requires_grad=True).unsqueeze_(0)


def test_tril_triu_inplace():
    w = ember.ones(3, 3)
    w.tril_()
    w.triu_()
    assert w.tolist() == np.eye(3).tolist()


def test_fill_diagonal_wrap_matches_numpy():
    x = ember.zeros(5, 2)
    x.fill_diagonal_(5, wrap=True)
    want = np.zeros((5, 2))
    np.fill_diagonal(want, 5, wrap=True)
    assert x.tolist() == want.tolist()
    with pytest.raises(RuntimeError, match="all dimensions of input must be of equal length"):
        ember.zeros(2, 3, 4).fill_diagonal_(1)


def test_expand_error_names_tensor_type():
    with pytest.raises(RuntimeError, match=r"expand\(ember.FloatTensor\{\[2, 3\]\}, size=\[3\]\)"):
        ember.zeros(2, 3).expand(3)


def test_unfold_is_a_view_with_grad():
    x = _t((3, 7))
    w = x.unfold(1, 3, 2)
    assert w.shape == (3, 3, 3) and np.shares_memory(w.numpy(), x.numpy())
    check_grad(lambda x: x.unfold(0, 2, 1), (4, 3))
    with pytest.raises(RuntimeError, match="maximum size for tensor at dimension 1 is 7 but "
                                           "size is 8"):
        x.unfold(1, 8, 1)


def test_view_as_real_complex_round_trip_shares_memory():
    x = ember.zeros(3, 2)
    z = ember.view_as_complex(x)
    z[0] = 1 + 2j
    assert x[0].tolist() == [1.0, 2.0]
    assert ember.view_as_real(z).shape == (3, 2)


def test_rot90_matches_numpy():
    x = _t((2, 3, 4))
    for k in range(-1, 3):
        assert np.array_equal(ember.rot90(x, k, (1, 2)).numpy(), np.rot90(x.numpy(), k, (1, 2)))


def test_block_diag_and_cartesian_prod():
    out = ember.block_diag(ember.ones(2, 2), ember.tensor(3.0))
    assert out.tolist() == [[1, 1, 0], [1, 1, 0], [0, 0, 3]]
    assert ember.cartesian_prod(ember.arange(2), ember.arange(3)).shape == (6, 2)


def test_scatter_family_copies():
    x = ember.zeros(3, 3)
    assert ember.diagonal_scatter(x, ember.ones(3)).tolist() == np.eye(3).tolist()
    assert x.sum().item() == 0
    check_grad(lambda x, s: ember.slice_scatter(x, s, 0, 1), (3, 2), (2, 2), gradgrad=False)


def test_unbind_1d_gives_writable_0d_views():
    x = _t((3,))
    items = list(x)
    items[1].fill_(9)
    assert x.tolist() == [0.0, 9.0, 2.0]


def test_cat_legacy_empty_between_with_grad():
    x = ember.ones(2, 3, requires_grad=True)
    ember.cat([ember.zeros(0), x, ember.zeros(0)], 1).sum().backward()
    assert x.grad.shape == (2, 3)
    assert ember.cat([ember.zeros(0), ember.zeros(0)]).shape == (0,)


def test_as_strided_view_values_and_grad():
    x = _t((3, 4))
    assert x.as_strided((2, 2), (1, 2), 3).tolist() == [[3.0, 5.0], [4.0, 6.0]]
    assert x[1:].as_strided((2, 2), (1, 2)).tolist() == [[4.0, 6.0], [5.0, 7.0]]
    check_grad(lambda x: x.as_strided((3, 2), (1, 2), 1), (8,))
    with pytest.raises(RuntimeError, match="requiring a storage size of 100 are out of bounds"):
        x.as_strided((5, 5), (5, 1))
