"""Fixtures that start the multi-process test jobs, each once per test session."""
from __future__ import annotations

import fcntl
import importlib.util
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

JOB = str(Path(__file__).with_name("_job.py"))
JOB_TIMEOUT = 120


def _session_dir(tmp_path_factory) -> Path:
    """A folder shared by this session's xdist workers (and only by them)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def run_once(tmp_path_factory, name: str, command: list[str]) -> dict:
    """Run ``command`` (which writes OUT/rank<r>.pkl) once per session, whichever xdist
    worker asks first; the rest wait for it and read the same results."""
    out = _session_dir(tmp_path_factory) / f"ember-distributed-{name}"
    with open(f"{out}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (out / "returncode").exists():
            out.mkdir(exist_ok=True)
            env = dict(os.environ, OMP_NUM_THREADS="1", OMPI_ALLOW_RUN_AS_ROOT="1",
                       OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
            try:
                proc = subprocess.run(command + [str(out), name], capture_output=True, text=True,
                                      timeout=JOB_TIMEOUT, env=env)
                code, log = proc.returncode, proc.stdout + proc.stderr
            except subprocess.TimeoutExpired as exc:
                code, log = "timeout", f"{exc.stdout}\n{exc.stderr}"
            (out / "log").write_text(log)
            (out / "returncode").write_text(str(code))
    ranks = {}
    for path in sorted(out.glob("rank*.pkl")):
        with open(path, "rb") as f:
            ranks[int(path.stem[4:])] = pickle.load(f)
    return {"returncode": (out / "returncode").read_text(), "log": (out / "log").read_text(),
            "ranks": ranks}


def _command(backend: str) -> list[str]:
    if backend == "gloo":
        return [sys.executable, "-m", "ember.distributed.run", "--standalone",
                "--nproc-per-node", "2", JOB]
    if importlib.util.find_spec("mpi4py") is None or shutil.which("mpirun") is None:
        pytest.skip("the MPI backend needs mpi4py and mpirun (pip install 'ember[mpi]' mpich)")
    return ["mpirun", "-n", "2", sys.executable, JOB]


@pytest.fixture(scope="session", params=["gloo", "mpi"])
def job(request, tmp_path_factory) -> dict:
    """{rank: results} of the two-process job on the TCP ("gloo") or MPI backend."""
    run = run_once(tmp_path_factory, request.param, _command(request.param))
    assert run["returncode"] == "0" and sorted(run["ranks"]) == [0, 1], run["log"][-4000:]
    return run["ranks"]
