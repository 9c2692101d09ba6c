"""``python -m ember.distributed.run``: torchrun's launcher, for static (fixed-size) jobs.

    python -m ember.distributed.run --nproc-per-node 4 train.py --epochs 3
    python -m ember.distributed.run --standalone --nproc-per-node 2 -m ember.examples.ddp_digits

Starts ``--nproc-per-node`` copies of the script with torchrun's environment (RANK, LOCAL_RANK,
WORLD_SIZE, LOCAL_WORLD_SIZE, GROUP_RANK, MASTER_ADDR, MASTER_PORT); the script calls
``ember.distributed.init_process_group()``. If one process fails the others are stopped and the
launcher exits with its code. For several machines run it on each with ``--nnodes``,
``--node-rank`` and the same ``--master-addr``/``--master-port``.

Differences from torchrun: no elastic restarts (``--max-restarts``) or rendezvous backends; the
job's size is fixed. Under MPI, ``mpirun -n 4 python train.py`` needs no launcher at all.
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time

__all__ = ["main", "parse_args"]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m ember.distributed.run",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--nproc-per-node", "--nproc_per_node", default="1",
                        help="processes on this machine: a number, or 'auto'/'cpu' for one per "
                             "CPU core")
    parser.add_argument("--nnodes", type=int, default=1)
    parser.add_argument("--node-rank", "--node_rank", type=int, default=0)
    parser.add_argument("--master-addr", "--master_addr", default="127.0.0.1")
    parser.add_argument("--master-port", "--master_port", type=int, default=29500)
    parser.add_argument("--standalone", action="store_true",
                        help="single machine: use a free port on 127.0.0.1")
    parser.add_argument("-m", "--module", action="store_true",
                        help="run training_script as a module, like python -m")
    parser.add_argument("--no-python", "--no_python", action="store_true",
                        help="run training_script as an executable, without python")
    parser.add_argument("training_script")
    parser.add_argument("training_script_args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.nproc_per_node in ("auto", "cpu"):
        args.nproc_per_node = os.cpu_count() or 1
    args.nproc_per_node = int(args.nproc_per_node)
    if args.standalone:
        if args.nnodes != 1:
            raise SystemExit("--standalone runs on one machine: --nnodes must be 1")
        args.master_addr, args.master_port = "127.0.0.1", _free_port()
    return args


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _command(args: argparse.Namespace) -> list[str]:
    if args.no_python:
        return [args.training_script] + args.training_script_args
    if args.module:
        return [sys.executable, "-u", "-m", args.training_script] + args.training_script_args
    return [sys.executable, "-u", args.training_script] + args.training_script_args


def _environment(args: argparse.Namespace, local_rank: int) -> dict[str, str]:
    env = dict(os.environ)
    world_size = args.nnodes * args.nproc_per_node
    env.update(RANK=str(args.node_rank * args.nproc_per_node + local_rank),
               LOCAL_RANK=str(local_rank), WORLD_SIZE=str(world_size),
               LOCAL_WORLD_SIZE=str(args.nproc_per_node), GROUP_RANK=str(args.node_rank),
               MASTER_ADDR=args.master_addr, MASTER_PORT=str(args.master_port))
    if args.nproc_per_node > 1 and "OMP_NUM_THREADS" not in os.environ:
        env["OMP_NUM_THREADS"] = "1"  # as torchrun does: N processes, not N x cores threads
    return env


def _stop(processes: list[subprocess.Popen], grace: float = 5.0) -> None:
    for p in processes:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for p in processes:
        try:
            p.wait(max(deadline - time.monotonic(), 0.01))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


class _Terminated(Exception):
    """The launcher got SIGTERM: stop the job as for Ctrl-C."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise _Terminated


def main(argv: list[str] | None = None) -> int:
    """Run the job; the exit code is 0, or the first failing process's code."""
    args = parse_args(argv)
    if args.nproc_per_node > 1 and "OMP_NUM_THREADS" not in os.environ:
        print("ember.distributed.run: setting OMP_NUM_THREADS=1 for each process; set it "
              "yourself to tune.", file=sys.stderr)
    command = _command(args)
    previous_handler = signal.signal(signal.SIGTERM, _on_sigterm)
    processes = [subprocess.Popen(command, env=_environment(args, r))
                 for r in range(args.nproc_per_node)]
    try:
        while True:
            codes = [p.poll() for p in processes]
            failed = [r for r, code in enumerate(codes) if code not in (None, 0)]
            if failed:
                r = failed[0]
                rank = args.node_rank * args.nproc_per_node + r
                print(f"ember.distributed.run: rank {rank} (local_rank {r}) exited with code "
                      f"{codes[r]}; stopping the other processes", file=sys.stderr)
                _stop(processes)
                return codes[r] if codes[r] > 0 else 1
            if all(code == 0 for code in codes):
                return 0
            time.sleep(0.1)
    except (KeyboardInterrupt, _Terminated) as exc:
        _stop(processes)
        return 130 if isinstance(exc, KeyboardInterrupt) else 128 + signal.SIGTERM
    finally:
        signal.signal(signal.SIGTERM, previous_handler)


if __name__ == "__main__":
    sys.exit(main())
