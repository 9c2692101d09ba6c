"""Reductions: gradients (first and second order), result types, errors and edge cases."""
import numpy as np
import pytest

import ember
from tests.conftest import check_grad

GRAD_CASES = {
    "prod": lambda x: ember.prod(x, 1),
    "prod_all": lambda x: ember.prod(x),
    "max_dim": lambda x: ember.max(x, 1).values,
    "min_all": lambda x: ember.min(x),
    "amax_dims": lambda x: ember.amax(x, (0, 1)),
    "amin_keepdim": lambda x: ember.amin(x, 0, keepdim=True),
    "var": lambda x: ember.var(x, 1),
    "std_correction0": lambda x: ember.std(x, 0, correction=0),
    "std_mean": lambda x: ember.std_mean(x, 1)[0] + ember.std_mean(x, 1)[1],
    "norm_fro": lambda x: ember.norm(x),
    "norm_p3_dim": lambda x: ember.norm(x, 3, dim=1),
    "norm_p1": lambda x: ember.norm(x, 1, dim=0),
    "logsumexp": lambda x: ember.logsumexp(x, 1),
    "cumsum": lambda x: ember.cumsum(x, 1),
    "cumprod": lambda x: ember.cumprod(x, 0),
    "cummax": lambda x: ember.cummax(x, 1).values,
    "sort": lambda x: ember.sort(x, 0, descending=True).values,
    "topk": lambda x: ember.topk(x, 2).values,
    "median_dim": lambda x: ember.median(x, 1).values,
    "median_all": lambda x: ember.median(x),
    "nanmean": lambda x: ember.nanmean(x, 0),
    "nansum": lambda x: ember.nansum(x),
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_reduction_gradcheck(name):
    check_grad(GRAD_CASES[name], (3, 4))


def test_prod_gradcheck_with_zeros():
    x = ember.tensor([[0.0, 2.0, 3.0], [0.0, 0.0, 1.5], [1.0, 2.0, 0.5]], dtype=ember.float64,
                     requires_grad=True)
    assert ember.autograd.gradcheck(lambda t: ember.prod(t, 1), [x])
    assert ember.autograd.gradgradcheck(lambda t: ember.prod(t, 1), [x])


def test_cumprod_gradcheck_with_zeros():
    x = ember.tensor([[1.5, 0.0, 2.0, 0.0, 3.0]], dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(lambda t: ember.cumprod(t, 1), [x])


def test_cumprod_gradgradcheck_with_one_zero():
    x = ember.tensor([[1.5, 0.0, 2.0, 0.5, 3.0]], dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradgradcheck(lambda t: ember.cumprod(t, 1), [x])


def test_amax_splits_gradient_among_ties():
    x = ember.tensor([1.0, 3.0, 3.0], requires_grad=True)
    ember.amax(x).backward()
    assert x.grad.tolist() == [0.0, 0.5, 0.5]


def test_max_dim_gradient_goes_to_first_index():
    x = ember.tensor([[1.0, 3.0, 3.0]], requires_grad=True)
    values, indices = ember.max(x, 1)
    values.sum().backward()
    assert indices.tolist() == [1] and x.grad.tolist() == [[0.0, 1.0, 0.0]]


def test_max_returns_named_tuple():
    result = ember.tensor([[1.0, 5.0]]).max(dim=1, keepdim=True)
    assert type(result).__name__ == "max" and result.indices.dtype is ember.int64
    assert result.values.shape == (1, 1)
    assert repr(result).startswith("ember.return_types.max(\nvalues=tensor(")
    assert isinstance(result, ember.return_types.max)


def test_max_binary_is_maximum():
    assert ember.max(ember.tensor([1, 4]), ember.tensor([3, 2])).tolist() == [3, 4]


def test_max_of_empty_without_dim_raises():
    with pytest.raises(RuntimeError, match="Expected reduction dim to be specified"):
        ember.max(ember.tensor([]))


def test_amax_over_empty_dim_raises():
    with pytest.raises(IndexError, match="Expected reduction dim 0 to have non-zero size"):
        ember.amax(ember.empty(0, 3), 0)


def test_argmax_flattens_without_dim():
    x = ember.tensor([[1, 9], [7, 3]])
    assert ember.argmax(x).item() == 1 and ember.argmin(x, 1).tolist() == [0, 1]
    assert ember.argmax(x, keepdim=True).shape == (1, 1)


def test_bad_dim_raises_index_error():
    with pytest.raises(IndexError, match="Dimension out of range"):
        ember.max(ember.ones(2, 3), 2)


@pytest.mark.parametrize("dtype, expected", [(ember.int32, ember.int64), (ember.bool, ember.int64),
                                             (ember.float32, ember.float32)])
def test_prod_and_cumsum_result_dtypes(dtype, expected):
    x = ember.ones(2, 3, dtype=dtype)
    assert ember.prod(x).dtype is expected and ember.cumsum(x, 1).dtype is expected


def test_cumsum_dtype_argument():
    assert ember.cumsum(ember.tensor([1, 2]), 0, dtype=ember.float64).dtype is ember.float64


def test_var_of_integers_raises():
    with pytest.raises(RuntimeError, match="floating point and complex"):
        ember.var(ember.tensor([1, 2]))


def test_var_legacy_unbiased_flag_and_correction():
    x = ember.tensor([1.0, 2.0, 4.0])
    np.testing.assert_allclose(ember.var(x, False).item(), np.var([1, 2, 4]), rtol=1e-6)
    np.testing.assert_allclose(ember.var(x, correction=2).item(), 14 / 3, rtol=1e-6)
    np.testing.assert_allclose(x.std(unbiased=True).item(), np.std([1, 2, 4], ddof=1),
                               rtol=1e-6)


def test_logsumexp_is_stable_for_large_inputs():
    x = ember.tensor([1000.0, 1000.0])
    np.testing.assert_allclose(ember.logsumexp(x, 0).item(), 1000 + np.log(2), rtol=1e-6)
    assert ember.logsumexp(ember.tensor([-float("inf")] * 2), 0).item() == -float("inf")


def test_norm_p0_counts_nonzeros():
    assert ember.norm(ember.tensor([0.0, 2.0, -1.0]), 0).item() == 2.0


def test_norm_zero_vector_has_zero_gradient():
    x = ember.zeros(3, requires_grad=True)
    ember.norm(x).backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


def test_all_any_keep_uint8():
    x = ember.tensor([1, 2], dtype=ember.uint8)
    assert ember.all(x).dtype is ember.uint8 and ember.any(ember.tensor([0, 1])).dtype is \
        ember.bool


def test_topk_out_of_range_raises():
    with pytest.raises(RuntimeError, match="selected index k out of range"):
        ember.topk(ember.ones(3), 4)


def test_sort_descending_is_stable():
    result = ember.sort(ember.tensor([2, 1, 2, 3]), descending=True)
    assert result.values.tolist() == [3, 2, 2, 1] and result.indices.tolist() == [3, 0, 2, 1]


def test_sort_puts_nan_last():
    assert ember.argsort(ember.tensor([float("nan"), 1.0, 0.0])).tolist() == [2, 1, 0]


def test_median_is_lower_median_and_propagates_nan():
    assert ember.median(ember.tensor([4.0, 1.0, 3.0, 2.0])).item() == 2.0
    assert np.isnan(ember.median(ember.tensor([1.0, float("nan"), 2.0])).item())
    assert ember.nanmedian(ember.tensor([1.0, float("nan"), 2.0, 3.0])).item() == 2.0


def test_mode_picks_smallest_most_frequent_and_last_index():
    result = ember.mode(ember.tensor([[1, 2, 2, 1, 3]]))
    assert result.values.tolist() == [1] and result.indices.tolist() == [3]


def test_unique_with_inverse_and_counts():
    values, inverse, counts = ember.unique(ember.tensor([[3, 1], [3, 2]]), return_inverse=True,
                                           return_counts=True)
    assert values.tolist() == [1, 2, 3] and inverse.tolist() == [[2, 0], [2, 1]]
    assert counts.tolist() == [1, 1, 2]


def test_cummax_indices_take_latest_tie():
    result = ember.cummax(ember.tensor([1.0, 3.0, 3.0, 2.0]), 0)
    assert result.values.tolist() == [1.0, 3.0, 3.0, 3.0]
    assert result.indices.tolist() == [0, 1, 2, 2]


def test_count_nonzero_dims():
    x = ember.tensor([[0, 1], [2, 0]])
    assert ember.count_nonzero(x).item() == 2 and ember.count_nonzero(x, 0).tolist() == [1, 1]


def test_aminmax_named_fields():
    result = ember.aminmax(ember.tensor([[1, 5], [3, 0]]), dim=1)
    assert result.min.tolist() == [1, 0] and result.max.tolist() == [5, 3]


def test_zero_dim_input_reductions():
    x = ember.tensor(2.0)
    assert ember.max(x, 0).values.shape == () and ember.cumsum(x, 0).item() == 2.0
    assert ember.sort(x).values.item() == 2.0 and ember.median(x, 0).indices.item() == 0
