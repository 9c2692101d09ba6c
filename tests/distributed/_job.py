"""What each rank of the test jobs runs; results are pickled to OUT/rank<r>.pkl for the tests.

    python -m ember.distributed.run --standalone --nproc-per-node 2 tests/distributed/_job.py OUT
    mpirun -n 2 python tests/distributed/_job.py OUT

Everything happens in one job per backend, because starting processes (and importing NumPy,
SciPy and scikit-learn in each) costs far more than the checks.
"""
from __future__ import annotations

import copy
import os
import pickle
import sys
import time
from datetime import timedelta

import numpy as np


def collectives(results: dict) -> None:
    import ember
    import ember.distributed as dist
    r, n = dist.get_rank(), dist.get_world_size()
    results.update(rank=r, world_size=n, backend=str(dist.get_backend()),
                   initialized=dist.is_initialized())

    t = ember.tensor([r + 1.0, 2.0 * r], dtype=ember.float32)
    dist.all_reduce(t)
    results["all_reduce_sum"] = t.numpy().copy()
    base = ember.tensor([[1.0, 2.0], [3.0, 4.0]]) * (r + 1)
    dist.all_reduce(base.t())  # a strided view: the result lands in ``base``
    results["all_reduce_non_contiguous"] = base.numpy().copy()
    for op in ("PRODUCT", "MIN", "MAX", "AVG"):
        t = ember.tensor([r + 1.0, -r - 0.5], dtype=ember.float64)
        dist.all_reduce(t, op=getattr(dist.ReduceOp, op))
        results[f"all_reduce_{op}"] = t.numpy().copy()
    for op in ("BAND", "BOR", "BXOR"):
        t = ember.tensor([r + 1, 6], dtype=ember.int64)
        dist.all_reduce(t, op=getattr(dist.ReduceOp, op))
        results[f"all_reduce_{op}"] = t.numpy().copy()
    t = ember.tensor([r + 0.5], dtype=ember.float16)
    dist.all_reduce(t)
    results["all_reduce_float16"] = t.numpy().copy()
    big = ember.full((1_000_000,), float(r + 1), dtype=ember.float64)
    work = dist.all_reduce(big, async_op=True)
    results["async_wait"] = work.wait()
    results["async_completed"] = work.is_completed() and work.is_success()
    results["all_reduce_big"] = (float(big.min()), float(big.max()))

    t = ember.tensor([float(r), 10.0 + r])
    dist.broadcast(t, src=1)
    results["broadcast"] = t.numpy().copy()
    t = ember.tensor([r + 1.0])
    dist.reduce(t, dst=1)
    results["reduce"] = t.numpy().copy()

    outs = [ember.zeros(2) for _ in range(n)]
    dist.all_gather(outs, ember.tensor([float(r), -float(r)]))
    results["all_gather"] = [o.numpy().copy() for o in outs]
    flat = ember.zeros(2 * n)
    dist.all_gather_into_tensor(flat, ember.tensor([float(r), 5.0]))
    results["all_gather_into_tensor"] = flat.numpy().copy()
    stacked = ember.zeros(n, 2)
    dist.all_gather_into_tensor(stacked, ember.tensor([float(r), 5.0]))
    results["all_gather_into_tensor_stacked"] = stacked.numpy().copy()

    gathered = [ember.zeros(1) for _ in range(n)] if r == 0 else None
    dist.gather(ember.tensor([r * 3.0]), gathered, dst=0)
    results["gather"] = None if gathered is None else [g.item() for g in gathered]
    t = ember.zeros(2)
    pieces = [ember.tensor([float(i), 100.0 + i]) for i in range(n)] if r == 1 else None
    dist.scatter(t, pieces, src=1)
    results["scatter"] = t.numpy().copy()

    t = ember.zeros(2)
    dist.reduce_scatter_tensor(t, ember.arange(2 * n, dtype=ember.float32) * (r + 1))
    results["reduce_scatter_tensor"] = t.numpy().copy()
    t = ember.zeros(1)
    dist.reduce_scatter(t, [ember.tensor([10.0 * i + r]) for i in range(n)], op=dist.ReduceOp.MAX)
    results["reduce_scatter_max"] = t.numpy().copy()
    outs = [ember.zeros(1) for _ in range(n)]
    dist.all_to_all(outs, [ember.tensor([10.0 * r + i]) for i in range(n)])
    results["all_to_all"] = [o.item() for o in outs]

    peer = 1 - r
    if r == 0:
        dist.send(ember.tensor([42.0, 43.0]), dst=1, tag=3)
    else:
        t = ember.zeros(2)
        results["recv_sender"] = dist.recv(t, src=0, tag=3)
        results["recv"] = t.numpy().copy()
    # Both ranks post the receive first: the send must not queue behind it.
    t = ember.zeros(1)
    receiving = dist.irecv(t, src=peer)
    dist.isend(ember.tensor([float(r) + 0.25]), dst=peer).wait()
    receiving.wait()
    results["irecv_before_isend"] = t.item()
    if r == 1:
        dist.send(ember.tensor([7.0]), dst=0)
    else:
        t = ember.zeros(1)
        results["recv_any_source"] = (dist.recv(t), t.item())

    objects = [None] * n
    dist.all_gather_object(objects, {"rank": r, "name": f"r{r}"})
    results["all_gather_object"] = objects
    objects = [f"from {r}", r] if r == 1 else [None, None]
    dist.broadcast_object_list(objects, src=1)
    results["broadcast_object_list"] = objects
    objects = [None] * n if r == 0 else None
    dist.gather_object((r, "x" * r), objects, dst=0)
    results["gather_object"] = objects
    out = [None]
    dist.scatter_object_list(out, [{"to": i} for i in range(n)] if r == 0 else None, src=0)
    results["scatter_object_list"] = out[0]
    dist.barrier()

    solo = dist.new_group([1])
    results["subgroup_rank"] = dist.get_rank(solo)
    results["subgroup_size"] = dist.get_world_size(solo)
    t = ember.tensor([r + 1.0])
    dist.all_reduce(t, group=solo)
    results["subgroup_all_reduce"] = t.item()
    pair = dist.new_group([0, 1])
    a, b = ember.tensor([r + 1.0]), ember.tensor([10.0 * (r + 1)])
    works = [dist.all_reduce(a, group=pair, async_op=True),
             dist.all_reduce(b, op=dist.ReduceOp.MAX, async_op=True)]
    for w in works:
        w.wait()
    results["interleaved_groups"] = (a.item(), b.item())


