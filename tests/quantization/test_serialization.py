"""Saving and loading quantized tensors and models with ember.save / ember.load."""
import io

import numpy as np

import ember
from ember import nn
from ember.ao.quantization import quantize_dynamic


def _round_trip(obj):
    buffer = io.BytesIO()
    ember.save(obj, buffer)
    buffer.seek(0)
    return ember.load(buffer, weights_only=True)


def test_quantized_tensors_round_trip():
    x = ember.randn(4, 3)
    per_tensor = ember.quantize_per_tensor(x, 0.05, 3, ember.quint8)
    per_channel = ember.quantize_per_channel(x, ember.tensor([0.1, 0.2, 0.3]),
                                             ember.tensor([0, 2, -1]), 1, ember.qint8)
    loaded = _round_trip({"a": per_tensor, "b": per_channel, "dtype": ember.qint32})
    assert loaded["dtype"] is ember.qint32
    for original, copy in ((per_tensor, loaded["a"]), (per_channel, loaded["b"])):
        assert copy.dtype is original.dtype and copy.qscheme() is original.qscheme()
        np.testing.assert_array_equal(copy.int_repr().numpy(), original.int_repr().numpy())
    assert loaded["b"].q_per_channel_axis() == 1


def test_dynamic_quantized_model_state_round_trips():
    model = quantize_dynamic(nn.Sequential(nn.Linear(6, 4)), {nn.Linear})
    other = quantize_dynamic(nn.Sequential(nn.Linear(6, 4)), {nn.Linear})
    other.load_state_dict(_round_trip(model.state_dict()))
    x = ember.randn(2, 6)
    np.testing.assert_array_equal(other(x).numpy(), model(x).numpy())


def test_dynamic_lstm_state_round_trips_under_torch_keys():
    model = quantize_dynamic(nn.Sequential(nn.LSTM(4, 5, num_layers=2)), {nn.LSTM})
    other = quantize_dynamic(nn.Sequential(nn.LSTM(4, 5, num_layers=2)), {nn.LSTM})
    state = model.state_dict()
    assert set(state) == {"0._all_weight_values.0.param", "0._all_weight_values.1.param"}
    other.load_state_dict(_round_trip(state))
    x = ember.randn(3, 2, 4)
    np.testing.assert_array_equal(other(x)[0].numpy(), model(x)[0].numpy())
