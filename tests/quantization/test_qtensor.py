"""Quantized tensors: dtypes, quantize/dequantize, parameters, errors and layout methods."""
import copy
import pickle

import numpy as np
import pytest

import ember


def _ramp():
    return ember.tensor([[-1.0, 0.25, 0.35], [2.5, 100.0, -0.05]])


def test_quantized_dtypes_are_not_floating_and_have_storage_sizes():
    assert [repr(d) for d in (ember.qint8, ember.quint8, ember.qint32)] == [
        "ember.qint8", "ember.quint8", "ember.qint32"]
    assert not ember.qint8.is_floating_point and not ember.qint8.is_complex
    assert (ember.qint8.itemsize, ember.quint8.itemsize, ember.qint32.itemsize) == (1, 1, 4)
    assert pickle.loads(pickle.dumps(ember.quint8)) is ember.quint8


def test_quantized_dtypes_stay_out_of_numpy_lookup():
    assert ember.tensor(np.array([1], dtype=np.int8)).dtype is ember.int8


def test_quantize_per_tensor_adds_zero_point_before_rounding():
    q = ember.quantize_per_tensor(_ramp(), 0.1, 3, ember.quint8)
    # 0.25 / 0.1 + 3 = 5.5 rounds (half to even) to 6; 100 clamps to 255.
    assert q.int_repr().tolist() == [[0, 6, 6], [28, 255, 2]]
    assert q.int_repr().dtype is ember.uint8
    np.testing.assert_allclose(q.dequantize().numpy(), [[-0.3, 0.3, 0.3], [2.5, 25.2, -0.1]],
                               rtol=0, atol=1e-6)


def test_quantized_tensor_metadata():
    q = ember.quantize_per_tensor(_ramp(), 0.1, 3, ember.quint8)
    assert q.is_quantized and not _ramp().is_quantized
    assert q.dtype is ember.quint8 and not q.is_floating_point()
    assert q.qscheme() is ember.per_tensor_affine
    assert (q.q_scale(), q.q_zero_point()) == (0.1, 3)
    assert q.shape == (2, 3) and q.element_size() == 1


def test_quantize_per_channel_uses_one_scale_per_slice():
    q = ember.quantize_per_channel(_ramp(), ember.tensor([0.1, 0.2]), ember.tensor([0, 1]), 0,
                                   ember.qint8)
    assert q.int_repr().tolist() == [[-10, 2, 4], [14, 127, 1]]
    assert q.qscheme() is ember.per_channel_affine and q.q_per_channel_axis() == 0
    assert q.q_per_channel_scales().dtype is ember.float64
    assert q.q_per_channel_zero_points().tolist() == [0, 1]
    np.testing.assert_allclose(q.dequantize().numpy(), [[-1.0, 0.2, 0.4], [2.6, 25.2, 0.0]],
                               atol=1e-6)


def test_qint32_keeps_large_values():
    q = ember.quantize_per_tensor(ember.tensor([1e6, -3.0]), 0.5, 7, ember.qint32)
    assert q.int_repr().tolist() == [2000007, 1]


def test_quantize_list_and_dequantize_list():
    qs = ember.quantize_per_tensor([_ramp(), -_ramp()], ember.tensor([0.1, 0.2]),
                                   ember.tensor([0, 5]), ember.qint8)
    assert [q.q_zero_point() for q in qs] == [0, 5]
    out = ember.dequantize(qs)
    assert isinstance(out, tuple) and out[1].dtype is ember.float32


def test_plain_dequantize_gives_float32_and_int_repr_refuses_float():
    x = _ramp()
    assert x.dequantize() is x
    as_float = ember.tensor([1, 2]).dequantize()
    assert as_float.dtype is ember.float32 and as_float.tolist() == [1.0, 2.0]
    with pytest.raises(NotImplementedError, match="float32"):
        x.int_repr()
    with pytest.raises(NotImplementedError, match="q_scale"):
        x.q_scale()


@pytest.mark.parametrize("call, error, text", [
    (lambda x: ember.quantize_per_tensor(x, 0.1, 0, ember.float32), RuntimeError,
     "ember.float32"),
    (lambda x: ember.quantize_per_tensor(x.double(), 0.1, 0, ember.qint8), RuntimeError,
     "ember.float64"),
    (lambda x: ember.quantize_per_tensor(x, 0.1, 300, ember.qint8), RuntimeError,
     "above upper bound"),
    (lambda x: ember.quantize_per_tensor(x, 0.1, -1, ember.quint8), RuntimeError,
     "below lower bound"),
    (lambda x: ember.quantize_per_channel(x, ember.tensor([0.1, 0.2]), ember.tensor([0, 1]), 2,
                                          ember.qint8), RuntimeError, "axis 2"),
    (lambda x: ember.quantize_per_channel(x, ember.tensor([0.1, 0.2, 0.3]), ember.tensor([0, 1]),
                                          0, ember.qint8), RuntimeError, "must match"),
])
def test_quantize_rejects_bad_arguments(call, error, text):
    with pytest.raises(error, match=text):
        call(_ramp())


