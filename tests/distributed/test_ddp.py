"""DistributedDataParallel in the two-process job, and its API in a one-process group."""
from datetime import timedelta
import socket

import pytest

import ember
import ember.distributed as dist
from ember import nn
from ember.nn.parallel import DistributedDataParallel


def test_construction_broadcasts_rank0_parameters_and_buffers(job):
    assert job[0]["ddp_initial_checksum"] == job[1]["ddp_initial_checksum"]
    assert job[0]["ddp_buffer_after_init"] == job[1]["ddp_buffer_after_init"] == 5.0


def test_forward_broadcasts_rank0_buffers(job):
    assert job[0]["ddp_buffer_after_forward"] == job[1]["ddp_buffer_after_forward"] == 7.0


def test_gradients_travel_in_several_buckets(job):
    assert all(j["ddp_buckets"] >= 2 for j in job.values())


def test_training_matches_single_process_full_batch_float64(job):
    for j in job.values():
        assert j["ddp_vs_full_batch"] < 1e-6


def test_state_dict_keys_carry_module_prefix(job):
    keys = job[0]["ddp_state_dict_keys"]
    assert "module.step_count" in keys and all(k.startswith("module.") for k in keys)


def test_no_sync_accumulates_then_averages_the_sum(job):
    for j in job.values():
        assert j["no_sync_vs_full_batch"] < 1e-9


def test_find_unused_parameters_averages_locally_unused_ones(job):
    for j in job.values():
        assert j["unused_locally_grad"] < 1e-12


def test_find_unused_parameters_leaves_globally_unused_grads_none(job):
    assert all(j["unused_everywhere_grad_is_none"] for j in job.values())


def test_unused_parameter_without_detection_fails_on_next_forward(job):
    for j in job.values():
        message = j["unfinished_reduction_error"]
        assert "Expected to have finished reduction in the prior iteration" in message
        assert "never.weight" in message


def test_example_trains_in_sync(job):
    for j in job.values():
        result = j["example"]
        assert result["world_size"] == 2 and result["in_sync"]
        assert result["test_accuracy"] > 0.85


# -- in one process: the API without a second rank --------------------------------------------
@pytest.fixture
def world_of_one():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=0, world_size=1,
                            timeout=timedelta(seconds=5))
    yield
    dist.destroy_process_group()


def test_ddp_before_init_process_group_raises():
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        DistributedDataParallel(nn.Linear(2, 2))


def test_ddp_exposes_module_and_prefixes_state_dict(world_of_one):
    inner = nn.Linear(2, 3)
    model = DistributedDataParallel(inner)
    assert model.module is inner
    assert list(model.state_dict()) == ["module.weight", "module.bias"]
    model(ember.ones(4, 2)).sum().backward()
    assert inner.weight.grad.shape == (3, 2)


def test_ddp_without_trainable_parameters_raises(world_of_one):
    with pytest.raises(RuntimeError, match="doesn't have any parameter that requires"):
        DistributedDataParallel(nn.ReLU())


def test_ddp_module_path_matches_torch():
    from ember.nn.parallel.distributed import DistributedDataParallel as by_path
    assert by_path is DistributedDataParallel
