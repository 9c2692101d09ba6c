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
