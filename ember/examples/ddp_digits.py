"""Data-parallel training of a small MLP on scikit-learn's 8x8 digits with DistributedDataParallel.

Each process trains on its own DistributedSampler shard; DDP averages the gradients, so every
replica takes the same step. Launch it with either

    python -m ember.distributed.run --standalone --nproc-per-node 2 -m ember.examples.ddp_digits
    mpirun -n 2 python -m ember.examples.ddp_digits    # needs pip install 'ember[mpi]'

or plainly (``python -m ember.examples.ddp_digits``) as a one-process job. Rank 0 prints the
loss and the test accuracy (computed over every rank's share of the test set) each epoch, and
with ``--out DIR`` saves the model's state_dict there.
"""
from __future__ import annotations

import argparse
import os
import socket
import time
from typing import Any

import ember
import ember.distributed as dist
from ember import nn
from ember.examples.mnist import train_epoch
from ember.nn.parallel import DistributedDataParallel
from ember.utils.data import DataLoader, DistributedSampler, TensorDataset


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m ember.examples.ddp_digits",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32, help="per process")
    parser.add_argument("--lr", type=float, default=0.1, help="SGD learning rate (momentum 0.9)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--backend", default=None,
                        help="gloo or mpi; default: mpi under mpirun, else gloo")
    parser.add_argument("--out", default=None, help="folder for model.pt (written by rank 0)")
    return parser.parse_args(argv)


def _setup(backend: str | None) -> None:
    """Join the job the launcher started; alone, become a one-process job."""
    launched = "RANK" in os.environ or dist.rendezvous.launched_by_mpi()
    if launched:
        dist.init_process_group(backend)
        return
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dist.init_process_group(backend or "gloo", init_method=f"tcp://127.0.0.1:{port}", rank=0,
                            world_size=1)


def digits(train: bool) -> TensorDataset:
    from ember.vision.datasets import Digits
    data = Digits(train=train, size=8)
    images = data.data.reshape(len(data.data), 64).float() / 255.0
    return TensorDataset((images - 0.3) / 0.4, data.targets)


def evaluate(model: nn.Module, loader: DataLoader) -> tuple[float, float]:
    """Loss and accuracy over the whole test set: each rank scores its shard, then a sum."""
    model.eval()
    totals = ember.zeros(3, dtype=ember.float64)  # loss sum, correct, count
    with ember.no_grad():
        for images, targets in loader:
            logits = model(images)
            totals += ember.tensor([
                nn.functional.cross_entropy(logits, targets, reduction="sum").item(),
                (logits.argmax(dim=1) == targets).sum().item(), len(targets)],
                dtype=ember.float64)
    dist.all_reduce(totals)
    loss, correct, count = totals.tolist()
    return loss / count, correct / count


def train(args: argparse.Namespace) -> dict[str, Any]:
    _setup(args.backend)
    rank, world_size = dist.get_rank(), dist.get_world_size()
    ember.manual_seed(args.seed)
    train_set, test_set = digits(train=True), digits(train=False)
    sampler = DistributedSampler(train_set, seed=args.seed)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, sampler=sampler)
    # Without drop_last the sampler pads with repeats; fine for a progress figure.
    test_loader = DataLoader(test_set, batch_size=256,
                             sampler=DistributedSampler(test_set, shuffle=False))
    model = DistributedDataParallel(nn.Sequential(nn.Linear(64, 128), nn.ReLU(),
                                                  nn.Linear(128, 10)))
    optimizer = ember.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    if rank == 0:
        print(f"training an MLP on digits with {world_size} process(es), backend "
              f"{dist.get_backend()}: {len(sampler)} of {len(train_set)} images each")
    start = time.perf_counter()
    test_loss = test_acc = None
    for epoch in range(1, args.epochs + 1):
        sampler.set_epoch(epoch)
        model.train()
        train_loss = train_epoch(model, train_loader, optimizer)
        test_loss, test_acc = evaluate(model, test_loader)
        if rank == 0:
            print(f"epoch {epoch:3d}  train loss {train_loss:.4f}  test loss {test_loss:.4f}"
                  f"  test acc {100 * test_acc:.2f}%  ({time.perf_counter() - start:.1f}s)",
                  flush=True)
    # The replicas must still be identical: compare a checksum across ranks.
    checksum = sum(float(p.double().sum()) for p in model.parameters())
    checksums: list = [None] * world_size
    dist.all_gather_object(checksums, checksum)
    in_sync = len(set(checksums)) == 1
    if rank == 0:
        print(f"replicas in sync: {in_sync}")
        if args.out:
            os.makedirs(args.out, exist_ok=True)
            ember.save(model.module.state_dict(), os.path.join(args.out, "model.pt"))
    dist.destroy_process_group()
    return {"test_loss": test_loss, "test_accuracy": test_acc, "in_sync": in_sync,
            "world_size": world_size}


def main(argv: list[str] | None = None) -> None:
    train(parse_args(argv))


if __name__ == "__main__":
    main()
