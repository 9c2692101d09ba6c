"""Where the ranks meet: ``env://`` and ``tcp://host:port`` init methods, parsed into the
master's address, this process's rank and the world size.

Under an MPI launcher (mpirun/mpiexec) RANK and WORLD_SIZE fall back to the launcher's
OMPI_COMM_WORLD_RANK/SIZE (Open MPI) or PMI_RANK/SIZE (MPICH, Intel MPI); PyTorch reads only
RANK and WORLD_SIZE.
"""
from __future__ import annotations

import os
from typing import NamedTuple
from urllib.parse import parse_qs, urlparse

__all__ = ["Rendezvous", "resolve", "launcher_rank", "launcher_world_size", "launched_by_mpi"]

_RANK_VARS = ("RANK", "OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK")
_WORLD_SIZE_VARS = ("WORLD_SIZE", "OMPI_COMM_WORLD_SIZE", "PMI_SIZE")


class Rendezvous(NamedTuple):
    host: str
    port: int
    rank: int
    world_size: int


def _error(method: str, message: str) -> ValueError:
    return ValueError(f"Error initializing ember.distributed using {method} rendezvous: {message}")


def _first_env(names: tuple[str, ...]) -> str | None:
    for name in names:
        value = os.environ.get(name)
        if value is not None:
            return value
    return None


def launcher_rank() -> int | None:
    """This process's rank as a launcher set it (torchrun-style or MPI), or None."""
    value = _first_env(_RANK_VARS)
    return None if value is None else int(value)


def launcher_world_size() -> int | None:
    value = _first_env(_WORLD_SIZE_VARS)
    return None if value is None else int(value)


def launched_by_mpi() -> bool:
    """Whether an MPI launcher started this process."""
    return any(name in os.environ for name in ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"))


def resolve(init_method: str, rank: int = -1, world_size: int = -1) -> Rendezvous:
    """Parse ``init_method``; explicit ``rank``/``world_size`` (>= 0) win over URL and env."""
    url = urlparse(init_method)
    query = {k: v[-1] for k, v in parse_qs(url.query).items()}
    if rank < 0 and "rank" in query:
        rank = int(query["rank"])
    if world_size < 0 and "world_size" in query:
        world_size = int(query["world_size"])
    if url.scheme == "env":
        method = "env://"
        if rank < 0:
            rank = launcher_rank()
            if rank is None:
                raise _error(method, "environment variable RANK expected, but not set")
        if world_size < 0:
            world_size = launcher_world_size()
            if world_size is None:
                raise _error(method, "environment variable WORLD_SIZE expected, but not set")
        for name in ("MASTER_ADDR", "MASTER_PORT"):
            if name not in os.environ:
                raise _error(method, f"environment variable {name} expected, but not set")
        host, port = os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"])
    elif url.scheme == "tcp":
        method = "tcp://"
        if not url.port:
            raise _error(method, "port number missing")
        if rank < 0:
            raise _error(method, "rank parameter missing")
        if world_size < 0:
            raise _error(method, "size parameter missing")
        host, port = url.hostname, url.port
    else:
        raise RuntimeError(f"No rendezvous handler for {url.scheme}://")
    if not 0 <= rank < world_size:
        raise ValueError(f"Invalid rank {rank} for world size {world_size}")
    return Rendezvous(host, port, rank, world_size)
