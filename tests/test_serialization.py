"""ember.save / ember.load without torch: round trips, sharing, safety, atomicity, errors."""
import io
import os
import pickle
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import ember
from ember import serialization


def _roundtrip(obj, **kwargs):
    buffer = io.BytesIO()
    ember.save(obj, buffer)
    buffer.seek(0)
    return ember.load(buffer, **kwargs)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32", "int16",
                                   "int8", "uint8", "bool", "complex64", "complex128"])
def test_every_dtype_round_trips(dtype):
    data = (np.arange(12) % 3).reshape(3, 4).astype(dtype)
    out = _roundtrip(ember.tensor(data))
    assert out.dtype == getattr(ember, dtype) and np.array_equal(out.numpy(), data)


def test_zip_layout_matches_torch():
    buffer = io.BytesIO()
    ember.save({"w": ember.ones(3)}, buffer)
    names = zipfile.ZipFile(io.BytesIO(buffer.getvalue())).namelist()
    assert names[:4] == ["archive/data.pkl", "archive/.format_version",
                         "archive/.storage_alignment", "archive/byteorder"]
    assert "archive/data/0" in names and "archive/version" in names


def test_storage_records_are_64_byte_aligned():
    buffer = io.BytesIO()
    ember.save([ember.ones(3), ember.zeros(5)], buffer)
    raw = buffer.getvalue()
    zf = zipfile.ZipFile(io.BytesIO(raw))
    for info in zf.infolist():
        if "/data/" in info.filename:
            name_len, extra_len = np.frombuffer(raw[info.header_offset + 26:
                                                    info.header_offset + 30], "<u2")
            assert (info.header_offset + 30 + name_len + extra_len) % 64 == 0


def test_views_share_storage_after_loading():
    base = ember.arange(12.0).reshape(3, 4)
    out = _roundtrip({"base": base, "col": base[:, 1], "t": base.t()})
    out["base"]._data[0, 1] = 100.0
    assert out["col"][0].item() == 100.0 and out["t"][1, 0].item() == 100.0
    assert out["t"].stride() == (1, 4)


def test_same_tensor_twice_is_one_object():
    t = ember.ones(2)
    out = _roundtrip([t, t])
    assert out[0] is out[1]


def test_requires_grad_round_trips():
    out = _roundtrip(ember.ones(2, requires_grad=True))
    assert out.requires_grad and out.is_leaf


def test_parameter_round_trips():
    from ember.nn import Parameter
    out = _roundtrip(OrderedDict(w=Parameter(ember.ones(2))))
    assert isinstance(out, OrderedDict) and isinstance(out["w"], Parameter)
    assert out["w"].requires_grad


def test_dtype_device_and_size_round_trip():
    out = _roundtrip([ember.float16, ember.device("cpu"), ember.Size([2, 3])])
    assert out[0] is ember.float16 and out[1] == ember.device("cpu")
    assert tuple(out[2]) == (2, 3)


def test_optimizer_state_dict_round_trips():
    p = ember.ones(3, requires_grad=True)
    opt = ember.optim.Adam([p], lr=0.1)
    p.grad = ember.ones(3)
    opt.step()
    out = _roundtrip(opt.state_dict())
    assert out["state"][0]["step"].item() == 1.0 and out["param_groups"][0]["betas"] == (0.9,
                                                                                       0.999)


class _Evil:
    def __reduce__(self):
        return (os.system, ("touch " + _Evil.marker,))


def test_weights_only_refuses_code_and_runs_nothing(tmp_path):
    _Evil.marker = str(tmp_path / "pwned")
    path = tmp_path / "evil.pt"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/data.pkl", pickle.dumps(_Evil(), protocol=2))
    with pytest.raises(pickle.UnpicklingError, match="GLOBAL posix.system was not an allowed"):
        ember.load(path)
    assert not os.path.exists(_Evil.marker)


def test_numpy_reconstruct_is_not_allowed_by_default():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("archive/data.pkl", pickle.dumps(np.ones(2), protocol=2))
    buffer.seek(0)
    with pytest.raises(pickle.UnpicklingError, match="not an allowed global"):
        ember.load(buffer)


class Point:
    def __init__(self, x):
        self.x = x


def test_safe_globals_context_allows_a_class():
    buffer = io.BytesIO()
    ember.save(Point(3), buffer)
    buffer.seek(0)
    with serialization.safe_globals([Point]):
        assert ember.load(buffer).x == 3
    assert serialization.get_safe_globals() == []


def test_add_and_clear_safe_globals():
    serialization.add_safe_globals([Point])
    try:
        assert serialization.get_safe_globals() == [Point]
    finally:
        serialization.clear_safe_globals()
    assert serialization.get_safe_globals() == []


def test_weights_only_false_loads_arbitrary_objects():
    assert _roundtrip(Point(5), weights_only=False).x == 5


def test_whole_module_round_trips_with_weights_only_false():
    model = ember.nn.Linear(3, 2)
    out = _roundtrip(model, weights_only=False)
    assert isinstance(out, ember.nn.Linear)
    np.testing.assert_array_equal(out.weight.detach().numpy(), model.weight.detach().numpy())


