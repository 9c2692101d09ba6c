"""Dynamic quantization: quantize_dynamic and the dynamic quantized Linear."""
import copy
import pickle

import numpy as np
import pytest

import ember
from ember import nn
from ember._ops import quantize as Q
from ember._ops import quantized_gemm as G
from ember.ao.nn.quantized import dynamic as nnqd
from ember.ao.quantization import default_dynamic_qconfig, quantize_dynamic


def _mlp():
    return nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 5))


def test_quantize_dynamic_swaps_linears_and_keeps_the_original():
    model = _mlp()
    quantized = quantize_dynamic(model, {nn.Linear})
    assert isinstance(quantized[0], nnqd.Linear) and isinstance(quantized[2], nnqd.Linear)
    assert type(quantized[1]) is nn.ReLU
    assert type(model[0]) is nn.Linear
    assert not hasattr(quantized[0], "qconfig")


def test_quantize_dynamic_inplace_and_by_name():
    model = _mlp()
    out = quantize_dynamic(model, {"2": default_dynamic_qconfig}, inplace=True)
    assert out is model
    assert type(model[0]) is nn.Linear and isinstance(model[2], nnqd.Linear)


def test_quantize_dynamic_default_spec_covers_linear():
    assert isinstance(quantize_dynamic(_mlp())[0], nnqd.Linear)


def test_quantize_dynamic_rejects_other_dtypes():
    with pytest.raises(ValueError, match="float16"):
        quantize_dynamic(_mlp(), {nn.Linear}, dtype=ember.float16)


def test_dynamic_linear_stays_close_to_float():
    model = _mlp()
    quantized = quantize_dynamic(model, {nn.Linear})
    x = ember.randn(64, 20)
    expected, got = model(x).detach().numpy(), quantized(x).numpy()
    assert got.dtype == np.float32
    assert np.abs(got - expected).max() < 0.02 * np.abs(expected).max()


def test_dynamic_linear_weight_is_symmetric_qint8():
    layer = quantize_dynamic(_mlp(), {nn.Linear})[0]
    weight = layer.weight()
    assert weight.dtype is ember.qint8 and weight.q_zero_point() == 0
    assert layer.bias().dtype is ember.float32


def test_integer_products_are_exact_for_long_rows():
    # 2000 inputs overflow float32's exact integers, so the GEMM must switch to float64.
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, (3, 2000)).astype(np.float32)
    w = rng.normal(0, 1, (4, 2000)).astype(np.float32)
    qweight = ember.quantize_per_tensor(ember.from_numpy(w), 0.02, 0, ember.qint8)
    scale, zero_point = Q.choose_qparams(x.min(), x.max(), 0, 255, True)
    xq = ember.quantize_per_tensor(ember.from_numpy(x), scale, zero_point, ember.quint8)
    exact = (xq.int_repr().numpy().astype(np.int64) - zero_point) @ \
        qweight.int_repr().numpy().astype(np.int64).T
    got = G._linear_acc(G._quantize_input(x, scale, zero_point), G.PackedWeight(qweight))
    np.testing.assert_array_equal(got, exact)


def test_reduce_range_halves_the_activation_range():
    assert Q.choose_qparams(0.0, 1.27, 0, 255, True)[0] == pytest.approx(0.01)
    assert Q.choose_qparams(0.0, 2.55, 0, 255, False)[0] == pytest.approx(0.01)


def test_quantized_model_copies_and_pickles():
    quantized = quantize_dynamic(_mlp(), {nn.Linear})
    x = ember.randn(4, 20)
    for clone in (copy.deepcopy(quantized), pickle.loads(pickle.dumps(quantized))):
        np.testing.assert_array_equal(clone(x).numpy(), quantized(x).numpy())


def test_dynamic_linear_repr_names_it():
    assert repr(quantize_dynamic(_mlp(), {nn.Linear})[0]).startswith(
        "DynamicQuantizedLinear(in_features=20, out_features=32, dtype=ember.qint8")


def test_ember_ao_loads_on_first_use():
    import ember as torch
    assert torch.ao.quantization.quantize_dynamic is quantize_dynamic


def test_legacy_namespaces_alias_ao():
    import ember as torch
    from ember.nn.quantized.dynamic import Linear
    assert torch.quantization.quantize_dynamic is quantize_dynamic
    assert torch.quantization.QuantStub is torch.ao.quantization.QuantStub
    assert torch.nn.quantized.Linear is torch.ao.nn.quantized.Linear
    assert Linear is nnqd.Linear
    with pytest.raises(AttributeError, match="no attribute"):
        torch.nn.not_a_module


def test_dynamic_lstm_tracks_the_float_lstm():
    lstm = nn.LSTM(5, 7, num_layers=2)
    quantized = quantize_dynamic(nn.Sequential(lstm), {nn.LSTM})[0]
    assert isinstance(quantized, nnqd.LSTM)
    assert repr(quantized) == "DynamicQuantizedLSTM(5, 7, num_layers=2)"
    x = ember.randn(6, 4, 5)
    hx = (ember.randn(2, 4, 7), ember.randn(2, 4, 7))
    (expected, (h, c)), (got, (qh, qc)) = lstm(x, hx), quantized(x, hx)
    for ours, theirs in ((got, expected), (qh, h), (qc, c)):
        assert ours.shape == theirs.shape
        assert np.abs(ours.numpy() - theirs.detach().numpy()).max() < 0.03


def test_dynamic_lstm_takes_unbatched_input():
    quantized = quantize_dynamic(nn.Sequential(nn.LSTM(3, 4)), {nn.LSTM})[0]
    x = ember.randn(6, 3)
    out, (h, c) = quantized(x)
    batched, _ = quantized(x.unsqueeze(1))
    assert out.shape == (6, 4) and h.shape == (1, 4)
    np.testing.assert_array_equal(out.numpy(), batched.squeeze(1).numpy())


def test_dynamic_linear_rejects_wrong_feature_count():
    layer = quantize_dynamic(_mlp(), {nn.Linear})[0]
    with pytest.raises(RuntimeError, match="20"):
        layer(ember.randn(2, 21))


def test_dynamic_gru_tracks_the_float_gru_with_a_given_state():
    gru = nn.GRU(5, 6, batch_first=True)
    quantized = quantize_dynamic(nn.Sequential(gru), {nn.GRU})[0]
    assert repr(quantized) == "DynamicQuantizedGRU(5, 6, batch_first=True)"
    x, h0 = ember.randn(3, 4, 5), ember.randn(1, 3, 6)
    (expected, h), (got, qh) = gru(x, h0), quantized(x, h0)
    for ours, theirs in ((got, expected), (qh, h)):
        assert ours.shape == theirs.shape
        assert np.abs(ours.numpy() - theirs.detach().numpy()).max() < 0.03
