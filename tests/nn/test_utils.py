"""nn.utils: gradient clipping and parameter/vector conversion."""
import math

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.nn.utils import (clip_grad_norm_, clip_grad_value_, parameters_to_vector,
                            vector_to_parameters)


def _params_with_grads(*grads):
    params = []
    for g in grads:
        p = nn.Parameter(ember.zeros(len(g)))
        p.grad = ember.tensor(g)
        params.append(p)
    return params


def test_clip_grad_norm_scales_to_max_norm_and_returns_total():
    params = _params_with_grads([3.0, 0.0], [0.0, 4.0])
    total = clip_grad_norm_(params, 1.0)
    assert np.isclose(total.item(), 5.0)
    assert np.allclose(params[0].grad.numpy(), [3 / (5 + 1e-6), 0], atol=1e-6)


def test_clip_grad_norm_leaves_small_gradients():
    params = _params_with_grads([0.3, 0.4])
    clip_grad_norm_(params, 10.0, foreach=True)
    assert np.allclose(params[0].grad.numpy(), [0.3, 0.4])


def test_clip_grad_norm_inf_norm_and_single_tensor():
    p = _params_with_grads([1.0, -6.0])[0]
    total = clip_grad_norm_(p, 3.0, norm_type=math.inf)
    assert total.item() == 6.0 and np.allclose(p.grad.numpy(), [0.5, -3.0], atol=1e-5)


def test_clip_grad_norm_keeps_dtype():
    p = _params_with_grads([1.0, 2.0])[0]
    assert clip_grad_norm_([p], 1.0).dtype is ember.float32 and p.grad.dtype is ember.float32


def test_clip_grad_norm_nonfinite_raises_when_asked():
    params = _params_with_grads([float("inf"), 1.0])
    with pytest.raises(RuntimeError, match="is non-finite, so it cannot be clipped"):
        clip_grad_norm_(params, 1.0, error_if_nonfinite=True)


def test_clip_grad_norm_without_grads_returns_zero():
    assert clip_grad_norm_([nn.Parameter(ember.zeros(2))], 1.0).item() == 0.0


def test_clip_grad_value_clamps():
    params = _params_with_grads([-3.0, 0.5, 2.0])
    clip_grad_value_(params, 1.0)
    assert params[0].grad.tolist() == [-1.0, 0.5, 1.0]


def test_parameters_to_vector_and_back():
    m = nn.Linear(3, 2)
    vec = parameters_to_vector(m.parameters())
    assert vec.shape == (8,)
    vector_to_parameters(ember.arange(8.0), m.parameters())
    assert m.weight.detach().numpy().ravel().tolist() == list(range(6))
    assert m.bias.tolist() == [6.0, 7.0]


def test_vector_to_parameters_rejects_non_tensor():
    with pytest.raises(TypeError, match="expected torch.Tensor"):
        vector_to_parameters([1.0], nn.Linear(1, 1).parameters())


def test_get_total_norm_and_clip_grads_with_norm():
    from ember.nn.utils import clip_grads_with_norm_, get_total_norm
    params = _params_with_grads([3.0, 0.0], [0.0, 4.0])
    total = get_total_norm([p.grad for p in params])
    assert np.isclose(total.item(), 5.0)
    clip_grads_with_norm_(params, 2.5, total)
    assert np.allclose(params[1].grad.numpy(), [0, 2.0], atol=1e-5)
