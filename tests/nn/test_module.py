"""Module, Parameter and the containers: registration, traversal, state_dict, hooks, conversion."""
import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import ember
import ember.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 3)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(3, 2)
        self.register_buffer("running", ember.zeros(2))
        self.register_buffer("scratch", ember.ones(1), persistent=False)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x))) + self.running


# -- Parameter -------------------------------------------------------------------------------------
def test_parameter_requires_grad_by_default_and_shares_memory():
    data = ember.zeros(3)
    p = nn.Parameter(data)
    assert p.requires_grad and isinstance(p, ember.Tensor)
    data.add_(1)
    assert p.tolist() == [1.0, 1.0, 1.0]


def test_parameter_repr():
    assert repr(nn.Parameter(ember.tensor([1.0, 2.0]))) == (
        "Parameter containing:\ntensor([1., 2.], requires_grad=True)")


def test_parameter_deepcopy_and_pickle_keep_type():
    p = nn.Parameter(ember.ones(2), requires_grad=False)
    for q in (copy.deepcopy(p), pickle.loads(pickle.dumps(p))):
        assert type(q) is nn.Parameter and not q.requires_grad
        assert q.tolist() == [1.0, 1.0]


# -- registration and traversal --------------------------------------------------------------------
def test_setattr_registers_parameters_buffers_and_modules():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == ["fc1.weight", "fc1.bias", "fc2.weight",
                                                       "fc2.bias"]
    assert [n for n, _ in net.named_buffers()] == ["running", "scratch"]
    assert [n for n, _ in net.named_children()] == ["fc1", "act", "fc2"]
    assert [n for n, _ in net.named_modules()] == ["", "fc1", "act", "fc2"]


def test_shared_parameter_is_listed_once_unless_asked():
    net = Net()
    net.fc3 = net.fc1
    assert len(list(net.parameters())) == 4
    assert len(list(net.named_parameters(remove_duplicate=False))) == 6


def test_named_parameters_prefix_and_no_recurse():
    net = Net()
    assert list(dict(net.named_parameters(prefix="m"))) [0] == "m.fc1.weight"
    assert list(net.named_parameters(recurse=False)) == []


def test_assigning_plain_tensor_to_parameter_name_raises():
    net = Net()
    with pytest.raises(TypeError, match="cannot assign 'ember.FloatTensor' as parameter "
                                        "'weight'"):
        net.fc1.weight = ember.zeros(3, 4)


def test_register_parameter_rejects_plain_tensor():
    with pytest.raises(TypeError, match="object to parameter 'w'"):
        nn.Module().register_parameter("w", ember.ones(2))


def test_attribute_error_names_class():
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'foo'"):
        Net().foo


def test_delattr_removes_registered_entries():
    net = Net()
    del net.fc2
    del net.running
    assert "fc2" not in dict(net.named_children())
    assert "running" not in dict(net.named_buffers())


def test_dir_lists_members():
    names = dir(Net())
    assert {"fc1", "running", "forward"} <= set(names)


def test_get_submodule_and_parameter():
    net = Net()
    assert net.get_submodule("fc1") is net.fc1
    assert net.get_parameter("fc2.bias") is net.fc2.bias
    assert net.get_buffer("running") is net.running
    with pytest.raises(AttributeError, match="Linear has no attribute `nope`"):
        net.get_submodule("fc1.nope")


def test_buffer_name_validation():
    m = nn.Module()
    with pytest.raises(KeyError, match="buffer name can"):
        m.register_buffer("a.b", ember.zeros(1))
    with pytest.raises(TypeError, match="buffer name should be a string"):
        m.register_buffer(1, ember.zeros(1))


