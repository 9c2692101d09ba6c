"""Core benchmarks: per-op overhead and a large matmul, forward + backward, Ember vs PyTorch."""
from __future__ import annotations

import numpy as np

from _timing import best_ms

CHAIN = 50


def _chain(lib, x):
    y = x
    for _ in range(CHAIN // 5):
        y = ((y * 1.01 + 0.5) - 0.25).tanh() * 0.9
    return y.sum()


def _overhead(lib):
    x = lib.ones(16, requires_grad=True)

    def step():
        x.grad = None
        _chain(lib, x).backward()
    # ms per whole chain -> microseconds per op (fwd + bwd)
    return best_ms(step, repeat=7, number=50) * 1e3 / (CHAIN + 1)


def _matmul(lib, n=2048):
    rng = np.random.default_rng(0)
    a = lib.tensor(rng.standard_normal((n, n), dtype=np.float32), requires_grad=True)
    b = lib.tensor(rng.standard_normal((n, n), dtype=np.float32), requires_grad=True)

    def step():
        a.grad = b.grad = None
        (a @ b).sum().backward()
    return best_ms(step, repeat=5)


def run():
    import ember
    import torch
    torch.set_num_threads(2)
    return [
        ("per-op overhead, 16 elems, fwd+bwd (us/op)", _overhead(ember), _overhead(torch)),
        ("matmul 2048x2048 fwd+bwd (ms)", _matmul(ember), _matmul(torch)),
    ]


if __name__ == "__main__":
    for name, e, t in run():
        print(f"{name:50s} {e:10.2f} {t:10.2f} {e / t:6.2f}x")