def test_per_tensor_accessors_refuse_per_channel_tensors():
    q = ember.quantize_per_channel(_ramp(), ember.tensor([0.1, 0.2]), ember.tensor([0, 1]), 0,
                                   ember.qint8)
    with pytest.raises(RuntimeError, match="per_tensor_affine"):
        q.q_scale()


def test_float_ops_refuse_quantized_tensors():
    q = ember.quantize_per_tensor(_ramp(), 0.1, 3, ember.quint8)
    with pytest.raises(NotImplementedError, match="QuantizedCPU"):
        q + 1
    with pytest.raises(NotImplementedError, match="QuantizedCPU"):
        q.sum()


def test_layout_methods_keep_parameters():
    q = ember.quantize_per_tensor(_ramp(), 0.1, 3, ember.quint8)
    for moved in (q.reshape(3, 2), q.t(), q[1], q.flatten(), q.clone(), copy.deepcopy(q)):
        assert moved.is_quantized and moved.q_zero_point() == 3
    assert q.t().int_repr().tolist() == q.int_repr().t().tolist()
    assert pickle.loads(pickle.dumps(q)).int_repr().tolist() == q.int_repr().tolist()


def test_quantized_tensor_cannot_require_grad():
    q = ember.quantize_per_tensor(_ramp(), 0.1, 3, ember.quint8)
    with pytest.raises(RuntimeError, match="floating point"):
        q.requires_grad_()


def test_repr_shows_dequantized_values_and_parameters():
    q = ember.quantize_per_tensor(ember.tensor([1.0, 2.0]), 0.5, 2, ember.qint8)
    assert repr(q) == ("tensor([1., 2.], size=(2,), dtype=ember.qint8,\n"
                       "       quantization_scheme=ember.per_tensor_affine, scale=0.5, "
                       "zero_point=2)")


def test_quantize_per_tensor_dynamic_covers_the_input_range():
    x = ember.tensor([-1.0, 0.0, 3.0])
    q = ember.quantize_per_tensor_dynamic(x, ember.quint8, False)
    assert q.q_scale() == pytest.approx(4.0 / 255)
    np.testing.assert_allclose(q.dequantize().numpy(), x.numpy(), atol=q.q_scale() / 2)


def test_make_quantized_tensor_from_integers():
    ints = ember.tensor([[1, 2], [3, 4]], dtype=ember.uint8)
    q = ember._make_per_tensor_quantized_tensor(ints, 0.5, 1)
    assert q.dtype is ember.quint8 and q.dequantize().tolist() == [[0.0, 0.5], [1.0, 1.5]]
    c = ember._make_per_channel_quantized_tensor(ints.to(ember.int8), ember.tensor([1.0, 2.0]),
                                                 ember.tensor([0, 1]), 1)
    assert c.dtype is ember.qint8 and c.dequantize().tolist() == [[1.0, 2.0], [3.0, 6.0]]
    with pytest.raises(RuntimeError, match="float32"):
        ember._make_per_tensor_quantized_tensor(ember.tensor([1.0]), 0.5, 1)


def test_python_conversions_refuse_quantized_tensors_but_iteration_works():
    q = ember.quantize_per_tensor(_ramp(), 0.1, 3, ember.quint8)
    with pytest.raises(RuntimeError, match="dequantize"):
        q.tolist()
    with pytest.raises(TypeError, match="quint8"):
        q.numpy()
    rows = list(q)
    assert len(rows) == 2 and rows[1].is_quantized
    assert rows[1].int_repr().tolist() == q.int_repr()[1].tolist()


def test_to_cpu_keeps_quantized_tensor_and_other_targets_refuse():
    q = ember.quantize_per_tensor(_ramp(), 0.1, 3, ember.quint8)
    assert q.to("cpu") is q and q.to(ember.quint8) is q
    with pytest.raises(NotImplementedError, match="dequantize"):
        q.to(ember.float32)


def test_quantize_refuses_tensors_off_the_cpu():
    with pytest.raises(NotImplementedError, match="testdev"):
        ember.quantize_per_tensor(_ramp().to("testdev"), 0.1, 0, ember.qint8)


def test_functional_float_ops_refuse_quantized_tensors():
    q = ember.quantize_per_tensor(_ramp(), 0.1, 3, ember.quint8)
    with pytest.raises(NotImplementedError, match="dequantize"):
        ember.nn.functional.relu(q)
    with pytest.raises(NotImplementedError, match="concatenate"):
        ember.cat([q, q])


@pytest.mark.parametrize("make", [
    lambda dt: ember.zeros(3, dtype=dt), lambda dt: ember.empty(2, dtype=dt),
    lambda dt: ember.full((2,), 1, dtype=dt), lambda dt: ember.arange(3, dtype=dt),
    lambda dt: ember.tensor([1, 2], dtype=dt), lambda dt: ember.ones(2).to(dt),
    lambda dt: ember.zeros_like(ember.ones(2), dtype=dt)])
@pytest.mark.parametrize("dt", ["qint8", "quint8", "qint32"])
def test_plain_ops_refuse_to_make_quantized_dtypes(make, dt):
    with pytest.raises(RuntimeError, match=f"quantized dtype ember.{dt} can only be made by"):
        make(getattr(ember, dt))
