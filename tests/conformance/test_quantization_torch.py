"""Quantization against PyTorch: integer representations bit for bit, quantized layers within
one quantization step of torch.ao.quantization on the same float weights."""

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.filterwarnings("ignore:.*deprecated:UserWarning"),
              pytest.mark.filterwarnings("ignore:.*deprecated:DeprecationWarning")]

_DTYPES = [("qint8", -128, 127), ("quint8", 0, 255), ("qint32", -100, 100)]


def _values(rng, scale):
    """Exact ties (k + 0.5) * scale, multiples of scale, and a wide normal spread."""
    k = rng.integers(-300, 300, size=4000)
    return np.concatenate([(k + 0.5) * scale, k * scale,
                           rng.normal(0, 30, 4000)]).astype(np.float32)


@pytest.mark.parametrize("name, zp_lo, zp_hi", _DTYPES)
def test_quantize_per_tensor_matches_torch_bit_for_bit(name, zp_lo, zp_hi):
    rng = np.random.default_rng(0)
    for _ in range(5):
        scale, zp = float(rng.uniform(1e-3, 0.5)), int(rng.integers(zp_lo, zp_hi))
        x = _values(rng, scale)
        expected = torch.quantize_per_tensor(torch.from_numpy(x), scale, zp,
                                             getattr(torch, name))
        got = ember.quantize_per_tensor(ember.from_numpy(x), scale, zp, getattr(ember, name))
        np.testing.assert_array_equal(got.int_repr().numpy(), expected.int_repr().numpy())
        np.testing.assert_array_equal(got.dequantize().numpy(), expected.dequantize().numpy())


@pytest.mark.parametrize("name, zp_lo, zp_hi", _DTYPES)
def test_quantize_per_channel_matches_torch_bit_for_bit(name, zp_lo, zp_hi):
    rng = np.random.default_rng(1)
    x = rng.normal(0, 5, (6, 7, 5)).astype(np.float32)
    scales = rng.uniform(0.01, 0.3, 7)
    zps = rng.integers(zp_lo, zp_hi, 7)
    expected = torch.quantize_per_channel(torch.from_numpy(x), torch.from_numpy(scales),
                                          torch.from_numpy(zps), 1, getattr(torch, name))
    got = ember.quantize_per_channel(ember.from_numpy(x), ember.from_numpy(scales),
                                     ember.from_numpy(zps), 1, getattr(ember, name))
    np.testing.assert_array_equal(got.int_repr().numpy(), expected.int_repr().numpy())
    np.testing.assert_array_equal(got.dequantize().numpy(), expected.dequantize().numpy())
    np.testing.assert_array_equal(got.q_per_channel_scales().numpy(),
                                  expected.q_per_channel_scales().numpy())


@pytest.mark.parametrize("reduce_range", [False, True])
@pytest.mark.parametrize("low, high", [(-3.0, 5.0), (0.5, 2.0), (-2.0, -1.0), (-1e-6, 2e-6),
                                       (0.0, 0.0), (-0.01, 300.0)])
def test_dynamic_qparams_match_torch(low, high, reduce_range):
    x = np.linspace(low, high, 50, dtype=np.float32)
    expected = torch.quantize_per_tensor_dynamic(torch.from_numpy(x), torch.quint8, reduce_range)
    got = ember.quantize_per_tensor_dynamic(ember.from_numpy(x), ember.quint8, reduce_range)
    assert got.q_scale() == pytest.approx(expected.q_scale(), rel=1e-7)
    assert got.q_zero_point() == expected.q_zero_point()
    np.testing.assert_array_equal(got.int_repr().numpy(), expected.int_repr().numpy())


def _mlp_pair(sizes, bias=True, seed=0):
    """The same random MLP in torch and in Ember."""
    torch.manual_seed(seed)
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(a, b, bias=bias), torch.nn.ReLU()]
    reference = torch.nn.Sequential(*layers[:-1])
    ours = ember.nn.Sequential(*[ember.nn.ReLU() if isinstance(m, torch.nn.ReLU)
                                 else ember.nn.Linear(m.in_features, m.out_features, bias=bias)
                                 for m in layers[:-1]])
    ours.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                          for k, v in reference.state_dict().items()})
    return reference, ours


