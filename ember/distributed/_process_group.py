"""What every backend shares: ReduceOp, Work (an operation's handle), the errors, and the
ProcessGroup base class that runs a group's collectives one after another on its own thread.

A backend works on host NumPy arrays; ``distributed_c10d`` turns tensors into arrays and back.
"""
from __future__ import annotations

import enum
import queue
import threading
from datetime import timedelta
from typing import Any, Callable, Sequence

import numpy as np

__all__ = ["ReduceOp", "Work", "ProcessGroup", "DistError", "DistBackendError",
           "DistNetworkError", "DistStoreError"]


class DistError(RuntimeError):
    """Base of the errors ember.distributed raises while communicating."""


class DistBackendError(DistError):
    """A collective or point-to-point operation failed: a peer died or timed out."""


class DistNetworkError(DistError):
    """A socket could not listen or connect."""


class DistStoreError(DistError):
    """Rendezvous failed: not every rank arrived in time."""


class RedOpType(enum.IntEnum):
    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7
    PREMUL_SUM = 8
    UNUSED = 9


class ReduceOp:
    """How ``all_reduce``/``reduce``/``reduce_scatter`` combine ranks' values.

    Unlike PyTorch's Gloo backend, AVG works on both Ember backends (PyTorch has it on NCCL only).
    PREMUL_SUM is not supported.
    """

    RedOpType = RedOpType
    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX
    BAND = RedOpType.BAND
    BOR = RedOpType.BOR
    BXOR = RedOpType.BXOR
    PREMUL_SUM = RedOpType.PREMUL_SUM


_NUMPY_OPS = {RedOpType.SUM: np.add, RedOpType.AVG: np.add, RedOpType.PRODUCT: np.multiply,
              RedOpType.MIN: np.minimum, RedOpType.MAX: np.maximum,
              RedOpType.BAND: np.bitwise_and, RedOpType.BOR: np.bitwise_or,
              RedOpType.BXOR: np.bitwise_xor}


def check_op(op: Any, dtype: np.dtype) -> RedOpType:
    """``op`` as a ReduceOp, or torch's errors for one it cannot apply to ``dtype``."""
    try:
        op = RedOpType(op)
    except ValueError:
        raise ValueError(f"Invalid ``op``. Expected ``op`` to be of type ``ReduceOp``, got "
                         f"{op!r}") from None
    if op not in _NUMPY_OPS:
        raise RuntimeError(f"Cannot use ReduceOp.{op.name} with Ember's backends")
    if op in (RedOpType.BAND, RedOpType.BOR, RedOpType.BXOR) and dtype.kind not in "biu":
        raise RuntimeError(f"Cannot use ReduceOp.{op.name} with non-integral dtype")
    return op


def reduce_arrays(arrays: Sequence[np.ndarray], op: RedOpType) -> np.ndarray:
    """Combine ranks' arrays in rank order, so every rank computing it gets the same bits."""
    ufunc = _NUMPY_OPS[op]
    result = np.array(arrays[0], copy=True)
    for other in arrays[1:]:
        ufunc(result, other, out=result)
    if op == RedOpType.AVG:
        np.divide(result, len(arrays), out=result, casting="unsafe")
    return result


class Work:
    """The handle of an operation; ``async_op=True`` returns it. ``wait()`` blocks until the
    operation finishes and re-raises its error.

    Ember's ``wait`` blocks the calling thread (PyTorch's NCCL ``wait`` only orders streams);
    ``get_future`` is not provided.
    """

    def __init__(self, wait_fn: Callable[[], Any] | None = None,
                 poll_fn: Callable[[], bool] | None = None, timeout: float | None = None,
                 what: str = "operation") -> None:
        self._done = threading.Event()
        self._exception: BaseException | None = None
        self._result: list = []
        self._wait_fn = wait_fn
        self._poll_fn = poll_fn
        self._lock = threading.Lock()
        self._timeout = timeout
        self._what = what

    def _finish(self, exception: BaseException | None = None) -> None:
        self._exception = exception
        self._done.set()

    def _run_wait_fn(self) -> None:
        with self._lock:
            if self._done.is_set():
                return
            try:
                self._wait_fn()
            except BaseException as exc:  # handed to the caller of wait()
                self._finish(exc)
            else:
                self._finish()

    def is_completed(self) -> bool:
        """Whether the operation has finished (successfully or not); never blocks."""
        if not self._done.is_set() and self._poll_fn is not None and self._poll_fn():
            self._run_wait_fn()
        return self._done.is_set()

    def is_success(self) -> bool:
        """Whether the operation finished without an error; raises if it has not finished."""
        if not self._done.is_set():
            raise RuntimeError("Work is not completed yet")
        return self._exception is None

    def exception(self) -> BaseException | None:
        return self._exception

    def wait(self, timeout: timedelta | None = None) -> bool:
        """Block until done (at most ``timeout``, else the group's timeout); raise its error."""
        if self._wait_fn is not None and not self._done.is_set():
            self._run_wait_fn()
        if timeout is not None:
            seconds = timeout.total_seconds()
        else:  # the backend times out first; the margin only guards against a stuck one
            seconds = None if self._timeout is None else self._timeout + 5.0
        if not self._done.wait(seconds):
            raise DistBackendError(f"Timed out after {seconds:g}s waiting for {self._what}")
        if self._exception is not None:
            raise self._exception
        return True

    def result(self) -> list:
        """The operation's output tensors (none for barrier, send, recv and new_group)."""
        if not self.is_completed():
            raise RuntimeError("Work needs to be completed before calling result(). Should call "
                               "wait() before result().")
        return self._result


