"""Data-loading benchmarks, Ember vs PyTorch.

(a) a CPU-bound ~1 ms per-item transform (a Python loop of small NumPy ops), one epoch with
    num_workers=0 and num_workers=2: the worker speed-up is the ratio of the two rows.
(b) an in-memory TensorDataset, batches of 64, shuffled: time per batch.
"""
from __future__ import annotations

import time

import numpy as np

from _timing import best_ms

ITEMS = 192
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


def _epoch_ms(lib, dataset, **kwargs) -> float:
    data = lib.utils.data

    class _Wrapped(data.Dataset):
        def __len__(self):
            return len(dataset)

        def __getitem__(self, i):
            return dataset[i]

    loader = data.DataLoader(_Wrapped(), **kwargs)

    def epoch():
        for _ in loader:
            pass
    return best_ms(epoch, repeat=3)


def _transform_rows(ember, torch) -> list:
    dataset = _Transformed(ITEMS)
    rows = []
    for workers in (0, 2):
        # Persistent workers: the warm-up epoch starts them, the timed epochs reuse them.
        kwargs = dict(batch_size=8, num_workers=workers, persistent_workers=workers > 0)
        name = f"(a) ~1ms/item transform, {ITEMS} items, bs 8, workers={workers} (ms/epoch)"
        rows.append((name, _epoch_ms(ember, dataset, **kwargs), _epoch_ms(torch, dataset,
                                                                        **kwargs)))
    return rows


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


def run() -> list:
    import ember
    import torch
    torch.set_num_threads(2)
    rows = _transform_rows(ember, torch)
    rows.append((f"(b) TensorDataset {ROWS}x{FEATURES}, bs {BATCH}, shuffled (ms/batch)",
                 _tensor_dataset_ms(ember), _tensor_dataset_ms(torch)))
    return rows


if __name__ == "__main__":
    results = run()
    print(f"{'workload':78s} {'ember':>9s} {'torch':>9s} {'ratio':>6s}")
    for name, e, t in results:
        print(f"{name:78s} {e:9.3f} {t:9.3f} {e / t:6.2f}x")
    (_, e0, t0), (_, e2, t2) = results[0], results[1]
    print(f"worker speed-up (workers=0 / workers=2): ember {e0 / e2:.2f}x, torch {t0 / t2:.2f}x")
