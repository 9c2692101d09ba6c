"""Batches with large arrays reach the main process through shared-memory files."""
import glob
import os
import time

import numpy as np
import pytest

import ember
from ember.utils.data import DataLoader, Dataset, _shared

pytestmark = pytest.mark.skipif(not _shared.shared_dir_usable(), reason="needs /dev/shm")


class _Images(Dataset):
    """Items whose "raw" array alone (80 KB) takes the shared-memory path."""

    def __getitem__(self, i):
        image = ember.full((3, 32, 32), float(i))
        return {"image": image, "raw": np.arange(20000, dtype=np.int32) + i,
                "small": ember.tensor([i]), "name": f"item{i}"}

    def __len__(self):
        return 10


def _leftovers():
    return glob.glob(os.path.join(_shared._SHM_DIR, "ember-dl-*"))


def _assert_batches_equal(got, want):
    assert len(got) == len(want)
    for a, b in zip(got, want):
        assert a["image"].dtype == b["image"].dtype == ember.float32
        assert ember.equal(a["image"], b["image"])
        assert a["raw"].dtype == b["raw"].dtype == ember.int32
        assert ember.equal(a["raw"], b["raw"])
        assert ember.equal(a["small"], b["small"])
        assert a["name"] == b["name"]


def test_large_batches_match_single_process_and_leave_no_files():
    before = set(_leftovers())
    want = list(DataLoader(_Images(), batch_size=4))
    got = list(DataLoader(_Images(), batch_size=4, num_workers=2))
    _assert_batches_equal(got, want)
    assert set(_leftovers()) == before


def test_shared_batches_are_writable_and_outlive_the_loader():
    loader = DataLoader(_Images(), batch_size=5, num_workers=2)
    batches = list(loader)
    del loader
    batches[0]["image"].add_(1)
    assert batches[0]["image"][0, 0, 0, 0].item() == 1.0
    assert batches[1]["raw"][4, -1].item() == 19999 + 9


def test_unread_batches_are_deleted_when_the_loader_stops():
    before = set(_leftovers())
    it = iter(DataLoader(_Images(), batch_size=1, num_workers=2, prefetch_factor=4))
    next(it)
    deadline = time.monotonic() + 10
    while len(set(_leftovers()) - before) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)  # the batches after the first are written, not yet read
    assert len(set(_leftovers()) - before) >= 2
    it._shutdown_workers()
    assert set(_leftovers()) == before


def test_full_shared_memory_falls_back_to_the_pipe(monkeypatch):
    def full(fd, offset, length):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(_shared.os, "posix_fallocate", full)  # forked workers inherit it
    before = set(_leftovers())
    want = list(DataLoader(_Images(), batch_size=4))
    got = list(DataLoader(_Images(), batch_size=4, num_workers=2))
    _assert_batches_equal(got, want)
    assert set(_leftovers()) == before


def test_without_shared_memory_batches_go_in_band(monkeypatch):
    monkeypatch.setattr(_shared, "_SHM_DIR", "/nonexistent-ember-shm")
    want = list(DataLoader(_Images(), batch_size=4))
    _assert_batches_equal(list(DataLoader(_Images(), batch_size=4, num_workers=2)), want)


def test_unpicklable_batch_is_reported_with_the_worker_traceback():
    loader = DataLoader(_Images(), batch_size=2, num_workers=1,
                        collate_fn=lambda items: (lambda: None))
    with pytest.raises(Exception, match="(?s)in DataLoader worker process 0.*pickle"):
        next(iter(loader))
