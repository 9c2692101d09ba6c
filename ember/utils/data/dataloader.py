"""DataLoader: batches from a dataset, in this process or in worker processes.

Worker design (as in PyTorch): each worker has its own index queue and all share one result
queue. Batches are sent round-robin, tagged with a send index; results that arrive early wait
in a reorder buffer so batches come out in sampler order whatever the workers' timing. While
waiting, the main process checks every ``MP_STATUS_CHECK_INTERVAL`` seconds that its workers
are alive, so a crashed worker raises instead of hanging.
"""
from __future__ import annotations

import itertools
import math
import multiprocessing as python_multiprocessing
import os
import queue
import secrets
import select
import struct
import sys
import time
import warnings
import weakref
from multiprocessing.reduction import ForkingPickler
from typing import Callable, Iterable

import numpy as np

from ..._ops import random as _random
from . import _shared, _worker
from ._collate import default_collate, default_convert
from ._worker import (ExceptionWrapper, _Fetcher, _IterableDatasetStopIteration,
                      _ResumeIteration, get_worker_info)
from .dataset import Dataset, IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "get_worker_info", "default_collate", "default_convert"]


class _DatasetKind:
    Map = 0
    Iterable = 1


class _InfiniteConstantSampler(Sampler):
    """None forever: the index sampler of an IterableDataset (the dataset decides the end)."""

    def __iter__(self):
        while True:
            yield None


def _default_context():
    methods = python_multiprocessing.get_all_start_methods()
    # fork starts a worker in milliseconds; spawn re-imports everything.
    if sys.platform.startswith("linux") and "fork" in methods:
        return python_multiprocessing.get_context("fork")
    return python_multiprocessing.get_context("spawn")


class DataLoader:
    """Iterates over ``dataset`` in batches, optionally shuffled and loaded by worker processes.

    ``pin_memory`` is accepted and does nothing (Ember tensors live in pageable host memory).
    """

    __initialized = False

    def __init__(self, dataset: Dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Sampler | Iterable | None = None,
                 batch_sampler: Sampler | Iterable | None = None, num_workers: int = 0,
                 collate_fn: Callable | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable | None = None, multiprocessing_context=None,
                 generator=None, *, prefetch_factor: int | None = None,
                 persistent_workers: bool = False, pin_memory_device: str = "",
                 in_order: bool = True) -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; "
                             "use num_workers=0 to disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                             "let num_workers > 0 to enable multiprocessing, otherwise set "
                             "prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order

        if isinstance(dataset, IterableDataset):
            self._dataset_kind = _DatasetKind.Iterable
            if shuffle not in {False, None}:
                raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)
            self._dataset_kind = _DatasetKind.Map

        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")

        if sampler is None:
            if self._dataset_kind == _DatasetKind.Iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self.__initialized = True
        self._iterator: _BaseDataLoaderIter | None = None
        self.check_worker_number_rationality()

    def _get_iterator(self) -> "_BaseDataLoaderIter":
        if self.num_workers == 0:
            return _SingleProcessDataLoaderIter(self)
        return _MultiProcessingDataLoaderIter(self)

    @property
    def multiprocessing_context(self):
        return self.__multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, multiprocessing_context) -> None:
        if multiprocessing_context is not None:
            if self.num_workers > 0:
                if isinstance(multiprocessing_context, str):
                    valid = python_multiprocessing.get_all_start_methods()
                    if multiprocessing_context not in valid:
                        raise ValueError("multiprocessing_context option should specify a valid "
                                         f"start method in {valid!r}, but got "
                                         f"multiprocessing_context={multiprocessing_context!r}")
                    multiprocessing_context = python_multiprocessing.get_context(
                        multiprocessing_context)
                if not isinstance(multiprocessing_context,
                                  python_multiprocessing.context.BaseContext):
                    raise TypeError("multiprocessing_context option should be a valid context "
                                    "object or a string specifying the start method, but got "
                                    f"multiprocessing_context={multiprocessing_context}")
            else:
                raise ValueError("multiprocessing_context can only be used with multi-process "
                                 f"loading (num_workers > 0), but got "
                                 f"num_workers={self.num_workers}")
        self.__multiprocessing_context = multiprocessing_context

    def __setattr__(self, attr: str, val) -> None:
        if self.__initialized and attr in ("batch_size", "batch_sampler", "sampler", "drop_last",
                                           "dataset", "persistent_workers"):
            raise ValueError(f"{attr} attribute should not be set after "
                             f"{self.__class__.__name__} is initialized")
        super().__setattr__(attr, val)

    def __iter__(self) -> "_BaseDataLoaderIter":
        # Persistent workers live as long as the loader: reuse one iterator across epochs.
        if self.persistent_workers and self.num_workers > 0:
            if self._iterator is None:
                self._iterator = self._get_iterator()
            else:
                self._iterator._reset(self)
            return self._iterator
        return self._get_iterator()

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __len__(self) -> int:
        if self._dataset_kind == _DatasetKind.Iterable:
            length = len(self.dataset)
            if self.batch_size is not None:
                if self.drop_last:
                    return length // self.batch_size
                return math.ceil(length / self.batch_size)
            return length
        return len(self._index_sampler)

    def check_worker_number_rationality(self) -> None:
        """Warn when asking for more workers than this process may use CPUs."""
        if self.num_workers == 0:
            return
        try:
            cpus = len(os.sched_getaffinity(0))
        except AttributeError:
            cpus = os.cpu_count() or 1
        if self.num_workers > cpus:
            warnings.warn(f"This DataLoader will create {self.num_workers} worker processes in "
                          f"total. Our suggested max number of worker in current system is "
                          f"{cpus}, which is smaller than what this DataLoader is going to "
                          "create. Please be aware that excessive worker creation might get "
                          "DataLoader running slow or even freeze, lower the worker number to "
                          "avoid potential slowness/freeze if necessary.", stacklevel=2)


