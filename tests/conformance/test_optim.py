"""Optimiser trajectories match torch.optim step for step (same start, same gradients)."""
import numpy as np
import pytest
import torch

import ember

SHAPES = [(7, 5), (5,), (3, 2, 2)]
STEPS = 25

# (optimizer name, options) for every optimiser and option.
CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.5, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, maximize=True)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.9), eps=1e-6, decoupled_weight_decay=True,
                  weight_decay=0.05)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, alpha=0.9, weight_decay=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1,
                     weight_decay=0.01)),
    ("Adagrad", dict(lr=0.1, maximize=True, eps=1e-6)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, weight_decay=0.01, maximize=True)),
    ("Adamax", dict(lr=0.01)),
    ("Adamax", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1, maximize=True)),
    ("NAdam", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01, momentum_decay=0.01, weight_decay=0.1)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict(lr=0.01)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
]


def _start(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(np.float32) for s in SHAPES]


def _grads(arrays, step):
    """Gradient of a smooth loss at torch's current parameters, plus seeded noise."""
    rng = np.random.default_rng(1000 + step)
    return [(2 * a * np.cos(a) + 0.3 * rng.standard_normal(a.shape)).astype(np.float32)
            for a in arrays]


def _pair(name, options):
    start = _start()
    ember_params = [ember.tensor(a.copy(), requires_grad=True) for a in start]
    torch_params = [torch.tensor(a.copy(), requires_grad=True) for a in start]
    if name not in ember.optim.__dict__:
        pytest.skip(f"ember.optim.{name} not implemented")
    ember_opt = getattr(ember.optim, name)(ember_params, **options)
    torch_opt = getattr(torch.optim, name)(torch_params, **options)
    return ember_params, torch_params, ember_opt, torch_opt


def _run(ember_params, torch_params, ember_opt, torch_opt, steps, first=0):
    for step in range(first, first + steps):
        grads = _grads([t.detach().numpy() for t in torch_params], step)
        for e, t, g in zip(ember_params, torch_params, grads):
            e.grad = ember.tensor(g.copy())
            t.grad = torch.tensor(g.copy())
        ember_opt.step()
        torch_opt.step()


@pytest.mark.parametrize("name,options", CASES, ids=[f"{n}-{i}" for i, (n, _) in
                                                     enumerate(CASES)])
def test_trajectory_matches_torch(name, options):
    ember_params, torch_params, ember_opt, torch_opt = _pair(name, options)
    _run(ember_params, torch_params, ember_opt, torch_opt, STEPS)
    for e, t in zip(ember_params, torch_params):
        assert e.dtype == ember.float32
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=2e-5,
                                   atol=2e-6)


@pytest.mark.parametrize("name,options", CASES, ids=[f"{n}-{i}" for i, (n, _) in
                                                     enumerate(CASES)])
def test_state_dict_layout_matches_torch(name, options):
    ember_params, torch_params, ember_opt, torch_opt = _pair(name, options)
    _run(ember_params, torch_params, ember_opt, torch_opt, 3)
    ember_sd, torch_sd = ember_opt.state_dict(), torch_opt.state_dict()
    assert ember_sd["param_groups"] == torch_sd["param_groups"]
    assert ember_sd["state"].keys() == torch_sd["state"].keys()
    for index, torch_state in torch_sd["state"].items():
        ember_state = ember_sd["state"][index]
        assert ember_state.keys() == torch_state.keys()
        for key, value in torch_state.items():
            mine = ember_state[key]
            assert str(mine.dtype).split(".")[1] == str(value.dtype).split(".")[1]
            assert tuple(mine.shape) == tuple(value.shape)
            np.testing.assert_allclose(mine.numpy(), value.numpy(), rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_matches_torch(line_search_fn):
    target = np.linspace(-1, 1, 12).astype(np.float32).reshape(3, 4)
    start = np.zeros((3, 4), np.float32)
    results = []
    for lib in (ember, torch):
        x = lib.tensor(start.copy(), requires_grad=True)
        t = lib.tensor(target)
        opt = lib.optim.LBFGS([x], lr=1 if line_search_fn else 0.1, history_size=5, max_iter=10,
                              line_search_fn=line_search_fn)

        def closure():
            opt.zero_grad()
            loss = ((x - t) ** 2 * (1 + x ** 2)).sum()
            loss.backward()
            return loss
        for _ in range(3):
            opt.step(closure)
        results.append(x.detach().numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-4, atol=1e-5)
