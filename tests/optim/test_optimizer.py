"""The Optimizer base: groups, validation, zero_grad, hooks and state_dict round trips."""
import copy

import numpy as np
import pytest

import ember
from ember import optim


def _params(seed=0, shapes=((4, 3), (3,))):
    rng = np.random.default_rng(seed)
    return [ember.tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True)
            for s in shapes]


def _set_grads(params, seed):
    rng = np.random.default_rng(seed)
    for p in params:
        p.grad = ember.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32))


def test_empty_parameter_list_raises():
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.SGD([], lr=0.1)


def test_negative_learning_rate_raises():
    with pytest.raises(ValueError, match="Invalid learning rate: -0.1"):
        optim.Adam(_params(), lr=-0.1)


def test_single_tensor_params_raise_type_error():
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        optim.SGD(_params()[0], lr=0.1)


def test_parameter_in_two_groups_raises():
    p = _params()
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter"):
        optim.SGD([{"params": p}, {"params": p[:1]}], lr=0.1)


def test_non_leaf_raises():
    p = _params()[0]
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([p * 2], lr=0.1)


def test_groups_take_defaults_and_own_options():
    a, b = _params()
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.9)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[1]["lr"] == 0.5
    assert opt.param_groups[1]["momentum"] == 0.9


def test_add_param_group_after_construction():
    a, b = _params()
    opt = optim.Adam([a], lr=0.1)
    opt.add_param_group({"params": b, "lr": 0.01})
    assert len(opt.param_groups) == 2 and opt.param_groups[1]["params"] == [b]


def test_params_without_grad_are_skipped():
    a, b = _params()
    before = b.detach().numpy().copy()
    opt = optim.Adam([a, b], lr=0.1)
    _set_grads([a], 1)
    opt.step()
    np.testing.assert_array_equal(b.detach().numpy(), before)
    assert b not in opt.state


def test_zero_grad_sets_none_by_default():
    params = _params()
    _set_grads(params, 1)
    optim.SGD(params, lr=0.1).zero_grad()
    assert all(p.grad is None for p in params)


def test_zero_grad_in_place_keeps_tensor():
    params = _params()
    _set_grads(params, 1)
    grad = params[0].grad
    optim.SGD(params, lr=0.1).zero_grad(set_to_none=False)
    assert params[0].grad is grad and not grad.numpy().any()


def test_step_updates_in_place_and_bumps_version():
    p = _params()[0]
    data, version = p._data, p._version
    _set_grads([p], 1)
    optim.SGD([p], lr=0.1, momentum=0.9).step()
    assert p._data is data and p._version == version + 1


def test_float32_stays_float32():
    params = _params()
    opt = optim.Adam(params, lr=0.1, weight_decay=0.1)
    for step in range(3):
        _set_grads(params, step)
        opt.step()
    assert all(p._data.dtype == np.float32 for p in params)
    assert all(v._data.dtype == np.float32 for s in opt.state.values() for v in s.values())


def test_nan_gradient_propagates():
    p = _params()[0]
    p.grad = ember.full(tuple(p.shape), float("nan"))
    optim.Adam([p], lr=0.1).step()
    assert np.isnan(p.detach().numpy()).all()


def test_step_state_is_float32_scalar_tensor():
    p = _params()[0]
    opt = optim.Adam([p], lr=0.1)
    _set_grads([p], 1)
    opt.step()
    step = opt.state[p]["step"]
    assert isinstance(step, ember.Tensor) and step.dtype == ember.float32 and step.ndim == 0
    assert step.item() == 1.0


def test_state_dict_uses_indices():
    params = _params()
    opt = optim.SGD(params, lr=0.1, momentum=0.9)
    _set_grads(params, 1)
    opt.step()
    sd = opt.state_dict()
    assert sd["param_groups"][0]["params"] == [0, 1]
    assert set(sd["state"]) == {0, 1}


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_resume_from_state_dict_is_bit_identical(name):
    options = {"lr": 0.05, "momentum": 0.9} if name == "SGD" else {"lr": 0.05, "amsgrad": True}
    a, b = _params(), _params()
    opt_a = getattr(optim, name)(a, **options)
    for step in range(3):
        _set_grads(a, step)
        opt_a.step()
    for pa, pb in zip(a, b):
        pb._data[...] = pa._data
    opt_b = getattr(optim, name)(b, **options)
    opt_b.load_state_dict(copy.deepcopy(opt_a.state_dict()))
    for step in range(3, 6):
        _set_grads(a, step)
        _set_grads(b, step)
        opt_a.step()
        opt_b.step()
    for pa, pb in zip(a, b):
        np.testing.assert_array_equal(pa.detach().numpy(), pb.detach().numpy())


def test_load_state_dict_group_size_mismatch_raises():
    opt = optim.SGD(_params(), lr=0.1)
    other = optim.SGD(_params()[:1], lr=0.1)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        opt.load_state_dict(other.state_dict())


def test_load_state_dict_group_count_mismatch_raises():
    a, b = _params()
    opt = optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        opt.load_state_dict(optim.SGD([a, b], lr=0.1).state_dict())


def test_load_state_dict_copies_state():
    params = _params()
    opt = optim.Adam(params, lr=0.1)
    _set_grads(params, 1)
    opt.step()
    sd = opt.state_dict()
    fresh = optim.Adam(params, lr=0.1)
    fresh.load_state_dict(sd)
    assert fresh.state[params[0]]["exp_avg"] is not sd["state"][0]["exp_avg"]


def test_step_hooks_run_in_order():
    params = _params()
    opt = optim.SGD(params, lr=0.1)
    calls = []
    opt.register_step_pre_hook(lambda o, args, kwargs: calls.append("pre"))
    handle = opt.register_step_post_hook(lambda o, args, kwargs: calls.append("post"))
    opt.step()
    handle.remove()
    opt.step()
    assert calls == ["pre", "post", "pre"]


def test_closure_result_is_returned():
    params = _params()
    opt = optim.SGD(params, lr=0.1)
    assert opt.step(lambda: 3.0) == 3.0


def test_repr_lists_groups_like_torch():
    text = repr(optim.SGD(_params(), lr=0.1))
    assert text.startswith("SGD (\nParameter Group 0\n    dampening: 0\n")
    assert text.endswith("    weight_decay: 0\n)")


def test_adagrad_param_group_added_later_gets_state():
    a, b = _params()
    opt = optim.Adagrad([a], lr=0.1, initial_accumulator_value=0.5)
    opt.add_param_group({"params": [b]})
    _set_grads([a, b], 1)
    opt.step()
    assert opt.state[b]["step"].item() == 1.0
