"""torch.distributed's process groups and collectives, over Ember's "gloo" (TCP) and "mpi"
backends. Tensors are read into host arrays, handed to the group's backend, and the results are
written back in place, as PyTorch does.

Ranks named ``src``/``dst`` are global ranks; ``group_src``/``group_dst`` are ranks within
``group``. Every rank of a group must issue the group's collectives in the same order.
"""
from __future__ import annotations

import os
import warnings
from datetime import timedelta
from typing import Any, Callable, Sequence

import numpy as np

from .._tensor import Tensor
from . import _mpi, _tcp
from . import rendezvous as _rendezvous
from ._process_group import ProcessGroup, ReduceOp, Work, check_op

__all__ = ["Backend", "GroupMember", "group", "default_pg_timeout", "init_process_group",
           "destroy_process_group", "is_initialized", "is_mpi_available", "is_gloo_available",
           "is_nccl_available", "get_rank", "get_world_size", "get_backend", "new_group",
           "get_process_group_ranks", "get_global_rank", "get_group_rank", "all_reduce",
           "broadcast", "reduce", "all_gather", "all_gather_into_tensor", "gather", "scatter",
           "reduce_scatter", "reduce_scatter_tensor", "all_to_all", "barrier", "send", "recv",
           "isend", "irecv", "all_gather_object", "broadcast_object_list", "gather_object",
           "scatter_object_list"]

default_pg_timeout = timedelta(minutes=30)

_NOT_INITIALIZED = ("Default process group has not been initialized, please make sure to call "
                    "init_process_group.")


class Backend(str):
    """A backend's name: ``Backend("GLOO") == "gloo"``. Ember has "gloo" (pure-Python TCP, not
    Facebook's Gloo) and "mpi" (mpi4py); NCCL is not available."""

    UNDEFINED = "undefined"
    GLOO = "gloo"
    NCCL = "nccl"
    MPI = "mpi"

    def __new__(cls, name: str) -> "Backend":
        if not isinstance(name, str):
            raise ValueError(f"Backend constructor parameter must be string-ish, but got: "
                             f"{type(name)}")
        return super().__new__(cls, name.lower())


class _World:
    def __init__(self) -> None:
        self.default_pg: ProcessGroup | None = None
        self.subgroups: list[ProcessGroup] = []


_world = _World()


class _WorldMeta(type):
    @property
    def WORLD(cls) -> ProcessGroup | None:
        return _world.default_pg


class group(metaclass=_WorldMeta):
    """``group.WORLD``: the default process group (None before ``init_process_group``)."""


class GroupMember(metaclass=_WorldMeta):
    """``GroupMember.WORLD`` and ``NON_GROUP_MEMBER``, what ``new_group`` gives non-members."""

    NON_GROUP_MEMBER = -100


# -- setting up and tearing down ------------------------------------------------------------
def is_initialized() -> bool:
    """Whether the default process group exists."""
    return _world.default_pg is not None


def is_mpi_available() -> bool:
    """Whether mpi4py is installed (``pip install 'ember[mpi]'``)."""
    return _mpi.is_available()


def is_gloo_available() -> bool:
    return True


def is_nccl_available() -> bool:
    return False


def _choose_backend(backend: str | None) -> str:
    if backend is None:
        # PyTorch defaults to gloo; Ember picks MPI when an MPI launcher started the process.
        if (_rendezvous.launched_by_mpi() and is_mpi_available()
                and "MASTER_ADDR" not in os.environ):
            return Backend.MPI
        return Backend.GLOO
    if not isinstance(backend, str):
        raise ValueError(f"Backend constructor parameter must be string-ish, but got: "
                         f"{type(backend)}")
    name = backend.lower()
    if ":" in name:  # "cpu:gloo,cuda:nccl": Ember runs collectives on host memory
        name = dict(part.split(":", 1) for part in name.split(",")).get("cpu", "")
    if name == Backend.NCCL:
        raise RuntimeError("Distributed package doesn't have NCCL built in")
    if name not in (Backend.GLOO, Backend.MPI):
        raise ValueError(f"Invalid backend: '{backend}'")
    return name


