"""Tests for the single-process DataLoader and default_collate/default_convert."""
import collections

import numpy as np
import pytest

import ember
from ember.utils.data import (BatchSampler, DataLoader, Dataset, IterableDataset,
                              SequentialSampler, TensorDataset, default_collate, default_convert,
                              get_worker_info)


class _Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        return {"x": np.full(2, i, dtype=np.float32), "y": i * i}

    def __len__(self):
        return self.n


class _Stream(IterableDataset):
    def __init__(self, n, length=True):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


Point = collections.namedtuple("Point", ["x", "y"])


def test_collate_numbers_get_torch_dtypes():
    assert default_collate([1.5, 2.0]).dtype == ember.float64
    assert default_collate([1, 2]).dtype == ember.int64
    assert default_collate([True, False]).dtype == ember.bool
    assert default_collate([np.float32(1), np.float32(2)]).dtype == ember.float32


def test_collate_stacks_tensors_and_arrays():
    out = default_collate([ember.ones(2, 3), ember.zeros(2, 3)])
    assert out.shape == (2, 2, 3) and out.dtype == ember.float32
    arr = default_collate([np.zeros(3, dtype=np.int32), np.ones(3, dtype=np.int32)])
    assert arr.shape == (2, 3) and arr.dtype == ember.int32


def test_collate_promotes_mixed_tensor_dtypes_like_torch():
    out = default_collate([ember.zeros(2, dtype=ember.int32), ember.zeros(2)])
    assert out.dtype == ember.float32


def test_collate_strings_stay_lists():
    assert default_collate(["a", "b"]) == ["a", "b"]


def test_collate_transposes_containers():
    out = default_collate([{"a": (1, 2.0)}, {"a": (3, 4.0)}])
    assert out["a"][0].tolist() == [1, 3] and out["a"][1].tolist() == [2.0, 4.0]


def test_collate_named_tuple():
    out = default_collate([Point(1, 2), Point(3, 4)])
    assert isinstance(out, Point) and out.x.tolist() == [1, 3]


def test_collate_list_sizes_must_match():
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal"):
        default_collate([[1, 2], [3]])


def test_collate_tensor_shapes_must_match():
    with pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size, but got "
                                           r"\[2\] at entry 0 and \[3\] at entry 1"):
        default_collate([ember.zeros(2), ember.zeros(3)])


def test_collate_error_names_type():
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors, numpy "
                                        "arrays, numbers, dicts or lists; found <class 'object'>"):
        default_collate([object(), object()])


def test_collate_string_array_error():
    with pytest.raises(TypeError, match="found <U1"):
        default_collate([np.array(["a"]), np.array(["b"])])


def test_default_convert():
    out = default_convert({"a": np.arange(3), "b": [np.float64(2.0)], "s": "txt"})
    assert isinstance(out["a"], ember.Tensor) and out["a"].dtype == ember.int64
    assert out["b"][0].dtype == ember.float64 and out["s"] == "txt"


def test_loader_batches_in_order():
    loader = DataLoader(_Squares(5), batch_size=2)
    batches = list(loader)
    assert len(loader) == 3 and len(batches) == 3
    assert batches[0]["y"].tolist() == [0, 1] and batches[2]["y"].tolist() == [16]
    assert batches[1]["x"].shape == (2, 2)


def test_loader_drop_last():
    assert len(DataLoader(_Squares(5), batch_size=2, drop_last=True)) == 2
    assert len(list(DataLoader(_Squares(5), batch_size=2, drop_last=True))) == 2


def test_loader_batch_size_none_converts_only():
    items = list(DataLoader(_Squares(3), batch_size=None))
    assert items[2]["y"] == 4 and isinstance(items[2]["x"], ember.Tensor)


def test_loader_shuffle_with_generator_repeats():
    def order(seed):
        g = ember.Generator().manual_seed(seed)
        return [b["y"].tolist() for b in DataLoader(_Squares(10), batch_size=3, shuffle=True,
                                                    generator=g)]
    assert order(1) == order(1)
    assert sorted(sum(order(1), [])) == sorted(i * i for i in range(10))


