"""ember.distributed: torch.distributed's API for data-parallel training across processes.

Two backends: "gloo", a pure-Python TCP backend that needs nothing installed (named after
PyTorch's CPU backend so scripts run unchanged), and "mpi" over mpi4py
(``pip install 'ember[mpi]'``). Start processes with ``python -m ember.distributed.run
--nproc-per-node 4 train.py`` (torchrun's environment variables) or ``mpirun -n 4 python
train.py``; in the script, ``init_process_group()`` picks the backend that fits the launcher.
Collectives move host memory; there is no NCCL.
"""
from __future__ import annotations

from ._process_group import (DistBackendError, DistError, DistNetworkError,  # noqa: F401
                             DistStoreError, ProcessGroup, ReduceOp, Work)
from .distributed_c10d import *  # noqa: F401,F403
from .distributed_c10d import __all__ as _c10d_all


def is_available() -> bool:
    """Always True: the TCP backend needs nothing beyond the standard library."""
    return True


__all__ = ["is_available", "ReduceOp", "Work", "ProcessGroup", "DistError", "DistBackendError",
           "DistNetworkError", "DistStoreError"] + list(_c10d_all)
