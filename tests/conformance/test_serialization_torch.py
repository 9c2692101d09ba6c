"""Checkpoints move both ways between ember.save/load and torch.save/load."""
import io
import os
from collections import OrderedDict

import numpy as np
import pytest
import torch

import ember

DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool",
          "complex64", "complex128"]


def _bytes_of(save, obj, **kwargs):
    buffer = io.BytesIO()
    save(obj, buffer, **kwargs)
    buffer.seek(0)
    return buffer


@pytest.mark.parametrize("dtype", DTYPES)
def test_torch_reads_ember_tensor(dtype):
    data = (np.arange(24) % 5).reshape(2, 3, 4).astype(dtype)
    out = torch.load(_bytes_of(ember.save, {"t": ember.tensor(data)}))
    assert str(out["t"].dtype) == f"torch.{dtype}"
    assert np.array_equal(out["t"].numpy(), data)


@pytest.mark.parametrize("dtype", DTYPES)
def test_ember_reads_torch_tensor(dtype):
    data = (np.arange(24) % 5).reshape(2, 3, 4).astype(dtype)
    out = ember.load(_bytes_of(torch.save, {"t": torch.from_numpy(data)}))
    assert out["t"].dtype == getattr(ember, dtype) and np.array_equal(out["t"].numpy(), data)


def test_torch_sees_ember_views_sharing_storage():
    base = ember.arange(12.0).reshape(3, 4)
    out = torch.load(_bytes_of(ember.save, {"base": base, "col": base[:, 2], "t": base.t()}))
    assert out["col"].untyped_storage().data_ptr() == out["base"].untyped_storage().data_ptr()
    assert out["col"].storage_offset() == 2 and out["col"].stride() == (4,)
    out["base"][0, 2] = -1
    assert out["col"][0].item() == -1 and out["t"].stride() == (1, 4)


def test_ember_reads_torch_views_and_non_contiguous():
    base = torch.arange(20.0).reshape(4, 5)
    saved = OrderedDict(base=base, t=base.t(), sl=base[1:, ::2], row=base[2])
    out = ember.load(_bytes_of(torch.save, saved))
    assert isinstance(out, OrderedDict)
    for key, value in saved.items():
        assert np.array_equal(out[key].numpy(), value.numpy())
        assert out[key].stride() == value.stride()
    out["base"]._data[2, 0] = -7
    assert out["row"][0].item() == -7 and out["sl"][1, 0].item() == -7


def test_parameters_round_trip_both_ways():
    from ember.nn import Parameter
    out = torch.load(_bytes_of(ember.save, {"w": Parameter(ember.ones(2, 2))}))
    assert isinstance(out["w"], torch.nn.Parameter) and out["w"].requires_grad
    back = ember.load(_bytes_of(torch.save, {"w": torch.nn.Parameter(torch.ones(3))}))
    assert isinstance(back["w"], Parameter) and back["w"].requires_grad


def test_ember_reads_legacy_torch_format():
    saved = {"a": torch.arange(6.0).reshape(2, 3), "b": torch.tensor([1, 2, 3])}
    saved["view"] = saved["a"][1]
    out = ember.load(_bytes_of(torch.save, saved, _use_new_zipfile_serialization=False))
    assert np.array_equal(out["a"].numpy(), saved["a"].numpy())
    assert np.array_equal(out["view"].numpy(), [3.0, 4.0, 5.0])
    out["a"]._data[1, 0] = 9
    assert out["view"][0].item() == 9


def test_torch_model_state_dict_loads_into_ember_model():
    torch_model = torch.nn.Linear(4, 3)
    model = ember.nn.Linear(4, 3)
    model.load_state_dict(ember.load(_bytes_of(torch.save, torch_model.state_dict())))
    np.testing.assert_array_equal(model.weight.detach().numpy(),
                                  torch_model.weight.detach().numpy())


def test_ember_model_state_dict_loads_into_torch_model():
    model = ember.nn.Linear(4, 3)
    torch_model = torch.nn.Linear(4, 3)
    torch_model.load_state_dict(torch.load(_bytes_of(ember.save, model.state_dict())))
    np.testing.assert_array_equal(torch_model.bias.detach().numpy(),
                                  model.bias.detach().numpy())


def test_dtype_size_device_are_torch_objects():
    out = torch.load(_bytes_of(ember.save, [ember.float64, ember.Size([1, 2]),
                                            ember.device("cpu")]))
    assert out == [torch.float64, torch.Size([1, 2]), torch.device("cpu")]


def test_torch_reads_ember_file_on_disk_with_mmap(tmp_path):
    path = tmp_path / "ckpt.pt"
    ember.save({"w": ember.arange(1000.0)}, path)
    out = torch.load(path, mmap=True)
    assert out["w"][999].item() == 999.0
    assert os.listdir(tmp_path) == ["ckpt.pt"]


def test_optimizer_state_dict_moves_to_torch():
    ember_p = ember.ones(3, requires_grad=True)
    opt = ember.optim.Adam([ember_p], lr=0.1)
    ember_p.grad = ember.ones(3)
    opt.step()
    torch_p = torch.ones(3, requires_grad=True)
    torch_opt = torch.optim.Adam([torch_p], lr=0.1)
    torch_opt.load_state_dict(torch.load(_bytes_of(ember.save, opt.state_dict())))
    assert torch_opt.state[torch_p]["step"].item() == 1.0


def test_torch_optimizer_checkpoint_resumes_in_ember():
    rng = np.random.default_rng(0)
    start = rng.standard_normal(5).astype(np.float32)
    grads = [rng.standard_normal(5).astype(np.float32) for _ in range(6)]
    torch_p = torch.tensor(start.copy(), requires_grad=True)
    torch_opt = torch.optim.Adam([torch_p], lr=0.1, amsgrad=True)
    for g in grads[:3]:
        torch_p.grad = torch.tensor(g)
        torch_opt.step()
    checkpoint = _bytes_of(torch.save, {"p": torch_p.detach(), "opt": torch_opt.state_dict()})
    loaded = ember.load(checkpoint)
    ember_p = loaded["p"].clone().requires_grad_(True)
    ember_opt = ember.optim.Adam([ember_p], lr=0.1, amsgrad=True)
    ember_opt.load_state_dict(loaded["opt"])
    for g in grads[3:]:
        torch_p.grad = torch.tensor(g)
        torch_opt.step()
        ember_p.grad = ember.tensor(g)
        ember_opt.step()
    np.testing.assert_allclose(ember_p.detach().numpy(), torch_p.detach().numpy(), rtol=1e-6)