def sampler(results: dict) -> None:
    from ember.utils.data import DistributedSampler
    for size in (10, 11):
        s = DistributedSampler(range(size), seed=1)
        s.set_epoch(3)
        results[f"sampler_{size}"] = list(s)


def ddp(results: dict) -> None:
    import ember
    import ember.distributed as dist
    from ember import nn
    from ember.nn.parallel import DistributedDataParallel as DDP
    r, n = dist.get_rank(), dist.get_world_size()

    def mlp():
        return nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3)).double()

    ember.manual_seed(100 + r)  # different initial weights on each rank
    model = mlp()
    model.register_buffer("step_count", ember.tensor([float(r + 5)]))
    ddp_model = DDP(model, bucket_cap_mb=1e-4)
    results["ddp_buckets"] = len(ddp_model._reducer.buckets)
    results["ddp_initial_checksum"] = float(sum(p.sum() for p in model.parameters()))
    results["ddp_buffer_after_init"] = model.step_count.item()
    reference = copy.deepcopy(model)
    with ember.no_grad():
        model.step_count.fill_(r + 7.0)  # each forward broadcasts rank 0's buffers again
    rng = np.random.default_rng(0)
    x = ember.tensor(rng.standard_normal((4 * n, 5)))
    y = ember.tensor(rng.standard_normal((4 * n, 3)))
    mine = slice(4 * r, 4 * (r + 1))
    opt = ember.optim.SGD(ddp_model.parameters(), lr=0.1, momentum=0.9)
    ref_opt = ember.optim.SGD(reference.parameters(), lr=0.1, momentum=0.9)
    for _ in range(3):
        opt.zero_grad()
        ((ddp_model(x[mine]) - y[mine]) ** 2).mean().backward()
        opt.step()
        ref_opt.zero_grad()
        ((reference(x) - y) ** 2).mean().backward()
        ref_opt.step()
    results["ddp_vs_full_batch"] = max(float((p - q).abs().max()) for p, q in
                                       zip(model.parameters(), reference.parameters()))
    results["ddp_state_dict_keys"] = list(ddp_model.state_dict())
    results["ddp_buffer_after_forward"] = model.step_count.item()

    # no_sync: the first micro-batch only accumulates; the second backward averages the sum.
    opt.zero_grad()
    reference.zero_grad()
    halves = [slice(4 * r, 4 * r + 2), slice(4 * r + 2, 4 * r + 4)]
    with ddp_model.no_sync():
        ((ddp_model(x[halves[0]]) - y[halves[0]]) ** 2).sum().backward()
    results["no_sync_local_grad_differs"] = dist.get_world_size() > 1
    ((ddp_model(x[halves[1]]) - y[halves[1]]) ** 2).sum().backward()
    ((reference(x) - y) ** 2).sum().backward()
    results["no_sync_vs_full_batch"] = max(
        float((p.grad * n - q.grad).abs().max())
        for p, q in zip(model.parameters(), reference.parameters()))

    class Branches(nn.Module):
        def __init__(self):
            super().__init__()
            self.shared = nn.Linear(3, 3)
            self.rank0_only = nn.Linear(3, 3)
            self.never = nn.Linear(3, 3)

        def forward(self, x, use_rank0_branch):
            out = self.shared(x)
            return self.rank0_only(out) if use_rank0_branch else out

    ember.manual_seed(0)
    branches = DDP(Branches().double(), find_unused_parameters=True)
    inputs = ember.ones(2, 3, dtype=ember.float64)
    for _ in range(2):  # the second iteration checks the first one finished its reduction
        branches.zero_grad()
        branches(inputs, r == 0).sum().backward()
    module = branches.module
    local = copy.deepcopy(module)
    local.zero_grad()
    (local.rank0_only(local.shared(inputs)).sum()).backward()
    results["unused_locally_grad"] = float((module.rank0_only.weight.grad -
                                            local.rank0_only.weight.grad / n).abs().max())
    results["unused_everywhere_grad_is_none"] = module.never.weight.grad is None

    ember.manual_seed(0)
    strict = DDP(Branches().double())
    strict(inputs, True).sum().backward()
    try:
        strict(inputs, True)
        results["unfinished_reduction_error"] = None
    except RuntimeError as exc:
        results["unfinished_reduction_error"] = str(exc)


