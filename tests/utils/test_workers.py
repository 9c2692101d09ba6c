"""Tests for multi-process loading: ordering, sharding, seeding, faults and shutdown.

Datasets are tiny and waits short: each test starts two forked workers in well under a second.
"""
import faulthandler
import gc
import os
import random
import signal
import time

import numpy as np
import pytest

import ember
from ember.utils.data import (DataLoader, Dataset, IterableDataset, TensorDataset,
                              get_worker_info)

from .test_dataloader import _Squares


class _SlowEven(Dataset):
    """Even items take longer, so workers finish out of order."""

    def __getitem__(self, i):
        if i % 2 == 0:
            time.sleep(0.3)
        return i

    def __len__(self):
        return 12


class _Random(Dataset):
    def __getitem__(self, i):
        return [random.random(), float(np.random.rand()), ember.rand(1).item()]

    def __len__(self):
        return 4


class _Info(Dataset):
    def __getitem__(self, i):
        info = get_worker_info()
        return [info.id, info.num_workers, info.seed, info.dataset is self]

    def __len__(self):
        return 4


class _Sharded(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        if info is None:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))


class _Failing(Dataset):
    def __init__(self, bad, exc=ValueError):
        self.bad = bad
        self.exc = exc

    def __getitem__(self, i):
        if i == self.bad:
            raise self.exc(f"bad item {i}")
        return i

    def __len__(self):
        return 6


class _Dying(Dataset):
    def __init__(self, how):
        self.how = how

    def __getitem__(self, i):
        if i == 3:
            if self.how == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            faulthandler.disable()  # pytest's handler would dump every thread's stack
            os.abort()
        return i

    def __len__(self):
        return 8


class _Sleepy(Dataset):
    def __getitem__(self, i):
        time.sleep(5)
        return i

    def __len__(self):
        return 2


class _Unstackable(Dataset):
    def __getitem__(self, i):
        return object()

    def __len__(self):
        return 2


def _values(loader):
    return [b["y"].tolist() for b in loader]


def test_workers_match_single_process():
    single = list(DataLoader(_Squares(9), batch_size=2))
    multi = list(DataLoader(_Squares(9), batch_size=2, num_workers=2))
    assert len(single) == len(multi) == 5
    for a, b in zip(single, multi):
        assert np.array_equal(a["x"].numpy(), b["x"].numpy())
        assert a["y"].tolist() == b["y"].tolist() and a["y"].dtype == b["y"].dtype


def test_workers_tensor_dataset_matches_single_process():
    ds = TensorDataset(ember.arange(10).float(), ember.arange(10))
    single = [b[0].tolist() for b in DataLoader(ds, batch_size=3)]
    assert [b[0].tolist() for b in DataLoader(ds, batch_size=3, num_workers=2)] == single


def test_workers_keep_sampler_order_despite_timing():
    out = [b.tolist() for b in DataLoader(_SlowEven(), batch_size=1, num_workers=2)]
    assert sum(out, []) == list(range(12))


def test_workers_out_of_order_when_asked():
    out = DataLoader(_SlowEven(), batch_size=1, num_workers=2, in_order=False)
    assert sorted(sum((b.tolist() for b in out), [])) == list(range(12))


def test_worker_info_fields():
    rows = list(DataLoader(_Info(), batch_size=None, num_workers=2))
    ids = [r[0] for r in rows]
    assert ids == [0, 1, 0, 1]
    assert all(r[1] == 2 and r[3] for r in rows)
    assert rows[1][2] == rows[0][2] + 1


def test_iterable_dataset_sharded_by_worker_info():
    out = sum((b.tolist() for b in DataLoader(_Sharded(10), batch_size=2, num_workers=2)), [])
    assert sorted(out) == list(range(10))


def test_workers_seeded_differently():
    rows = [b for b in DataLoader(_Random(), batch_size=None, num_workers=2)]
    # Items 0 and 1 are the first draws of workers 0 and 1.
    assert rows[0] != rows[1]


def test_worker_seeds_repeat_with_manual_seed():
    ember.manual_seed(11)
    a = list(DataLoader(_Random(), batch_size=None, num_workers=2))
    ember.manual_seed(11)
    assert list(DataLoader(_Random(), batch_size=None, num_workers=2)) == a


def test_worker_init_fn_runs_in_each_worker():
    def init(worker_id):
        get_worker_info().dataset.n = 100 + worker_id

    class _N(Dataset):
        n = 0

        def __getitem__(self, i):
            return self.n

        def __len__(self):
            return 4

    out = [int(b) for b in DataLoader(_N(), batch_size=None, num_workers=2, worker_init_fn=init)]
    assert out == [100, 101, 100, 101]


