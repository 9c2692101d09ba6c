"""Every optimiser fits a small least-squares regression (no torch needed)."""
import numpy as np
import pytest

import ember
from ember import optim

CASES = [("SGD", dict(lr=0.05, momentum=0.9)),
         ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
         ("Adam", dict(lr=0.05)), ("AdamW", dict(lr=0.05, weight_decay=1e-4)),
         ("RMSprop", dict(lr=0.01)), ("Adagrad", dict(lr=0.5)), ("Adadelta", dict(lr=5.0)),
         ("Adamax", dict(lr=0.1)), ("NAdam", dict(lr=0.05)), ("RAdam", dict(lr=0.05))]


def _problem():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 5)).astype(np.float32)
    true_w = rng.standard_normal((5, 1)).astype(np.float32)
    return ember.tensor(x), ember.tensor(x @ true_w + 0.5)


def _loss(w, b, x, y):
    return ((x @ w + b - y) ** 2).mean()


@pytest.mark.parametrize("name,options", CASES, ids=[f"{n}-{i}" for i, (n, _) in
                                                     enumerate(CASES)])
def test_fits_linear_regression(name, options):
    x, y = _problem()
    w = ember.zeros(5, 1, requires_grad=True)
    b = ember.zeros(1, requires_grad=True)
    opt = getattr(optim, name)([w, b], **options)
    start = _loss(w, b, x, y).item()
    for _ in range(300):
        opt.zero_grad()
        loss = _loss(w, b, x, y)
        loss.backward()
        opt.step()
    assert _loss(w, b, x, y).item() < 1e-2 * start


def test_lbfgs_fits_linear_regression():
    x, y = _problem()
    w = ember.zeros(5, 1, requires_grad=True)
    b = ember.zeros(1, requires_grad=True)
    opt = optim.LBFGS([w, b], line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = _loss(w, b, x, y)
        loss.backward()
        return loss
    for _ in range(5):
        opt.step(closure)
    assert _loss(w, b, x, y).item() < 1e-6
