"""Data-loading benchmarks, Ember vs PyTorch.

(a) a CPU-bound ~1 ms per-item transform (a Python loop of small NumPy ops), one epoch with
    num_workers=0 and num_workers=2. The worker speed-up is the median, over interleaved rounds,
    of each round's workers=0 epoch time over its workers=2 epoch time. A last line says how
    busy the loaders keep the two cores (a speed-up short of 2x with cores ~100% busy is the
    machine running two processes slower than one, not the loader leaving a core idle).
(b) an in-memory TensorDataset, batches of 64, shuffled: time per batch.
(c) image-sized batches from 2 workers: the cost of handing 38.5 MB batches to the main process.
"""
from __future__ import annotations

import multiprocessing
import os
import statistics
import time

import numpy as np

from _timing import best_ms

# An epoch of ~0.75 s at workers=0: long enough that the fixed cost of an epoch's first and last
# batch (when only one worker can be busy) and the host's jitter don't dominate the ratio.
ITEMS = 768
ROWS, FEATURES, BATCH = 20000, 32, 64


class _Transformed:
    """Items whose transform is ~1 ms of small NumPy ops (GIL-bound, like real augmentation)."""

    def __init__(self, n: int, steps: int = 0) -> None:
        self.n = n
        self.steps = steps or _calibrate()

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int):
        x = np.full(64, i, dtype=np.float32)
        for _ in range(self.steps):
            x = np.tanh(x * np.float32(0.5) + np.float32(0.1))
        return x, i


def _calibrate() -> int:
    """Loop steps that take about 1 ms on this machine."""
    x = np.zeros(64, dtype=np.float32)
    start = time.perf_counter()
    for _ in range(1000):
        x = np.tanh(x * np.float32(0.5) + np.float32(0.1))
    per_step = (time.perf_counter() - start) / 1000
    return max(1, int(1e-3 / per_step))


def _loader(lib, dataset, **kwargs):
    data = lib.utils.data

    class _Wrapped(data.Dataset):
        def __len__(self):
            return len(dataset)

        def __getitem__(self, i):
            return dataset[i]

    return data.DataLoader(_Wrapped(), **kwargs)


def _epoch_s(loader) -> float:
    return _timed(lambda: [None for _ in loader])


def _cpu_s(pids) -> float:
    """CPU seconds (user + system) used so far by the processes ``pids`` (Linux's /proc)."""
    total = 0.0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _busy_epoch(epoch, pids):
    """Time ``epoch()``; also how busy the two cores were: CPU seconds of the main process and
    the worker processes ``pids()`` over 2 x the wall time (None without /proc)."""
    if not os.path.isdir("/proc/self"):
        return epoch(), None
    workers = pids()
    before, main = _cpu_s(workers), time.process_time()
    wall = epoch()
    return wall, (_cpu_s(workers) - before + time.process_time() - main) / (2 * wall)


_POOL_DATASET = None


def _pool_item(i: int):
    return _POOL_DATASET[i]