def init_process_group(backend: str | None = None, init_method: str | None = None,
                       timeout: timedelta | None = None, world_size: int = -1, rank: int = -1,
                       store: Any = None, group_name: str = "", pg_options: Any = None,
                       device_id: Any = None) -> None:
    """Join the default process group; blocks until all ``world_size`` ranks have joined.

    ``init_method`` is ``env://`` (the default: MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE) or
    ``tcp://host:port`` with ``rank`` and ``world_size``. With ``backend="mpi"`` the MPI launcher
    decides rank and world size. Differences from PyTorch: ``backend=None`` picks "mpi" when
    mpirun started the process (and MASTER_ADDR is unset), else "gloo"; there is no Store, so
    ``store`` must be None; ``timeout`` also bounds every collective on the TCP backend.
    """
    if _world.default_pg is not None:
        raise ValueError("trying to initialize the default process group twice!")
    if store is not None:
        raise ValueError("ember.distributed has no Store; pass init_method instead")
    if timeout is None:
        timeout = default_pg_timeout
    if not isinstance(timeout, timedelta):
        raise TypeError(f"Expected timeout argument to be of type datetime.timedelta, got "
                        f"{type(timeout)}")
    name = _choose_backend(backend)
    if name == Backend.MPI:
        if not is_mpi_available():
            raise RuntimeError("Distributed package doesn't have MPI built in: install mpi4py "
                               "(pip install 'ember[mpi]')")
        if world_size != -1 or rank != -1:
            warnings.warn(f"For MPI backend, world_size ({world_size}) and rank ({rank}) are "
                          "ignored since they are assigned by the MPI runtime.")
        _world.default_pg = _mpi.init_world(timeout)
    else:
        where = _rendezvous.resolve(init_method or "env://", rank, world_size)
        _world.default_pg = _tcp.connect(where.host, where.port, where.rank, where.world_size,
                                         timeout)


def destroy_process_group(group: ProcessGroup | None = None) -> None:
    """Close ``group``, or with None every group and the default one. No barrier: ranks still
    waiting on a message from this one get an error."""
    if group is None or group is _world.default_pg:
        if _world.default_pg is None:
            raise ValueError("Invalid process group specified")
        for pg in _world.subgroups:
            pg.close()
        _world.default_pg.close()
        _world.default_pg = None
        _world.subgroups = []
    elif _is_non_member(group):
        return
    elif group in _world.subgroups:
        group.close()
        _world.subgroups.remove(group)
    else:
        raise ValueError("Invalid process group specified")


def new_group(ranks: Sequence[int] | None = None, timeout: timedelta | None = None,
              backend: str | None = None, pg_options: Any = None,
              use_local_synchronization: bool = False, group_desc: str | None = None,
              device_id: Any = None) -> ProcessGroup | int:
    """A group of the given global ``ranks``; every rank of the world must call it, in the
    same order. Non-members get ``GroupMember.NON_GROUP_MEMBER``. The group uses the default
    group's backend (``backend`` is ignored)."""
    world = _default_group()
    ranks = sorted(range(world.size()) if ranks is None else ranks)
    for r in ranks:
        if not 0 <= r < world.size():
            raise ValueError("The new group's rank should be within the world_size set by "
                             "init_process_group")
    made: list = []
    _run(world, lambda: made.append(world.new_subgroup(ranks, timeout or world.timeout)),
         False, "new_group")
    if made[0] is None:
        return GroupMember.NON_GROUP_MEMBER
    _world.subgroups.append(made[0])
    return made[0]


# -- questions about groups -----------------------------------------------------------------
def _default_group() -> ProcessGroup:
    if _world.default_pg is None:
        raise ValueError(_NOT_INITIALIZED)
    return _world.default_pg