@pytest.mark.parametrize("sizes, bias, shape", [
    ((8, 16, 4), True, (5,)), ((300, 600, 10), True, (7,)), ((64, 32), False, (3, 4)),
    ((40, 20), True, (1,)), ((600, 30), True, (4,)),
])
def test_quantize_dynamic_matches_torch(sizes, bias, shape):
    from ember.ao.quantization import quantize_dynamic
    reference, ours = _mlp_pair(sizes, bias)
    expected_model = torch.ao.quantization.quantize_dynamic(reference, {torch.nn.Linear},
                                                            dtype=torch.qint8)
    model = quantize_dynamic(ours, {ember.nn.Linear}, dtype=ember.qint8)
    x = np.random.default_rng(1).normal(0, 2, shape + (sizes[0],)).astype(np.float32)
    expected = expected_model(torch.from_numpy(x)).detach().numpy()
    got = model(ember.from_numpy(x)).detach().numpy()
    np.testing.assert_array_equal(model[0].weight().int_repr().numpy(),
                                  expected_model[0].weight().int_repr().numpy())
    # fbgemm's arithmetic is reproduced exactly, far inside one quantization step
    np.testing.assert_array_equal(got, expected)


def test_quantize_dynamic_per_channel_weights_match_torch():
    from ember.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic
    reference, ours = _mlp_pair((32, 24, 6))
    expected_model = torch.ao.quantization.quantize_dynamic(
        reference, {torch.nn.Linear: torch.ao.quantization.per_channel_dynamic_qconfig})
    model = quantize_dynamic(ours, {ember.nn.Linear: per_channel_dynamic_qconfig})
    x = np.random.default_rng(2).normal(0, 1, (9, 32)).astype(np.float32)
    expected = expected_model(torch.from_numpy(x)).detach().numpy()
    got = model(ember.from_numpy(x)).detach().numpy()
    np.testing.assert_array_equal(got, expected)


def _cnn(lib, stubs):
    nn = lib.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.quant = stubs.QuantStub()
            self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
            self.bn1 = nn.BatchNorm2d(8)
            self.relu1 = nn.ReLU()
            self.pool = nn.MaxPool2d(2)
            self.conv2 = nn.Conv2d(8, 16, 3)
            self.relu2 = nn.ReLU()
            self.flatten = nn.Flatten()
            self.fc = nn.Linear(64, 10)
            self.dequant = stubs.DeQuantStub()

        def forward(self, x):
            x = self.pool(self.relu1(self.bn1(self.conv1(self.quant(x)))))
            return self.dequant(self.fc(self.flatten(self.relu2(self.conv2(x)))))
    return Net()


@pytest.fixture(scope="module")
def trained_cnn_pair():
    """A small CNN trained briefly in Ember on random data, and its copy in torch."""
    ember.manual_seed(0)
    ours = _cnn(ember, ember.ao.quantization)
    rng = np.random.default_rng(0)
    x = ember.from_numpy(rng.normal(0, 1, (64, 3, 8, 8)).astype(np.float32))
    y = ember.from_numpy(rng.integers(0, 10, 64))
    optimizer = ember.optim.SGD(ours.parameters(), lr=0.05)
    for _ in range(20):
        optimizer.zero_grad()
        ember.nn.functional.cross_entropy(ours(x), y).backward()
        optimizer.step()
    ours.eval()
    reference = _cnn(torch, torch.ao.quantization)
    reference.load_state_dict({k: torch.from_numpy(v.detach().numpy().copy())
                               for k, v in ours.state_dict().items()})
    reference.eval()
    return reference, ours, x.numpy()


def _post_training_quantize(lib, model, qconfig, calibration):
    q = lib.ao.quantization
    model.qconfig = qconfig
    model = q.fuse_modules(model, [["conv1", "bn1", "relu1"], ["conv2", "relu2"]])
    model = q.prepare(model)
    model(lib.from_numpy(calibration))
    return q.convert(model)


