"""Static post-training quantization: fusion, prepare, convert and the quantized layers."""
import numpy as np
import pytest

import ember
from ember import nn
from ember.ao import quantization as tq
from ember.ao.nn import intrinsic as nni
from ember.ao.nn import quantized as nnq
from ember.ao.nn.intrinsic import quantized as nniq


class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.quant = tq.QuantStub()
        self.conv = nn.Conv2d(2, 6, 3, padding=1)
        self.bn = nn.BatchNorm2d(6)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(6 * 3 * 3, 4)
        self.fc_relu = nn.ReLU()
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        x = self.pool(self.relu(self.bn(self.conv(self.quant(x)))))
        return self.dequant(self.fc_relu(self.fc(self.flatten(x))))


def _eval_net():
    net = _Net()
    net.bn.running_mean = ember.randn(6) * 0.1
    net.bn.running_var = ember.rand(6) + 0.5
    return net.eval()


def _quantized(net, x, qconfig=None):
    net.qconfig = qconfig or tq.get_default_qconfig("x86")
    fused = tq.fuse_modules(net, [["conv", "bn", "relu"], ["fc", "fc_relu"]])
    prepared = tq.prepare(fused)
    prepared(x)
    return fused, prepared, tq.convert(prepared)


def test_fusion_keeps_the_float_function():
    net = _eval_net()
    x = ember.randn(5, 2, 6, 6)
    fused = tq.fuse_modules(net, [["conv", "bn", "relu"], ["fc", "fc_relu"]])
    assert isinstance(fused.conv, nni.ConvReLU2d) and isinstance(fused.fc, nni.LinearReLU)
    assert isinstance(fused.bn, nn.Identity) and isinstance(net.bn, nn.BatchNorm2d)
    np.testing.assert_allclose(fused(x).detach().numpy(), net(x).detach().numpy(), atol=1e-5)


def test_fusing_batchnorm_needs_eval_mode():
    with pytest.raises(NotImplementedError, match="eval mode"):
        tq.fuse_modules(_Net().train(), [["conv", "bn"]])
    with pytest.raises(AssertionError, match="eval"):
        tq.fuse_conv_bn_eval(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))


def test_fuser_and_module_class_lookups():
    assert tq.get_fuser_method((nn.Conv2d, nn.BatchNorm2d, nn.ReLU)) is tq.fuse_conv_bn_relu
    assert tq.get_static_quant_module_class(nn.Conv2d) is nnq.Conv2d
    assert tq.get_dynamic_quant_module_class(nn.LSTM) is nnq.dynamic.LSTM
    with pytest.raises(AssertionError, match="fuser"):
        tq.get_fuser_method((nn.ReLU, nn.Conv2d))
    with pytest.raises(AssertionError, match="corresponding"):
        tq.get_static_quant_module_class(nn.GRU)


def test_prepare_attaches_observers_to_quantizable_layers():
    net = _eval_net()
    _, prepared, _ = _quantized(net, ember.randn(8, 2, 6, 6))
    assert isinstance(prepared.conv.activation_post_process, tq.HistogramObserver)
    assert hasattr(prepared.quant, "activation_post_process")
    assert not hasattr(net.conv, "activation_post_process")


def test_convert_swaps_in_quantized_layers():
    _, _, model = _quantized(_eval_net(), ember.randn(8, 2, 6, 6))
    assert isinstance(model.quant, nnq.Quantize) and isinstance(model.dequant, nnq.DeQuantize)
    assert isinstance(model.conv, nniq.ConvReLU2d) and isinstance(model.fc, nniq.LinearReLU)
    assert isinstance(model.pool, nnq.MaxPool2d)
    assert not hasattr(model.conv, "qconfig")
    assert repr(model.conv).startswith("QuantizedConvReLU2d(2, 6, kernel_size=(3, 3)")


def test_quantized_model_tracks_the_float_model():
    ember.manual_seed(1)
    x = ember.randn(64, 2, 6, 6)
    fused, _, model = _quantized(_eval_net(), x)
    expected, got = fused(x).detach().numpy(), model(x).numpy()
    assert np.abs(got - expected).max() < 0.05 * np.abs(expected).max()
    assert (got >= 0).all()  # the fused ReLU clamps at the zero point


def test_quantized_linear_matches_float_within_one_step():
    rng = np.random.default_rng(0)
    layer = nn.Linear(30, 8)
    layer.qconfig = tq.QConfig(tq.MinMaxObserver, tq.default_weight_observer)
    layer.activation_post_process = tq.MinMaxObserver()
    x = ember.from_numpy(rng.normal(0, 1, (16, 30)).astype(np.float32))
    qx = ember.quantize_per_tensor(x, 0.02, 128, ember.quint8)
    expected = layer(qx.dequantize())
    layer.activation_post_process(expected)
    qlayer = nnq.Linear.from_float(layer)
    reference = ember.nn.functional.linear(qx.dequantize(), qlayer.weight().dequantize(),
                                           layer.bias).detach().numpy()
    got = qlayer(qx).dequantize().numpy()
    assert np.abs(got - reference).max() <= qlayer.scale / 2 + 1e-6


