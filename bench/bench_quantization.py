"""Quantization benchmarks: int8 layers against their float versions, Ember vs PyTorch.

Run with ``python bench/run.py quantization``. Each row times one library's int8 layer; the
float rows give the baseline to compare against within that library.
"""
from __future__ import annotations

import warnings

import numpy as np

from _timing import best_ms


def _dynamic_linear(lib, batch: int, features: int):
    layer = lib.nn.Linear(features, features)
    quantized = lib.ao.quantization.quantize_dynamic(lib.nn.Sequential(layer), {lib.nn.Linear})
    x = lib.from_numpy(np.random.default_rng(0).standard_normal((batch, features),
                                                                dtype=np.float32))
    with lib.no_grad():
        return best_ms(lambda: layer(x), repeat=7), best_ms(lambda: quantized(x), repeat=7)


def _static_conv(lib):
    q = lib.ao.quantization
    conv = lib.nn.Conv2d(32, 64, 3, padding=1)
    x = lib.from_numpy(np.random.default_rng(0).standard_normal((16, 32, 32, 32),
                                                                dtype=np.float32))
    wrapped = q.QuantWrapper(conv).eval()
    wrapped.qconfig = q.get_default_qconfig("x86")
    prepared = q.prepare(wrapped)
    prepared(x)
    model = q.convert(prepared)
    with lib.no_grad():
        return best_ms(lambda: conv(x), repeat=5), best_ms(lambda: model(x), repeat=5)


def run():
    import ember
    import torch
    torch.set_num_threads(2)
    warnings.filterwarnings("ignore", message=".*deprecated")
    rows = []
    for batch, features in ((64, 1024), (512, 1024)):
        (ef, eq), (tf, tq) = _dynamic_linear(ember, batch, features), \
            _dynamic_linear(torch, batch, features)
        rows.append((f"float Linear {batch}x{features}->{features} (ms)", ef, tf))
        rows.append((f"dynamic int8 Linear {batch}x{features}->{features} (ms)", eq, tq))
    (ef, eq), (tf, tq) = _static_conv(ember), _static_conv(torch)
    rows.append(("float Conv2d 16x32x32x32, 3x3 -> 64 (ms)", ef, tf))
    rows.append(("static int8 Conv2d (+quant/dequant) same shape (ms)", eq, tq))
    return rows


if __name__ == "__main__":
    for name, e, t in run():
        print(f"{name:60s} {e:10.2f} {t:10.2f} {e / t:6.2f}x")
