"""Every collective's values in a two-process job, on the TCP ("gloo") and MPI backends."""
import numpy as np
import pytest
from numpy.testing import assert_array_equal


def _each(job, key):
    return [job[r][key] for r in (0, 1)]


def test_job_knows_rank_world_size_and_backend(job):
    assert [(j["rank"], j["world_size"], j["initialized"]) for j in job.values()] == \
        [(0, 2, True), (1, 2, True)]
    assert len({j["backend"] for j in job.values()}) == 1


def test_all_reduce_sum_is_in_place_on_every_rank(job):
    for value in _each(job, "all_reduce_sum"):
        assert value.dtype == np.float32
        assert_array_equal(value, [3.0, 2.0])


def test_all_reduce_writes_through_a_strided_view(job):
    for value in _each(job, "all_reduce_non_contiguous"):
        assert_array_equal(value, [[3.0, 6.0], [9.0, 12.0]])


@pytest.mark.parametrize("op, expected", [("PRODUCT", [2.0, 0.75]), ("MIN", [1.0, -1.5]),
                                          ("MAX", [2.0, -0.5]), ("AVG", [1.5, -1.0]),
                                          ("BAND", [0, 6]), ("BOR", [3, 6]), ("BXOR", [3, 0])])
def test_all_reduce_ops(job, op, expected):
    for value in _each(job, f"all_reduce_{op}"):
        assert_array_equal(value, expected)


def test_all_reduce_float16(job):
    for value in _each(job, "all_reduce_float16"):
        assert value.dtype == np.float16 and value.tolist() == [2.0]


def test_async_all_reduce_of_a_large_tensor_completes(job):
    for j in job.values():
        assert j["async_wait"] is True and j["async_completed"] is True
        assert j["all_reduce_big"] == (3.0, 3.0)


def test_broadcast_copies_the_source_rank(job):
    for value in _each(job, "broadcast"):
        assert_array_equal(value, [1.0, 11.0])


def test_reduce_lands_on_dst_only(job):
    assert _each(job, "reduce")[0].tolist() == [1.0]
    assert _each(job, "reduce")[1].tolist() == [3.0]


def test_all_gather_fills_the_list_in_rank_order(job):
    for value in _each(job, "all_gather"):
        assert_array_equal(np.stack(value), [[0.0, 0.0], [1.0, -1.0]])


def test_all_gather_into_tensor_concatenated_and_stacked(job):
    for j in job.values():
        assert_array_equal(j["all_gather_into_tensor"], [0.0, 5.0, 1.0, 5.0])
        assert_array_equal(j["all_gather_into_tensor_stacked"], [[0.0, 5.0], [1.0, 5.0]])


def test_gather_fills_the_list_on_dst(job):
    assert _each(job, "gather") == [[0.0, 3.0], None]


def test_scatter_sends_each_rank_its_piece(job):
    for r, value in enumerate(_each(job, "scatter")):
        assert_array_equal(value, [r, 100.0 + r])


def test_reduce_scatter_tensor_gives_each_rank_its_reduced_chunk(job):
    assert_array_equal(_each(job, "reduce_scatter_tensor")[0], [0.0, 3.0])
    assert_array_equal(_each(job, "reduce_scatter_tensor")[1], [6.0, 9.0])


def test_reduce_scatter_list_with_max(job):
    assert [v.tolist() for v in _each(job, "reduce_scatter_max")] == [[1.0], [11.0]]


def test_all_to_all_transposes(job):
    assert _each(job, "all_to_all") == [[0.0, 10.0], [1.0, 11.0]]


def test_send_recv_with_tag_returns_the_sender(job):
    assert job[1]["recv_sender"] == 0
    assert_array_equal(job[1]["recv"], [42.0, 43.0])


def test_irecv_posted_before_isend_on_both_ranks(job):
    assert _each(job, "irecv_before_isend") == [1.25, 0.25]


def test_recv_from_any_source(job):
    assert job[0]["recv_any_source"] == (1, 7.0)


def test_object_collectives(job):
    for r, j in job.items():
        assert j["all_gather_object"] == [{"rank": 0, "name": "r0"}, {"rank": 1, "name": "r1"}]
        assert j["broadcast_object_list"] == ["from 1", 1]
        assert j["scatter_object_list"] == {"to": r}
    assert _each(job, "gather_object") == [[(0, ""), (1, "x")], None]


def test_new_group_of_one_rank(job):
    assert (job[1]["subgroup_rank"], job[1]["subgroup_size"]) == (0, 1)
    assert job[1]["subgroup_all_reduce"] == 2.0
    assert (job[0]["subgroup_rank"], job[0]["subgroup_size"]) == (-1, -1)
    assert job[0]["subgroup_all_reduce"] == 1.0  # not a member: left alone


def test_async_ops_on_two_groups_interleave(job):
    assert _each(job, "interleaved_groups") == [(3.0, 20.0), (3.0, 20.0)]


@pytest.mark.parametrize("size", [10, 11])
def test_distributed_sampler_covers_the_dataset_once_per_epoch(job, size):
    shards = _each(job, f"sampler_{size}")
    assert len(shards[0]) == len(shards[1]) == -(-size // 2)
    seen = shards[0] + shards[1]
    assert set(seen) == set(range(size))
    assert len(seen) == 2 * len(shards[0])  # an odd size is padded by one repeat