class _BaseDataLoaderIter:
    def __init__(self, loader: DataLoader) -> None:
        self._dataset = loader.dataset
        self._dataset_kind = loader._dataset_kind
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._num_workers = loader.num_workers
        self._prefetch_factor = loader.prefetch_factor
        self._timeout = loader.timeout
        self._collate_fn = loader.collate_fn
        self._persistent_workers = loader.persistent_workers
        self._generator = loader.generator
        self._sampler_iter = iter(self._index_sampler)
        self._base_seed = self._draw_seed()
        self._num_yielded = 0

    def _draw_seed(self) -> int:
        """A base seed from the loader's generator, else Ember's default one."""
        rng = _random.rng(self._generator)
        return int(rng.integers(0, 1 << 62, dtype=np.int64))

    def __iter__(self) -> "_BaseDataLoaderIter":
        return self

    def _reset(self, loader: DataLoader, first_iter: bool = False) -> None:
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0

    def _next_index(self):
        return next(self._sampler_iter)

    def _next_data(self):
        raise NotImplementedError

    def __next__(self):
        data = self._next_data()
        self._num_yielded += 1
        return data

    def __len__(self) -> int:
        return len(self._index_sampler)

    def __getstate__(self):
        raise NotImplementedError(f"{self.__class__.__name__} cannot be pickled")


class _SingleProcessDataLoaderIter(_BaseDataLoaderIter):
    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        if self._timeout != 0:
            raise AssertionError("_SingleProcessDataLoaderIter requires timeout == 0")
        self._fetcher = _Fetcher(self._dataset, self._dataset_kind == _DatasetKind.Iterable,
                                 self._auto_collation, self._collate_fn, self._drop_last)

    def _next_data(self):
        return self._fetcher.fetch(self._next_index())