def test_failed_save_keeps_previous_file(tmp_path):
    path = tmp_path / "ckpt.pt"
    ember.save({"v": ember.ones(2)}, path)
    before = path.read_bytes()

    class Boom:
        def __reduce__(self):
            raise RuntimeError("boom")
    with pytest.raises(RuntimeError, match="boom"):
        ember.save({"v": ember.zeros(2), "x": Boom()}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.pt"]


@pytest.fixture
def large_save(monkeypatch):
    """Every save takes the large-file path: syncing while writing, freeing the old file late."""
    monkeypatch.setattr(serialization, "_LARGE_SAVE_BYTES", 0)
    monkeypatch.setattr(serialization, "_SYNC_INTERVAL_S", 0.0)


def test_large_save_replaces_previous_file_and_closes_it(tmp_path, large_save):
    path = tmp_path / "ckpt.pt"
    fds_before = set(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None
    for value in (1.0, 2.0, 3.0):
        ember.save({"v": ember.full((1000,), value)}, path)
        assert ember.load(path)["v"].tolist() == [value] * 1000
    assert os.listdir(tmp_path) == ["ckpt.pt"]
    if fds_before is not None:  # the replaced files' descriptors are closed, on a thread
        import threading
        for thread in threading.enumerate():
            if thread.name == "ember-save-free":
                thread.join()
        assert set(os.listdir("/proc/self/fd")) <= fds_before


_WRITERS = {"save": lambda path, t: ember.save({"v": t}, path),
            "safetensors": lambda path, t: serialization.save_safetensors({"v": t}, path)}


@pytest.mark.parametrize("writer, failing", [("save", "fsync"), ("safetensors", "fsync"),
                                             ("save", "fdatasync")])
def test_failed_sync_keeps_previous_file(tmp_path, monkeypatch, writer, failing):
    """fdatasync fails on the large-file path's writing thread; the final fsync (which on Linux
    would not report the error a second time) succeeds, so only that thread can tell."""
    if writer == "safetensors":
        pytest.importorskip("safetensors")
    if failing == "fdatasync":
        monkeypatch.setattr(serialization, "_LARGE_SAVE_BYTES", 0)
        monkeypatch.setattr(serialization, "_SYNC_INTERVAL_S", 0.0)
    path = tmp_path / "ckpt"
    _WRITERS[writer](path, ember.ones(2))
    before = path.read_bytes()

    def fail(fd):
        raise OSError(5, "Input/output error")
    monkeypatch.setattr(serialization.os, failing, fail)
    with pytest.raises(OSError, match="Input/output error"):
        _WRITERS[writer](path, ember.zeros(4_000_000))
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt"]


def test_truncated_file_names_file_and_problem(tmp_path):
    path = tmp_path / "ckpt.pt"
    ember.save({"v": ember.ones(1000)}, path)
    path.write_bytes(path.read_bytes()[:2000])
    with pytest.raises(RuntimeError, match="ckpt.pt.*(truncated|corrupt)"):
        ember.load(path)


@pytest.mark.parametrize("on_thread", [False, True], ids=["inline", "on-thread"])
def test_corrupt_storage_fails_crc(tmp_path, monkeypatch, on_thread):
    if on_thread:  # large records are checked on a thread while loading goes on
        monkeypatch.setattr(serialization, "_PARALLEL_CRC_BYTES", 0)
        monkeypatch.setattr(ember._parallel, "_num_threads", 2)
    path = tmp_path / "ckpt.pt"
    ember.save({"w": ember.ones(1000), "v": ember.zeros(1000), "u": ember.ones(10)}, path)
    raw = bytearray(path.read_bytes())
    info = [i for i in zipfile.ZipFile(path).infolist() if i.filename.endswith("data/1")][0]
    raw[info.header_offset + 200] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(RuntimeError, match="ckpt.pt: record data/1 fails its CRC"):
        ember.load(path)


def test_garbage_file_raises_clear_error(tmp_path):
    path = tmp_path / "junk.pt"
    path.write_bytes(b"hello world, not a checkpoint")
    with pytest.raises(RuntimeError, match="junk.pt"):
        ember.load(path)


def test_mmap_load_matches(tmp_path):
    path = tmp_path / "ckpt.pt"
    ember.save({"v": ember.arange(10.0)}, path)
    out = ember.load(path, mmap=True)
    np.testing.assert_array_equal(out["v"].numpy(), np.arange(10.0, dtype=np.float32))


def test_map_location_callable_and_dict():
    seen = []

    def where(storage, location):
        seen.append(location)
        return None
    out = _roundtrip(ember.ones(2), map_location=where)
    assert seen == ["cpu"] and out.device == ember.device("cpu")
    assert _roundtrip(ember.ones(2), map_location={"cpu": "cpu"}).device.type == "cpu"


def test_cuda_checkpoint_without_gpu_asks_for_map_location(monkeypatch):
    buffer = io.BytesIO()
    ember.save(ember.ones(2), buffer)
    buffer.seek(0)
    monkeypatch.setattr(ember.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="map_location=torch.device\\('cpu'\\)"):
        ember.load(buffer, map_location="cuda")


def test_safetensors_round_trip(tmp_path):
    pytest.importorskip("safetensors")
    path = tmp_path / "w.safetensors"
    serialization.save_safetensors({"a": ember.arange(4.0), "b": ember.ones(2, 2)}, path)
    out = serialization.load_safetensors(path)
    assert set(out) == {"a", "b"} and out["a"].tolist() == [0.0, 1.0, 2.0, 3.0]


def test_whole_module_loads_with_weights_only_inside_safe_globals():
    buffer = io.BytesIO()
    ember.save(ember.nn.Linear(3, 2), buffer)
    buffer.seek(0)
    with pytest.raises(pickle.UnpicklingError, match="ember.nn.modules.linear.Linear"):
        ember.load(buffer)
    buffer.seek(0)
    with serialization.safe_globals([ember.nn.Linear]):
        out = ember.load(buffer)
    assert isinstance(out, ember.nn.Linear) and tuple(out.weight.shape) == (3, 2)[::-1]