def _is_non_member(group: Any) -> bool:
    return isinstance(group, int) and group == GroupMember.NON_GROUP_MEMBER


def _member_group(group: ProcessGroup | None) -> ProcessGroup | None:
    """The group to run on; None when this rank is not a member."""
    world = _default_group()
    if group is None:
        return world
    if _is_non_member(group):
        return None
    if not isinstance(group, ProcessGroup):
        raise TypeError(f"Invalid process group: expected a ProcessGroup, got {type(group)}")
    return group


def _not_member(op_name: str) -> None:
    warnings.warn(f"Running {op_name} on global rank {get_rank()} which does not belong to the "
                  "given group.")


def get_rank(group: ProcessGroup | None = None) -> int:
    """This process's rank in ``group`` (the default group); -1 if it is not a member."""
    pg = _member_group(group)
    return -1 if pg is None else pg.rank()


def get_world_size(group: ProcessGroup | None = None) -> int:
    """The number of ranks in ``group``; -1 if this process is not a member."""
    pg = _member_group(group)
    return -1 if pg is None else pg.size()


def get_backend(group: ProcessGroup | None = None) -> Backend:
    pg = _member_group(group)
    if pg is None:
        raise ValueError("Invalid process group specified")
    return Backend(pg.backend_name)


def get_process_group_ranks(group: ProcessGroup | None) -> list[int]:
    """The global ranks of ``group``'s members, in group-rank order."""
    return list(_member_group(group).ranks)


def get_global_rank(group: ProcessGroup, group_rank: int) -> int:
    return _member_group(group).ranks[group_rank]


def get_group_rank(group: ProcessGroup, global_rank: int) -> int:
    ranks = _member_group(group).ranks
    if global_rank not in ranks:
        raise ValueError(f"Global rank {global_rank} is not part of group {group}")
    return ranks.index(global_rank)


def _group_rank(pg: ProcessGroup, global_rank: int | None, group_rank: int | None,
                name: str, default: int | None = None) -> int:
    """The group rank meant by ``src``/``dst`` (global) or ``group_src``/``group_dst``."""
    if global_rank is not None and group_rank is not None:
        raise ValueError(f"Can't specify both group_{name} and {name}")
    if group_rank is not None:
        if not 0 <= group_rank < pg.size():
            raise ValueError(f"Group rank {group_rank} is not part of group {pg}")
        return group_rank
    if global_rank is None:
        if default is None:
            raise ValueError(f"Must specify either group_{name} or {name}")
        global_rank = default
    if global_rank not in pg.ranks:
        raise ValueError(f"Global rank {global_rank} is not part of group {pg}")
    return pg.ranks.index(global_rank)


# -- tensors in and out ---------------------------------------------------------------------
def _check_tensor(tensor: Any, name: str) -> None:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type "
                        f"ember.Tensor but got {type(tensor)} instead.")


def _check_tensor_list(tensors: Any, name: str, count: int | None = None) -> None:
    if not isinstance(tensors, (list, tuple)) or not all(isinstance(t, Tensor) for t in tensors):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type "
                        f"List[ember.Tensor] but got {type(tensors)} instead.")
    if count is not None and len(tensors) != count:
        raise RuntimeError(f"invalid tensor list `{name}` (expected length {count}, the group "
                           f"size, got {len(tensors)})")
    for t in tensors:
        _check_tensor(t, name)


def _check_like(tensors: Sequence[Tensor], like: Tensor, op_name: str) -> None:
    for t in tensors:
        if t.shape != like.shape or t.dtype != like.dtype:
            raise RuntimeError(f"{op_name}: every tensor must have shape {tuple(like.shape)} and "
                               f"dtype {like.dtype}; got {tuple(t.shape)} and {t.dtype}")


def _read(tensor: Tensor) -> np.ndarray:
    return np.ascontiguousarray(tensor._device.backend.to_host(tensor._data))


