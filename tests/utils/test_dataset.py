"""Tests for ember.utils.data.dataset: map-style and iterable datasets and their combinators."""
import pytest

import ember
from ember.utils.data import (ChainDataset, ConcatDataset, Dataset, IterableDataset,
                              StackDataset, Subset, TensorDataset, random_split)


class _Range(Dataset):
    def __init__(self, start, stop):
        self.items = list(range(start, stop))

    def __getitem__(self, i):
        return self.items[i]

    def __len__(self):
        return len(self.items)


class _Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def test_dataset_getitem_not_implemented():
    with pytest.raises(NotImplementedError, match="should implement __getitem__"):
        Dataset()[0]


def test_dataset_add_gives_concat():
    ds = _Range(0, 3) + _Range(10, 12)
    assert isinstance(ds, ConcatDataset)
    assert [ds[i] for i in range(len(ds))] == [0, 1, 2, 10, 11]


def test_iterable_add_gives_chain():
    ds = _Stream(2) + _Stream(3)
    assert isinstance(ds, ChainDataset)
    assert list(ds) == [0, 1, 0, 1, 2]
    assert len(ds) == 5


def test_tensor_dataset_rows():
    x = ember.arange(6).reshape(3, 2)
    y = ember.tensor([7, 8, 9])
    ds = TensorDataset(x, y)
    assert len(ds) == 3
    row, label = ds[1]
    assert row.tolist() == [2, 3] and label.item() == 8


def test_tensor_dataset_size_mismatch():
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(ember.zeros(3), ember.zeros(4))


def test_tensor_dataset_gather_matches_rows():
    x = ember.arange(10).reshape(5, 2)
    gathered = TensorDataset(x)._gather([4, 0, 2])
    assert gathered[0].tolist() == [[8, 9], [0, 1], [4, 5]]


def test_tensor_dataset_gather_out_of_range():
    with pytest.raises(IndexError, match="index 5 is out of bounds"):
        TensorDataset(ember.zeros(5))._gather([0, 5])


def test_concat_negative_index():
    ds = ConcatDataset([_Range(0, 2), _Range(5, 7)])
    assert ds[-1] == 6
    with pytest.raises(ValueError, match="should not exceed dataset length"):
        ds[-5]


def test_concat_rejects_empty_and_iterable():
    with pytest.raises(AssertionError, match="should not be an empty iterable"):
        ConcatDataset([])
    with pytest.raises(AssertionError, match="does not support IterableDataset"):
        ConcatDataset([_Stream(2)])


def test_chain_rejects_map_style():
    with pytest.raises(AssertionError, match="only supports IterableDataset"):
        list(ChainDataset([_Range(0, 2)]))


def test_subset_indexing_and_getitems():
    sub = Subset(_Range(10, 20), [3, 1, 7])
    assert len(sub) == 3
    assert sub[0] == 13
    assert sub.__getitems__([2, 0]) == [17, 13]


def test_stack_dataset_tuple_and_dict():
    a, b = _Range(0, 3), _Range(10, 13)
    assert StackDataset(a, b)[1] == (1, 11)
    assert StackDataset(x=a, y=b)[2] == {"x": 2, "y": 12}
    assert StackDataset(x=a, y=b).__getitems__([0, 1]) == [{"x": 0, "y": 10}, {"x": 1, "y": 11}]


def test_stack_dataset_errors():
    with pytest.raises(ValueError, match="Size mismatch between datasets"):
        StackDataset(_Range(0, 2), _Range(0, 3))
    with pytest.raises(ValueError, match="At least one dataset should be passed"):
        StackDataset()
    with pytest.raises(ValueError, match="both types are given"):
        StackDataset(_Range(0, 2), y=_Range(0, 2))


def test_random_split_lengths_partition():
    parts = random_split(range(10), [3, 7], generator=ember.Generator().manual_seed(1))
    assert [len(p) for p in parts] == [3, 7]
    assert sorted(parts[0].indices + parts[1].indices) == list(range(10))


def test_random_split_fractions_distribute_remainder():
    parts = random_split(range(10), [0.25, 0.25, 0.5])
    # floor gives 2, 2, 5; the remaining 1 goes to the first split.
    assert [len(p) for p in parts] == [3, 2, 5]


def test_random_split_generator_repeats():
    a = random_split(range(20), [10, 10], generator=ember.Generator().manual_seed(3))
    b = random_split(range(20), [10, 10], generator=ember.Generator().manual_seed(3))
    assert a[0].indices == b[0].indices


def test_random_split_bad_lengths():
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        random_split(range(10), [3, 3])


def test_random_split_bad_fraction():
    with pytest.raises(ValueError, match="Fraction at index 0 is not between 0 and 1"):
        random_split(range(10), [1.5, -0.5])


def test_random_split_zero_length_warns():
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        random_split(range(2), [0.95, 0.05])