class _ResultReader:
    """Reads the result queue's pipe with a worker liveness check between chunks.

    ``Queue.get`` blocks until a whole message has arrived, so a worker killed half-way through
    sending a batch would hang the main process for ever; here a stalled message re-checks the
    workers every ``MP_STATUS_CHECK_INTERVAL`` seconds. Framing is ``Connection.send_bytes``'s:
    a 4-byte big-endian length (-1, then 8 bytes, past 2 GiB) and the pickled payload.
    """

    def __init__(self, data_queue, check: Callable[[], None]) -> None:
        self._queue = data_queue
        # The iterator's method is held weakly, so the iterator is not in a cycle with its
        # reader: dropping its last reference shuts the workers down at once, without waiting
        # for the garbage collector.
        self._check_ref = (weakref.WeakMethod(check) if hasattr(check, "__self__")
                           else lambda: check)
        self._fd = data_queue._reader.fileno() if os.name == "posix" else None

    def get(self, timeout: float):
        """The next object; queue.Empty if none has started arriving within ``timeout``."""
        if self._fd is None:
            return self._queue.get(timeout=timeout)
        if not select.select([self._fd], [], [], timeout)[0]:
            raise queue.Empty
        (size,) = struct.unpack("!i", self._read(4))
        if size == -1:
            (size,) = struct.unpack("!Q", self._read(8))
        obj = ForkingPickler.loads(self._read(size))
        self._queue._sem.release()  # what Queue.get does: the put side acquired it
        return obj

    def _read(self, size: int) -> bytearray:
        buf = bytearray(size)
        view = memoryview(buf)
        got = 0
        while got < size:
            if not select.select([self._fd], [], [], _worker.MP_STATUS_CHECK_INTERVAL)[0]:
                check = self._check_ref()
                if check is not None:
                    check()
                continue
            chunk = os.read(self._fd, min(size - got, 1 << 22))
            if not chunk:
                raise EOFError("DataLoader result pipe closed")
            view[got:got + len(chunk)] = chunk
            got += len(chunk)
        return buf


