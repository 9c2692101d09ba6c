"""The fused (N, C) cross-entropy node against the log_softmax + nll_loss composite."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F
from tests.conftest import check_grad


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("ignore_index", [-100, 1])
def test_fused_cross_entropy_matches_composite(reduction, ignore_index):
    rng = np.random.default_rng(1)
    data = rng.standard_normal((7, 5)).astype(np.float32)
    target = ember.tensor(rng.integers(0, 5, 7))
    fused_x = ember.tensor(data, requires_grad=True)
    comp_x = ember.tensor(data, requires_grad=True)
    fused = F.cross_entropy(fused_x, target, ignore_index=ignore_index, reduction=reduction)
    comp = F.nll_loss(F.log_softmax(comp_x, 1), target, ignore_index=ignore_index,
                      reduction=reduction)
    assert fused.grad_fn.name() == "NllLossBackward0"
    assert fused.dtype is ember.float32
    np.testing.assert_allclose(fused.item(), comp.item(), rtol=1e-6)
    fused.backward()
    comp.backward()
    np.testing.assert_allclose(fused_x.grad.numpy(), comp_x.grad.numpy(), atol=1e-7)


def test_fused_cross_entropy_second_order():
    target = ember.tensor([0, 2, 1, 1])
    check_grad(lambda x: F.cross_entropy(x, target), (4, 3))


def test_all_targets_ignored_gives_nan_loss_and_zero_gradient():
    x = ember.ones(2, 3, requires_grad=True)
    loss = F.cross_entropy(x, ember.tensor([-100, -100]))
    loss.backward()
    assert np.isnan(loss.item())
    assert np.all(x.grad.numpy() == 0)
