"""Recurrent layers: the fused layer op against its composite, gradients, module behaviour."""
import math

import numpy as np
import pytest

import ember
from ember._ops.rnn import layer_composite, recurrent_layer
from ember.nn.utils.rnn import (PackedSequence, pack_padded_sequence, pack_sequence,
                                pad_packed_sequence, pad_sequence, unpack_sequence)
from tests.conftest import check_grad

# mode, batch_sizes (None = 3 steps of batch 2), reverse, with projection
LAYER_SPECS = [
    ("LSTM", None, False, False), ("LSTM", (3, 2, 1), True, False), ("LSTM", None, False, True),
    ("GRU", None, True, False), ("GRU", (3, 3, 1), False, False),
    ("RNN_TANH", (2, 1, 1), True, False), ("RNN_RELU", None, False, False),
]


def _layer_inputs(mode, batch_sizes, proj, rng):
    hidden, out = 3, (2 if proj else 3)
    gates = {"LSTM": 4, "GRU": 3}.get(mode, 1)
    rows = sum(batch_sizes) if batch_sizes else 6
    batch = batch_sizes[0] if batch_sizes else 2
    shapes = [(rows, gates * hidden), (batch, out), (batch, hidden) if mode == "LSTM" else None,
              (gates * hidden, out), (gates * hidden,) if mode == "GRU" else None,
              (out, hidden) if proj else None]
    return [None if s is None else ember.tensor(rng.standard_normal(s), requires_grad=True)
            for s in shapes]


@pytest.mark.parametrize("mode,batch_sizes,reverse,proj", LAYER_SPECS)
def test_fused_layer_matches_composite(mode, batch_sizes, reverse, proj):
    inputs = _layer_inputs(mode, batch_sizes, proj, np.random.default_rng(0))
    fused = recurrent_layer(mode, *inputs, batch_sizes=batch_sizes, reverse=reverse)
    composite = layer_composite(mode, *inputs, batch_sizes=batch_sizes, reverse=reverse)
    weights = [ember.tensor(np.random.default_rng(k).standard_normal(o.shape))
               for k, o in enumerate(fused)]
    used = [t for t in inputs if t is not None]
    g_fused = ember.autograd.grad([(o * w).sum() for o, w in zip(fused, weights)], used)
    g_comp = ember.autograd.grad([(o * w).sum() for o, w in zip(composite, weights)], used)
    for a, b in zip(fused, composite):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=1e-12)
    for a, b in zip(g_fused, g_comp):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-12)


def _layer_loss(mode, batch_sizes, reverse, proj):
    inputs = _layer_inputs(mode, batch_sizes, proj, np.random.default_rng(1))
    positions = [k for k, t in enumerate(inputs) if t is not None]

    def fn(*tensors):
        args = list(inputs)
        for k, t in zip(positions, tensors):
            args[k] = t
        outs = recurrent_layer(mode, *args, batch_sizes=batch_sizes, reverse=reverse)
        return sum((o * (k + 1)).sum() for k, o in enumerate(outs))
    return fn, [inputs[k] for k in positions]


@pytest.mark.parametrize("mode,batch_sizes,reverse,proj", LAYER_SPECS)
def test_fused_layer_gradcheck(mode, batch_sizes, reverse, proj):
    assert ember.autograd.gradcheck(*_layer_loss(mode, batch_sizes, reverse, proj))


@pytest.mark.parametrize("mode,batch_sizes,reverse,proj", [("LSTM", (2, 1), True, True),
                                                           ("GRU", (2, 1), False, False)])
def test_fused_layer_second_order_gradcheck(mode, batch_sizes, reverse, proj):
    assert ember.autograd.gradgradcheck(*_layer_loss(mode, batch_sizes, reverse, proj))


def test_fused_layer_keeps_float32():
    inputs = [None if t is None else t.detach().float().requires_grad_()
              for t in _layer_inputs("LSTM", None, False, np.random.default_rng(2))]
    outs = recurrent_layer("LSTM", *inputs)
    sum(o.sum() for o in outs).backward()
    assert all(o.dtype == ember.float32 for o in outs)
    assert inputs[3].grad.dtype == ember.float32


