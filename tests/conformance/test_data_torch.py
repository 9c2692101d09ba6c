"""ember.utils.data against torch.utils.data: the same collated structures, dtypes, lengths,
split sizes, distributed shards and error messages."""
import collections

import numpy as np
import pytest

import ember
from ember.utils import data as edata

torch = pytest.importorskip("torch")
tdata = torch.utils.data

Point = collections.namedtuple("Point", ["x", "y"])

COLLATE_CASES = {
    "floats": [1.5, 2.0, 3.25],
    "ints": [1, 2, 3],
    "bools": [True, False, True],
    "np_float32_scalars": [np.float32(1), np.float32(2)],
    "np_int16_arrays": [np.arange(3, dtype=np.int16), np.arange(3, dtype=np.int16)],
    "strings": ["a", "b"],
    "bytes": [b"a", b"b"],
    "dicts": [{"a": 1, "b": (1.0, "s")}, {"a": 2, "b": (2.0, "t")}],
    "tuples": [(1, 2.0), (3, 4.0)],
    "lists": [[1, 2], [3, 4]],
    "named_tuples": [Point(1, 2.0), Point(3, 4.0)],
    "nested": [{"p": [np.ones(2, np.float32), {"q": 1}]}, {"p": [np.zeros(2, np.float32),
                                                                 {"q": 2}]}],
}


def _to_np(obj):
    """A structure with tensors replaced by (dtype name, values), comparable across libraries."""
    if isinstance(obj, (ember.Tensor, torch.Tensor)):
        return ("tensor", str(obj.dtype).split(".")[-1], np.asarray(obj.tolist()).tolist())
    if isinstance(obj, dict):
        return {k: _to_np(v) for k, v in obj.items()}
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return (type(obj).__name__,) + tuple(_to_np(v) for v in obj)
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [_to_np(v) for v in obj])
    return obj


@pytest.mark.parametrize("name", list(COLLATE_CASES))
def test_default_collate_matches_torch(name):
    batch = COLLATE_CASES[name]
    assert _to_np(edata.default_collate(batch)) == _to_np(tdata.default_collate(batch))


@pytest.mark.parametrize("name", ["np_int16_arrays", "dicts", "nested", "strings"])
def test_default_convert_matches_torch(name):
    sample = COLLATE_CASES[name][0]
    assert _to_np(edata.default_convert(sample)) == _to_np(tdata.default_convert(sample))


@pytest.mark.parametrize("batch", [[object(), object()], [np.array(["a"]), np.array(["b"])],
                                   [ember.zeros(2), ember.zeros(3)], [[1, 2], [3]]],
                         ids=["object", "str_array", "shapes", "ragged"])
def test_collate_errors_match_torch(batch):
    tbatch = [torch.from_numpy(b.numpy()) if isinstance(b, ember.Tensor) else b for b in batch]
    with pytest.raises(Exception) as t_info:
        tdata.default_collate(tbatch)
    with pytest.raises(type(t_info.value)) as e_info:
        edata.default_collate(batch)
    assert str(e_info.value) == str(t_info.value)


@pytest.mark.parametrize("n,size,drop_last", [(10, 3, False), (10, 3, True), (9, 3, False),
                                              (2, 5, False), (2, 5, True)])
def test_loader_len_and_batches_match_torch(n, size, drop_last):
    x = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    e = edata.DataLoader(edata.TensorDataset(ember.from_numpy(x)), batch_size=size,
                         drop_last=drop_last)
    t = tdata.DataLoader(tdata.TensorDataset(torch.from_numpy(x)), batch_size=size,
                         drop_last=drop_last)
    assert len(e) == len(t)
    assert [_to_np(b) for b in e] == [_to_np(b) for b in t]


@pytest.mark.parametrize("n,lengths", [(10, [0.3, 0.3, 0.4]), (11, [0.5, 0.5]),
                                       (7, [0.1, 0.2, 0.7]), (10, [3, 7])])
def test_random_split_sizes_match_torch(n, lengths):
    e = [len(s) for s in edata.random_split(range(n), lengths)]
    t = [len(s) for s in tdata.random_split(range(n), lengths)]
    assert e == t


@pytest.mark.parametrize("n,replicas,drop_last", [(10, 4, False), (10, 4, True), (12, 3, False),
                                                  (3, 4, False)])
def test_distributed_sampler_unshuffled_matches_torch(n, replicas, drop_last):
    for rank in range(replicas):
        e = edata.DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        t = tdata.DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        assert list(e) == list(t) and len(e) == len(t)


@pytest.mark.parametrize("n,size,drop_last", [(7, 3, False), (7, 3, True), (6, 3, False)])
def test_batch_sampler_matches_torch(n, size, drop_last):
    e = edata.BatchSampler(range(n), size, drop_last)
    t = tdata.BatchSampler(range(n), size, drop_last)
    assert list(e) == list(t) and len(e) == len(t)


LOADER_ERRORS = [
    dict(num_workers=-1), dict(timeout=-1), dict(prefetch_factor=2),
    dict(persistent_workers=True), dict(shuffle=True, sampler=[0, 1]),
    dict(batch_size=2, batch_sampler=[[0, 1]]), dict(batch_size=None, drop_last=True),
    dict(multiprocessing_context="fork"),
]


@pytest.mark.parametrize("kwargs", LOADER_ERRORS, ids=lambda k: ",".join(k))
def test_loader_option_errors_match_torch(kwargs):
    with pytest.raises(Exception) as t_info:
        tdata.DataLoader(list(range(4)), **kwargs)
    with pytest.raises(type(t_info.value)) as e_info:
        edata.DataLoader(list(range(4)), **kwargs)
    assert str(e_info.value) == str(t_info.value)


def test_worker_error_message_matches_torch_prefix():
    class Bad(tdata.Dataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            raise ValueError("boom")

    class EBad(edata.Dataset):
        __len__ = Bad.__len__
        __getitem__ = Bad.__getitem__

    with pytest.raises(ValueError) as t_info:
        next(iter(tdata.DataLoader(Bad(), num_workers=1)))
    with pytest.raises(ValueError) as e_info:
        next(iter(edata.DataLoader(EBad(), num_workers=1)))
    head = "Caught ValueError in DataLoader worker process 0.\nOriginal Traceback"
    assert str(t_info.value).startswith(head) and str(e_info.value).startswith(head)
