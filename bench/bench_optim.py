"""Optimiser step on 10M float32 parameters (10 tensors of 1M): Ember vs PyTorch."""
from __future__ import annotations

import numpy as np

from _timing import best_ms

N_TENSORS, SIZE = 10, 1_000_000
CASES = [("SGD momentum=0.9", "SGD", {"lr": 0.01, "momentum": 0.9}),
         ("Adam", "Adam", {"lr": 1e-3}),
         ("AdamW", "AdamW", {"lr": 1e-3})]


def _params(lib, arrays):
    params = [lib.tensor(a.copy(), requires_grad=True) for a in arrays]
    for p, a in zip(params, arrays):
        p.grad = lib.tensor(a * 0.01)
    return params


def run() -> list[tuple[str, float, float]]:
    import torch

    import ember
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(SIZE).astype(np.float32) for _ in range(N_TENSORS)]
    rows = []
    for label, name, options in CASES:
        ember_opt = getattr(ember.optim, name)(_params(ember, arrays), **options)
        with torch.no_grad():
            torch_opt = getattr(torch.optim, name)(_params(torch, arrays), **options)
            ember_ms = best_ms(ember_opt.step, repeat=5, warmup=2)
            torch_ms = best_ms(torch_opt.step, repeat=5, warmup=2)
        rows.append((f"optim {label} step, 10x1M float32", ember_ms, torch_ms))
    return rows


if __name__ == "__main__":
    for workload, ember_ms, torch_ms in run():
        print(f"{workload:50s} {ember_ms:9.2f} {torch_ms:9.2f} {ember_ms / torch_ms:6.2f}x")
