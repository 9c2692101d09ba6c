"""DistributedDataParallel: one model replica per process; gradients averaged across processes.

At construction rank 0's parameters and buffers are broadcast so every replica starts equal.
After ``loss.backward()`` every replica holds the mean of all ranks' gradients, so the same
optimizer step keeps them equal. Gradients are reduced in buckets: parameters are grouped, in
reverse registration order (roughly the order backward produces their gradients), into flat
buffers of about ``bucket_cap_mb``; each parameter's post-accumulate-grad hook copies its gradient
(divided by the world size) into its bucket, and a full bucket is all-reduced asynchronously
while backward goes on. The hook of the last gradient waits for every bucket and hands each
parameter a view of its bucket as ``.grad``.
"""
from __future__ import annotations

import contextlib
import weakref
from typing import Any, Iterator, Sequence

import numpy as np

from ... import distributed as dist
from ..._device import device as _device
from ..._tensor import Tensor
from ...autograd.function import Node
from ...autograd.grad_mode import is_grad_enabled
from ..modules.module import Module

__all__ = ["DistributedDataParallel"]

_DEFAULT_FIRST_BUCKET_BYTES = 1024 * 1024

_UNFINISHED_REDUCTION = (
    "Expected to have finished reduction in the prior iteration before starting a new one. This "
    "error indicates that your module has parameters that were not used in producing loss. You "
    "can enable unused parameter detection by passing the keyword argument "
    "`find_unused_parameters=True` to `ember.nn.parallel.DistributedDataParallel`, and by making "
    "sure all `forward` function outputs participate in calculating loss. If you already have "
    "done the above, then the distributed data parallel module wasn't able to locate the output "
    "tensors in the return value of your module's `forward` function.")


class DistributedDataParallel(Module):
    """Wraps ``module`` so that ``backward`` leaves every rank the ranks' mean gradient.

    Differences from PyTorch: the gradients handed back are always views of the bucket buffers
    (PyTorch's ``gradient_as_bucket_view=True``); ``static_graph``, ``register_comm_hook``,
    ``join`` and mixed precision are not supported; ``device_ids``/``output_device`` are kept for
    code compatibility but the module's own device is used.
    """

    def __init__(self, module: Module, device_ids: Sequence[Any] | None = None,
                 output_device: Any = None, dim: int = 0, broadcast_buffers: bool = True,
                 process_group: dist.ProcessGroup | None = None, bucket_cap_mb: float | None = None,
                 find_unused_parameters: bool = False, check_reduction: bool = False,
                 gradient_as_bucket_view: bool = False, static_graph: bool = False) -> None:
        super().__init__()
        if static_graph:
            raise NotImplementedError("ember's DistributedDataParallel has no static_graph mode")
        dist.get_world_size()  # PyTorch's ValueError when there is no default group
        self.process_group = process_group if process_group is not None else dist.group.WORLD
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        if not named:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have "
                               "any parameter that requires a gradient.")
        self.module = module
        self.device_ids = list(device_ids) if device_ids is not None else None
        self.output_device = output_device
        self.dim = dim
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = False
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        self.bucket_bytes_cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * 1024 * 1024)
        self._verify_same_model(named)
        _broadcast_coalesced([p for _, p in module.named_parameters()] + list(module.buffers()),
                             self.process_group)
        self._reducer = _Reducer(named, self.process_group, self.bucket_bytes_cap,
                                 find_unused_parameters)

    def _verify_same_model(self, named: list[tuple[str, Tensor]]) -> None:
        """Fail loudly (instead of hanging in a collective) when replicas differ."""
        mine = [(name, tuple(p.shape), str(p.dtype)) for name, p in named]
        everyone: list = [None] * self.process_group.size()
        dist.all_gather_object(everyone, mine, group=self.process_group)
        for rank, theirs in enumerate(everyone):
            if theirs == everyone[0]:
                continue
            if len(theirs) != len(everyone[0]):
                raise RuntimeError(f"DDP expects same model across all ranks, but Rank {rank} has "
                                   f"{len(theirs)} params, while rank 0 has inconsistent "
                                   f"{len(everyone[0])} params.")
            bad = next(a for a, b in zip(theirs, everyone[0]) if a != b)
            good = everyone[0][theirs.index(bad)]
            raise RuntimeError(f"DDP expects same model across all ranks, but parameter {bad[0]} "
                               f"has shape {bad[1]} and dtype {bad[2]} on rank {rank} and "
                               f"{good[1]}, {good[2]} on rank 0.")

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        sync_grads = is_grad_enabled() and self.require_backward_grad_sync
        if sync_grads:
            self._reducer.check_prior_reduction_finished()
        if self.broadcast_buffers and self.require_forward_param_sync:
            _broadcast_coalesced(list(self.module.buffers()), self.process_group)
        output = self.module(*inputs, **kwargs)
        if sync_grads:
            self._reducer.prepare_for_backward(output)
        return output

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Backward passes inside only accumulate local gradients; the first one after the block
        averages the accumulated gradients."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous


