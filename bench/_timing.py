"""Timing helpers shared by the benchmarks: best-of-N wall time in milliseconds."""
from __future__ import annotations

import time


def best_ms(fn, repeat: int = 5, number: int = 1, warmup: int = 1) -> float:
    """Best wall time of ``number`` calls of ``fn``, over ``repeat`` trials, in ms per call."""
    for _ in range(warmup):
        fn()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best * 1e3