@pytest.mark.parametrize("qconfig", ["minmax", "x86"])
def test_static_cnn_matches_torch_within_one_step(qconfig, trained_cnn_pair):
    reference, ours, calibration = trained_cnn_pair
    if qconfig == "x86":
        expected_qconfig = torch.ao.quantization.get_default_qconfig("x86")
        our_qconfig = ember.ao.quantization.get_default_qconfig("x86")
    else:
        tq, eq = torch.ao.quantization, ember.ao.quantization
        expected_qconfig = tq.QConfig(tq.MinMaxObserver.with_args(reduce_range=True),
                                      tq.default_per_channel_weight_observer)
        our_qconfig = eq.QConfig(eq.MinMaxObserver.with_args(reduce_range=True),
                                 eq.default_per_channel_weight_observer)
    expected_model = _post_training_quantize(torch, reference, expected_qconfig, calibration)
    model = _post_training_quantize(ember, ours, our_qconfig, calibration)
    for name in ("conv1", "conv2", "fc"):
        np.testing.assert_array_equal(getattr(model, name).weight().int_repr().numpy(),
                                      getattr(expected_model, name).weight().int_repr().numpy())
        assert getattr(model, name).scale == pytest.approx(getattr(expected_model, name).scale,
                                                           rel=1e-5)
    x = np.random.default_rng(3).normal(0, 1, (32, 3, 8, 8)).astype(np.float32)
    expected = expected_model(torch.from_numpy(x)).numpy()
    got = model(ember.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, expected, rtol=0, atol=expected_model.fc.scale * 1.01)
    assert (got.argmax(1) == expected.argmax(1)).mean() >= 0.9
    with torch.no_grad():
        float_out = reference(torch.from_numpy(x)).numpy()
    assert np.abs(got - float_out).max() < 0.05 * np.abs(float_out).max()
    assert (got.argmax(1) == float_out.argmax(1)).mean() >= 0.9


def test_histogram_observer_matches_torch():
    rng = np.random.default_rng(4)
    reference = torch.ao.quantization.HistogramObserver(reduce_range=True)
    ours = ember.ao.quantization.HistogramObserver(reduce_range=True)
    for shift in range(3):
        x = (rng.standard_t(3, 2000) * (1 + shift) + shift).astype(np.float32)
        reference(torch.from_numpy(x))
        ours(ember.from_numpy(x))
    (expected_scale, expected_zp), (scale, zp) = reference.calculate_qparams(), \
        ours.calculate_qparams()
    assert scale.item() == pytest.approx(expected_scale.item(), rel=1e-6)
    assert zp.item() == expected_zp.item()


@pytest.mark.parametrize("observer, kwargs", [
    ("MinMaxObserver", {}), ("MinMaxObserver", {"qscheme": "per_tensor_symmetric",
                                                 "dtype": "qint8"}),
    ("MovingAverageMinMaxObserver", {}),
    ("PerChannelMinMaxObserver", {"ch_axis": 1}),
    ("MovingAveragePerChannelMinMaxObserver", {"qscheme": "per_channel_symmetric",
                                                "dtype": "qint8"}),
])
def test_observers_match_torch(observer, kwargs):
    rng = np.random.default_rng(5)
    reference = getattr(torch.ao.quantization, observer)(
        **{k: getattr(torch, v) for k, v in kwargs.items() if k != "ch_axis"},
        **{k: v for k, v in kwargs.items() if k == "ch_axis"})
    ours = getattr(ember.ao.quantization, observer)(
        **{k: getattr(ember, v) for k, v in kwargs.items() if k != "ch_axis"},
        **{k: v for k, v in kwargs.items() if k == "ch_axis"})
    for _ in range(3):
        x = rng.normal(0.3, 2, (4, 5, 6)).astype(np.float32)
        reference(torch.from_numpy(x))
        ours(ember.from_numpy(x))
    (expected_scale, expected_zp), (scale, zp) = reference.calculate_qparams(), \
        ours.calculate_qparams()
    np.testing.assert_array_equal(scale.numpy(), expected_scale.numpy())
    np.testing.assert_array_equal(zp.numpy(), expected_zp.numpy())