def test_lstm_parameter_names_and_shapes():
    lstm = ember.nn.LSTM(6, 7, num_layers=2, proj_size=3, bidirectional=True)
    shapes = {k: tuple(v.shape) for k, v in lstm.named_parameters()}
    assert list(shapes)[:5] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                                "weight_hr_l0"]
    assert shapes["weight_ih_l1_reverse"] == (28, 6)
    assert shapes["weight_hh_l0"] == (28, 3)
    assert shapes["weight_hr_l1_reverse"] == (3, 7)
    assert len(lstm.all_weights) == 4


def test_rnn_default_init_is_uniform_in_inverse_sqrt_hidden():
    gru = ember.nn.GRU(10, 16)
    bound = 1 / math.sqrt(16)
    for p in gru.parameters():
        assert float(p.abs().max()) <= bound


def test_lstm_output_shapes_batch_first_bidirectional():
    lstm = ember.nn.LSTM(4, 5, num_layers=2, batch_first=True, bidirectional=True)
    out, (h, c) = lstm(ember.randn(3, 7, 4))
    assert out.shape == (3, 7, 10) and h.shape == (4, 3, 5) and c.shape == (4, 3, 5)


def test_gru_unbatched_input_gives_unbatched_output():
    gru = ember.nn.GRU(4, 5, num_layers=2)
    out, h = gru(ember.randn(6, 4))
    assert out.shape == (6, 5) and h.shape == (2, 5)


def test_rnn_relu_matches_manual_step():
    rnn = ember.nn.RNN(3, 4, nonlinearity="relu", bias=False).double()
    x = ember.randn(1, 2, 3, dtype=ember.float64)
    out, _ = rnn(x)
    expected = np.maximum(x.numpy()[0] @ rnn.weight_ih_l0.detach().numpy().T, 0)
    np.testing.assert_allclose(out.detach().numpy()[0], expected, atol=1e-12)


def test_packed_input_gives_packed_output():
    lstm = ember.nn.LSTM(2, 3)
    packed = pack_sequence([ember.randn(4, 2), ember.randn(2, 2)])
    out, (h, _) = lstm(packed)
    assert isinstance(out, PackedSequence)
    assert out.data.shape == (6, 3) and out.batch_sizes.tolist() == [2, 2, 1, 1]
    padded, _ = pad_packed_sequence(out)
    np.testing.assert_allclose(h[0, 1].detach().numpy(), padded[1, 1].detach().numpy())


def test_dropout_between_layers_only_in_training():
    lstm = ember.nn.LSTM(3, 8, num_layers=2, dropout=0.5)
    x = ember.randn(5, 2, 3)
    lstm.eval()
    a, b = lstm(x)[0], lstm(x)[0]
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    lstm.train()
    c = lstm(x)[0]
    assert not np.allclose(a.detach().numpy(), c.detach().numpy())


def test_dropout_with_one_layer_warns():
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        ember.nn.GRU(3, 4, dropout=0.2)


@pytest.mark.parametrize("kwargs,error,match", [
    ({"proj_size": 5}, ValueError, "proj_size has to be smaller than hidden_size"),
    ({"dropout": 1.5}, ValueError, "dropout should be a number in range"),
    ({"num_layers": 0}, ValueError, "num_layers must be greater than zero"),
])
def test_lstm_rejects_bad_options(kwargs, error, match):
    with pytest.raises(error, match=match):
        ember.nn.LSTM(3, 5, **kwargs)


def test_rnn_rejects_unknown_nonlinearity():
    with pytest.raises(ValueError, match="Unknown nonlinearity 'sig'"):
        ember.nn.RNN(3, 4, nonlinearity="sig")


