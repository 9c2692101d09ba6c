"""Distance layers, pdist/cdist, lazy modules, AdaptiveLogSoftmaxWithLoss and antialiased
interpolation against PyTorch: outputs, every gradient, reprs, state_dict keys and errors."""
import math

import numpy as np
import pytest

import ember
import ember.nn as enn
import ember.nn.functional as EF

torch = pytest.importorskip("torch")
tnn = torch.nn
TF = torch.nn.functional


def _pair(array, requires_grad=True):
    return (ember.tensor(array, requires_grad=requires_grad),
            torch.tensor(array, requires_grad=requires_grad))


def _close(e, t, tol=1e-5):
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=tol, atol=tol)


def _randn(rng, *shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


def _copy_state(theirs, ours):
    ours.load_state_dict({k: ember.tensor(v.detach().numpy())
                          for k, v in theirs.state_dict().items()})


def _compare_forward_backward(ours, theirs, e_inputs, t_inputs, rng, tol=1e-5):
    """Same output, then the same gradient of a random projection for inputs and parameters."""
    out, their_out = ours(*e_inputs), theirs(*t_inputs)
    assert tuple(out.shape) == tuple(their_out.shape)
    _close(out, their_out, tol)
    grad = _randn(rng, *their_out.shape, dtype=their_out.detach().numpy().dtype)
    out.backward(ember.tensor(grad))
    their_out.backward(torch.tensor(grad))
    for e, t in zip(e_inputs, t_inputs):
        if t.requires_grad:
            _close(e.grad, t.grad, 10 * tol)
    their_params = dict(theirs.named_parameters())
    assert [k for k, _ in ours.named_parameters()] == list(their_params)
    for key, param in ours.named_parameters():
        _close(param.grad, their_params[key].grad, 10 * tol)


# -- distance layers -------------------------------------------------------------------------------
DISTANCE_LAYERS = [
    ("CosineSimilarity", {}, (4, 5), (4, 5)),
    ("CosineSimilarity", {"dim": 0, "eps": 1e-3}, (4, 5), (4, 5)),
    ("CosineSimilarity", {"dim": -1}, (2, 4, 5), (5,)),
    ("CosineSimilarity", {"dim": 0}, (5,), (5,)),
    ("PairwiseDistance", {}, (4, 5), (4, 5)),
    ("PairwiseDistance", {"p": 1.0, "keepdim": True}, (4, 5), (1, 5)),
    ("PairwiseDistance", {"p": 3.0, "eps": 0.1}, (5,), (5,)),
    ("PairwiseDistance", {"p": -2.0}, (2, 3, 5), (3, 5)),
    ("PairwiseDistance", {"p": math.inf, "keepdim": True}, (4, 5), (4, 5)),
]


@pytest.mark.parametrize("name,kwargs,shape1,shape2", DISTANCE_LAYERS,
                         ids=[f"{n}{k}{s1}{s2}" for n, k, s1, s2 in DISTANCE_LAYERS])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_distance_layer_matches_torch(name, kwargs, shape1, shape2, dtype):
    rng = np.random.default_rng(0)
    ours, theirs = getattr(enn, name)(**kwargs), getattr(tnn, name)(**kwargs)
    assert repr(ours) == repr(theirs)
    (e1, t1), (e2, t2) = _pair(_randn(rng, *shape1, dtype=dtype)), \
        _pair(_randn(rng, *shape2, dtype=dtype))
    _compare_forward_backward(ours, theirs, (e1, e2), (t1, t2), rng)


# -- pdist and cdist -------------------------------------------------------------------------------
@pytest.mark.parametrize("p", [2.0, 1.0, 0.0, 3.0, 0.5, math.inf])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pdist_matches_torch_with_repeated_rows_and_ties(p, dtype):
    rng = np.random.default_rng(0)
    data = _randn(rng, 7, 4, dtype=dtype)
    data[3] = data[1]  # zero distance
    data[5, :2] = data[0, :2] + 1.0  # |diff| tied for the max
    data[5, 2:] = data[0, 2:] - 1.0
    (e, t) = _pair(data)
    out, their_out = EF.pdist(e, p), torch.pdist(t, p)
    _close(out, their_out)
    grad = _randn(rng, *their_out.shape, dtype=dtype)
    out.backward(ember.tensor(grad))
    their_out.backward(torch.tensor(grad))
    _close(e.grad, t.grad, 1e-4)


@pytest.mark.parametrize("shape1,shape2,p", [
    ((5, 3), (4, 3), 2.0), ((2, 5, 3), (4, 3), 1.0), ((2, 1, 5, 3), (3, 4, 3), 0.5),
    ((30, 3), (26, 3), 2.0), ((2, 5, 3), (2, 4, 3), 3.0), ((5, 3), (4, 3), 0.0),
])
def test_cdist_matches_torch(shape1, shape2, p):
    rng = np.random.default_rng(0)
    (e1, t1), (e2, t2) = _pair(_randn(rng, *shape1, dtype=np.float64)), \
        _pair(_randn(rng, *shape2, dtype=np.float64))
    out, their_out = ember.cdist(e1, e2, p=p), torch.cdist(t1, t2, p=p)
    _close(out, their_out, 1e-9)
    grad = _randn(rng, *their_out.shape, dtype=np.float64)
    out.backward(ember.tensor(grad))
    their_out.backward(torch.tensor(grad))
    _close(e1.grad, t1.grad, 1e-9)
    _close(e2.grad, t2.grad, 1e-9)


# -- errors: same type, same message ---------------------------------------------------------------
def _error_cases():
    return [
        ("pdist", lambda m: (m.zeros(3),), {}),
        ("pdist", lambda m: (m.zeros(2, 3, 4),), {}),
        ("pdist", lambda m: (m.zeros(3, 2, dtype=m.int64),), {}),
        ("pdist", lambda m: (m.zeros(3, 2), -1.0), {}),
        ("pdist", lambda m: (m.zeros(3, 2, dtype=m.float16),), {}),
        ("interpolate", lambda m: (m.zeros(1, 1, 4, 4),),
         dict(size=2, mode="nearest", antialias=True)),
        ("interpolate", lambda m: (m.zeros(1, 1, 4),), dict(size=2, mode="bilinear",
                                                             antialias=True)),
        ("interpolate", lambda m: (m.zeros(1, 1, 4, 4, 4),), dict(size=2, mode="trilinear",
                                                                  antialias=True)),
        ("interpolate", lambda m: (m.zeros(1, 1, 4, 4),), dict(size=2, mode="lanczos")),
        ("interpolate", lambda m: (m.zeros(1, 1, 4, 4),), dict(size=2, mode="lanczos",
                                                               antialias=True,
                                                               align_corners=True)),
        ("interpolate", lambda m: (m.zeros(1, 1, 4),), dict(size=2, mode="lanczos")),
        ("interpolate", lambda m: (m.zeros(1, 1, 4, 4, dtype=m.int64),),
         dict(size=2, mode="bicubic", antialias=True)),
        ("interpolate", lambda m: (m.zeros(1, 1, 4, 4),), dict(size=0, mode="bicubic",
                                                               antialias=True)),
        ("interpolate", lambda m: (m.zeros(1, 1, 0, 4),), dict(size=2, mode="bilinear")),
        ("interpolate", lambda m: (m.zeros(1, 1, 4),), dict(size=0, mode="linear")),
        ("interpolate", lambda m: (m.zeros(1, 1, 4, 4, 4),), dict(size=0, mode="nearest")),
        ("interpolate", lambda m: (m.zeros(1, 1, 4, 4),),
         dict(size=2, mode="bilinear", recompute_scale_factor=True)),
    ]


@pytest.mark.parametrize("name,make_args,kwargs", _error_cases(),
                         ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(_error_cases())])
