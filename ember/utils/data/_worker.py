"""What runs inside a DataLoader worker process: seeding, fetching, and error wrapping."""
from __future__ import annotations

import os
import queue
import random
import sys
import traceback
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from . import _shared

# How often (seconds) a blocked worker checks that its parent is alive, and the main process
# checks that its workers are; a dead process is noticed within about this long.
MP_STATUS_CHECK_INTERVAL = 1.0

__all__ = ["WorkerInfo", "get_worker_info"]


@dataclass(frozen=True)
class WorkerInfo:
    """The current worker's ``id``, ``num_workers``, ``seed`` and its copy of ``dataset``."""

    id: int
    num_workers: int
    seed: int
    dataset: Any


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """This worker's ``WorkerInfo`` inside a DataLoader worker process; None in the main one."""
    return _worker_info


@dataclass(frozen=True)
class _IterableDatasetStopIteration:
    """Sent by a worker whose IterableDataset is exhausted."""

    worker_id: int


@dataclass(frozen=True)
class _ResumeIteration:
    """Sent to persistent workers at the start of a new epoch; echoed back as the ack."""

    seed: int | None = None


class ExceptionWrapper:
    """An exception's type and formatted traceback, to re-raise in another process."""

    def __init__(self, exc_info=None, where: str = "in background", extra: str = "") -> None:
        if exc_info is None:
            exc_info = sys.exc_info()
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info)) + extra
        self.where = where

    def reraise(self):
        """Raise the wrapped exception's type (RuntimeError if it can't be built from a str)."""
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            # KeyError repr()s its argument, which would print the traceback on one line.
            msg = _KeyErrorMessage(msg)
        try:
            exception = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None
        raise exception


class _KeyErrorMessage(str):
    def __repr__(self) -> str:
        return self


class _Fetcher:
    """Turns one entry of the index sampler into one (collated) item."""

    def __init__(self, dataset, is_iterable: bool, auto_collation: bool,
                 collate_fn: Callable, drop_last: bool) -> None:
        self.dataset = dataset
        self.is_iterable = is_iterable
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.dataset_iter = iter(dataset) if is_iterable else None
        self.ended = False
        getitems = getattr(dataset, "__getitems__", None)
        self.getitems = getitems if callable(getitems) else None
        if _can_gather(dataset, auto_collation, collate_fn):
            # default_collate of TensorDataset rows is one fancy index per tensor (a list, as a
            # tuple sample collates to a list): skip building and stacking a tensor per row.
            self.gather = dataset._gather
        else:
            self.gather = None

    def fetch(self, index):
        """The item for ``index``; StopIteration when an iterable dataset runs out."""
        if self.is_iterable:
            return self._fetch_iterable(index)
        if not self.auto_collation:
            return self.collate_fn(self.dataset[index])
        if self.gather is not None:
            return list(self.gather(index))
        if self.getitems is not None:
            data = self.getitems(index)
        else:
            dataset = self.dataset
            data = [dataset[i] for i in index]
        return self.collate_fn(data)

    def _fetch_iterable(self, index):
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.dataset_iter))
        data = []
        for _ in index:
            try:
                data.append(next(self.dataset_iter))
            except StopIteration:
                self.ended = True
                break
        if not data or (self.drop_last and len(data) < len(index)):
            raise StopIteration
        return self.collate_fn(data)


def _can_gather(dataset, auto_collation: bool, collate_fn: Callable) -> bool:
    from ._collate import default_collate
    from .dataset import TensorDataset
    return (type(dataset) is TensorDataset and auto_collation
            and collate_fn is default_collate
            and not any(t.requires_grad for t in dataset.tensors))


def seed_worker(seed: int) -> None:
    """Seed Python's ``random``, NumPy's global RNG and Ember's default generator."""
    from ..._ops import random as _random
    random.seed(seed)
    np.random.seed(seed % (1 << 32))
    _random.manual_seed(seed)


def _parent_alive(parent_pid: int) -> bool:
    return os.getppid() == parent_pid


def _worker_loop(is_iterable: bool, dataset, index_queue, data_queue, done_event,
                 auto_collation: bool, collate_fn: Callable, drop_last: bool, base_seed: int,
                 init_fn: Callable | None, worker_id: int, num_workers: int,
                 persistent_workers: bool, parent_pid: int, shm_prefix: str | None = None
                 ) -> None:
    """Serve ``(send_idx, index)`` requests until ``None`` arrives or the parent dies.

    Batches with large arrays travel through shared-memory files named ``shm_prefix`` + a
    serial number (see ``_shared``); None sends everything down the queue."""
    global _worker_info
    try:
        seed = base_seed + worker_id
        seed_worker(seed)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed,
                                  dataset=dataset)
        where = f"in DataLoader worker process {worker_id}"
        init_exception = None
        fetcher = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = _Fetcher(dataset, is_iterable, auto_collation, collate_fn, drop_last)
        except Exception:
            init_exception = ExceptionWrapper(where=where)

        iteration_end = False
        sent = 0
        if shm_prefix is not None:
            shm_prefix = f"{shm_prefix}{worker_id}-"
        while _parent_alive(parent_pid):
            try:
                request = index_queue.get(timeout=MP_STATUS_CHECK_INTERVAL)
            except queue.Empty:
                continue
            if isinstance(request, _ResumeIteration):
                data_queue.put((request, None))
                iteration_end = False
                if request.seed is not None:
                    seed_worker(request.seed + worker_id)
                fetcher = _Fetcher(dataset, is_iterable, auto_collation, collate_fn, drop_last)
                continue
            if request is None:
                break
            if done_event.is_set() or iteration_end:
                continue
            send_idx, index = request
            data: Any
            if init_exception is not None:
                data, init_exception = init_exception, None
            else:
                try:
                    data = fetcher.fetch(index)
                except StopIteration:
                    if is_iterable:
                        data = _IterableDatasetStopIteration(worker_id)
                        iteration_end = True
                    else:
                        data = ExceptionWrapper(where=where, extra=_index_note(index))
                except Exception:
                    data = ExceptionWrapper(where=where, extra=_index_note(index))
            try:
                data = _shared.pack(data, shm_prefix, sent)
            except Exception:  # e.g. an unpicklable batch: the main process gets the error
                data = ExceptionWrapper(where=where, extra=_index_note(index))
            sent += 1
            data_queue.put((send_idx, data))
            del data, request
    except KeyboardInterrupt:
        pass
    if done_event.is_set():
        # The main process no longer reads: don't block exit on flushing the queue.
        data_queue.cancel_join_thread()
        data_queue.close()


def _index_note(index) -> str:
    if index is None or isinstance(index, list) and all(i is None for i in index):
        return ""
    return f"(while fetching dataset index(es) {index})\n"
