"""Indexing and the gather/scatter family: values, errors, speed paths and gradients."""
import numpy as np
import pytest

import ember
from tests.conftest import check_grad


def _t(shape, dtype=ember.float32):
    return ember.arange(int(np.prod(shape)), dtype=dtype).reshape(shape)


# -- __getitem__ --------------------------------------------------------------------------------
@pytest.mark.parametrize("key", [
    1, -1, slice(1, None), slice(None, None, 2), slice(-2, None), (None, 1), (Ellipsis, 0),
    (slice(None), None, slice(1, 3)), (1, Ellipsis, None),
])
def test_basic_keys_are_views_matching_numpy(key):
    x = _t((3, 4, 2))
    got = x[key]
    assert np.array_equal(got.numpy(), x.numpy()[key])
    assert got._base is not None and np.shares_memory(got.numpy(), x.numpy())


@pytest.mark.parametrize("key", [
    [0, 2], ([0, 2], [1, 3]), (slice(None), [3, 0]), ([[0], [2]], slice(None), [1]),
    ([True, False, True],), (ember.tensor([0, -1]),), (Ellipsis, ember.tensor([[1, 0]])),
])
def test_advanced_keys_match_numpy(key):
    x = _t((3, 4, 2))
    np_key = tuple(k.numpy() if isinstance(k, ember.Tensor) else k for k in key) \
        if isinstance(key, tuple) else key
    assert np.array_equal(x[key].numpy(), x.numpy()[np_key])


def test_bool_mask_tensor():
    x = _t((3, 4))
    mask = x > 5
    assert np.array_equal(x[mask].numpy(), x.numpy()[x.numpy() > 5])


def test_int_index_out_of_range_message():
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 0 with size 3"):
        _t((3, 4))[5]
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 1 with size 4"):
        _t((3, 4))[:, 5]


def test_tensor_index_out_of_range_is_index_error():
    with pytest.raises(IndexError, match="out of bounds"):
        _t((3, 4))[ember.tensor([5])]


def test_float_index_errors():
    with pytest.raises(IndexError, match="tensors used as indices must be long, int, byte or "
                                         "bool tensors"):
        _t((3,))[ember.tensor([1.0])]
    with pytest.raises(IndexError, match="only integers, slices"):
        _t((3,))[1.0]


def test_negative_step_is_value_error():
    with pytest.raises(ValueError, match="step must be greater than zero"):
        _t((3,))[::-1]


def test_too_many_indices():
    with pytest.raises(IndexError, match="too many indices for tensor of dimension 2"):
        _t((3, 4))[1, 2, 3]


def test_mask_shape_mismatch_message():
    with pytest.raises(IndexError, match=r"The shape of the mask \[2\] at index 0 does not match "
                                         r"the shape of the indexed tensor \[3, 4\] at index 0"):
        _t((3, 4))[ember.tensor([True, False])]


def test_zero_dim_index_errors():
    with pytest.raises(IndexError, match="invalid index of a 0-dim tensor"):
        ember.tensor(3.0)[0]
    with pytest.raises(IndexError, match="slice\\(\\) cannot be applied to a 0-dim tensor."):
        ember.tensor(3.0)[:]


def test_getitem_grads():
    check_grad(lambda x: x[1:, ::2], (3, 4))
    check_grad(lambda x: x[ember.tensor([0, 2, 0])], (3, 4))
    check_grad(lambda x: x[ember.tensor([0, 0]), :, ember.tensor([1, 1])], (2, 3, 2))
    check_grad(lambda x: x[x > 0], (3, 4))


def test_duplicate_index_grad_accumulates():
    x = ember.zeros(4, 3, requires_grad=True)
    x[ember.tensor([1, 1, 3, 1])].sum().backward()
    assert x.grad[:, 0].tolist() == [0, 3, 0, 1]


def test_duplicate_index_grad_large_fast_path_matches_add_at():
    rng = np.random.default_rng(0)
    idx = rng.integers(0, 50, size=2000)
    g = rng.standard_normal((2000, 7)).astype(np.float32)
    x = ember.zeros(50, 7, requires_grad=True)
    (x[ember.tensor(idx)] * ember.tensor(g)).sum().backward()
    want = np.zeros((50, 7), np.float32)
    np.add.at(want, idx, g)
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-5, atol=1e-5)
    assert x.grad.dtype is ember.float32


# -- __setitem__ --------------------------------------------------------------------------------
def test_setitem_basic_and_advanced():
    x = _t((3, 4))
    want = x.numpy().copy()
    x[1] = 0
    x[:, ember.tensor([0, 3])] = -1
    want[1] = 0
    want[:, [0, 3]] = -1
    assert np.array_equal(x.numpy(), want)