def test_worker_exception_reraised_with_traceback():
    loader = DataLoader(_Failing(3), batch_size=1, num_workers=2)
    with pytest.raises(ValueError) as info:
        list(loader)
    msg = str(info.value)
    assert msg.startswith("Caught ValueError in DataLoader worker process 1.\n"
                          "Original Traceback (most recent call last):")
    assert "bad item 3" in msg and "[3]" in msg


def test_worker_exception_leaves_iterator_usable():
    it = iter(DataLoader(_Failing(1), batch_size=None, num_workers=2))
    assert next(it) == 0
    with pytest.raises(ValueError):
        next(it)
    assert next(it) == 2


def test_worker_key_error_keeps_type():
    with pytest.raises(KeyError, match="Caught KeyError in DataLoader worker process 0"):
        list(DataLoader(_Failing(0, KeyError), num_workers=2))


def test_worker_collate_failure_names_type():
    with pytest.raises(TypeError, match="found <class 'object'>"):
        list(DataLoader(_Unstackable(), batch_size=2, num_workers=2))


@pytest.mark.parametrize("how", ["kill", "abort"])
def test_dead_worker_raises_instead_of_hanging(how):
    loader = DataLoader(_Dying(how), batch_size=1, num_workers=2)
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited "
                                           r"unexpectedly"):
        list(loader)
    assert time.monotonic() - start < 10


def test_partial_message_rechecks_workers_instead_of_blocking():
    import multiprocessing
    import struct

    from ember.utils.data.dataloader import _ResultReader

    class _Dead(Exception):
        pass

    def check():
        raise _Dead  # what _check_workers does once the sender is gone

    q = multiprocessing.get_context("fork").Queue()
    # A header promising 1000 bytes, then only 10: a sender killed mid-write.
    os.write(q._writer.fileno(), struct.pack("!i", 1000) + b"x" * 10)
    with pytest.raises(_Dead):
        _ResultReader(q, check).get(timeout=1.0)
    q.close()


def test_timeout_raises():
    loader = DataLoader(_Sleepy(), num_workers=1, timeout=0.3)
    with pytest.raises(RuntimeError, match=r"DataLoader timed out after 0.3 seconds"):
        next(iter(loader))


def test_breaking_out_shuts_workers_down():
    it = iter(DataLoader(_Squares(20), batch_size=1, num_workers=2))
    next(it)
    workers = list(it._workers)
    del it
    gc.collect()
    # exitcode is set only once a process has been reaped: no zombies left behind.
    assert all(w.exitcode is not None for w in workers)


def test_exhausted_iterator_shuts_workers_down():
    it = iter(DataLoader(_Squares(4), batch_size=2, num_workers=2))
    list(it)
    assert all(w.exitcode is not None for w in it._workers)


def test_persistent_workers_reused_across_epochs():
    loader = DataLoader(_Squares(6), batch_size=2, num_workers=2, persistent_workers=True)
    first = _values(loader)
    pids = [w.pid for w in loader._iterator._workers]
    assert _values(loader) == first == [[0, 1], [4, 9], [16, 25]]
    assert [w.pid for w in loader._iterator._workers] == pids
    loader._iterator._shutdown_workers()


def test_persistent_workers_restart_iterable_dataset():
    loader = DataLoader(_Sharded(6), batch_size=2, num_workers=2, persistent_workers=True)
    first = sorted(sum((b.tolist() for b in loader), []))
    assert first == list(range(6))
    assert sorted(sum((b.tolist() for b in loader), [])) == first
    loader._iterator._shutdown_workers()


def test_spawn_context_works():
    loader = DataLoader(_Squares(4), batch_size=2, num_workers=1, multiprocessing_context="spawn")
    assert _values(loader) == [[0, 1], [4, 9]]


def test_prefetch_factor_default_with_workers():
    assert DataLoader(_Squares(4), num_workers=2).prefetch_factor == 2


def test_worker_init_fn_failure_reraised():
    def init(worker_id):
        raise RuntimeError(f"init failed in {worker_id}")

    with pytest.raises(RuntimeError, match="Caught RuntimeError in DataLoader worker process 0"):
        list(DataLoader(_Squares(4), num_workers=1, worker_init_fn=init))


def test_worker_seeds_follow_loader_generator():
    def first_draws(seed):
        g = ember.Generator().manual_seed(seed)
        return list(DataLoader(_Random(), batch_size=None, num_workers=2, generator=g))
    assert first_draws(4) == first_draws(4)
    assert first_draws(4) != first_draws(5)


def test_context_object_accepted():
    import multiprocessing
    loader = DataLoader(_Squares(4), batch_size=2, num_workers=1,
                        multiprocessing_context=multiprocessing.get_context("fork"))
    assert _values(loader) == [[0, 1], [4, 9]]
