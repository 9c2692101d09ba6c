"""The "mpi" backend: collectives are MPI's own (mpi4py), on a duplicate of COMM_WORLD.

Rank and world size come from the MPI launcher (``mpirun -n 4 python train.py``). Arrays of the
dtypes MPI reduces natively go through MPI's buffer interface; bool and 16-bit floats, which MPI
implementations reduce inconsistently, are gathered as pickles and reduced in rank order.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Callable, Sequence

import numpy as np

from ._process_group import ProcessGroup, Work, RedOpType, reduce_arrays

_NATIVE_KINDS = "fciu"


def _mpi():
    from mpi4py import MPI  # importing it initializes MPI, so only when the backend is used
    return MPI


def _native(array: np.ndarray) -> bool:
    return array.dtype.kind in _NATIVE_KINDS and array.dtype != np.float16


class MPIProcessGroup(ProcessGroup):
    """A group over an MPI communicator; ranks here are the communicator's ranks."""

    backend_name = "mpi"

    def __init__(self, comm: Any, ranks: Sequence[int], timeout: timedelta) -> None:
        super().__init__(comm.Get_rank(), ranks, timeout)
        self._comm = comm
        # A worker thread may call MPI only if MPI was initialised for threads.
        self.threaded = _mpi().Query_thread() == _mpi().THREAD_MULTIPLE

    def _op(self, op: RedOpType):
        MPI = _mpi()
        return {RedOpType.SUM: MPI.SUM, RedOpType.AVG: MPI.SUM, RedOpType.PRODUCT: MPI.PROD,
                RedOpType.MIN: MPI.MIN, RedOpType.MAX: MPI.MAX, RedOpType.BAND: MPI.BAND,
                RedOpType.BOR: MPI.BOR, RedOpType.BXOR: MPI.BXOR}[op]

    def _average(self, array: np.ndarray, op: RedOpType) -> np.ndarray:
        if op == RedOpType.AVG:
            np.divide(array, self.size(), out=array, casting="unsafe")
        return array

    # -- collectives ----------------------------------------------------------------------
    def allreduce(self, array: np.ndarray, op: RedOpType) -> np.ndarray:
        if not _native(array):
            return reduce_arrays(self._comm.allgather(array), op)
        out = np.array(array, copy=True)
        self._comm.Allreduce(_mpi().IN_PLACE, out, self._op(op))
        return self._average(out, op)

    def broadcast(self, array: np.ndarray, root: int) -> np.ndarray:
        if not _native(array):
            return self._comm.bcast(array, root)
        out = np.array(array, copy=True)
        self._comm.Bcast(out, root)
        return out

    def reduce(self, array: np.ndarray, root: int, op: RedOpType) -> np.ndarray | None:
        if not _native(array):
            arrays = self._comm.gather(array, root)
            return None if arrays is None else reduce_arrays(arrays, op)
        if self._rank != root:
            self._comm.Reduce(array, None, self._op(op), root)
            return None
        out = np.array(array, copy=True)
        self._comm.Reduce(_mpi().IN_PLACE, out, self._op(op), root)
        return self._average(out, op)

    def allgather(self, array: np.ndarray) -> list[np.ndarray]:
        if not _native(array):
            return self._comm.allgather(array)
        out = np.empty((self.size(),) + array.shape, array.dtype)
        self._comm.Allgather(array, out)
        return list(out)

    def gather(self, array: np.ndarray, root: int) -> list[np.ndarray] | None:
        if not _native(array):
            return self._comm.gather(array, root)
        out = np.empty((self.size(),) + array.shape, array.dtype) if self._rank == root else None
        self._comm.Gather(array, out, root)
        return None if out is None else list(out)

    def scatter(self, arrays: Sequence[np.ndarray] | None, root: int,
                like: np.ndarray) -> np.ndarray:
        if not _native(like):
            return self._comm.scatter(arrays, root)
        send = np.stack(arrays) if self._rank == root else None
        out = np.empty_like(like)
        self._comm.Scatter(send, out, root)
        return out

    def reduce_scatter(self, arrays: Sequence[np.ndarray], op: RedOpType) -> np.ndarray:
        if not _native(arrays[0]):
            return reduce_arrays(self._comm.alltoall(list(arrays)), op)
        out = np.empty_like(arrays[0])
        self._comm.Reduce_scatter_block(np.stack(arrays), out, self._op(op))
        return self._average(out, op)

    def alltoall(self, arrays: Sequence[np.ndarray]) -> list[np.ndarray]:
        if not _native(arrays[0]):
            return self._comm.alltoall(list(arrays))
        out = np.empty((self.size(),) + arrays[0].shape, arrays[0].dtype)
        self._comm.Alltoall(np.stack(arrays), out)
        return list(out)

    def barrier(self) -> None:
        self._comm.Barrier()

    def allgather_object(self, obj: Any) -> list:
        return self._comm.allgather(obj)

    def broadcast_object(self, obj: Any, root: int) -> Any:
        return self._comm.bcast(obj, root)

    def gather_object(self, obj: Any, root: int) -> list | None:
        return self._comm.gather(obj, root)

    def scatter_object(self, objs: Sequence[Any] | None, root: int) -> Any:
        return self._comm.scatter(objs, root)

    # -- point to point -------------------------------------------------------------------
    def isend(self, array: np.ndarray, dst: int, tag: int) -> Work:
        request = self._comm.Isend(array, dst, tag)  # the request keeps ``array`` alive
        return Work(request.Wait, request.Test, None, "send")

    def irecv(self, like: np.ndarray, src: int | None, tag: int,
              on_receive: Callable[[np.ndarray, int], None]) -> Work:
        MPI = _mpi()
        buffer = np.empty_like(like)
        status = MPI.Status()
        request = self._comm.Irecv(buffer, MPI.ANY_SOURCE if src is None else src, tag)

        def wait() -> None:
            request.Wait(status)
            on_receive(buffer, status.Get_source())
        return Work(wait, request.Test, None, "recv")

    def new_subgroup(self, ranks: Sequence[int], timeout: timedelta) -> "MPIProcessGroup | None":
        member = self._rank in ranks
        comm = self._comm.Split(0 if member else _mpi().UNDEFINED,
                                list(ranks).index(self._rank) if member else 0)
        return MPIProcessGroup(comm, ranks, timeout) if member else None

    def close(self) -> None:
        self.shutdown(wait=self.timeout.total_seconds())  # MPI must be done with the comm
        self._comm.Free()


def init_world(timeout: timedelta) -> MPIProcessGroup:
    """The world group: a duplicate of COMM_WORLD, so user MPI traffic never meets Ember's."""
    comm = _mpi().COMM_WORLD.Dup()
    return MPIProcessGroup(comm, range(comm.Get_size()), timeout)


def is_available() -> bool:
    import importlib.util
    return importlib.util.find_spec("mpi4py") is not None