def _transform_rows(ember, torch, rounds: int = 5) -> tuple[list, dict]:
    """Epochs with 0 and 2 workers for both libraries, plus the same items mapped by a plain
    ``multiprocessing.Pool(2)`` (the machine's own ceiling), interleaved over ``rounds`` rounds.

    This machine's speed drifts by up to 2x over minutes (a shared host), so timing all the
    workers=0 epochs before the workers=2 ones could measure the drift instead of the workers.
    Rows give each configuration's best epoch; the speed-ups are medians of per-round ratios,
    each between two epochs run a second apart.
    """
    global _POOL_DATASET
    _POOL_DATASET = dataset = _Transformed(ITEMS)
    # Persistent workers: the warm-up epoch starts them, the timed epochs reuse them.
    loaders = {(lib.__name__, w): _loader(lib, dataset, batch_size=8, num_workers=w,
                                          persistent_workers=w > 0)
               for lib in (ember, torch) for w in (0, 2)}
    pool = multiprocessing.get_context("fork").Pool(2)
    epochs = {key: (lambda loader=loader: _epoch_s(loader)) for key, loader in loaders.items()}
    epochs["pool", 2] = lambda: _timed(lambda: pool.map(_pool_item, range(ITEMS), chunksize=8))
    worker_pids = {key: (lambda loader=loader: [w.pid for w in loader._iterator._workers])
                   for key, loader in loaders.items() if key[1] == 2}
    worker_pids["pool", 2] = lambda: [p.pid for p in pool._pool]
    try:
        for epoch in epochs.values():
            epoch()
        times = {key: [] for key in epochs}
        busy = {key: [] for key in worker_pids}
        for _ in range(rounds):
            for key, epoch in epochs.items():
                if key in worker_pids:
                    wall, fraction = _busy_epoch(epoch, worker_pids[key])
                    busy[key].append(fraction)
                else:
                    wall = epoch()
                times[key].append(wall)
    finally:
        pool.terminate()
    best = {key: min(ts) for key, ts in times.items()}
    rows = []
    for w in (0, 2):
        name = f"(a) ~1ms/item transform, {ITEMS} items, bs 8, workers={w} (ms/epoch)"
        rows.append((name, best["ember", w] * 1e3, best["torch", w] * 1e3))
    name = f"(a) the same items by multiprocessing.Pool(2), chunks of 8 (ms/epoch)"
    rows.append((name, best["pool", 2] * 1e3, best["pool", 2] * 1e3))
    speedups = {name: statistics.median(a / b for a, b in zip(times[lib, 0], times[key]))
                for name, lib, key in (("ember", "ember", ("ember", 2)),
                                       ("torch", "torch", ("torch", 2)),
                                       ("pool", "ember", ("pool", 2)))}
    speedups.update({f"{key[0]} busy": statistics.median(fs) for key, fs in busy.items()
                     if None not in fs})
    return rows, speedups


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _tensor_dataset_ms(lib) -> float:
    rng = np.random.default_rng(0)
    x = lib.from_numpy(rng.standard_normal((ROWS, FEATURES), dtype=np.float32))
    y = lib.from_numpy(rng.integers(0, 10, ROWS))
    loader = lib.utils.data.DataLoader(lib.utils.data.TensorDataset(x, y), batch_size=BATCH,
                                       shuffle=True)

    def epoch():
        for xb, yb in loader:
            pass
    return best_ms(epoch, repeat=3) / len(loader)


IMAGES, IMAGE_BATCH = 384, 64


class _Images:
    """ImageNet-sized float32 images (3x224x224), made without work: the cost measured is
    moving 38.5 MB batches from the workers to the main process."""

    def __init__(self, lib) -> None:
        self.lib = lib

    def __len__(self) -> int:
        return IMAGES

    def __getitem__(self, i: int):
        return self.lib.from_numpy(np.full((3, 224, 224), i % 7, dtype=np.float32)), i


def _image_batches_ms(ember, torch, rounds: int = 3) -> tuple[float, float]:
    """Per-batch time of a 2-worker loader of image batches, both libraries interleaved."""
    loaders = {lib: _loader(lib, _Images(lib), batch_size=IMAGE_BATCH, num_workers=2,
                            persistent_workers=True) for lib in (ember, torch)}
    best = {lib: _epoch_s(loader) for lib, loader in loaders.items()}  # starts the workers
    for _ in range(rounds):
        for lib, loader in loaders.items():
            best[lib] = min(best[lib], _epoch_s(loader))
    batches = IMAGES // IMAGE_BATCH
    return best[ember] * 1e3 / batches, best[torch] * 1e3 / batches


SPEEDUPS: dict = {}


def run() -> list:
    import ember
    import torch
    torch.set_num_threads(2)
    rows, speedups = _transform_rows(ember, torch)
    SPEEDUPS.update(speedups)
    rows.append((f"(b) TensorDataset {ROWS}x{FEATURES}, bs {BATCH}, shuffled (ms/batch)",
                 _tensor_dataset_ms(ember), _tensor_dataset_ms(torch)))
    rows.append((f"(c) {IMAGE_BATCH}x3x224x224 float32 batches, workers=2 (ms/batch)",
                 *_image_batches_ms(ember, torch)))
    return rows


if __name__ == "__main__":
    results = run()
    print(f"{'workload':78s} {'ember':>9s} {'torch':>9s} {'ratio':>6s}")
    for name, e, t in results:
        print(f"{name:78s} {e:9.3f} {t:9.3f} {e / t:6.2f}x")
    s = SPEEDUPS
    print(f"worker speed-up (workers=0 / workers=2, median of per-round ratios): "
          f"ember {s['ember']:.2f}x, torch {s['torch']:.2f}x; "
          f"Pool(2) over ember's workers=0: {s['pool']:.2f}x (this machine's ceiling)")
    if "ember busy" in s:
        print(f"cores busy with workers=2 (CPU s of all processes / 2 x wall s, median): "
              f"ember {s['ember busy']:.0%}, torch {s['torch busy']:.0%}, "
              f"Pool(2) {s['pool busy']:.0%}")