class _MultiProcessingDataLoaderIter(_BaseDataLoaderIter):
    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        if self._prefetch_factor <= 0 and self._num_workers > 0:
            raise ValueError("prefetch_factor option should be positive with worker processes")
        context = loader.multiprocessing_context or _default_context()
        self._worker_init_fn = loader.worker_init_fn
        self._in_order = loader.in_order
        self._shutdown = False
        self._workers_done_event = context.Event()
        self._data_queue = context.Queue()
        # Unique per iterator: shutting one loader down must not delete another's batches.
        self._shm_prefix = (f"ember-dl-{os.getpid()}-{secrets.token_hex(4)}-"
                            if _shared.shared_dir_usable() else None)
        self._result_reader = _ResultReader(self._data_queue, self._check_workers)
        self._index_queues = []
        self._workers = []
        is_iterable = self._dataset_kind == _DatasetKind.Iterable
        try:
            for worker_id in range(self._num_workers):
                index_queue = context.Queue()
                w = context.Process(
                    target=_worker._worker_loop,
                    args=(is_iterable, self._dataset, index_queue, self._data_queue,
                          self._workers_done_event, self._auto_collation, self._collate_fn,
                          self._drop_last, self._base_seed, self._worker_init_fn, worker_id,
                          self._num_workers, self._persistent_workers, os.getpid(),
                          self._shm_prefix))
                w.daemon = True
                w.start()
                self._index_queues.append(index_queue)
                self._workers.append(w)
        except BaseException:
            self._shutdown_workers()
            raise
        self._reset(loader, first_iter=True)

    def _reset(self, loader: DataLoader, first_iter: bool = False) -> None:
        super()._reset(loader, first_iter)
        self._send_idx = 0
        self._rcvd_idx = 0
        # send_idx -> (worker_id, index) while outstanding, + (data,) once it arrived early.
        self._task_info: dict = {}
        self._tasks_outstanding = 0
        self._workers_status = [True] * self._num_workers
        self._worker_queue_idx_cycle = itertools.cycle(range(self._num_workers))
        if not first_iter:
            self._resume_workers()
        for _ in range(self._prefetch_factor * self._num_workers):
            self._try_put_index()

    def _resume_workers(self) -> None:
        """Start a new epoch on persistent workers: they ack, then take new indices."""
        seed = self._draw_seed()
        for index_queue in self._index_queues:
            index_queue.put(_ResumeIteration(seed))
        pending = self._num_workers
        while pending > 0:
            tag, _ = self._get_data()
            if isinstance(tag, _ResumeIteration):
                pending -= 1

    def _try_put_index(self) -> None:
        if self._tasks_outstanding >= self._prefetch_factor * self._num_workers:
            return
        try:
            index = self._next_index()
        except StopIteration:
            return
        for _ in range(self._num_workers):
            worker_id = next(self._worker_queue_idx_cycle)
            if self._workers_status[worker_id]:
                break
        else:
            return  # every worker has finished its IterableDataset
        self._index_queues[worker_id].put((self._send_idx, index))
        self._task_info[self._send_idx] = (worker_id, index)
        self._tasks_outstanding += 1
        self._send_idx += 1

    def _next_data(self):
        while True:
            # Skip tasks sent to workers that have since run out of (iterable) data.
            while self._rcvd_idx < self._send_idx:
                info = self._task_info.get(self._rcvd_idx)
                if info is not None and (len(info) == 3 or self._workers_status[info[0]]):
                    break
                self._task_info.pop(self._rcvd_idx, None)
                self._rcvd_idx += 1
            else:
                if not self._persistent_workers:
                    self._shutdown_workers()
                raise StopIteration

            info = self._task_info[self._rcvd_idx]
            if len(info) == 3:
                del self._task_info[self._rcvd_idx]
                return self._process_data(info[2])

            idx, data = self._get_data()
            self._tasks_outstanding -= 1
            if isinstance(data, _IterableDatasetStopIteration):
                if self._persistent_workers:
                    self._workers_status[data.worker_id] = False
                else:
                    self._mark_worker_as_unavailable(data.worker_id)
                self._try_put_index()
                continue
            if idx == self._rcvd_idx:
                del self._task_info[idx]
                return self._process_data(data)
            if self._in_order:
                self._task_info[idx] += (data,)
                continue
            # in_order=False: hand it out now; the skip loop above passes over its slot later.
            del self._task_info[idx]
            self._try_put_index()
            if isinstance(data, ExceptionWrapper):
                data.reraise()
            return data

    def _process_data(self, data):
        self._rcvd_idx += 1
        self._try_put_index()
        if isinstance(data, ExceptionWrapper):
            # Like PyTorch, the iterator stays usable: the next call yields the next batch.
            data.reraise()
        return data

    def _get_data(self):
        """The next (send_idx, data) from any worker; raises on timeout or a dead worker."""
        timeout = self._timeout
        deadline = time.monotonic() + timeout if timeout > 0 else None
        while True:
            wait = _worker.MP_STATUS_CHECK_INTERVAL
            if deadline is not None:
                wait = min(wait, max(deadline - time.monotonic(), 0.0))
            try:
                idx, data = self._result_reader.get(wait)
                return idx, _shared.unpack(data)
            except queue.Empty:
                pass
            except (EOFError, OSError) as e:
                self._check_workers()
                raise RuntimeError("DataLoader result queue failed") from e
            self._check_workers()
            if deadline is not None and time.monotonic() >= deadline:
                self._shutdown_workers()
                raise RuntimeError(f"DataLoader timed out after {timeout} seconds")

    def _check_workers(self) -> None:
        failed = [w for worker_id, w in enumerate(self._workers)
                  if self._workers_status[worker_id] and not w.is_alive()]
        if failed:
            pids = ", ".join(str(w.pid) for w in failed)
            codes = ", ".join(str(w.exitcode) for w in failed)
            self._shutdown_workers()
            raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly "
                               f"(exit code(s) {codes})")

    def _mark_worker_as_unavailable(self, worker_id: int) -> None:
        """Tell a worker whose iterable ran out to exit."""
        self._index_queues[worker_id].put(None)
        self._workers_status[worker_id] = False

    def _shutdown_workers(self) -> None:
        if getattr(self, "_shutdown", True) or not hasattr(self, "_workers_done_event"):
            return
        self._shutdown = True
        self._workers_done_event.set()
        for w, index_queue in zip(self._workers, self._index_queues):
            if w.is_alive():
                index_queue.put(None)
        deadline = time.monotonic() + _worker.MP_STATUS_CHECK_INTERVAL
        for w in self._workers:
            w.join(timeout=max(deadline - time.monotonic(), 0.0))
        for w in self._workers:
            if w.is_alive():
                w.terminate()
                w.join()
        for index_queue in self._index_queues:
            index_queue.close()
            # Let the feeder thread flush and close its pipe now, not at some later garbage
            # collection; bounded, so a full pipe to a dead worker cannot hang us.
            feeder = getattr(index_queue, "_thread", None)
            if feeder is not None:
                feeder.join(timeout=_worker.MP_STATUS_CHECK_INTERVAL)
            index_queue.cancel_join_thread()
        self._data_queue.cancel_join_thread()
        self._data_queue.close()
        if getattr(self, "_shm_prefix", None) is not None:
            _shared.remove_leftovers(self._shm_prefix)

    def __del__(self) -> None:
        self._shutdown_workers()