def _write(tensor: Tensor, array: np.ndarray) -> None:
    if array.shape != tensor._data.shape or array.dtype != tensor._data.dtype:
        raise RuntimeError(f"Received an array of shape {array.shape} and dtype {array.dtype} "
                           f"for a tensor of shape {tuple(tensor.shape)} and dtype "
                           f"{tensor.dtype}: ranks passed mismatched tensors")
    tensor._data[...] = tensor._device.backend.from_host(array)
    tensor._bump_version()


def _run(pg: ProcessGroup, fn: Callable[[], None], async_op: bool, what: str,
         outputs: Sequence[Tensor] = ()) -> Work | None:
    work = pg.submit(fn, what)
    work._result = list(outputs)
    if async_op:
        return work
    work.wait()
    return None


# -- collectives ----------------------------------------------------------------------------
def all_reduce(tensor: Tensor, op: ReduceOp.RedOpType = ReduceOp.SUM,
               group: ProcessGroup | None = None, async_op: bool = False) -> Work | None:
    """Reduce ``tensor`` across the group, in place on every rank."""
    _check_tensor(tensor, "tensor")
    pg = _member_group(group)
    if pg is None:
        return _not_member("all_reduce")
    op = check_op(op, tensor._data.dtype)
    return _run(pg, lambda: _write(tensor, pg.allreduce(_read(tensor), op)), async_op,
                "all_reduce", [tensor])


def broadcast(tensor: Tensor, src: int | None = None, group: ProcessGroup | None = None,
              async_op: bool = False, group_src: int | None = None) -> Work | None:
    """Copy ``src``'s ``tensor`` into every rank's ``tensor``."""
    _check_tensor(tensor, "tensor")
    pg = _member_group(group)
    if pg is None:
        return _not_member("broadcast")
    root = _group_rank(pg, src, group_src, "src")

    def run() -> None:
        out = pg.broadcast(_read(tensor), root)
        if pg.rank() != root:
            _write(tensor, out)
    return _run(pg, run, async_op, "broadcast", [tensor])


def reduce(tensor: Tensor, dst: int | None = None, op: ReduceOp.RedOpType = ReduceOp.SUM,
           group: ProcessGroup | None = None, async_op: bool = False,
           group_dst: int | None = None) -> Work | None:
    """Reduce ``tensor`` onto ``dst``; the other ranks' tensors are left unchanged."""
    _check_tensor(tensor, "tensor")
    pg = _member_group(group)
    if pg is None:
        return _not_member("reduce")
    root = _group_rank(pg, dst, group_dst, "dst")
    op = check_op(op, tensor._data.dtype)

    def run() -> None:
        out = pg.reduce(_read(tensor), root, op)
        if out is not None:
            _write(tensor, out)
    return _run(pg, run, async_op, "reduce", [tensor])


def all_gather(tensor_list: list[Tensor], tensor: Tensor, group: ProcessGroup | None = None,
               async_op: bool = False) -> Work | None:
    """Every rank's ``tensor`` into ``tensor_list[rank]`` on every rank."""
    _check_tensor(tensor, "tensor")
    pg = _member_group(group)
    if pg is None:
        return _not_member("all_gather")
    _check_tensor_list(tensor_list, "tensor_list", pg.size())
    _check_like(tensor_list, tensor, "all_gather")

    def run() -> None:
        for out, array in zip(tensor_list, pg.allgather(_read(tensor))):
            _write(out, array)
    return _run(pg, run, async_op, "all_gather", tensor_list)