class _Bucket:
    """Parameters whose gradients travel in one flat buffer, and where each one lies in it."""

    def __init__(self, indices: list[int], params: list[Tensor]) -> None:
        self.indices = indices
        self.offsets = []
        total = 0
        for p in params:
            self.offsets.append(total)
            total += p.numel()
        self.numel = total
        self.buffer = None
        self.pending = 0
        self.work = None

    def view(self, slot: int, param: Tensor):
        start = self.offsets[slot]
        return self.buffer[start:start + param.numel()].reshape(param._data.shape)


def _assign_buckets(params: list[Tensor], cap_bytes: int) -> list[list[int]]:
    """Indices of ``params`` per bucket, last parameter first; one dtype and device a bucket.
    The first bucket is small so that communication starts early in backward."""
    buckets: list[list[int]] = []
    open_bucket: dict = {}
    limit = min(_DEFAULT_FIRST_BUCKET_BYTES, cap_bytes)
    for i in reversed(range(len(params))):
        p = params[i]
        key = (p.dtype, p.device)
        indices, size = open_bucket.get(key, (None, 0))
        if indices is None:
            indices = []
            buckets.append(indices)
        indices.append(i)
        size += p.numel() * p.dtype.itemsize
        if size >= limit:
            open_bucket.pop(key, None)
            limit = cap_bytes
        else:
            open_bucket[key] = (indices, size)
    return buckets


