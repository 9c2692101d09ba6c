"""Save and load of a 100M-parameter float32 state dict (file on disk): Ember vs PyTorch.

ember.save fsyncs the file before renaming it over the target (the issue asks for a save that
survives a crash), while torch.save returns once the bytes are in the page cache. So the save
is timed twice: against plain torch.save, and against torch.save followed by an fsync of the
file, which is the same durability and the fair comparison for disk speed. The last row is
the peak memory a fresh process adds while loading, over the checkpoint's size (target <= 1).
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections import OrderedDict

import numpy as np

from _timing import best_ms

N_TENSORS, SIZE = 100, 1_000_000


def _torch_save_durable(torch, state, path: str) -> None:
    torch.save(state, path)
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# VmHWM, not ru_maxrss: a process started from this one would inherit this one's ru_maxrss.
_PEAK_SCRIPT = """
import sys
import {lib} as lib
def peak():
    status = open("/proc/self/status").read()
    return int(status.split("VmHWM:")[1].split()[0]) * 1024
before = peak()
state = lib.load(sys.argv[1])
print(peak() - before)
"""


def _load_peak_bytes(lib: str, path: str) -> int:
    """Peak memory added by loading ``path``, in a fresh process (Linux's /proc)."""
    out = subprocess.run([sys.executable, "-c", _PEAK_SCRIPT.format(lib=lib), path],
                         check=True, capture_output=True, text=True).stdout
    return int(out.split()[-1])


def run() -> list[tuple[str, float, float]]:
    import torch

    import ember
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(SIZE).astype(np.float32) for _ in range(N_TENSORS)]
    ember_sd = OrderedDict((f"layer{i}.weight", ember.from_numpy(a)) for i, a in
                           enumerate(arrays))
    torch_sd = OrderedDict((f"layer{i}.weight", torch.from_numpy(a)) for i, a in
                           enumerate(arrays))
    with tempfile.TemporaryDirectory() as folder:
        ember_path = os.path.join(folder, "ember.pt")
        torch_path = os.path.join(folder, "torch.pt")
        rows = [
            ("serialization save 100M float32 params",
             best_ms(lambda: ember.save(ember_sd, ember_path), repeat=2),
             best_ms(lambda: torch.save(torch_sd, torch_path), repeat=2)),
            ("serialization save 100M float32 params (torch + fsync)",
             best_ms(lambda: ember.save(ember_sd, ember_path), repeat=2),
             best_ms(lambda: _torch_save_durable(torch, torch_sd, torch_path), repeat=2)),
            ("serialization load 100M float32 params",
             best_ms(lambda: ember.load(ember_path), repeat=2),
             best_ms(lambda: torch.load(torch_path), repeat=2)),
            ("load peak extra memory / checkpoint size",
             _load_peak_bytes("ember", ember_path) / os.path.getsize(ember_path),
             _load_peak_bytes("torch", torch_path) / os.path.getsize(torch_path)),
        ]
    return rows


if __name__ == "__main__":
    for workload, ember_ms, torch_ms in run():
        print(f"{workload:55s} {ember_ms:9.2f} {torch_ms:9.2f} {ember_ms / torch_ms:6.2f}x")