def all_gather_into_tensor(output_tensor: Tensor, input_tensor: Tensor,
                           group: ProcessGroup | None = None,
                           async_op: bool = False) -> Work | None:
    """Every rank's ``input_tensor``, in rank order, into one ``output_tensor`` (concatenated
    along dim 0 or stacked on a new dim 0)."""
    _check_tensor(output_tensor, "output_tensor")
    _check_tensor(input_tensor, "input_tensor")
    pg = _member_group(group)
    if pg is None:
        return _not_member("all_gather_into_tensor")
    _check_gathered_size(output_tensor, input_tensor, pg.size(), "all_gather_into_tensor")

    def run() -> None:
        arrays = pg.allgather(_read(input_tensor))
        _write(output_tensor, np.concatenate([a.ravel() for a in arrays])
               .reshape(output_tensor._data.shape))
    return _run(pg, run, async_op, "all_gather_into_tensor", [output_tensor])


def _check_gathered_size(big: Tensor, small: Tensor, world_size: int, op_name: str) -> None:
    if big.numel() != world_size * small.numel() or big.dtype != small.dtype:
        raise ValueError(f"{op_name}: the large tensor must hold world_size ({world_size}) times "
                         f"the elements of the small one, of the same dtype; got "
                         f"{tuple(big.shape)} {big.dtype} and {tuple(small.shape)} {small.dtype}")


def _check_root_list(pg: ProcessGroup, root: int, tensors: Any, name: str, role: str,
                     like: Tensor) -> None:
    """``gather_list``/``scatter_list``: one tensor per rank on the root, nothing elsewhere."""
    if pg.rank() == root:
        if not tensors:
            raise ValueError(f"Argument ``{name}`` must be specified on {role} rank.")
        _check_tensor_list(tensors, name, pg.size())
        _check_like(tensors, like, name.split("_")[0])
    elif tensors:
        raise ValueError(f"Argument ``{name}`` must NOT be specified on non-{role} ranks.")


def gather(tensor: Tensor, gather_list: list[Tensor] | None = None, dst: int | None = None,
           group: ProcessGroup | None = None, async_op: bool = False,
           group_dst: int | None = None) -> Work | None:
    """Every rank's ``tensor`` into ``gather_list`` on ``dst`` (rank 0 by default)."""
    _check_tensor(tensor, "tensor")
    pg = _member_group(group)
    if pg is None:
        return _not_member("gather")
    root = _group_rank(pg, dst, group_dst, "dst", default=0)
    _check_root_list(pg, root, gather_list, "gather_list", "destination", tensor)

    def run() -> None:
        arrays = pg.gather(_read(tensor), root)
        if arrays is not None:
            for out, array in zip(gather_list, arrays):
                _write(out, array)
    return _run(pg, run, async_op, "gather")


def scatter(tensor: Tensor, scatter_list: list[Tensor] | None = None, src: int | None = None,
            group: ProcessGroup | None = None, async_op: bool = False,
            group_src: int | None = None) -> Work | None:
    """``scatter_list[rank]`` on ``src`` (rank 0 by default) into each rank's ``tensor``."""
    _check_tensor(tensor, "tensor")
    pg = _member_group(group)
    if pg is None:
        return _not_member("scatter")
    root = _group_rank(pg, src, group_src, "src", default=0)
    _check_root_list(pg, root, scatter_list, "scatter_list", "source", tensor)

    def run() -> None:
        arrays = [_read(t) for t in scatter_list] if pg.rank() == root else None
        _write(tensor, pg.scatter(arrays, root, _read(tensor)))
    return _run(pg, run, async_op, "scatter", [tensor])


def reduce_scatter(output: Tensor, input_list: list[Tensor],
                   op: ReduceOp.RedOpType = ReduceOp.SUM, group: ProcessGroup | None = None,
                   async_op: bool = False) -> Work | None:
    """Reduce ``input_list[r]`` across ranks into rank r's ``output``."""
    _check_tensor(output, "output")
    pg = _member_group(group)
    if pg is None:
        return _not_member("reduce_scatter")
    _check_tensor_list(input_list, "input_list", pg.size())
    _check_like(input_list, output, "reduce_scatter")
    op = check_op(op, output._data.dtype)
    return _run(pg, lambda: _write(output, pg.reduce_scatter([_read(t) for t in input_list], op)),
                async_op, "reduce_scatter", [output])


