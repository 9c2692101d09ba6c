"""Tensor basics: attributes, conversions, dtypes and promotion, devices, views."""
import numpy as np
import pytest

import ember


def test_python_literals_get_pytorch_dtypes():
    assert ember.tensor([1, 2]).dtype is ember.int64
    assert ember.tensor([1.0, 2.0]).dtype is ember.float32
    assert ember.tensor([True]).dtype is ember.bool
    assert ember.tensor(np.array([1.0])).dtype is ember.float64
    assert ember.Tensor([1, 2]).dtype is ember.float32


def test_python_scalar_does_not_upcast_float32():
    x = ember.ones(3)
    assert (x * 2.5).dtype is ember.float32
    assert (x + 1).dtype is ember.float32
    assert (2.0 / x).dtype is ember.float32


def test_integer_division_gives_float():
    assert (ember.tensor([1, 2]) / 2).dtype is ember.float32
    assert (ember.tensor([1, 2]) / ember.tensor([2, 2])).dtype is ember.float32
    assert (ember.tensor([1, 2]) + 1.5).dtype is ember.float32


@pytest.mark.parametrize("a,b,expected", [
    (ember.int32, ember.int64, ember.int64),
    (ember.uint8, ember.int8, ember.int16),
    (ember.float16, ember.int64, ember.float16),
    (ember.float32, ember.float64, ember.float64),
    (ember.bool, ember.uint8, ember.uint8),
    (ember.complex64, ember.float64, ember.complex128),
])
def test_promote_types(a, b, expected):
    assert ember.promote_types(a, b) is expected


def test_zero_dim_tensor_does_not_promote_dimensioned_tensor():
    x = ember.ones(3, dtype=ember.float32)
    y = ember.tensor(2.0, dtype=ember.float64)
    assert (x * y).dtype is ember.float32
    assert ember.result_type(x, y) is ember.float32


def test_attributes():
    x = ember.zeros(2, 3)
    assert x.shape == (2, 3) and x.size() == (2, 3) and x.size(1) == 3 and x.size(-1) == 3
    assert x.dim() == 2 and x.ndim == 2 and x.numel() == 6
    assert repr(x.shape) == "ember.Size([2, 3])"
    assert x.T.shape == (3, 2) and x.mT.shape == (3, 2)
    assert x.device == ember.device("cpu") and str(x.device) == "cpu"
    assert x.is_leaf and x.grad_fn is None and not x.requires_grad


def test_numpy_shares_memory():
    x = ember.zeros(3)
    x.numpy()[0] = 5
    assert x[0].item() == 5
    a = np.zeros(2, dtype=np.float32)
    t = ember.from_numpy(a)
    t.add_(1)
    assert a[0] == 1


def test_item_and_conversions():
    assert ember.tensor([3.5]).item() == 3.5
    assert int(ember.tensor(3)) == 3 and float(ember.tensor(2.0)) == 2.0
    assert ember.tensor([[1, 2]]).tolist() == [[1, 2]]
    with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted"):
        ember.tensor([1.0, 2.0]).item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(ember.tensor([1, 2]))
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(ember.tensor(1.0))


def test_numpy_on_requires_grad_raises():
    with pytest.raises(RuntimeError, match="detach"):
        ember.ones(2, requires_grad=True).numpy()


def test_requires_grad_only_for_float():
    with pytest.raises(RuntimeError, match="floating point and complex"):
        ember.tensor([1, 2]).requires_grad_()


def test_repr_shows_grad_fields_and_dtype():
    x = ember.tensor([[1.0, 2.0]], requires_grad=True)
    assert repr(x) == "tensor([[1., 2.]], requires_grad=True)"
    assert repr(x + 1) == "tensor([[2., 3.]], grad_fn=<AddBackward0>)"
    assert repr(ember.tensor([1, 2], dtype=ember.int32)) == \
        "tensor([1, 2], dtype=ember.int32)"


def test_views_share_memory_and_version():
    base = ember.zeros(4)
    v = base[1:3]
    v.add_(1)
    assert base.tolist() == [0, 1, 1, 0]
    assert base._version == v._version == 1
    t = ember.zeros(2, 3).t()
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        t.view(6)
    assert t.reshape(6).shape == (6,)


def test_inplace_dtype_cast_error():
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired "
                                          "output type Long"):
        ember.tensor([1, 2]).add_(1.5)


def test_broadcast_error_names_sizes():
    with pytest.raises(RuntimeError, match="The size of tensor a \\(3\\) must match the size of "
                                          "tensor b \\(4\\) at non-singleton dimension 1"):
        ember.ones(2, 3) + ember.ones(2, 4)


def test_matmul_error_names_shapes():
    with pytest.raises(RuntimeError, match="mat1 and mat2 shapes cannot be multiplied "
                                          "\\(64x784 and 512x10\\)"):
        ember.ones(64, 784) @ ember.ones(512, 10)


def test_bad_dim_message():
    with pytest.raises(IndexError, match="Dimension out of range \\(expected to be in range of "
                                        "\\[-2, 1\\], but got 3\\)"):
        ember.ones(2, 3).sum(3)


def test_default_dtype_switch():
    ember.set_default_dtype(ember.float64)
    try:
        assert ember.tensor([1.0]).dtype is ember.float64
        assert ember.ones(2).dtype is ember.float64
    finally:
        ember.set_default_dtype(ember.float32)
    with pytest.raises(TypeError):
        ember.set_default_dtype(ember.int64)


# -- devices ----------------------------------------------------------------------------------
def test_device_parsing_and_repr():
    assert repr(ember.device("cpu")) == "device(type='cpu')"
    d = ember.device("testdev:1")
    assert d.type == "testdev" and d.index == 1 and str(d) == "testdev:1"
    assert ember.device("testdev", 1) is d
    with pytest.raises(RuntimeError, match="device type at start of device string"):
        ember.device("tpu")


def test_tensor_moves_to_second_device_and_back():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x.to("testdev")
    assert y.device == ember.device("testdev:0")
    assert not np.shares_memory(y._data, x._data)
    (y * 2).sum().backward()
    assert x.grad.device == ember.device("cpu")
    assert x.grad.tolist() == [2.0, 2.0]


def test_mixing_devices_raises():
    a = ember.ones(2)
    b = ember.ones(2, device="testdev")
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        a + b


def test_default_device_is_used_by_factories():
    ember.set_default_device("testdev")
    try:
        assert ember.zeros(2).device.type == "testdev"
    finally:
        ember.set_default_device(None)
    assert ember.zeros(2).device.type == "cpu"


def test_cuda_is_unavailable_with_clear_error():
    assert ember.cuda.is_available() is False
    assert ember.cuda.device_count() == 0
    assert ember.accelerator.current_accelerator() is None
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        ember.ones(2).cuda()