def test_error_matches_torch(name, make_args, kwargs):
    with pytest.raises(Exception) as theirs:
        getattr(TF, name)(*make_args(torch), **kwargs)
    with pytest.raises(theirs.type) as ours:
        getattr(EF, name)(*make_args(ember), **kwargs)
    assert str(ours.value) == str(theirs.value)


# -- lazy modules ----------------------------------------------------------------------------------
LAZY = [
    ("LazyLinear", (3,), {}, (4, 5)),
    ("LazyLinear", (3,), {"bias": False}, (2, 4, 5)),
    ("LazyLinear", (2,), {}, (5,)),
    ("LazyConv1d", (4, 3), {"stride": 2, "padding": 1}, (2, 3, 9)),
    ("LazyConv2d", (4, 3), {"groups": 2, "padding": "same", "padding_mode": "reflect"},
     (2, 4, 5, 5)),
    ("LazyConv2d", (3, 2), {"bias": False}, (3, 4, 4)),
    ("LazyConv3d", (2, 2), {"dilation": 2}, (1, 2, 5, 5, 5)),
    ("LazyConvTranspose1d", (3, 3), {"stride": 2, "output_padding": 1}, (2, 4, 5)),
    ("LazyConvTranspose2d", (4, 3), {"groups": 2, "dilation": 2}, (2, 4, 3, 3)),
    ("LazyConvTranspose3d", (2, 2), {"stride": 2}, (2, 2, 2, 2)),
    ("LazyBatchNorm1d", (), {}, (6, 3)),
    ("LazyBatchNorm1d", (), {"momentum": None, "affine": False}, (4, 3, 5)),
    ("LazyBatchNorm2d", (), {"eps": 1e-3, "bias": False}, (4, 3, 2, 2)),
    ("LazyBatchNorm3d", (), {"track_running_stats": False}, (2, 3, 2, 2, 2)),
    ("LazyInstanceNorm1d", (), {}, (2, 3, 6)),
    ("LazyInstanceNorm2d", (), {"affine": False}, (2, 3, 4, 4)),
    ("LazyInstanceNorm3d", (), {"track_running_stats": False}, (2, 2, 3, 3, 3)),
]