def test_setitem_shape_mismatch_message():
    x = _t((3, 4))
    with pytest.raises(RuntimeError, match=r"shape mismatch: value tensor of shape \[3\] cannot "
                                           r"be broadcast to indexing result of shape \[2, 4\]"):
        x[ember.tensor([0, 1])] = ember.ones(3)


def test_setitem_grad_flows_to_value_and_base():
    def fn(x, v):
        y = x * 1
        y[ember.tensor([0, 2])] = v
        return y
    check_grad(fn, (3, 4), (2, 4))


def test_index_put_accumulate():
    x = ember.zeros(3)
    out = x.index_put((ember.tensor([0, 0, 2]),), ember.tensor([1.0, 2.0, 3.0]), accumulate=True)
    assert out.tolist() == [3.0, 0.0, 3.0]


# -- gather / scatter ------------------------------------------------------------------------------
def test_gather_matches_take_along_axis():
    x = _t((3, 4))
    idx = ember.tensor([[0, 3], [1, 1], [2, 0]])
    assert np.array_equal(x.gather(1, idx).numpy(),
                          np.take_along_axis(x.numpy(), idx.numpy(), 1))


def test_gather_smaller_index_and_errors():
    x = _t((3, 4))
    assert x.gather(0, ember.tensor([[2]])).item() == 8
    with pytest.raises(RuntimeError, match="index 5 is out of bounds for dimension 1 with size 4"):
        x.gather(1, ember.tensor([[5]]))
    with pytest.raises(RuntimeError, match="Index tensor must have the same number of dimensions"):
        x.gather(1, ember.tensor([1]))
    with pytest.raises(RuntimeError, match="gather\\(\\): Expected dtype int64 for index"):
        x.gather(1, ember.tensor([[1]], dtype=ember.int32))


def test_gather_grad():
    idx = ember.tensor([[0, 0, 2], [1, 0, 1]])
    check_grad(lambda x: x.gather(0, idx), (3, 3))


def test_scatter_and_scatter_add_values():
    idx = ember.tensor([[0, 1, 0]])
    src = ember.tensor([[1.0, 2.0, 3.0]])
    assert ember.zeros(2, 3).scatter(0, idx, src).tolist() == [[1, 0, 3], [0, 2, 0]]
    assert ember.zeros(2, 3).scatter(0, idx, 5.0).tolist() == [[5, 0, 5], [0, 5, 0]]
    dup = ember.tensor([[0, 0, 1]])
    assert ember.zeros(2).scatter_add(0, dup[0], src[0]).tolist() == [3.0, 3.0]


def test_scatter_dtype_mismatch():
    with pytest.raises(RuntimeError, match="scatter\\(\\): Expected self.dtype to be equal to "
                                           "src.dtype"):
        ember.zeros(3, 4).scatter(1, ember.tensor([[1]]), ember.ones(1, 1, dtype=ember.float64))


def test_scatter_grads():
    idx = ember.tensor([[0, 1, 2], [2, 0, 1]])
    check_grad(lambda x, s: x.scatter(1, idx, s), (2, 3), (2, 3))
    dup = ember.tensor([[0, 0, 2], [1, 1, 1]])
    check_grad(lambda x, s: x.scatter_add(1, dup, s), (2, 3), (2, 4))


