"""Ember's own worker threads: ``set_num_threads``/``get_num_threads`` and ``parallel_for``.

NumPy releases the GIL inside ufuncs, so independent in-place updates of large arrays (an
optimizer step over many parameters) run concurrently on a small thread pool. PyTorch's setting
also governs its intra-op kernels; Ember's only sizes this pool (NumPy's BLAS keeps its own
threads).
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Callable, Iterable

__all__ = ["get_num_threads", "set_num_threads", "parallel_for"]

# Below this many elements in all, a thread hand-off costs more than it saves.
PARALLEL_MIN_ELEMENTS = 1 << 20

_num_threads = min(os.cpu_count() or 1, 8)
_pool: ThreadPoolExecutor | None = None
_pool_key: tuple | None = None
_lock = threading.Lock()


def get_num_threads() -> int:
    """How many threads Ember uses for work split across arrays (default: the CPU count, max 8)."""
    return _num_threads


def set_num_threads(num: int) -> None:
    """Use ``num`` threads for work split across arrays (1 runs everything in the caller)."""
    global _num_threads
    if not isinstance(num, int) or isinstance(num, bool) or num < 1:
        raise RuntimeError(f"set_num_threads expects a positive integer, but got {num}")
    _num_threads = num


def _executor() -> ThreadPoolExecutor:
    """The pool for the current process and thread count (a forked child builds its own)."""
    global _pool, _pool_key
    key = (os.getpid(), _num_threads)
    with _lock:
        if _pool_key != key:
            _pool = ThreadPoolExecutor(_num_threads, thread_name_prefix="ember")
            _pool_key = key
        return _pool


def parallel_for(fn: Callable, items: Iterable, elements: int) -> None:
    """Call ``fn(item)`` for every item, on the pool when ``elements`` (the total work) is large
    enough and there is more than one item; in order on the caller's thread otherwise.
    ``fn`` must only touch its own item's arrays. Every call finishes before the first
    exception raised is re-raised."""
    items = list(items)
    if _num_threads < 2 or len(items) < 2 or elements < PARALLEL_MIN_ELEMENTS:
        for item in items:
            fn(item)
        return
    futures = [_executor().submit(fn, item) for item in items]
    wait(futures)
    for future in futures:
        future.result()