_STOP = object()


class ProcessGroup:
    """A set of ranks that run collectives together. Backends fill in the array operations.

    Each group owns one worker thread that runs its collectives in the order they were issued,
    so ``async_op=True`` overlaps communication with the caller's work and every rank still runs
    the group's collectives in the same order.
    """

    backend_name = "undefined"
    threaded = True  # False: operations run at once in the caller's thread (nothing overlaps)

    def __init__(self, rank: int, ranks: Sequence[int], timeout: timedelta) -> None:
        self._rank = rank
        self.ranks = list(ranks)  # global ranks of the members, in group-rank order
        self.timeout = timeout
        self._queue: queue.SimpleQueue | None = None
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def rank(self) -> int:
        return self._rank

    def size(self) -> int:
        return len(self.ranks)

    def name(self) -> str:
        return self.backend_name

    def __repr__(self) -> str:
        return f"ProcessGroup(backend={self.backend_name!r}, rank={self._rank}, " \
               f"size={self.size()})"

    # -- running operations on the group's thread -----------------------------------------
    def submit(self, fn: Callable[[], Any], what: str) -> Work:
        """Queue ``fn`` behind the group's earlier operations; its Work finishes with it."""
        work = Work(timeout=self.timeout.total_seconds(), what=what)
        if not self.threaded:
            self._execute(fn, work)
            return work
        if self._thread is None:
            with self._start_lock:
                if self._thread is None:
                    self._queue = queue.SimpleQueue()
                    self._thread = threading.Thread(target=self._run, args=(self._queue,),
                                                    daemon=True,
                                                    name=f"ember-{self.backend_name}-worker")
                    self._thread.start()
        self._queue.put((fn, work))
        return work

    def _run(self, jobs: queue.SimpleQueue) -> None:
        while True:
            item = jobs.get()
            if item is _STOP:
                return
            self._execute(*item)

    @staticmethod
    def _execute(fn: Callable[[], Any], work: Work) -> None:
        try:
            fn()
        except BaseException as exc:  # handed to the caller of wait()
            work._finish(exc)
        else:
            work._finish()

    def shutdown(self, wait: float) -> None:
        """Stop the worker thread once the operations queued so far have run, waiting for
        them at most ``wait`` seconds."""
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join(wait)
            self._thread = None

    # -- what a backend provides (arrays are host NumPy, C-contiguous) -----------------------
    def allreduce(self, array: np.ndarray, op: RedOpType) -> np.ndarray:
        raise NotImplementedError

    def broadcast(self, array: np.ndarray, root: int) -> np.ndarray:
        raise NotImplementedError

    def reduce(self, array: np.ndarray, root: int, op: RedOpType) -> np.ndarray | None:
        raise NotImplementedError

    def allgather(self, array: np.ndarray) -> list[np.ndarray]:
        raise NotImplementedError

    def gather(self, array: np.ndarray, root: int) -> list[np.ndarray] | None:
        raise NotImplementedError

    def scatter(self, arrays: Sequence[np.ndarray] | None, root: int,
                like: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def reduce_scatter(self, arrays: Sequence[np.ndarray], op: RedOpType) -> np.ndarray:
        raise NotImplementedError

    def alltoall(self, arrays: Sequence[np.ndarray]) -> list[np.ndarray]:
        raise NotImplementedError

    def barrier(self) -> None:
        raise NotImplementedError

    def allgather_object(self, obj: Any) -> list:
        raise NotImplementedError

    def broadcast_object(self, obj: Any, root: int) -> Any:
        raise NotImplementedError

    def gather_object(self, obj: Any, root: int) -> list | None:
        raise NotImplementedError

    def scatter_object(self, objs: Sequence[Any] | None, root: int) -> Any:
        raise NotImplementedError

    def isend(self, array: np.ndarray, dst: int, tag: int) -> Work:
        raise NotImplementedError

    def irecv(self, like: np.ndarray, src: int | None, tag: int,
              on_receive: Callable[[np.ndarray, int], None]) -> Work:
        """Receive an array shaped ``like`` from ``src`` (None: any rank); the Work's wait
        calls ``on_receive(array, source group rank)``."""
        raise NotImplementedError

    def new_subgroup(self, ranks: Sequence[int], timeout: timedelta) -> "ProcessGroup | None":
        """Called by every rank of this group; the new group, or None on non-members."""
        raise NotImplementedError

    def close(self) -> None:
        """Stop the worker thread and release the group's connections."""
        raise NotImplementedError
