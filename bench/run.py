"""Run every benchmark and print: workload, Ember ms, PyTorch ms, ratio (Ember / PyTorch).

Usage: python bench/run.py [name ...]   (names: core, nn, optim, data, serialization, vision)
"""
from __future__ import annotations

import importlib
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
SUITES = ["core", "nn", "optim", "data", "serialization", "vision"]


def main(argv: list[str]) -> int:
    names = argv or SUITES
    print(f"{'workload':60s} {'ember':>10s} {'torch':>10s} {'ratio':>7s}")
    failed = 0
    for name in names:
        try:
            module = importlib.import_module(f"bench_{name}")
        except ImportError as exc:
            print(f"{name}: not available ({exc})")
            continue
        try:
            rows = module.run()
        except Exception:  # noqa: BLE001 - report and continue with the other suites
            failed += 1
            traceback.print_exc()
            continue
        for workload, ember_ms, torch_ms in rows:
            print(f"{workload:60s} {ember_ms:10.3f} {torch_ms:10.3f} {ember_ms / torch_ms:6.2f}x",
                  flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