@pytest.mark.parametrize("name,args,kwargs,shape", LAZY,
                         ids=[f"{n}{a}{k}{s}" for n, a, k, s in LAZY])
def test_lazy_module_matches_torch(name, args, kwargs, shape):
    rng = np.random.default_rng(0)
    ours, theirs = getattr(enn, name)(*args, **kwargs), getattr(tnn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours.has_uninitialized_params() == theirs.has_uninitialized_params()
    first = _randn(rng, *shape)
    ours(ember.tensor(first))
    theirs(torch.tensor(first))
    assert type(ours).__name__ == type(theirs).__name__
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    _copy_state(theirs, ours)
    e, t = _pair(_randn(rng, *shape))
    _compare_forward_backward(ours, theirs, (e,), (t,), rng, 1e-4)
    for key, buf in ours.named_buffers():
        _close(buf, dict(theirs.named_buffers())[key])


@pytest.mark.parametrize("name,args,shape", [("LazyLinear", (3,), (4, 5)),
                                             ("LazyConv2d", (2, 3), (1, 3, 5, 5)),
                                             ("LazyBatchNorm2d", (), (4, 3, 2, 2))])
def test_torch_checkpoint_loads_into_fresh_lazy_module(name, args, shape):
    rng = np.random.default_rng(0)
    theirs = getattr(tnn, name)(*args)
    theirs(torch.tensor(_randn(rng, *shape)))
    theirs.eval()
    ours = getattr(enn, name)(*args).eval()
    _copy_state(theirs, ours)
    assert not ours.has_uninitialized_params()
    data = _randn(rng, *shape)
    _close(ours(ember.tensor(data)), theirs(torch.tensor(data)))


# -- AdaptiveLogSoftmaxWithLoss --------------------------------------------------------------------
ASM = [
    ((16, 20, [4, 10]), {}),
    ((16, 20, [4, 10, 15]), {"div_value": 2.0, "head_bias": True}),
    ((8, 6, [3]), {"div_value": 1.0}),
]


def _asm_pair(args, kwargs, dtype):
    torch.manual_seed(0)
    theirs = tnn.AdaptiveLogSoftmaxWithLoss(*args, **kwargs).to(dtype)
    ours = enn.AdaptiveLogSoftmaxWithLoss(*args, **kwargs)
    ours = ours.double() if dtype == torch.float64 else ours
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    _copy_state(theirs, ours)
    return ours, theirs


@pytest.mark.parametrize("args,kwargs", ASM, ids=[str(a) for a, _ in ASM])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_adaptive_log_softmax_matches_torch(args, kwargs, dtype):
    rng = np.random.default_rng(0)
    ours, theirs = _asm_pair(args, kwargs, dtype)
    np_dtype = np.float32 if dtype == torch.float32 else np.float64
    in_features, n_classes = args[0], args[1]
    target = rng.integers(0, n_classes, 12)
    e, t = _pair(_randn(rng, 12, in_features, dtype=np_dtype))
    out, loss = ours(e, ember.tensor(target))
    their_out, their_loss = theirs(t, torch.tensor(target))
    _close(out, their_out)
    _close(loss, their_loss)
    grad = _randn(rng, 12, dtype=np_dtype)
    (out * ember.tensor(grad)).sum().add(loss).backward()
    ((their_out * torch.tensor(grad)).sum() + their_loss).backward()
    _close(e.grad, t.grad, 1e-4)
    their_params = dict(theirs.named_parameters())
    for key, param in ours.named_parameters():
        _close(param.grad, their_params[key].grad, 1e-4)
    x = _randn(rng, 9, in_features, dtype=np_dtype) * 3
    _close(ours.log_prob(ember.tensor(x)), theirs.log_prob(torch.tensor(x)))
    assert ours.predict(ember.tensor(x)).tolist() == theirs.predict(torch.tensor(x)).tolist()


def test_adaptive_log_softmax_unbatched_matches_torch():
    rng = np.random.default_rng(0)
    ours, theirs = _asm_pair((8, 10, [3, 6]), {"div_value": 2.0}, torch.float32)
    x = _randn(rng, 8)
    for target in (1, 7):
        out, loss = ours(ember.tensor(x), ember.tensor(target))
        their_out, their_loss = theirs(torch.tensor(x), torch.tensor(target))
        assert tuple(out.shape) == tuple(their_out.shape) == ()
        _close(out, their_out)
        _close(loss, their_loss)


@pytest.mark.parametrize("shape,target", [((3, 8), [0, 1]), ((2, 2, 8), [0, 1]), ((2, 8), 1),
                                          ((2, 8), [[0, 1]]), ((2, 8), [0, 10])])
def test_adaptive_log_softmax_errors_match_torch(shape, target):
    ours, theirs = _asm_pair((8, 10, [3, 6]), {"div_value": 2.0}, torch.float32)
    with pytest.raises(RuntimeError) as their_err:
        theirs(torch.zeros(*shape), torch.tensor(target))
    with pytest.raises(RuntimeError) as our_err:
        ours(ember.zeros(*shape), ember.tensor(target))
    assert str(our_err.value) == str(their_err.value).replace("torch.", "ember.")


# -- antialiased interpolation ---------------------------------------------------------------------
INTERPOLATE = [
    ("bilinear", dict(size=(5, 7)), (2, 3, 16, 16)),
    ("bilinear", dict(size=(10, 4), align_corners=True), (1, 2, 10, 13)),
    ("bilinear", dict(scale_factor=0.3), (1, 2, 17, 11)),
    ("bilinear", dict(scale_factor=(0.4, 2.5), recompute_scale_factor=True), (1, 2, 11, 13)),
    ("bilinear", dict(size=(16, 12)), (1, 2, 8, 8)),
    ("bilinear", dict(size=1), (1, 2, 7, 5)),
    ("bicubic", dict(size=(5, 7)), (2, 3, 16, 16)),
    ("bicubic", dict(size=(3, 3), align_corners=True), (1, 2, 9, 9)),
    ("bicubic", dict(scale_factor=0.5), (1, 2, 12, 10)),
    ("bicubic", dict(scale_factor=1.7), (1, 2, 5, 6)),
    ("bicubic", dict(size=(6, 9)), (1, 3, 20, 3)),
    ("lanczos", dict(size=(5, 4)), (1, 2, 12, 13)),
    ("lanczos", dict(scale_factor=0.25), (1, 1, 16, 16)),
]


@pytest.mark.parametrize("mode,kwargs,shape", INTERPOLATE,
                         ids=[f"{m}{k}{s}" for m, k, s in INTERPOLATE])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_interpolate_antialias_matches_torch(mode, kwargs, shape, dtype):
    rng = np.random.default_rng(0)
    e, t = _pair(_randn(rng, *shape, dtype=dtype))
    out = EF.interpolate(e, mode=mode, antialias=True, **kwargs)
    their_out = TF.interpolate(t, mode=mode, antialias=True, **kwargs)
    assert tuple(out.shape) == tuple(their_out.shape)
    assert out.dtype.name == str(their_out.dtype).replace("torch.", "")
    _close(out, their_out, 1e-5)
    grad = _randn(rng, *their_out.shape, dtype=dtype)
    out.backward(ember.tensor(grad))
    their_out.backward(torch.tensor(grad))
    _close(e.grad, t.grad, 1e-5)