@pytest.mark.parametrize("reduce", ["sum", "mean", "amax", "amin", "prod"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_grads(reduce, include_self):
    idx = ember.tensor([0, 2, 0, 1, 2])
    check_grad(lambda x, s: x.scatter_reduce(0, idx, s, reduce, include_self=include_self),
               (3,), (5,), gradgrad=reduce in ("sum", "mean"))


def test_scatter_reduce_values():
    x = ember.tensor([1.0, 10.0, 0.0])
    idx = ember.tensor([0, 0, 2])
    src = ember.tensor([5.0, -2.0, 4.0])
    assert x.scatter_reduce(0, idx, src, "amax").tolist() == [5.0, 10.0, 4.0]
    assert x.scatter_reduce(0, idx, src, "amin", include_self=False).tolist() == [-2.0, 10, 4]
    assert x.scatter_reduce(0, idx, src, "mean").tolist() == pytest.approx([4 / 3, 10.0, 2.0])


# -- index_* ---------------------------------------------------------------------------------------
def test_index_select_and_errors():
    x = _t((3, 4))
    assert np.array_equal(x.index_select(1, ember.tensor([3, 0])).numpy(),
                          x.numpy()[:, [3, 0]])
    with pytest.raises(IndexError, match="Index is supposed to be a vector"):
        x.index_select(1, ember.tensor([[1]]))
    with pytest.raises(RuntimeError, match="Expected dtype int32 or int64 for index"):
        x.index_select(1, ember.tensor([1.0]))


def test_index_select_grad():
    check_grad(lambda x: x.index_select(0, ember.tensor([2, 0, 2])), (3, 2))


def test_index_add_alpha_and_duplicates():
    out = ember.zeros(3, 2).index_add(0, ember.tensor([0, 0, 2]), ember.ones(3, 2), alpha=2)
    assert out[:, 0].tolist() == [4.0, 0.0, 2.0]
    with pytest.raises(RuntimeError, match="Number of indices \\(1\\) should be equal to "
                                           "source.size\\(dim\\): \\(2\\)"):
        ember.zeros(3, 4).index_add(1, ember.tensor([1]), ember.ones(3, 2))


def test_index_add_copy_fill_grads():
    idx = ember.tensor([2, 0])
    check_grad(lambda x, s: x.index_add(1, idx, s, alpha=0.5), (2, 3), (2, 2))
    check_grad(lambda x, s: x.index_copy(1, idx, s), (2, 3), (2, 2))
    check_grad(lambda x, v: x.index_fill(1, idx, v.sum()), (2, 3), (2,))


def test_inplace_variants_write_through():
    x = ember.zeros(3)
    x.index_fill_(0, ember.tensor([1]), 7)
    x.masked_fill_(x == 0, 1)
    assert x.tolist() == [1.0, 7.0, 1.0]


# -- masks ----------------------------------------------------------------------------------------
def test_masked_fill_broadcast_and_grad():
    mask = ember.tensor([True, False, True])
    out = ember.zeros(2, 3).masked_fill(mask, 2.0)
    assert out.tolist() == [[2, 0, 2], [2, 0, 2]]
    check_grad(lambda x, v: x.masked_fill(mask, v.sum()), (2, 3), (1,))


def test_masked_fill_mask_dtype_error():
    with pytest.raises(RuntimeError, match="masked_fill_ only supports boolean masks, but got mask "
                                           "with dtype float"):
        ember.zeros(3).masked_fill(ember.ones(3), 1)


def test_masked_scatter_and_select():
    mask = ember.tensor([[True, False], [False, True]])
    src = ember.tensor([1.0, 2.0, 3.0])
    assert ember.zeros(2, 2).masked_scatter(mask, src).tolist() == [[1, 0], [0, 2]]
    assert _t((2, 2)).masked_select(mask).tolist() == [0.0, 3.0]
    check_grad(lambda x, s: x.masked_scatter(mask, s), (2, 2), (3,))
    check_grad(lambda x: x.masked_select(mask), (2, 2))


def test_masked_scatter_too_few_source_elements():
    with pytest.raises(RuntimeError, match="Number of elements of source < number of ones"):
        ember.zeros(3).masked_scatter(ember.ones(3, dtype=ember.bool), ember.ones(2))


# -- nonzero, take, put ----------------------------------------------------------------------------
def test_nonzero_forms():
    x = ember.tensor([[0, 1], [2, 0]])
    assert x.nonzero().tolist() == [[0, 1], [1, 0]]
    rows, cols = x.nonzero(as_tuple=True)
    assert rows.tolist() == [0, 1] and cols.tolist() == [1, 0]
    assert ember.argwhere(x).dtype is ember.int64
    assert ember.tensor(3.0).nonzero().shape == (1, 0)


def test_take_and_take_along_dim():
    x = _t((3, 4))
    assert x.take(ember.tensor([[0, 11], [-1, 5]])).tolist() == [[0, 11], [11, 5]]
    with pytest.raises(IndexError, match="out of range: tried to access index 12 on a tensor of "
                                         "12 elements."):
        x.take(ember.tensor([12]))
    idx = ember.tensor([[1], [0], [3]])
    assert np.array_equal(ember.take_along_dim(x, idx, 1).numpy(),
                          np.take_along_axis(x.numpy(), idx.numpy(), 1))
    check_grad(lambda x: x.take(ember.tensor([0, 0, 5])), (2, 3))


def test_put_accumulate_and_grad():
    out = ember.zeros(2, 2).put(ember.tensor([0, 0, 3]), ember.tensor([1.0, 2.0, 3.0]), True)
    assert out.tolist() == [[3.0, 0.0], [0.0, 3.0]]
    check_grad(lambda x, s: x.put(ember.tensor([1, 4]), s), (2, 3), (2,))