def test_loader_custom_batch_sampler():
    loader = DataLoader(_Squares(6), batch_sampler=[[5, 0], [1]])
    assert [b["y"].tolist() for b in loader] == [[25, 0], [1]]


def test_loader_mutually_exclusive_options():
    ds = _Squares(4)
    with pytest.raises(ValueError, match="sampler option is mutually exclusive with shuffle"):
        DataLoader(ds, sampler=SequentialSampler(ds), shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive with "
                                         "batch_size, shuffle, sampler, and drop_last"):
        DataLoader(ds, batch_size=2, batch_sampler=BatchSampler(range(4), 2, False))
    with pytest.raises(ValueError, match="batch_size=None option disables auto-batching"):
        DataLoader(ds, batch_size=None, drop_last=True)


def test_loader_option_validation():
    ds = _Squares(4)
    with pytest.raises(ValueError, match="num_workers option should be non-negative"):
        DataLoader(ds, num_workers=-1)
    with pytest.raises(ValueError, match="timeout option should be non-negative"):
        DataLoader(ds, timeout=-1)
    with pytest.raises(ValueError, match="prefetch_factor option could only be specified"):
        DataLoader(ds, prefetch_factor=2)
    with pytest.raises(ValueError, match="persistent_workers option needs num_workers > 0"):
        DataLoader(ds, persistent_workers=True)
    with pytest.raises(ValueError, match="multiprocessing_context can only be used"):
        DataLoader(ds, multiprocessing_context="fork")


def test_loader_attribute_frozen_after_init():
    loader = DataLoader(_Squares(4))
    with pytest.raises(ValueError, match="batch_size attribute should not be set after "
                                         "DataLoader is initialized"):
        loader.batch_size = 3


def test_loader_iterable_dataset_rejects_shuffle_and_sampler():
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        DataLoader(_Stream(4), shuffle=True)
    with pytest.raises(ValueError, match="expected unspecified sampler option"):
        DataLoader(_Stream(4), sampler=[0, 1])


def test_loader_iterable_dataset_batches_and_len():
    loader = DataLoader(_Stream(7), batch_size=3)
    assert len(loader) == 3
    assert [b.tolist() for b in loader] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [b.tolist() for b in DataLoader(_Stream(7), batch_size=3, drop_last=True)] == \
        [[0, 1, 2], [3, 4, 5]]


def test_tensor_dataset_fast_path_matches_collate():
    x = ember.randn(10, 3)
    y = ember.arange(10)
    ds = TensorDataset(x, y)
    fast = list(DataLoader(ds, batch_size=4, shuffle=True,
                           generator=ember.Generator().manual_seed(0)))
    slow = list(DataLoader(ds, batch_size=4, shuffle=True, collate_fn=lambda b: default_collate(b),
                           generator=ember.Generator().manual_seed(0)))
    assert isinstance(fast[0], list) and len(fast) == len(slow)
    for f, s in zip(fast, slow):
        assert f[0].dtype == s[0].dtype and np.array_equal(f[0].numpy(), s[0].numpy())
        assert np.array_equal(f[1].numpy(), s[1].numpy())


def test_get_worker_info_none_in_main_process():
    assert get_worker_info() is None


def test_loader_base_seed_follows_manual_seed():
    ds = _Squares(4)
    ember.manual_seed(3)
    a = iter(DataLoader(ds))._base_seed
    ember.manual_seed(3)
    assert iter(DataLoader(ds))._base_seed == a


def test_loader_works_under_tqdm():
    tqdm = pytest.importorskip("tqdm").tqdm
    loader = DataLoader(_Squares(5), batch_size=2)
    bar = tqdm(loader, disable=True)
    assert bar.total == 3 and len(list(bar)) == 3


def test_single_process_rejects_timeout_like_torch():
    with pytest.raises(AssertionError, match="requires timeout == 0"):
        iter(DataLoader(_Squares(2), timeout=1))


def test_pin_memory_is_accepted_no_op():
    batch = next(iter(DataLoader(_Squares(2), batch_size=2, pin_memory=True)))
    assert batch["y"].tolist() == [0, 1]


def test_iterable_dataset_without_batching():
    assert [int(v) for v in DataLoader(_Stream(3), batch_size=None)] == [0, 1, 2]