def reduce_scatter_tensor(output: Tensor, input: Tensor, op: ReduceOp.RedOpType = ReduceOp.SUM,
                          group: ProcessGroup | None = None,
                          async_op: bool = False) -> Work | None:
    """Reduce ``input`` (world_size chunks along dim 0, or stacked) across ranks; rank r's
    ``output`` gets chunk r."""
    _check_tensor(output, "output")
    _check_tensor(input, "input")
    pg = _member_group(group)
    if pg is None:
        return _not_member("reduce_scatter_tensor")
    _check_gathered_size(input, output, pg.size(), "reduce_scatter_tensor")
    op = check_op(op, output._data.dtype)

    def run() -> None:
        chunks = _read(input).reshape((pg.size(),) + output._data.shape)
        _write(output, pg.reduce_scatter(list(chunks), op))
    return _run(pg, run, async_op, "reduce_scatter_tensor", [output])


def all_to_all(output_tensor_list: list[Tensor], input_tensor_list: list[Tensor],
               group: ProcessGroup | None = None, async_op: bool = False) -> Work | None:
    """Rank r's ``input_tensor_list[s]`` into rank s's ``output_tensor_list[r]``. Tensors must
    all have one shape (PyTorch allows a different shape per pair)."""
    pg = _member_group(group)
    if pg is None:
        return _not_member("all_to_all")
    _check_tensor_list(output_tensor_list, "output_tensor_list", pg.size())
    _check_tensor_list(input_tensor_list, "input_tensor_list", pg.size())
    _check_like(list(output_tensor_list) + list(input_tensor_list), input_tensor_list[0],
                "all_to_all")

    def run() -> None:
        arrays = pg.alltoall([_read(t) for t in input_tensor_list])
        for out, array in zip(output_tensor_list, arrays):
            _write(out, array)
    return _run(pg, run, async_op, "all_to_all", output_tensor_list)


def barrier(group: ProcessGroup | None = None, async_op: bool = False,
            device_ids: Any = None) -> Work | None:
    """Block until every rank of the group has reached the barrier."""
    pg = _member_group(group)
    if pg is None:
        return _not_member("barrier")
    return _run(pg, pg.barrier, async_op, "barrier")


# -- point to point -------------------------------------------------------------------------
def isend(tensor: Tensor, dst: int | None = None, group: ProcessGroup | None = None,
          tag: int = 0, group_dst: int | None = None) -> Work | None:
    """Send ``tensor`` to ``dst``. On the TCP backend the data is on its way when this returns
    (the Work is already complete); on MPI the Work completes when MPI is done with it."""
    _check_tensor(tensor, "tensor")
    pg = _member_group(group)
    if pg is None:
        return _not_member("isend")
    peer = _group_rank(pg, dst, group_dst, "dst")
    if peer == pg.rank():
        raise ValueError("Invalid destination rank: destination rank should not be the same as "
                         "the rank of the current process.")
    return pg.isend(_read(tensor), peer, tag)


def send(tensor: Tensor, dst: int | None = None, group: ProcessGroup | None = None,
         tag: int = 0, group_dst: int | None = None) -> None:
    work = isend(tensor, dst, group, tag, group_dst)
    if work is not None:
        work.wait()


def _post_recv(tensor: Tensor, src: int | None, group: ProcessGroup | None, tag: int,
               group_src: int | None, sender: list) -> Work | None:
    _check_tensor(tensor, "tensor")
    pg = _member_group(group)
    if pg is None:
        return _not_member("recv")
    peer = None
    if src is not None or group_src is not None:
        peer = _group_rank(pg, src, group_src, "src")
        if peer == pg.rank():
            raise ValueError("Invalid source rank: source rank should not be the same as the "
                             "rank of the current process.")

    def on_receive(array: np.ndarray, source: int) -> None:
        _write(tensor, array)
        sender.append(pg.ranks[source])
    return pg.irecv(_read(tensor), peer, tag, on_receive)