def _to_ember(value):
    """A torch state-dict entry as Ember's (quantized tensors rebuilt from their integers)."""
    if isinstance(value, tuple):
        return tuple(_to_ember(v) for v in value)
    if isinstance(value, torch.dtype):
        return getattr(ember, str(value).split(".")[1])
    if value is None or not value.is_quantized:
        return None if value is None else ember.from_numpy(value.detach().numpy().copy())
    ints = ember.from_numpy(value.int_repr().numpy().copy())
    if value.qscheme() == torch.per_tensor_affine:
        return ember._make_per_tensor_quantized_tensor(ints, value.q_scale(),
                                                       value.q_zero_point())
    return ember._make_per_channel_quantized_tensor(
        ints, ember.from_numpy(value.q_per_channel_scales().numpy()),
        ember.from_numpy(value.q_per_channel_zero_points().numpy()), value.q_per_channel_axis())


def test_quantized_state_dict_from_torch_loads_and_runs_alike(trained_cnn_pair):
    reference, ours, calibration = trained_cnn_pair
    tq, eq = torch.ao.quantization, ember.ao.quantization
    expected_model = _post_training_quantize(torch, reference, tq.default_qconfig, calibration)
    model = _post_training_quantize(ember, ours, eq.default_qconfig,
                                    calibration[:8] * 3)  # calibrated differently on purpose
    state = expected_model.state_dict()
    assert set(model.state_dict()) == set(state)
    model.load_state_dict({k: _to_ember(v) for k, v in state.items()})
    x = np.random.default_rng(6).normal(0, 1, (16, 3, 8, 8)).astype(np.float32)
    expected = expected_model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(model(ember.from_numpy(x)).numpy(), expected, rtol=0,
                               atol=expected_model.fc.scale * 1.01)


@pytest.mark.parametrize("direction", ["ember_to_torch", "torch_to_ember"])
def test_quantized_checkpoints_cross_between_torch_and_ember(direction, tmp_path,
                                                             trained_cnn_pair):
    reference, ours, calibration = trained_cnn_pair
    tq, eq = torch.ao.quantization, ember.ao.quantization
    torch_model = _post_training_quantize(torch, reference, tq.default_qconfig, calibration)
    ember_model = _post_training_quantize(ember, ours, eq.default_qconfig, calibration[:8] * 3)
    path = str(tmp_path / "quantized.pt")
    if direction == "ember_to_torch":
        ember.save(ember_model.state_dict(), path)
        torch_model.load_state_dict(torch.load(path, weights_only=True))
    else:
        torch.save(torch_model.state_dict(), path)
        ember_model.load_state_dict(ember.load(path, weights_only=True))
    x = np.random.default_rng(7).normal(0, 1, (16, 3, 8, 8)).astype(np.float32)
    expected = torch_model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ember_model(ember.from_numpy(x)).numpy(), expected, rtol=0,
                               atol=torch_model.fc.scale * 1.01)


def test_quantized_tensors_load_in_torch_bit_for_bit(tmp_path):
    x = np.random.default_rng(8).normal(0, 1, (3, 5)).astype(np.float32)
    tensors = {"tensor": ember.quantize_per_tensor(ember.from_numpy(x), 0.05, 7, ember.quint8),
               "channel": ember.quantize_per_channel(ember.from_numpy(x), ember.tensor(
                   [0.1, 0.2, 0.3]), ember.tensor([0, 1, -2]), 0, ember.qint8)}
    path = str(tmp_path / "q.pt")
    ember.save(tensors, path)
    loaded = torch.load(path, weights_only=True)
    for name, ours in tensors.items():
        assert str(loaded[name].dtype) == "torch." + ours.dtype.name
        np.testing.assert_array_equal(loaded[name].int_repr().numpy(), ours.int_repr().numpy())
        np.testing.assert_array_equal(loaded[name].dequantize().numpy(),
                                      ours.dequantize().numpy())


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
@pytest.mark.parametrize("options", [{}, {"num_layers": 2, "bidirectional": True},
                                     {"batch_first": True}])