@pytest.mark.parametrize("module,args,match", [
    ("LSTM", (ember.randn(2, 3, 4, 5),), "LSTM: Expected input to be 2D or 3D, got 4D instead"),
    ("GRU", (ember.randn(2, 3, 4),), r"input.size\(-1\) must be equal to input_size. Expected 5"),
    ("RNN", (ember.randn(2, 3, 5), ember.zeros(2, 3, 6)),
     r"Expected hidden size \(1, 3, 6\), got \[2, 3, 6\]"),
    ("LSTM", (ember.randn(2, 3, 5), (ember.zeros(1, 3, 6), ember.zeros(1, 2, 6))),
     r"Expected hidden\[1\] size \(1, 3, 6\), got \[1, 2, 6\]"),
    ("GRU", (ember.randn(2, 5), ember.zeros(1, 3, 6)),
     "For unbatched 2-D input, hx should also be 2-D but got 3-D tensor"),
])
def test_wrong_input_sizes_raise_torch_messages(module, args, match):
    layer = getattr(ember.nn, module)(5, 6)
    with pytest.raises((RuntimeError, ValueError), match=match):
        layer(*args)


@pytest.mark.parametrize("cell,chunks", [("RNNCell", 1), ("LSTMCell", 4), ("GRUCell", 3)])
def test_cell_parameters_and_unbatched_shapes(cell, chunks):
    module = getattr(ember.nn, cell)(3, 4)
    assert module.weight_ih.shape == (4 * chunks, 3)
    out = module(ember.randn(3))
    first = out[0] if isinstance(out, tuple) else out
    assert first.shape == (4,)


def test_cell_batch_mismatch_raises():
    with pytest.raises(RuntimeError, match="Input batch size 2 doesn't match hidden0 batch size"):
        ember.nn.GRUCell(3, 4)(ember.randn(2, 3), ember.randn(5, 4))


def test_lstm_module_gradcheck():
    lstm = ember.nn.LSTM(2, 3, num_layers=2, bidirectional=True).double()
    x = ember.randn(3, 2, 2, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(lambda t: lstm(t)[0].sum(), [x])


def test_long_sequence_backward_does_not_recurse():
    rnn = ember.nn.GRU(2, 3)
    out, _ = rnn(ember.randn(3000, 1, 2))
    out.sum().backward()
    assert rnn.weight_hh_l0.grad is not None


# -- packing utilities ---------------------------------------------------------------------------
def test_pack_padded_sequence_enforce_sorted_error():
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order"):
        pack_padded_sequence(ember.randn(4, 2, 1), [2, 4])


def test_pack_padded_sequence_rejects_zero_length():
    with pytest.raises(RuntimeError, match="Length of all samples has to be greater than 0"):
        pack_padded_sequence(ember.randn(4, 2, 1), [4, 0])


def test_pad_packed_total_length_too_short_raises():
    packed = pack_sequence([ember.randn(3, 1), ember.randn(2, 1)])
    with pytest.raises(ValueError, match="Expected total_length to be at least"):
        pad_packed_sequence(packed, total_length=2)


def test_pack_then_unpack_roundtrip_unsorted():
    seqs = [ember.randn(n, 2) for n in (2, 4, 3)]
    back = unpack_sequence(pack_sequence(seqs, enforce_sorted=False))
    for a, b in zip(seqs, back):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_gradient_flows_through_pack_and_pad():
    x = ember.randn(4, 3, 2, requires_grad=True)
    packed = pack_padded_sequence(x, [4, 2, 1])
    padded, lengths = pad_packed_sequence(packed)
    padded.sum().backward()
    expected = (np.arange(4)[:, None] < np.array([4, 2, 1])[None, :]).astype(np.float32)
    np.testing.assert_array_equal(x.grad.numpy(), np.repeat(expected[..., None], 2, axis=2))
    assert lengths.tolist() == [4, 2, 1]


def test_pad_sequence_gradcheck():
    check_grad(lambda a, b: pad_sequence([a, b], padding_value=2.0), (3, 2), (1, 2))
