"""ember.nn core vs PyTorch: activations, losses, layers (outputs and every gradient), reprs,
state_dict keys and load_state_dict errors."""
import numpy as np
import pytest

import ember
import ember.nn as enn
import ember.nn.functional as EF

torch = pytest.importorskip("torch")
tnn = torch.nn
TF = torch.nn.functional


def _pair(array, requires_grad=True):
    e = ember.tensor(array, requires_grad=requires_grad)
    t = torch.tensor(array, requires_grad=requires_grad)
    return e, t


def _close(e, t, tol=1e-5):
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=tol, atol=tol)


RNG = np.random.default_rng(0)


def _randn(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


# -- activations -----------------------------------------------------------------------------------
ACTIVATIONS = [
    ("relu", {}), ("relu6", {}), ("leaky_relu", {"negative_slope": 0.2}), ("elu", {"alpha": 0.7}),
    ("selu", {}), ("celu", {"alpha": 1.3}), ("gelu", {}), ("gelu", {"approximate": "tanh"}),
    ("silu", {}), ("mish", {}), ("sigmoid", {}), ("tanh", {}),
    ("hardtanh", {"min_val": -0.5, "max_val": 0.7}), ("hardswish", {}), ("hardsigmoid", {}),
    ("softplus", {}), ("softplus", {"beta": 2.0, "threshold": 1.0}), ("softsign", {}),
    ("softmax", {"dim": 1}), ("log_softmax", {"dim": -1}), ("softmin", {"dim": 0}),
    ("softmax", {"dim": 1, "dtype": "float64"}), ("threshold", {"threshold": 0.1, "value": -2.0}),
    ("glu", {"dim": 1}), ("logsigmoid", {}), ("tanhshrink", {}), ("softshrink", {"lambd": 0.3}),
    ("hardshrink", {"lambd": 0.3}), ("rrelu", {}),
]


@pytest.mark.parametrize("name,kwargs", ACTIVATIONS, ids=lambda v: str(v))
def test_activation_matches_torch(name, kwargs):
    x = _randn(3, 4, 5) * 3
    e, t = _pair(x)
    ekw = dict(kwargs)
    tkw = dict(kwargs)
    if "dtype" in kwargs:
        ekw["dtype"] = getattr(ember, kwargs["dtype"])
        tkw["dtype"] = getattr(torch, kwargs["dtype"])
    eo = getattr(EF, name)(e, **ekw)
    to = getattr(TF, name)(t, **tkw)
    assert eo.dtype.name == str(to.dtype).replace("torch.", "")
    _close(eo, to)
    g = _randn(*to.shape)
    eo.backward(ember.tensor(g).to(eo.dtype))
    to.backward(torch.tensor(g).to(to.dtype))
    _close(e.grad, t.grad, 1e-4)


def test_softmax_is_stable_for_large_inputs():
    x = np.array([[1e4, -1e4, 0.0]], dtype=np.float32)
    _close(EF.log_softmax(ember.tensor(x), 1), TF.log_softmax(torch.tensor(x), 1))


def test_prelu_per_channel_matches_torch():
    x = _randn(2, 3, 4)
    e, t = _pair(x)
    ew, tw = _pair(np.array([0.1, 0.2, 0.3], dtype=np.float32))
    eo, to = EF.prelu(e, ew), TF.prelu(t, tw)
    _close(eo, to)
    eo.sum().backward()
    to.sum().backward()
    _close(e.grad, t.grad)
    _close(ew.grad, tw.grad)


# -- losses ----------------------------------------------------------------------------------------
def _cls_target(n, c, *extra, ignore=False):
    t = RNG.integers(0, c, (n,) + extra)
    if ignore:
        t.flat[0] = -100
    return t


def _loss_cases():
    cases = []
    for red in ("mean", "sum", "none"):
        cases += [
            ("mse_loss", [_randn(4, 3), _randn(4, 3)], {"reduction": red}),
            ("l1_loss", [_randn(4, 3), _randn(4, 3)], {"reduction": red}),
            ("smooth_l1_loss", [_randn(4, 3), _randn(4, 3)], {"reduction": red, "beta": 0.5}),
            ("huber_loss", [_randn(4, 3), _randn(4, 3)], {"reduction": red, "delta": 0.7}),
            ("cross_entropy", [_randn(5, 4), _cls_target(5, 4)], {"reduction": red}),
            ("cross_entropy", [_randn(5, 4), _cls_target(5, 4, ignore=True)],
             {"reduction": red, "weight": np.float32([1, 2, 0.5, 3]), "label_smoothing": 0.2}),
            ("cross_entropy", [_randn(2, 4, 3, 2), _cls_target(2, 4, 3, 2, ignore=True)],
             {"reduction": red, "weight": np.float32([1, 2, 0.5, 3])}),
            ("cross_entropy", [_randn(4), np.int64(2)], {"reduction": red}),
            ("cross_entropy", [_randn(5, 4), np.abs(_randn(5, 4))],
             {"reduction": red, "label_smoothing": 0.1, "weight": np.float32([1, 2, 0.5, 3])}),
            ("nll_loss", [_randn(5, 4), _cls_target(5, 4, ignore=True)],
             {"reduction": red, "weight": np.float32([1, 2, 0.5, 3])}),
            ("binary_cross_entropy", [RNG.uniform(0.05, 0.95, (4, 3)).astype(np.float32),
                                      RNG.uniform(0, 1, (4, 3)).astype(np.float32)],
             {"reduction": red, "weight": np.float32([1, 2, 3])}),
            ("binary_cross_entropy_with_logits", [_randn(4, 3) * 5,
                                                  RNG.uniform(0, 1, (4, 3)).astype(np.float32)],
             {"reduction": red, "pos_weight": np.float32([1, 2, 3]),
              "weight": np.float32([0.5, 1, 2])}),
            ("kl_div", [np.log(RNG.dirichlet(np.ones(3), 4)).astype(np.float32),
                        RNG.dirichlet(np.ones(3), 4).astype(np.float32)], {"reduction": red}),
            ("poisson_nll_loss", [_randn(4, 3), np.abs(_randn(4, 3)) * 3],
             {"reduction": red, "full": True}),
            ("poisson_nll_loss", [np.abs(_randn(4, 3)) + 0.1, np.abs(_randn(4, 3))],
             {"reduction": red, "log_input": False}),
            ("gaussian_nll_loss", [_randn(4, 3), _randn(4, 3), np.abs(_randn(4, 3)) + 0.1],
             {"reduction": red, "full": True}),
            ("margin_ranking_loss", [_randn(6), _randn(6), np.sign(_randn(6))],
             {"reduction": red, "margin": 0.3}),
            ("hinge_embedding_loss", [_randn(6), np.sign(_randn(6))],
             {"reduction": red, "margin": 0.5}),
            ("cosine_embedding_loss", [_randn(5, 3), _randn(5, 3), np.sign(_randn(5))],
             {"reduction": red, "margin": 0.2}),
            ("triplet_margin_loss", [_randn(5, 3), _randn(5, 3), _randn(5, 3)],
             {"reduction": red, "swap": True, "p": 1.5}),
            ("multilabel_soft_margin_loss", [_randn(4, 3),
                                             RNG.integers(0, 2, (4, 3)).astype(np.float32)],
             {"reduction": red, "weight": np.float32([1, 2, 3])}),
            ("multi_margin_loss", [_randn(5, 4), _cls_target(5, 4)],
             {"reduction": red, "p": 2, "weight": np.float32([1, 2, 0.5, 3])}),
            ("multilabel_margin_loss", [_randn(3, 4), np.array([[3, 0, -1, 1], [1, 2, 3, -1],
                                                               [-1, 0, 0, 0]])],
             {"reduction": red}),
            ("soft_margin_loss", [_randn(6), np.sign(_randn(6))], {"reduction": red}),
        ]
    cases.append(("kl_div", [_randn(4, 3), _randn(4, 3)],
                  {"reduction": "batchmean", "log_target": True}))
    return cases


_TENSOR_OPTIONS = ("weight", "pos_weight")
# How many leading inputs get gradients checked (torch rejects grads for some targets).
_N_GRAD = {"mse_loss": 2, "l1_loss": 2, "smooth_l1_loss": 2, "huber_loss": 2,
           "binary_cross_entropy": 2, "binary_cross_entropy_with_logits": 2, "kl_div": 2,
           "gaussian_nll_loss": 3, "margin_ranking_loss": 2, "cosine_embedding_loss": 2,
           "triplet_margin_loss": 3}


@pytest.mark.parametrize("name,inputs,kwargs", _loss_cases(),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_loss_matches_torch(name, inputs, kwargs):
    e_in, t_in = [], []
    for i, a in enumerate(inputs):
        a = np.asarray(a)
        floating = a.dtype.kind == "f" and i < _N_GRAD.get(name, 1)
        e_in.append(ember.tensor(a, requires_grad=floating))
        t_in.append(torch.tensor(a, requires_grad=floating))
    ekw = {k: ember.tensor(v) if k in _TENSOR_OPTIONS else v for k, v in kwargs.items()}
    tkw = {k: torch.tensor(v) if k in _TENSOR_OPTIONS else v for k, v in kwargs.items()}
    eo = getattr(EF, name)(*e_in, **ekw)
    to = getattr(TF, name)(*t_in, **tkw)
    _close(eo, to, 1e-4)
    g = _randn(*to.shape)
    eo.backward(ember.tensor(g))
    to.backward(torch.tensor(g))
    for e, t in zip(e_in, t_in):
        if t.grad is not None:
            _close(e.grad, t.grad, 1e-4)


def test_bce_with_logits_extreme_logits_match_torch():
    x = np.float32([1e4, -1e4, 0.0, 30.0])
    y = np.float32([0.0, 1.0, 1.0, 0.0])
    e, t = _pair(x)
    eo = EF.binary_cross_entropy_with_logits(e, ember.tensor(y))
    to = TF.binary_cross_entropy_with_logits(t, torch.tensor(y))
    _close(eo, to)
    eo.backward()
    to.backward()
    _close(e.grad, t.grad)


def test_binary_cross_entropy_at_saturated_probabilities_matches_torch():
    x = np.float32([0.0, 1.0, 0.5])
    y = np.float32([1.0, 0.0, 1.0])
    e, t = _pair(x)
    eo = EF.binary_cross_entropy(e, ember.tensor(y))
    to = TF.binary_cross_entropy(t, torch.tensor(y))
    _close(eo, to)
    eo.backward()
    to.backward()
    _close(e.grad, t.grad, 1e-3)


@pytest.mark.parametrize("name,args", [
    ("normalize", {"p": 3.0, "dim": 0}), ("cosine_similarity", {"dim": 1}),
    ("pairwise_distance", {"p": 2.0, "keepdim": True})])
def test_distance_function_matches_torch(name, args):
    a, b = _randn(4, 3), _randn(4, 3)
    ea, ta = _pair(a)
    eb, tb = _pair(b)
    fn_args = (ea,) if name == "normalize" else (ea, eb)
    tfn_args = (ta,) if name == "normalize" else (ta, tb)
    eo, to = getattr(EF, name)(*fn_args, **args), getattr(TF, name)(*tfn_args, **args)
    _close(eo, to)
    eo.sum().backward()
    to.sum().backward()
    _close(ea.grad, ta.grad)


def test_one_hot_matches_torch():
    idx = np.array([[0, 3], [2, 1]])
    assert np.array_equal(EF.one_hot(ember.tensor(idx), 5).numpy(),
                          TF.one_hot(torch.tensor(idx), 5).numpy())


# -- layers: copy torch's weights, compare outputs and all gradients ------------------------------
LAYERS = [
    ("Linear", (4, 3), {}, [(2, 4)]),
    ("Linear", (4, 3), {"bias": False}, [(5, 2, 4)]),
    ("Linear", (4, 3), {}, [(4,)]),
    ("Bilinear", (4, 3, 2), {}, [(5, 4), (5, 3)]),
    ("PReLU", (3,), {}, [(2, 3, 4)]),
    ("PReLU", (), {}, [(2, 3)]),
    ("ReLU", (), {}, [(2, 3)]),
    ("GELU", (), {"approximate": "tanh"}, [(2, 3)]),
    ("Softmax", (), {"dim": 1}, [(2, 3)]),
    ("LogSoftmax", (), {"dim": 1}, [(2, 3, 2)]),
    ("Softmax2d", (), {}, [(2, 3, 2, 2)]),
    ("Flatten", (), {}, [(2, 3, 4)]),
    ("Unflatten", (1, (2, 2)), {}, [(3, 4)]),
    ("Identity", (), {}, [(3, 4)]),
    ("Dropout", (0.3,), {}, [(3, 4)]),
]


@pytest.mark.parametrize("cls,args,kwargs,shapes", LAYERS, ids=lambda v: str(v))
def test_layer_matches_torch(cls, args, kwargs, shapes):
    tm = getattr(tnn, cls)(*args, **kwargs).eval()
    em = getattr(enn, cls)(*args, **kwargs).eval()
    state = {k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()}
    em.load_state_dict(state)
    assert list(em.state_dict().keys()) == list(tm.state_dict().keys())
    assert repr(em) == repr(tm)
    e_in, t_in = zip(*[_pair(_randn(*s)) for s in shapes])
    eo, to = em(*e_in), tm(*t_in)
    _close(eo, to)
    g = _randn(*to.shape)
    eo.backward(ember.tensor(g))
    to.backward(torch.tensor(g))
    for e, t in zip(e_in, t_in):
        _close(e.grad, t.grad)
    for (name, ep), (_, tp) in zip(em.named_parameters(), tm.named_parameters()):
        _close(ep.grad, tp.grad, 1e-4)


def test_linear_default_init_bounds_match_torch():
    em = enn.Linear(50, 20)
    bound = 1 / np.sqrt(50)
    w = em.weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.abs(em.bias.detach().numpy()).max() <= bound


@pytest.mark.parametrize("cls,args", [
    ("CrossEntropyLoss", {"label_smoothing": 0.1, "ignore_index": 3}), ("NLLLoss", {}),
    ("MSELoss", {"reduction": "sum"}), ("KLDivLoss", {"log_target": True}),
    ("HuberLoss", {"delta": 2.0}), ("TripletMarginLoss", {"margin": 2.0}),
    ("Dropout2d", {"p": 0.1}), ("LeakyReLU", {"negative_slope": 0.2, "inplace": True}),
    ("Hardtanh", {"min_val": -2.0}), ("ReLU6", {"inplace": True}), ("ELU", {"alpha": 0.5}),
    ("Softplus", {"beta": 2.0}), ("Softshrink", {}), ("Hardshrink", {"lambd": 0.2}),
    ("Threshold", {"threshold": 0.1, "value": 2.0}), ("GLU", {}), ("RReLU", {}),
    ("AlphaDropout", {}), ("SiLU", {"inplace": True}), ("CELU", {}), ("Softmin", {"dim": 1}),
])
def test_module_repr_matches_torch(cls, args):
    assert repr(getattr(enn, cls)(**args)) == repr(getattr(tnn, cls)(**args))


def _net(nn):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 3)
            self.blocks = nn.ModuleList([nn.Linear(3, 3) for _ in range(3)])
            self.head = nn.Sequential(nn.ReLU(), nn.Dropout(0.1), nn.Linear(3, 2))
            self.register_buffer("steps", (ember if nn is enn else torch).zeros(1))
    return Net()


def test_nested_repr_and_keys_match_torch():
    en, tn = _net(enn), _net(tnn)
    assert repr(en) == repr(tn)
    assert list(en.state_dict()) == list(tn.state_dict())
    assert [n for n, _ in en.named_modules()] == [n for n, _ in tn.named_modules()]


def test_load_state_dict_error_message_matches_torch():
    en, tn = _net(enn), _net(tnn)
    state_t = tn.state_dict()
    del state_t["fc.bias"]
    state_t["extra"] = torch.zeros(1)
    state_t["head.2.weight"] = torch.zeros(5, 3)
    with pytest.raises(RuntimeError) as terr:
        tn.load_state_dict(state_t)
    state_e = {k: ember.tensor(v.numpy()) for k, v in state_t.items()}
    with pytest.raises(RuntimeError) as eerr:
        en.load_state_dict(state_e)
    assert str(eerr.value) == str(terr.value).replace("torch.Size", "ember.Size")


def test_parameter_containers_repr_match_torch():
    ep = enn.ParameterList([ember.zeros(2, 3), ember.zeros(4)])
    tp = tnn.ParameterList([torch.zeros(2, 3), torch.zeros(4)])
    assert repr(ep) == repr(tp).replace("torch.", "ember.")
    ed = enn.ParameterDict({"b": ember.zeros(2), "a": ember.zeros(1)})
    td = tnn.ParameterDict({"b": torch.zeros(2), "a": torch.zeros(1)})
    assert repr(ed) == repr(td).replace("torch.", "ember.")


def test_full_backward_hook_arguments_match_torch():
    seen = {}

    def hook_for(key):
        def hook(module, grad_input, grad_output):
            seen[key] = ([g.detach().numpy() if g is not None else None for g in grad_input],
                         [g.detach().numpy() for g in grad_output])
        return hook

    tm = tnn.Bilinear(3, 2, 4)
    em = enn.Bilinear(3, 2, 4)
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    tm.register_full_backward_hook(hook_for("t"))
    em.register_full_backward_hook(hook_for("e"))
    a, b = _randn(5, 3), _randn(5, 2)
    ea, ta = _pair(a)
    eb, tb = ember.tensor(b), torch.tensor(b)
    em(ea, eb).sum().backward()
    tm(ta, tb).sum().backward()
    (e_in, e_out), (t_in, t_out) = seen["e"], seen["t"]
    assert len(e_in) == len(t_in) == 2
    for e, t in zip(e_in, t_in):
        np.testing.assert_allclose(e, t, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(e_out[0], t_out[0], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("concatenated", [False, True])
def test_ctc_loss_matches_torch(reduction, concatenated):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((12, 3, 5)).astype(np.float32)
    labels = rng.integers(1, 5, (3, 4))
    labels[1, 1] = labels[1, 0]
    in_lens, tgt_lens = np.array([12, 10, 7]), np.array([4, 3, 0])
    targets = (np.concatenate([labels[n, :tgt_lens[n]] for n in range(3)]) if concatenated
               else labels)
    e, t = _pair(x)
    eo = EF.ctc_loss(e.log_softmax(2), ember.tensor(targets), ember.tensor(in_lens),
                     ember.tensor(tgt_lens), reduction=reduction)
    to = TF.ctc_loss(t.log_softmax(2), torch.tensor(targets), torch.tensor(in_lens),
                     torch.tensor(tgt_lens), reduction=reduction)
    _close(eo, to)
    eo.sum().backward()
    to.sum().backward()
    _close(e.grad, t.grad)


def test_ctc_loss_zero_infinity_and_unbatched_match_torch():
    x = _randn(3, 4)
    target = np.array([1, 2, 1, 2])
    for zero_infinity in (False, True):
        e, t = _pair(x)
        eo = EF.ctc_loss(e.log_softmax(1), ember.tensor(target), [3], [4],
                         zero_infinity=zero_infinity, reduction="sum")
        to = TF.ctc_loss(t.log_softmax(1), torch.tensor(target), [3], [4],
                         zero_infinity=zero_infinity, reduction="sum")
        _close(eo, to)
        if zero_infinity:
            eo.backward()
            to.backward()
            _close(e.grad, t.grad)
