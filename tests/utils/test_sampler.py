"""Tests for ember.utils.data samplers and DistributedSampler."""
import pytest

import ember
from ember.utils.data import (BatchSampler, DistributedSampler, RandomSampler,
                              SequentialSampler, SubsetRandomSampler, WeightedRandomSampler)


def test_sequential_sampler():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    assert len(SequentialSampler(range(4))) == 4


def test_random_sampler_is_permutation():
    order = list(RandomSampler(range(50)))
    assert sorted(order) == list(range(50)) and order != list(range(50))


def test_random_sampler_generator_repeats():
    a = list(RandomSampler(range(30), generator=ember.Generator().manual_seed(5)))
    b = list(RandomSampler(range(30), generator=ember.Generator().manual_seed(5)))
    assert a == b


def test_random_sampler_manual_seed_repeats():
    ember.manual_seed(7)
    a = list(RandomSampler(range(30)))
    ember.manual_seed(7)
    assert list(RandomSampler(range(30))) == a


def test_random_sampler_num_samples_without_replacement_wraps():
    order = list(RandomSampler(range(4), num_samples=10))
    assert len(order) == 10
    assert sorted(order[:4]) == sorted(order[4:8]) == [0, 1, 2, 3]


def test_random_sampler_with_replacement():
    draws = list(RandomSampler(range(3), replacement=True, num_samples=100))
    assert len(draws) == 100 and set(draws) <= {0, 1, 2}


def test_random_sampler_bad_args():
    with pytest.raises(TypeError, match="replacement should be a boolean value"):
        RandomSampler(range(3), replacement=1)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        RandomSampler(range(3), num_samples=0)


def test_subset_random_sampler():
    out = list(SubsetRandomSampler([10, 20, 30]))
    assert sorted(out) == [10, 20, 30]


def test_weighted_sampler_zero_weight_never_drawn():
    draws = list(WeightedRandomSampler([0.0, 1.0, 3.0], 200))
    assert 0 not in draws and draws.count(2) > draws.count(1)


def test_weighted_sampler_without_replacement_unique():
    draws = list(WeightedRandomSampler([1.0, 2.0, 3.0, 4.0], 4, replacement=False))
    assert sorted(draws) == [0, 1, 2, 3]


def test_weighted_sampler_bad_args():
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        WeightedRandomSampler([1.0], 0)
    with pytest.raises(ValueError, match="weights should be a 1d sequence"):
        WeightedRandomSampler([[1.0]], 1)
    with pytest.raises(RuntimeError, match="invalid multinomial distribution"):
        list(WeightedRandomSampler([1.0, -1.0], 2))


def test_batch_sampler_drop_last():
    assert list(BatchSampler(range(7), 3, False)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(BatchSampler(range(7), 3, True)) == [[0, 1, 2], [3, 4, 5]]
    assert len(BatchSampler(range(7), 3, False)) == 3
    assert len(BatchSampler(range(7), 3, True)) == 2


def test_batch_sampler_bad_args():
    with pytest.raises(ValueError, match="batch_size should be a positive integer value"):
        BatchSampler(range(3), 0, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean value"):
        BatchSampler(range(3), 1, 0)


def test_distributed_shards_cover_dataset_once():
    shards = [list(DistributedSampler(range(12), num_replicas=3, rank=r)) for r in range(3)]
    assert sorted(sum(shards, [])) == list(range(12))


def test_distributed_pads_to_equal_count():
    shards = [list(DistributedSampler(range(10), 4, r, shuffle=False)) for r in range(4)]
    assert [len(s) for s in shards] == [3, 3, 3, 3]
    assert shards[0] == [0, 4, 8] and shards[3] == [3, 7, 1]


def test_distributed_drop_last():
    shards = [list(DistributedSampler(range(10), 4, r, drop_last=True)) for r in range(4)]
    assert [len(s) for s in shards] == [2, 2, 2, 2]
    assert len(set(sum(shards, []))) == 8


def test_distributed_set_epoch_reshuffles():
    s = DistributedSampler(range(20), 2, 0, seed=1)
    first = list(s)
    assert list(s) == first
    s.set_epoch(1)
    assert list(s) != first


def test_distributed_bad_rank():
    with pytest.raises(ValueError,
                       match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"):
        DistributedSampler(range(4), num_replicas=2, rank=2)


def test_distributed_needs_replicas_without_process_group():
    with pytest.raises((RuntimeError, ValueError)):
        DistributedSampler(range(4))