class _Reducer:
    """Tracks which gradients of the current backward are ready and all-reduces full buckets."""

    def __init__(self, named: list[tuple[str, Tensor]], process_group: dist.ProcessGroup,
                 cap_bytes: int, find_unused_parameters: bool) -> None:
        self.names = [n for n, _ in named]
        self.params = [p for _, p in named]
        self.process_group = process_group
        self.find_unused_parameters = find_unused_parameters
        self.buckets = [_Bucket(ix, [self.params[i] for i in ix])
                        for ix in _assign_buckets(self.params, cap_bytes)]
        self.place = {}
        for b, bucket in enumerate(self.buckets):
            for slot, i in enumerate(bucket.indices):
                self.place[id(self.params[i])] = (i, b, slot)
        self.expecting = False
        self.ready: set[int] = set()
        self.used: set[int] = set()  # got a gradient since the last reduction (no_sync too)
        self.next_bucket = 0
        ref = weakref.ref(self)

        def hook(param: Tensor) -> None:
            reducer = ref()
            if reducer is not None:
                reducer.on_gradient(param)
        for p in self.params:
            p.register_post_accumulate_grad_hook(hook)

    def check_prior_reduction_finished(self) -> None:
        if self.expecting:
            missing = [self.names[i] for i in range(len(self.params)) if i not in self.ready]
            raise RuntimeError(f"{_UNFINISHED_REDUCTION}\nParameters which did not receive grad "
                               f"for rank {self.process_group.rank()}: {', '.join(missing)}")

    def prepare_for_backward(self, output: Any) -> None:
        self.expecting = True
        self.ready = set()
        self.next_bucket = 0
        for bucket in self.buckets:
            p = self.params[bucket.indices[0]]
            bucket.buffer = p._device.backend.xp.empty(bucket.numel, p._data.dtype)
            bucket.pending = len(bucket.indices)
            bucket.work = None
        if self.find_unused_parameters:
            reached = _reachable_leaves(output)
            for i, p in enumerate(self.params):
                if id(p) not in reached:
                    self.mark_ready(i, used=i in self.used)

    def on_gradient(self, param: Tensor) -> None:
        i = self.place[id(param)][0]
        self.used.add(i)
        if not self.expecting:  # inside no_sync, or a backward DDP's forward did not prepare
            return
        if i in self.ready:
            raise RuntimeError(f"Expected to mark a variable ready only once. Parameter "
                               f"{self.names[i]} received a second gradient in one iteration "
                               "(a second backward through the same DDP output?).")
        self.mark_ready(i, used=True)

    def mark_ready(self, i: int, used: bool) -> None:
        param = self.params[i]
        _, b, slot = self.place[id(param)]
        bucket = self.buckets[b]
        view = bucket.view(slot, param)
        xp = param._device.backend.xp
        if used and param.grad is not None:
            xp.divide(param.grad._data, self.process_group.size(), out=view)
        else:
            view[...] = 0
        self.ready.add(i)
        bucket.pending -= 1
        # Launch strictly in bucket order: every rank must issue the all-reduces identically.
        while self.next_bucket < len(self.buckets) and self.buckets[self.next_bucket].pending == 0:
            ready = self.buckets[self.next_bucket]
            ready.work = dist.all_reduce(Tensor._make(ready.buffer, param._device),
                                         group=self.process_group, async_op=True)
            self.next_bucket += 1
        if self.next_bucket == len(self.buckets):
            self.finalize()

    def finalize(self) -> None:
        used_anywhere = None
        if self.find_unused_parameters:
            counts = np.zeros(len(self.params), np.int64)
            counts[list(self.used)] = 1
            flags = Tensor._make(counts, _device("cpu"))
            dist.all_reduce(flags, group=self.process_group)
            used_anywhere = counts > 0
        for bucket in self.buckets:
            bucket.work.wait()
            for slot, i in enumerate(bucket.indices):
                if used_anywhere is not None and not used_anywhere[i]:
                    continue  # unused on every rank: .grad is left as it was, like PyTorch
                param = self.params[i]
                param.grad = Tensor._make(bucket.view(slot, param), param._device)
            bucket.buffer = None
            bucket.work = None
        self.used = set()
        self.expecting = False


def _reachable_leaves(output: Any) -> set[int]:
    """ids of the leaf tensors the autograd graph of ``output`` reaches."""
    reached: set[int] = set()
    stack: list = []
    for t in _tensors(output):
        if t.grad_fn is not None:
            stack.append(t.grad_fn)
        elif t.requires_grad:
            reached.add(id(t))
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for edge in node.next_functions:
            if edge is None:
                continue
            child = edge[0]
            if isinstance(child, Node):
                stack.append(child)
            else:
                reached.add(id(child))
    return reached


def _tensors(obj: Any) -> Iterator[Tensor]:
    if isinstance(obj, Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for item in obj:
            yield from _tensors(item)
    elif isinstance(obj, dict):
        for item in obj.values():
            yield from _tensors(item)


def _broadcast_coalesced(tensors: list[Tensor], process_group: dist.ProcessGroup) -> None:
    """Overwrite ``tensors`` with group rank 0's values: one broadcast per dtype and device."""
    if process_group.size() == 1 or not tensors:
        return
    groups: dict = {}
    for t in tensors:
        groups.setdefault((t.dtype, t.device), []).append(t)
    for (_, device), members in groups.items():
        xp = device.backend.xp
        flat = xp.concatenate([xp.ravel(t._data) for t in members])
        dist.broadcast(Tensor._make(flat, device), group=process_group, group_src=0)
        offset = 0
        for t in members:
            n = t._data.size
            t._data[...] = flat[offset:offset + n].reshape(t._data.shape)
            t._bump_version()
            offset += n