def irecv(tensor: Tensor, src: int | None = None, group: ProcessGroup | None = None,
          tag: int = 0, group_src: int | None = None) -> Work | None:
    """Receive into ``tensor`` from ``src`` (None: any rank); the data lands at ``wait()``."""
    return _post_recv(tensor, src, group, tag, group_src, [])


def recv(tensor: Tensor, src: int | None = None, group: ProcessGroup | None = None,
         tag: int = 0, group_src: int | None = None) -> int:
    """Receive into ``tensor``; returns the sender's global rank (-1 if not a member of
    ``group``)."""
    sender: list = []
    work = _post_recv(tensor, src, group, tag, group_src, sender)
    if work is None:
        return -1
    work.wait()
    return sender[0]


# -- Python objects (pickled: only exchange objects with ranks you trust) ---------------------
def _run_object(group: ProcessGroup | None, op_name: str, fn: Callable[[ProcessGroup], Any]):
    pg = _member_group(group)
    if pg is None:
        _not_member(op_name)
        return None, None
    result: list = []
    _run(pg, lambda: result.append(fn(pg)), False, op_name)
    return pg, result[0]


def all_gather_object(object_list: list, obj: Any, group: ProcessGroup | None = None) -> None:
    """Every rank's ``obj`` into ``object_list[rank]``."""
    pg, gathered = _run_object(group, "all_gather_object", lambda pg: pg.allgather_object(obj))
    if pg is not None:
        object_list[:len(gathered)] = gathered


def broadcast_object_list(object_list: list, src: int | None = None,
                          group: ProcessGroup | None = None, device: Any = None,
                          group_src: int | None = None) -> None:
    """Replace every rank's ``object_list`` items with ``src``'s."""
    pg = _member_group(group)
    if pg is None:
        return _not_member("broadcast_object_list")
    root = _group_rank(pg, src, group_src, "src", default=0)
    _, objects = _run_object(pg, "broadcast_object_list",
                             lambda pg: pg.broadcast_object(list(object_list), root))
    object_list[:] = objects


def gather_object(obj: Any, object_gather_list: list | None = None, dst: int | None = None,
                  group: ProcessGroup | None = None, group_dst: int | None = None) -> None:
    """Every rank's ``obj`` into ``object_gather_list`` on ``dst`` (rank 0 by default)."""
    pg = _member_group(group)
    if pg is None:
        return _not_member("gather_object")
    root = _group_rank(pg, dst, group_dst, "dst", default=0)
    if pg.rank() == root and object_gather_list is None:
        raise ValueError("Argument ``object_gather_list`` must be specified on destination "
                         "rank.")
    _, gathered = _run_object(pg, "gather_object", lambda pg: pg.gather_object(obj, root))
    if gathered is not None:
        object_gather_list[:len(gathered)] = gathered


def scatter_object_list(scatter_object_output_list: list,
                        scatter_object_input_list: list | None = None, src: int | None = None,
                        group: ProcessGroup | None = None, group_src: int | None = None) -> None:
    """``scatter_object_input_list[rank]`` on ``src`` into ``scatter_object_output_list[0]``."""
    pg = _member_group(group)
    if pg is None:
        return _not_member("scatter_object_list")
    root = _group_rank(pg, src, group_src, "src", default=0)
    if pg.rank() == root and (scatter_object_input_list is None
                              or len(scatter_object_input_list) != pg.size()):
        raise ValueError("Argument ``scatter_object_input_list`` must hold one object per rank "
                         "on the source rank.")
    objs = list(scatter_object_input_list) if pg.rank() == root else None
    _, mine = _run_object(pg, "scatter_object_list", lambda pg: pg.scatter_object(objs, root))
    scatter_object_output_list[0] = mine
