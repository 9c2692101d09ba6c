"""init_process_group, rendezvous and errors in one process; failures across two."""
import pickle
import socket
import time
from datetime import timedelta

import pytest

import ember
import ember.distributed as dist
from ember.distributed import rendezvous

NOT_INITIALIZED = ("Default process group has not been initialized, please make sure to call "
                   "init_process_group.")
LAUNCHER_VARS = ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT", "OMPI_COMM_WORLD_RANK",
                 "OMPI_COMM_WORLD_SIZE", "PMI_RANK", "PMI_SIZE", "PMIX_RANK")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def no_launcher(monkeypatch):
    for name in LAUNCHER_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def world_of_one():
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{_free_port()}", rank=0,
                            world_size=1, timeout=timedelta(seconds=5))
    yield
    dist.destroy_process_group()


# -- before init_process_group ----------------------------------------------------------------
@pytest.mark.parametrize("call", [lambda: dist.all_reduce(ember.ones(2)), dist.get_rank,
                                  dist.get_world_size, dist.barrier, dist.new_group,
                                  lambda: dist.broadcast(ember.ones(2), src=0)])
def test_collectives_before_init_raise_torchs_error(call):
    with pytest.raises(ValueError) as info:
        call()
    assert str(info.value) == NOT_INITIALIZED


def test_availability():
    assert dist.is_available() and not dist.is_initialized() and not dist.is_nccl_available()
    assert dist.group.WORLD is None


# -- rendezvous -------------------------------------------------------------------------------
def test_env_rendezvous_needs_rank(no_launcher):
    with pytest.raises(ValueError, match="env:// rendezvous: environment variable RANK expected"):
        dist.init_process_group("gloo")


def test_env_rendezvous_reads_mpi_launcher_variables(no_launcher, monkeypatch):
    monkeypatch.setenv("OMPI_COMM_WORLD_RANK", "3")
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "4")
    monkeypatch.setenv("MASTER_ADDR", "10.0.0.1")
    monkeypatch.setenv("MASTER_PORT", "1234")
    assert rendezvous.resolve("env://") == ("10.0.0.1", 1234, 3, 4)


def test_torchrun_variables_win_over_mpi_ones(no_launcher, monkeypatch):
    monkeypatch.setenv("PMI_RANK", "1")
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("MASTER_ADDR", "h")
    monkeypatch.setenv("MASTER_PORT", "5")
    assert rendezvous.resolve("env://").rank == 0


def test_tcp_rendezvous_takes_rank_from_the_url():
    assert rendezvous.resolve("tcp://127.0.0.1:23456?rank=1&world_size=3") == \
        ("127.0.0.1", 23456, 1, 3)


def test_tcp_rendezvous_needs_rank():
    with pytest.raises(ValueError, match="tcp:// rendezvous: rank parameter missing"):
        dist.init_process_group("gloo", init_method="tcp://127.0.0.1:23456", world_size=2)


def test_unknown_init_method_scheme():
    with pytest.raises(RuntimeError, match="No rendezvous handler for foo://"):
        dist.init_process_group("gloo", init_method="foo://x", rank=0, world_size=1)


@pytest.mark.parametrize("backend, error", [("nccl", RuntimeError), ("smoke", ValueError)])
def test_unavailable_backends(backend, error):
    with pytest.raises(error):
        dist.init_process_group(backend, init_method="tcp://127.0.0.1:1", rank=0, world_size=1)


def test_timeout_must_be_a_timedelta():
    with pytest.raises(TypeError, match="datetime.timedelta"):
        dist.init_process_group("gloo", init_method="tcp://127.0.0.1:1", rank=0, world_size=1,
                                timeout=5)


def test_rank_without_master_times_out_connecting():
    start = time.monotonic()
    with pytest.raises(dist.DistNetworkError, match="Timed out connecting"):
        dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{_free_port()}", rank=1,
                                world_size=2, timeout=timedelta(seconds=0.3))
    assert time.monotonic() - start < 3
    assert not dist.is_initialized()


def test_master_alone_times_out_waiting_for_clients():
    with pytest.raises(RuntimeError, match="1/2 clients joined"):
        dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{_free_port()}", rank=0,
                                world_size=2, timeout=timedelta(seconds=0.3))
    assert not dist.is_initialized()


# -- a world of one process -------------------------------------------------------------------
def test_init_twice_raises(world_of_one):
    with pytest.raises(ValueError, match="trying to initialize the default process group twice"):
        dist.init_process_group("gloo", init_method="tcp://127.0.0.1:1", rank=0, world_size=1)


def test_world_of_one_answers_questions(world_of_one):
    assert (dist.get_rank(), dist.get_world_size(), dist.get_backend()) == (0, 1, "gloo")
    assert dist.get_backend() == dist.Backend.GLOO and dist.group.WORLD is not None


def test_all_reduce_async_returns_work(world_of_one):
    t = ember.tensor([1.0, 2.0])
    work = dist.all_reduce(t, op=dist.ReduceOp.AVG, async_op=True)
    assert work.wait() is True and work.is_completed() and work.is_success()
    assert t.tolist() == [1.0, 2.0]


def test_all_reduce_rejects_a_list(world_of_one):
    with pytest.raises(TypeError, match="Expected parameter `tensor` of type ember.Tensor"):
        dist.all_reduce([ember.ones(2)])


def test_work_result_needs_completion():
    pending = dist.Work(wait_fn=lambda: None)
    with pytest.raises(RuntimeError, match="Should call wait"):
        pending.result()
    assert pending.wait() and pending.result() == []


def test_async_all_reduce_result_is_the_tensor(world_of_one):
    t = ember.ones(2)
    work = dist.all_reduce(t, async_op=True)
    work.wait()
    assert work.result()[0] is t


def test_bitwise_op_on_floats_raises(world_of_one):
    with pytest.raises(RuntimeError, match="ReduceOp.BAND with non-integral dtype"):
        dist.all_reduce(ember.ones(2), op=dist.ReduceOp.BAND)


def test_all_gather_needs_world_size_outputs(world_of_one):
    with pytest.raises(RuntimeError, match="expected length 1, the group size, got 2"):
        dist.all_gather([ember.ones(2), ember.ones(2)], ember.ones(2))


def test_send_to_self_raises(world_of_one):
    with pytest.raises(ValueError, match="Invalid destination rank"):
        dist.send(ember.ones(1), dst=0)


def test_destroy_resets_the_default_group(world_of_one):
    dist.destroy_process_group()
    assert not dist.is_initialized()
    with pytest.raises(ValueError, match="has not been initialized"):
        dist.get_rank()
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{_free_port()}", rank=0,
                            world_size=1)  # for the fixture to destroy


# -- a rank that stops answering or dies ----------------------------------------------------
@pytest.fixture(scope="module")
def failures(tmp_path_factory):
    from ember.multiprocessing import spawn

    from ._job import failures as run
    out = tmp_path_factory.mktemp("failures")
    spawn(run, args=(_free_port(), str(out)), nprocs=2)
    with open(out / "failures.pkl", "rb") as f:
        return pickle.load(f)


def test_silent_rank_gives_a_timeout_error(failures):
    kind, message, seconds = failures["silent_peer"]
    assert kind == "DistBackendError" and "Timed out" in message
    assert seconds < 3


def test_dead_rank_gives_an_error_not_a_hang(failures):
    kind, message, seconds = failures["dead_peer"]
    assert kind == "DistBackendError" and "Connection closed by peer [rank 1]" in message
    assert seconds < 10  # rank 1 died about 0.5 s in; the group's timeout is 30 s
