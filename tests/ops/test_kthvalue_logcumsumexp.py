"""kthvalue and logcumsumexp: values, indices and gradients against PyTorch; exact higher
orders; PyTorch's errors."""
import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

SHAPES = [((6,), 0), ((3, 5), 1), ((3, 5), 0), ((4, 3, 2), -2), ((), 0)]


@pytest.mark.parametrize("shape,dim", SHAPES)
def test_logcumsumexp_matches_torch(shape, dim):
    rng = np.random.default_rng(0)
    a = rng.standard_normal(shape) * 50  # wide range: a max shift would underflow to -inf
    g = rng.standard_normal(shape)
    te, tt = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    ye, yt = ember.logcumsumexp(te, dim), torch.logcumsumexp(tt, dim)
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-12)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(te.grad.numpy(), tt.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_logcumsumexp_gradgradcheck():
    x = ember.tensor(np.random.default_rng(1).standard_normal((2, 3, 4)), requires_grad=True)
    assert ember.autograd.gradgradcheck(lambda t: ember.logcumsumexp(t, 1), (x,))


def test_logcumsumexp_integer_input_raises_like_torch():
    with pytest.raises(NotImplementedError, match="logcumsumexp_out_cpu"):
        ember.logcumsumexp(ember.tensor([1, 2]), 0)


@pytest.mark.parametrize("shape,dim", SHAPES)
@pytest.mark.parametrize("keepdim", [False, True])
def test_kthvalue_matches_torch(shape, dim, keepdim):
    rng = np.random.default_rng(2)
    a = rng.standard_normal(shape)  # distinct values: the index is unambiguous
    size = a.shape[dim] if a.ndim else 1
    for k in (1, size):
        te, tt = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        re, rt = ember.kthvalue(te, k, dim, keepdim), torch.kthvalue(tt, k, dim, keepdim)
        np.testing.assert_array_equal(re.values.detach().numpy(), rt.values.detach().numpy())
        np.testing.assert_array_equal(re.indices.numpy(), rt.indices.numpy())
        re.values.sum().backward()
        rt.values.sum().backward()
        np.testing.assert_array_equal(te.grad.numpy(), tt.grad.numpy())


def test_kthvalue_nan_is_largest_and_method_form():
    x = ember.tensor([3.0, float("nan"), 2.0])
    assert np.isnan(x.kthvalue(3).values.item())
    assert x.kthvalue(1).indices.item() == 2


@pytest.mark.parametrize("k", [0, 4])
def test_kthvalue_k_out_of_range(k):
    with pytest.raises(RuntimeError, match="selected number k out of range for dimension 0"):
        ember.kthvalue(ember.tensor([1.0, 2.0, 3.0]), k)