def test_quantized_conv_rejects_float_input():
    conv = nnq.Conv2d(2, 3, 3)
    with pytest.raises(RuntimeError, match="quint8"):
        conv(ember.randn(1, 2, 5, 5))


def test_quantized_relu_clamps_at_the_zero_point():
    qx = ember.quantize_per_tensor(ember.tensor([-1.0, -0.1, 0.2, 1.0]), 0.1, 10, ember.quint8)
    out = nnq.ReLU()(qx)
    assert out.int_repr().tolist() == [10, 10, 12, 20] and out.q_scale() == 0.1


def test_quantized_max_pool_keeps_parameters():
    x = ember.randn(1, 1, 4, 4)
    qx = ember.quantize_per_tensor(x, 0.05, 100, ember.quint8)
    out = nnq.MaxPool2d(2)(qx)
    np.testing.assert_array_equal(
        out.dequantize().numpy(), nn.functional.max_pool2d(qx.dequantize(), 2).numpy())


def test_quant_wrapper_quantizes_a_whole_module():
    wrapped = tq.QuantWrapper(nn.Sequential(nn.Linear(4, 3)))
    wrapped.qconfig = tq.default_qconfig
    prepared = tq.prepare(wrapped.eval())
    prepared(ember.randn(10, 4))
    model = tq.convert(prepared)
    assert isinstance(model.module[0], nnq.Linear)
    assert model(ember.randn(2, 4)).dtype is ember.float32


def test_state_dict_uses_torch_keys_and_round_trips():
    _, _, model = _quantized(_eval_net(), ember.randn(8, 2, 6, 6))
    state = model.state_dict()
    assert {"quant.scale", "quant.zero_point", "conv.weight", "conv.bias", "conv.scale",
            "conv.zero_point", "fc.scale", "fc.zero_point", "fc._packed_params.dtype",
            "fc._packed_params._packed_params"} == set(state)
    assert state["conv.weight"].dtype is ember.qint8 and state["fc.scale"].ndim == 0
    _, _, other = _quantized(_eval_net(), ember.randn(8, 2, 6, 6))
    other.load_state_dict(state)
    x = ember.randn(3, 2, 6, 6)
    np.testing.assert_array_equal(other(x).numpy(), model(x).numpy())


def test_load_state_dict_reports_missing_quantized_entries():
    _, _, model = _quantized(_eval_net(), ember.randn(8, 2, 6, 6))
    state = model.state_dict()
    del state["fc.scale"]
    with pytest.raises(RuntimeError, match="fc.scale"):
        model.load_state_dict(state)


class _Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.quant = tq.QuantStub()
        self.fc1 = nn.Linear(8, 8)
        self.fc2 = nn.Linear(8, 8)
        self.skip = nnq.FloatFunctional()
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        return self.dequant(self.skip.add_relu(self.fc2(self.fc1(x)), x))


def test_float_functional_becomes_quantized_add():
    net = _Residual().eval()
    net.qconfig = tq.default_qconfig
    x = ember.randn(32, 8)
    prepared = tq.prepare(net)
    assert isinstance(prepared.skip.activation_post_process, tq.MinMaxObserver)
    prepared(x)
    model = tq.convert(prepared)
    assert isinstance(model.skip, nnq.QFunctional) and model.skip.scale != 1.0
    expected, got = net(x).detach().numpy(), model(x).numpy()
    assert (got >= 0).all()
    assert np.abs(got - expected).max() < 0.05 * np.abs(expected).max()


def test_unobserved_float_functional_still_computes():
    skip = nnq.FloatFunctional()
    tq.convert(nn.Sequential(skip), inplace=True)
    assert skip.add(ember.ones(2), ember.ones(2)).tolist() == [2.0, 2.0]


@pytest.mark.parametrize("pool", [nnq.AvgPool2d(2), nnq.AdaptiveAvgPool2d((1, 2))])
def test_quantized_average_pools_requantize_with_input_parameters(pool):
    qx = ember.quantize_per_tensor(ember.randn(2, 3, 4, 4), 0.05, 100, ember.quint8)
    out = pool(qx)
    assert (out.q_scale(), out.q_zero_point()) == (0.05, 100)
    expected = pool(qx.dequantize()).numpy()
    assert np.abs(out.dequantize().numpy() - expected).max() <= 0.025 + 1e-6


def test_convert_swaps_average_pools():
    net = nn.Sequential(tq.QuantStub(), nn.Conv2d(2, 4, 3), nn.AvgPool2d(2),
                        nn.AdaptiveAvgPool2d(1), nn.Flatten(), tq.DeQuantStub()).eval()
    net.qconfig = tq.default_qconfig
    prepared = tq.prepare(net)
    x = ember.randn(4, 2, 8, 8)
    prepared(x)
    model = tq.convert(prepared)
    assert isinstance(model[2], nnq.AvgPool2d) and isinstance(model[3], nnq.AdaptiveAvgPool2d)
    assert np.abs(model(x).numpy() - net(x).detach().numpy()).max() < 0.05