def example(results: dict) -> None:
    import ember.distributed as dist
    from ember.examples import ddp_digits
    dist.destroy_process_group()
    results["example"] = ddp_digits.train(ddp_digits.parse_args(["--epochs", "2"]))


def main(out_dir: str, backend: str) -> None:
    import ember.distributed as dist
    dist.init_process_group(backend, timeout=timedelta(seconds=30))
    results: dict = {}
    try:
        for part in (collectives, sampler, ddp, example):
            part(results)
    finally:
        rank = results.get("rank", os.environ.get("RANK", "x"))
        with open(os.path.join(out_dir, f"rank{rank}.pkl"), "wb") as f:
            pickle.dump(results, f)


# -- run by ember.multiprocessing.spawn for the failure tests ---------------------------------
def failures(rank: int, port: int, out_dir: str) -> None:
    """Rank 1 stays silent for a while, then dies; rank 0 records what its collectives raise:
    one on the world (1 s timeout) while rank 1 sleeps, one on a group with a 30 s timeout
    that is waiting when rank 1 dies."""
    import ember
    import ember.distributed as dist
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=2, timeout=timedelta(seconds=1))
    patient = dist.new_group([0, 1], timeout=timedelta(seconds=30))
    if rank == 1:
        time.sleep(1.5)
        os._exit(0)  # no clean-up: like a crash, the kernel closes the sockets
    results = {}
    for name, group in (("silent_peer", None), ("dead_peer", patient)):
        start = time.monotonic()
        try:
            dist.all_reduce(ember.ones(3), group=group)
            results[name] = None
        except RuntimeError as exc:
            results[name] = (type(exc).__name__, str(exc), time.monotonic() - start)
    dist.destroy_process_group()
    with open(os.path.join(out_dir, "failures.pkl"), "wb") as f:
        pickle.dump(results, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)