def test_dynamic_rnn_matches_torch(mode, options):
    from ember.ao.quantization import quantize_dynamic
    torch.manual_seed(0)
    reference = getattr(torch.nn, mode)(6, 8, **options)
    ours = getattr(ember.nn, mode)(6, 8, **options)
    ours.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                          for k, v in reference.state_dict().items()})
    expected_model = torch.ao.quantization.quantize_dynamic(torch.nn.Sequential(reference),
                                                            {getattr(torch.nn, mode)})
    model = quantize_dynamic(ember.nn.Sequential(ours), {getattr(ember.nn, mode)})
    x = np.random.default_rng(9).normal(size=(5, 3, 6)).astype(np.float32)
    expected, expected_state = expected_model(torch.from_numpy(x))
    got, state = model(ember.from_numpy(x))
    pairs = [(got, expected)] + (list(zip(state, expected_state)) if mode == "LSTM"
                                 else [(state, expected_state)])
    # same integer arithmetic; only float32 sigmoid/tanh may differ, by an ulp or so,
    # far below one quantization step (about 4e-3 here)
    for ours_out, theirs in pairs:
        np.testing.assert_allclose(ours_out.numpy(), theirs.detach().numpy(), rtol=0, atol=1e-6)


def _residual(lib):
    nn, q = lib.nn, lib.ao.quantization

    class Residual(nn.Module):
        def __init__(self):
            super().__init__()
            self.quant, self.dequant = q.QuantStub(), q.DeQuantStub()
            self.fc = nn.Linear(12, 12)
            self.skip = lib.ao.nn.quantized.FloatFunctional()

        def forward(self, x):
            x = self.quant(x)
            y = self.skip.add(self.fc(x), x)
            return self.dequant(self.skip.cat([y, x], 1))
    return Residual()


def test_float_functional_flow_matches_torch():
    torch.manual_seed(0)
    reference = _residual(torch).eval()
    ours = _residual(ember).eval()
    ours.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                          for k, v in reference.state_dict().items()})
    x = np.random.default_rng(10).normal(0, 1, (20, 12)).astype(np.float32)
    models = []
    for lib, model in ((torch, reference), (ember, ours)):
        model.qconfig = lib.ao.quantization.default_qconfig
        prepared = lib.ao.quantization.prepare(model)
        prepared(lib.from_numpy(x))
        models.append(lib.ao.quantization.convert(prepared))
    expected = models[0](torch.from_numpy(x)).numpy()
    got = models[1](ember.from_numpy(x)).numpy()
    assert models[1].skip.scale == pytest.approx(models[0].skip.scale, rel=1e-6)
    np.testing.assert_allclose(got, expected, rtol=0, atol=models[0].skip.scale * 1.01)


@pytest.mark.parametrize("name, args", [("AvgPool2d", (2,)), ("AdaptiveAvgPool2d", ((2, 1),)),
                                        ("MaxPool2d", (3, 2, 1))])
def test_quantized_pooling_matches_torch_bit_for_bit(name, args):
    x = np.random.default_rng(11).normal(0, 1, (2, 3, 7, 6)).astype(np.float32)
    expected = getattr(torch.nn, name)(*args)(
        torch.quantize_per_tensor(torch.from_numpy(x), 0.04, 120, torch.quint8))
    got = getattr(ember.ao.nn.quantized, name)(*args)(
        ember.quantize_per_tensor(ember.from_numpy(x), 0.04, 120, ember.quint8))
    assert (got.q_scale(), got.q_zero_point()) == (expected.q_scale(), expected.q_zero_point())
    np.testing.assert_array_equal(got.int_repr().numpy(), expected.int_repr().numpy())


@pytest.mark.parametrize("options", [
    {"in_channels": 8, "out_channels": 8, "kernel_size": 3, "padding": 1, "groups": 8},
    {"in_channels": 4, "out_channels": 6, "kernel_size": 3, "stride": 2, "dilation": 2,
     "padding": 2, "groups": 2},
])
def test_static_conv_options_match_torch(options):
    torch.manual_seed(0)
    reference = torch.nn.Conv2d(**options)
    ours = ember.nn.Conv2d(**options)
    ours.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                          for k, v in reference.state_dict().items()})
    x = np.random.default_rng(12).normal(size=(2, options["in_channels"], 9, 9))
    x = x.astype(np.float32)
    models = []
    for lib, layer in ((torch, reference), (ember, ours)):
        q = lib.ao.quantization
        wrapped = q.QuantWrapper(layer).eval()
        wrapped.qconfig = q.get_default_qconfig("x86")
        prepared = q.prepare(wrapped)
        prepared(lib.from_numpy(x))
        models.append(q.convert(prepared))
    expected = models[0](torch.from_numpy(x)).numpy()
    got = models[1](ember.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, expected, rtol=0, atol=models[0].module.scale * 1.01)