def test_apply_train_eval_and_requires_grad():
    net = Net().eval()
    assert not net.training and not net.fc1.training
    net.train()
    assert net.act.training
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "ReLU", "Linear", "Net"]
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_zero_grad_sets_none_or_zero():
    net = Net()
    net(ember.randn(2, 4)).sum().backward()
    net.zero_grad(set_to_none=False)
    assert all(float(p.grad.abs().sum()) == 0 for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_to_dtype_keeps_parameter_identity():
    net = Net()
    weight = net.fc1.weight
    net.double()
    assert net.fc1.weight is weight and weight.dtype is ember.float64
    assert net.running.dtype is ember.float64
    net.to(ember.float32)
    assert weight.dtype is ember.float32


def test_to_rejects_integer_dtype():
    with pytest.raises(TypeError, match="only accepts floating point"):
        Net().to(ember.int64)


def test_to_device_moves_parameters():
    net = Net().to("testdev")
    assert net.fc1.weight.device.type == "testdev"
    assert net(ember.randn(2, 4, device="testdev")).device.type == "testdev"


# -- state_dict ------------------------------------------------------------------------------------
def test_state_dict_skips_non_persistent_buffers_and_detaches():
    sd = Net().state_dict()
    assert list(sd) == ["running", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert not sd["fc1.weight"].requires_grad
    assert Net().state_dict(keep_vars=True)["fc1.weight"].requires_grad


def test_load_state_dict_round_trip():
    a, b = Net(), Net()
    result = b.load_state_dict(a.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert np.array_equal(a.fc1.weight.detach().numpy(), b.fc1.weight.detach().numpy())


def test_load_state_dict_error_changes_nothing():
    a, b = Net(), Net()
    before = b.fc1.weight.detach().numpy().copy()
    sd = a.state_dict()
    sd["fc2.weight"] = ember.zeros(5, 3)
    with pytest.raises(RuntimeError, match="size mismatch for fc2.weight"):
        b.load_state_dict(sd)
    assert np.array_equal(b.fc1.weight.detach().numpy(), before)


def test_load_state_dict_non_strict_reports_keys():
    sd = Net().state_dict()
    del sd["fc1.bias"]
    sd["bogus"] = ember.zeros(1)
    result = Net().load_state_dict(sd, strict=False)
    assert result.missing_keys == ["fc1.bias"] and result.unexpected_keys == ["bogus"]


def test_load_state_dict_assign_replaces_parameters():
    net = Net()
    sd = Net().state_dict()
    net.load_state_dict(sd, assign=True)
    assert isinstance(net.fc1.weight, nn.Parameter) and net.fc1.weight.requires_grad
    assert np.shares_memory(net.fc1.weight._data, sd["fc1.weight"]._data)


def test_load_from_state_dict_override_is_used():
    class Versioned(nn.Linear):
        def _load_from_state_dict(self, state_dict, prefix, local_metadata, *args):
            state_dict.setdefault(prefix + "bias", ember.full((2,), 7.0))
            super()._load_from_state_dict(state_dict, prefix, local_metadata, *args)

    m = Versioned(3, 2)
    m.load_state_dict({"weight": ember.zeros(2, 3)})
    assert m.bias.tolist() == [7.0, 7.0]


def test_extra_state_is_saved_and_loaded():
    class WithExtra(nn.Module):
        def __init__(self):
            super().__init__()
            self.value = 1

        def get_extra_state(self):
            return {"value": self.value}

        def set_extra_state(self, state):
            self.value = state["value"]

    m = WithExtra()
    m.value = 5
    n = WithExtra()
    n.load_state_dict(m.state_dict())
    assert n.value == 5


# -- hooks -----------------------------------------------------------------------------------------
def test_forward_pre_hook_and_forward_hook_can_replace_values():
    lin = nn.Linear(2, 2)
    lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    handle = lin.register_forward_hook(lambda m, args, out: out + 1)
    out = lin(ember.ones(1, 2))
    assert np.allclose(out.detach().numpy(), lin.bias.detach().numpy() + 1)
    handle.remove()
    assert np.allclose(lin(ember.ones(1, 2)).detach().numpy(), lin.bias.detach().numpy())


def test_forward_hooks_with_kwargs():
    class Scale(nn.Module):
        def forward(self, x, factor=1.0):
            return x * factor

    m = Scale()
    m.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"factor": 3.0}),
                                with_kwargs=True)
    seen = {}
    m.register_forward_hook(lambda mod, args, kwargs, out: seen.update(kwargs),
                            with_kwargs=True)
    assert m(ember.ones(1)).tolist() == [3.0]
    assert seen == {"factor": 3.0}


def test_always_call_hook_runs_when_forward_raises():
    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    calls = []
    m = Boom()
    m.register_forward_hook(lambda *a: calls.append(1), always_call=True)
    with pytest.raises(ValueError):
        m(ember.ones(1))
    assert calls == [1]


def test_full_backward_hook_sees_and_replaces_grad_input():
    lin = nn.Linear(3, 2)
    seen = {}

    def hook(module, grad_input, grad_output):
        seen["in"], seen["out"] = grad_input, grad_output
        return (grad_input[0] * 0,)

    lin.register_full_backward_hook(hook)
    x = ember.randn(4, 3, requires_grad=True)
    lin(x).sum().backward()
    assert seen["out"][0].shape == (4, 2) and seen["in"][0].shape == (4, 3)
    assert float(x.grad.abs().sum()) == 0.0
    assert lin.weight.grad is not None


def test_full_backward_pre_hook_can_scale_grad_output():
    lin = nn.Linear(3, 2)
    lin.register_full_backward_pre_hook(lambda m, g: (g[0] * 2,))
    x = ember.randn(4, 3, requires_grad=True)
    lin(x).sum().backward()
    expected = 2 * lin.weight.detach().numpy().sum(0)
    assert np.allclose(x.grad.numpy(), np.tile(expected, (4, 1)), atol=1e-6)


