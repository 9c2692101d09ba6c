"""nn leftovers (issue 3) against PyTorch: GELU, erf family, GRU/RNN layers, cdist p=inf ties,
cosine_similarity/pairwise_distance edge cases, integer avg_pool and sparse embeddings."""
import math

import numpy as np
import pytest

import ember
import ember.nn.functional as EF

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _pair(array, requires_grad=True):
    return (ember.tensor(array, requires_grad=requires_grad),
            torch.tensor(array, requires_grad=requires_grad))


def _close(e, t, tol=1e-5):
    np.testing.assert_allclose(np.asarray(e.detach().numpy(), dtype=np.float64),
                               t.detach().numpy().astype(np.float64), rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype, tol", [(np.float32, 1e-6), (np.float64, 1e-12)])
def test_gelu_matches_torch(dtype, tol):
    x = np.concatenate([np.random.randn(2000) * 4, [0.0, -0.0, 30.0, -30.0]]).astype(dtype)
    (e, t), grad = _pair(x), np.random.randn(x.size).astype(dtype)
    out_e, out_t = EF.gelu(e), TF.gelu(t)
    _close(out_e, out_t, tol)
    out_e.backward(ember.tensor(grad))
    out_t.backward(torch.tensor(grad))
    _close(e.grad, t.grad, tol)


def test_gelu_non_finite_matches_torch():
    x = np.array([np.inf, -np.inf, np.nan], dtype=np.float32)
    np.testing.assert_array_equal(EF.gelu(ember.tensor(x)).numpy(),
                                  TF.gelu(torch.tensor(x)).numpy())


@pytest.mark.parametrize("name", ["erf", "erfc", "erfinv"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_erf_family_matches_torch(name, dtype):
    x = (np.tanh(np.random.randn(500)) if name == "erfinv"
         else np.random.randn(500) * 3).astype(dtype)
    (e, t) = _pair(x)
    out_e, out_t = getattr(ember, name)(e), getattr(torch, name)(t)
    _close(out_e, out_t, 1e-5 if dtype == np.float32 else 1e-12)
    out_e.sum().backward()
    out_t.sum().backward()
    _close(e.grad, t.grad, 1e-4 if dtype == np.float32 else 1e-10)


@pytest.mark.parametrize("mode", ["GRU", "RNN_TANH", "RNN_RELU"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_recurrent_training_step_matches_torch(mode, bidirectional):
    kwargs = {"num_layers": 2, "bidirectional": bidirectional}
    make = {"GRU": lambda lib: lib.nn.GRU(6, 5, **kwargs),
            "RNN_TANH": lambda lib: lib.nn.RNN(6, 5, **kwargs),
            "RNN_RELU": lambda lib: lib.nn.RNN(6, 5, nonlinearity="relu", **kwargs)}[mode]
    theirs, ours = make(torch), make(ember)
    ours.load_state_dict({k: ember.tensor(v.detach().numpy())
                          for k, v in theirs.state_dict().items()})
    x = np.random.randn(7, 3, 6).astype(np.float32)
    h0 = np.random.randn(4 if bidirectional else 2, 3, 5).astype(np.float32)
    (xe, xt), (he, ht) = _pair(x), _pair(h0)
    out_e, hn_e = ours(xe, he)
    out_t, hn_t = theirs(xt, ht)
    _close(out_e, out_t)
    _close(hn_e, hn_t)
    ((out_e ** 2).sum() + hn_e.sum()).backward()
    ((out_t ** 2).sum() + hn_t.sum()).backward()
    _close(xe.grad, xt.grad, 1e-4)
    _close(he.grad, ht.grad, 1e-4)
    their_params = dict(theirs.named_parameters())
    for key, param in ours.named_parameters():
        _close(param.grad, their_params[key].grad, 1e-4)


def test_cdist_inf_gives_ties_the_full_gradient():
    x1 = np.array([[[1., -3., 3.], [0., 0., 0.]]])
    x2 = np.array([[[0., 0., 0.], [1., 2., 3.], [1., -3., 3.]]])
    (e1, t1), (e2, t2) = _pair(x1), _pair(x2)
    out_e, out_t = ember.cdist(e1, e2, p=math.inf), torch.cdist(t1, t2, p=math.inf)
    _close(out_e, out_t)
    grad = np.random.randn(*out_t.shape)
    out_e.backward(ember.tensor(grad))
    out_t.backward(torch.tensor(grad))
    _close(e1.grad, t1.grad)
    _close(e2.grad, t2.grad)


@pytest.mark.parametrize("dim", [0, -1])
@pytest.mark.parametrize("values", [(2.0, -3.0), (0.0, 3.0)])
def test_cosine_similarity_of_0d_inputs_matches_torch(dim, values):
    (a_e, a_t), (b_e, b_t) = _pair(values[0]), _pair(values[1])
    out_e, out_t = EF.cosine_similarity(a_e, b_e, dim), TF.cosine_similarity(a_t, b_t, dim)
    assert tuple(out_e.shape) == tuple(out_t.shape)
    _close(out_e, out_t)
    out_e.backward()
    out_t.backward()
    _close(a_e.grad, a_t.grad)
    _close(b_e.grad, b_t.grad)


def test_cosine_similarity_of_0d_inputs_bad_dim_raises_like_torch():
    with pytest.raises(IndexError) as theirs:
        TF.cosine_similarity(torch.tensor(1.0), torch.tensor(2.0), 1)
    with pytest.raises(IndexError) as ours:
        EF.cosine_similarity(ember.tensor(1.0), ember.tensor(2.0), 1)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("shape", [(3,), (2, 4), ()])
def test_pairwise_distance_p0_matches_torch(shape):
    a = np.random.randint(0, 2, shape).astype(np.float32)
    b = np.random.randint(0, 2, shape).astype(np.float32)
    (a_e, a_t), (b_e, b_t) = _pair(a), _pair(b)
    out_e, out_t = EF.pairwise_distance(a_e, b_e, p=0), TF.pairwise_distance(a_t, b_t, p=0)
    _close(out_e, out_t)
    assert out_e.requires_grad and out_t.requires_grad
    out_e.sum().backward()
    assert not a_e.grad.numpy().any() and not b_e.grad.numpy().any()


@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("kwargs", [{}, {"padding": 1, "ceil_mode": True},
                                    {"padding": 1, "count_include_pad": False}])
def test_avg_pool_int64_matches_torch(nd, kwargs):
    x = np.random.randint(-50, 50, (2, 3) + (5,) * nd)
    out_e = getattr(EF, f"avg_pool{nd}d")(ember.tensor(x), 2, **kwargs)
    out_t = getattr(TF, f"avg_pool{nd}d")(torch.tensor(x), 2, **kwargs)
    assert out_e.dtype == ember.int64
    np.testing.assert_array_equal(out_e.numpy(), out_t.numpy())


@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("dtype", ["int32", "uint8", "bool"])
def test_avg_pool_other_integer_dtypes_raise_like_torch(nd, dtype):
    x = np.ones((1, 1) + (4,) * nd, dtype=dtype)
    with pytest.raises(NotImplementedError) as theirs:
        getattr(TF, f"avg_pool{nd}d")(torch.tensor(x), 2)
    with pytest.raises(NotImplementedError) as ours:
        getattr(EF, f"avg_pool{nd}d")(ember.tensor(x), 2)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 2}, {"max_norm": 1.0}])
def test_sparse_embedding_grad_is_torch_sparse_grad_densified(kwargs):
    index = np.array([[0, 2, 2, 5], [5, 1, 2, 0]])
    (w_e, w_t) = _pair(np.random.randn(7, 3).astype(np.float32))
    out_e = EF.embedding(ember.tensor(index), w_e, sparse=True, **kwargs)
    out_t = TF.embedding(torch.tensor(index), w_t, sparse=True, **kwargs)
    _close(out_e, out_t)
    grad = np.random.randn(*out_t.shape).astype(np.float32)
    out_e.backward(ember.tensor(grad))
    out_t.backward(torch.tensor(grad))
    assert w_t.grad.is_sparse
    _close(w_e.grad, w_t.grad.to_dense())


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sparse_embedding_sgd_steps_match_torch(momentum):
    theirs = torch.nn.Embedding(10, 4, sparse=True)
    ours = ember.nn.Embedding(10, 4, sparse=True)
    ours.weight.data = ember.tensor(theirs.weight.detach().numpy())
    opt_t = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=momentum)
    opt_e = ember.optim.SGD(ours.parameters(), lr=0.1, momentum=momentum)
    for index in ([1, 2, 2], [3, 1, 9], [0, 0, 4]):
        for model, opt, lib in ((theirs, opt_t, torch), (ours, opt_e, ember)):
            opt.zero_grad()
            (model(lib.tensor(index)) ** 2).sum().backward()
            opt.step()
    _close(ours.weight, theirs.weight)


def test_sparse_embedding_scale_grad_by_freq_raises_at_backward_like_torch():
    messages = []
    for lib, F in ((torch, TF), (ember, EF)):
        weight = lib.ones(4, 2, requires_grad=True)
        out = F.embedding(lib.tensor([1, 1]), weight, scale_grad_by_freq=True, sparse=True)
        with pytest.raises(RuntimeError) as err:
            out.sum().backward()
        messages.append(str(err.value))
    assert messages[0] == messages[1]


def test_embedding_negative_index_raises_like_torch():
    with pytest.raises(IndexError, match="index out of range in self"):
        TF.embedding(torch.tensor([-1]), torch.ones(3, 2))
    with pytest.raises(IndexError, match="index out of range in self"):
        EF.embedding(ember.tensor([-1]), ember.ones(3, 2))
