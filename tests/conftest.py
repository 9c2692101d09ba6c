"""Shared test fixtures: seeding, the second NumPy-backed device, and the gradcheck helper."""
import numpy as np
import pytest

import ember
from ember import _backend
from ember._backend._numpy import NumpyBackend

# A second device backed by NumPy, to test device plumbing without a GPU.
_backend.register_backend("testdev", NumpyBackend("testdev"))


@pytest.fixture(autouse=True)
def _seed():
    ember.manual_seed(0)
    np.random.seed(0)
    yield


def check_grad(fn, *shapes, positive=False, seed=0, gradgrad=True, **kwargs):
    """gradcheck (and gradgradcheck) of ``fn`` on random float64 inputs of ``shapes``."""
    rng = np.random.default_rng(seed)
    inputs = []
    for shape in shapes:
        data = rng.standard_normal(shape)
        if positive:
            data = np.abs(data) + 0.5
        inputs.append(ember.tensor(data, dtype=ember.float64, requires_grad=True))
    assert ember.autograd.gradcheck(fn, inputs, **kwargs)
    if gradgrad:
        assert ember.autograd.gradgradcheck(fn, inputs, **kwargs)
    return inputs