# -- repr, copy, pickle ----------------------------------------------------------------------------
def test_repr_nests_children():
    assert repr(Net()) == (
        "Net(\n  (fc1): Linear(in_features=4, out_features=3, bias=True)\n  (act): ReLU()\n"
        "  (fc2): Linear(in_features=3, out_features=2, bias=True)\n)")


def test_deepcopy_and_pickle_module():
    net = Net()
    for clone in (copy.deepcopy(net), pickle.loads(pickle.dumps(net))):
        assert clone.fc1.weight is not net.fc1.weight
        assert np.array_equal(clone.fc1.weight.detach().numpy(), net.fc1.weight.detach().numpy())
        assert isinstance(clone.fc1.weight, nn.Parameter)


def test_missing_forward_raises():
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(1)


# -- containers ------------------------------------------------------------------------------------
def test_sequential_indexing_slicing_and_mutation():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert isinstance(seq[1], nn.ReLU) and isinstance(seq[-1], nn.Linear)
    assert isinstance(seq[:2], nn.Sequential) and len(seq[:2]) == 2
    seq.append(nn.Sigmoid())
    seq.insert(0, nn.Identity())
    assert [type(m).__name__ for m in seq] == ["Identity", "Linear", "ReLU", "Linear", "Sigmoid"]
    del seq[0]
    assert list(seq._modules) == ["0", "1", "2", "3"]
    seq.extend([nn.Tanh()])
    assert len(seq) == 5 and seq(ember.randn(4, 2)).shape == (4, 1)
    with pytest.raises(IndexError, match="index 9 is out of range"):
        seq[9]


def test_sequential_ordered_dict_names():
    seq = nn.Sequential(OrderedDict(conv=nn.Linear(2, 2), act=nn.ReLU()))
    assert list(seq.state_dict()) == ["conv.weight", "conv.bias"]
    assert seq.act is seq[1]


def test_module_list_registers_and_repr_compresses_repeats():
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    ml.append(nn.ReLU())
    assert len(list(ml.parameters())) == 6
    assert repr(ml) == ("ModuleList(\n  (0-2): 3 x Linear(in_features=2, out_features=2, "
                        "bias=True)\n  (3): ReLU()\n)")
    assert isinstance(ml[1:], nn.ModuleList) and len(ml[1:]) == 3


def test_module_dict_behaves_like_dict():
    md = nn.ModuleDict({"a": nn.ReLU(), "b": nn.Linear(1, 1)})
    assert "a" in md and list(md.keys()) == ["a", "b"]
    md["c"] = nn.Tanh()
    assert md.pop("a").__class__ is nn.ReLU
    assert len(md) == 2 and len(list(md.parameters())) == 2


def test_parameter_list_and_dict_wrap_tensors():
    pl = nn.ParameterList([ember.zeros(2), nn.Parameter(ember.ones(3))])
    assert isinstance(pl[0], nn.Parameter) and len(pl) == 2
    assert [n for n, _ in pl.named_parameters()] == ["0", "1"]
    pd = nn.ParameterDict({"b": ember.zeros(1), "a": ember.ones(1)})
    assert list(pd.keys()) == ["a", "b"] and isinstance(pd["a"], nn.Parameter)
    assert "Parameter containing: [ember.FloatTensor of size 1]" in repr(pd)


def test_data_parallel_prefixes_state_dict_and_forwards():
    net = Net()
    dp = nn.DataParallel(net)
    assert list(dp.state_dict())[0] == "module.running"
    x = ember.randn(2, 4)
    assert np.allclose(dp(x).detach().numpy(), net(x).detach().numpy())


def test_buffer_marker_registers_on_assignment():
    m = nn.Module()
    m.stats = nn.Buffer(ember.zeros(2), persistent=False)
    m.count = nn.Buffer(ember.ones(1))
    assert [n for n, _ in m.named_buffers()] == ["stats", "count"]
    assert list(m.state_dict()) == ["count"]
    m.count = ember.full((1,), 5.0)
    assert m.count.item() == 5.0 and list(m.state_dict()) == ["count"]


def test_global_module_hooks_run_for_every_module():
    from ember.nn.modules.module import (register_module_forward_hook,
                                         register_module_full_backward_hook)
    seen, grads = [], []
    h1 = register_module_forward_hook(lambda m, a, out: seen.append(type(m).__name__))
    h2 = register_module_full_backward_hook(lambda m, gi, go: grads.append(type(m).__name__))
    try:
        seq = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
        seq(ember.randn(3, 2, requires_grad=True)).sum().backward()
    finally:
        h1.remove()
        h2.remove()
    assert seen == ["Linear", "ReLU", "Sequential"]
    assert sorted(grads) == ["Linear", "ReLU", "Sequential"]
    seq(ember.randn(1, 2))
    assert len(seen) == 3
