"""Embedding and EmbeddingBag: lookups, gradients, padding_idx, max_norm, bags."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F
from tests.conftest import check_grad

IDX = ember.tensor([[1, 2, 2], [0, 4, 1]])


def test_embedding_gradcheck_with_repeated_indices():
    check_grad(lambda w: F.embedding(IDX, w), (5, 3))


def test_embedding_padding_idx_gets_no_gradient():
    w = ember.randn(5, 3, requires_grad=True)
    F.embedding(IDX, w, padding_idx=2).sum().backward()
    assert w.grad[2].tolist() == [0.0, 0.0, 0.0]
    assert w.grad[1].tolist() == [2.0, 2.0, 2.0]


def test_embedding_scale_grad_by_freq():
    w = ember.randn(5, 3, requires_grad=True)
    F.embedding(IDX, w, scale_grad_by_freq=True).sum().backward()
    assert w.grad[2].tolist() == [1.0, 1.0, 1.0]


def test_embedding_max_norm_renormalises_in_place():
    w = ember.full((3, 2), 10.0)
    F.embedding(ember.tensor([1]), w, max_norm=1.0)
    assert np.linalg.norm(w.numpy()[1]) == pytest.approx(1.0, rel=1e-4)
    assert w.numpy()[0].tolist() == [10.0, 10.0]


def test_embedding_out_of_range_raises():
    with pytest.raises(IndexError, match="index out of range in self"):
        F.embedding(ember.tensor([5]), ember.zeros(3, 2))


def test_embedding_float_indices_raise():
    with pytest.raises(RuntimeError, match="Expected tensor for argument #1 'indices'"):
        F.embedding(ember.tensor([1.0]), ember.zeros(3, 2))


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_gradcheck(mode):
    idx, offsets = ember.tensor([1, 2, 2, 0, 4]), ember.tensor([0, 2, 2])
    check_grad(lambda w: F.embedding_bag(idx, w, offsets, mode=mode), (5, 3))


def test_embedding_bag_per_sample_weights_gradcheck():
    idx, offsets = ember.tensor([1, 2, 2, 0, 4]), ember.tensor([0, 2])
    check_grad(lambda w, p: F.embedding_bag(idx, w, offsets, mode="sum", per_sample_weights=p),
               (5, 3), (5,))


def test_embedding_bag_empty_bag_is_zero():
    out = F.embedding_bag(ember.tensor([1, 2]), ember.ones(3, 2), ember.tensor([0, 0]),
                          mode="mean")
    assert out.tolist() == [[0.0, 0.0], [1.0, 1.0]]


def test_embedding_bag_per_sample_weights_needs_sum():
    with pytest.raises(NotImplementedError, match="only supported for mode='sum'"):
        F.embedding_bag(ember.tensor([1]), ember.ones(3, 2), ember.tensor([0]), mode="max",
                        per_sample_weights=ember.ones(1))


def test_embedding_layer_padding_row_initialised_to_zero():
    layer = ember.nn.Embedding(5, 3, padding_idx=-1)
    assert layer.padding_idx == 4
    assert layer.weight[4].tolist() == [0.0, 0.0, 0.0]


def test_embedding_from_pretrained_is_frozen_by_default():
    layer = ember.nn.Embedding.from_pretrained(ember.randn(4, 2))
    assert not layer.weight.requires_grad
    assert layer(ember.tensor([[1, 3]])).shape == (1, 2, 2)


def test_embedding_layer_gradcheck_weight():
    layer = ember.nn.Embedding(5, 3).double()
    check_grad(lambda w: F.embedding(IDX, w, layer.padding_idx), tuple(layer.weight.shape))


def test_embedding_bag_layer_offsets():
    layer = ember.nn.EmbeddingBag(5, 2, mode="sum")
    out = layer(ember.tensor([0, 1, 2]), ember.tensor([0, 1]))
    w = layer.weight.detach().numpy()
    np.testing.assert_allclose(out.detach().numpy(), [w[0], w[1] + w[2]], rtol=1e-6)
