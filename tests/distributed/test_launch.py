"""The torchrun-like launcher and ember.multiprocessing.spawn."""
import json
import sys
import time

import pytest

from ember.distributed import run
from ember.multiprocessing import ProcessRaisedException, spawn

# Rank 1 fails only once rank 0 has written its file: otherwise a slow start of rank 0 (a busy
# machine) gets it stopped before it writes, and the test would check nothing about it.
SCRIPT = """
import json, os, sys, time
keys = ("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")
path = os.path.join(sys.argv[1], os.environ["RANK"] + ".json")
with open(path + ".tmp", "w") as f:
    json.dump({k: os.environ[k] for k in keys}, f)
os.replace(path + ".tmp", path)
if os.environ["RANK"] == "1":
    deadline = time.monotonic() + 20
    while not os.path.exists(os.path.join(sys.argv[1], "0.json")) and time.monotonic() < deadline:
        time.sleep(0.01)
    sys.exit(3)
time.sleep(60)
"""


def test_launcher_sets_torchrun_environment_and_stops_the_job_on_failure(tmp_path):
    script = tmp_path / "job.py"
    script.write_text(SCRIPT)
    start = time.monotonic()
    code = run.main(["--nproc-per-node", "2", "--master-port", "29999", str(script),
                     str(tmp_path)])
    assert code == 3 and time.monotonic() - start < 30
    envs = [json.loads((tmp_path / f"{r}.json").read_text()) for r in (0, 1)]
    assert envs[1] == {"RANK": "1", "LOCAL_RANK": "1", "WORLD_SIZE": "2",
                       "LOCAL_WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1",
                       "MASTER_PORT": "29999"}
    assert envs[0]["RANK"] == "0"


def test_launcher_parses_torchrun_spellings():
    args = run.parse_args(["--nproc_per_node=3", "--nnodes", "2", "--node_rank", "1",
                           "--master_addr", "h", "-m", "pkg.mod", "--lr", "0.1"])
    assert (args.nproc_per_node, args.node_rank, args.master_addr) == (3, 1, "h")
    assert run._environment(args, 2)["RANK"] == "5"
    assert run._command(args) == [sys.executable, "-u", "-m", "pkg.mod", "--lr", "0.1"]


def _fails_on_rank_one(i):
    if i == 1:
        raise ValueError("rank one is unhappy")


def test_spawn_reraises_a_childs_exception():
    with pytest.raises(ProcessRaisedException, match="rank one is unhappy") as info:
        spawn(_fails_on_rank_one, nprocs=2, start_method="fork")
    assert info.value.error_index == 1
