"""Property tests: broadcasting, type promotion and indexing against NumPy and PyTorch."""
import numpy as np
import pytest

import ember

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings, strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

torch = pytest.importorskip("torch")

SETTINGS = settings(max_examples=50, deadline=None, derandomize=True)
# Ember has no complex32: float16 with complex promotes to complex64 (PyTorch: complex32).
DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64",
          "complex64", "complex128"]


def _tensors(lib, dtype_name, ndim):
    dt = getattr(lib, dtype_name)
    return lib.zeros((2,) * ndim, dtype=dt)


# -- promotion -------------------------------------------------------------------------------------
@SETTINGS
@given(st.sampled_from(DTYPES), st.sampled_from(DTYPES), st.integers(0, 1), st.integers(0, 1))
def test_result_type_tensors_matches_torch(a, b, nd_a, nd_b):
    hypothesis.assume({a, b} & {"complex64", "complex128"} == set() or "float16" not in (a, b))
    hypothesis.assume(not _float_dim_complex_zero(a, b, nd_a, nd_b))
    got = ember.result_type(_tensors(ember, a, nd_a), _tensors(ember, b, nd_b))
    want = torch.result_type(_tensors(torch, a, nd_a), _tensors(torch, b, nd_b))
    assert got.name == str(want).replace("torch.", "")


def _float_dim_complex_zero(a, b, nd_a, nd_b):
    pairs = ((a, nd_a, b, nd_b), (b, nd_b, a, nd_a))
    return any(x.startswith("float") and nx == 1 and y.startswith("complex") and ny == 0
               for x, nx, y, ny in pairs)


def test_result_type_float_tensor_with_zero_dim_complex():
    got = ember.result_type(ember.zeros(2), ember.zeros((), dtype=ember.complex128))
    assert got is ember.complex64


@SETTINGS
@given(st.sampled_from(DTYPES), st.integers(0, 1),
       st.one_of(st.booleans(), st.integers(-5, 5), st.floats(-2, 2, allow_nan=False),
                 st.complex_numbers(max_magnitude=2, allow_nan=False, allow_infinity=False)))
def test_result_type_with_python_scalar_matches_torch(a, nd, scalar):
    hypothesis.assume(not (a == "float16" and isinstance(scalar, complex)))
    got = ember.result_type(_tensors(ember, a, nd), scalar)
    want = torch.result_type(_tensors(torch, a, nd), scalar)
    assert got.name == str(want).replace("torch.", "")


@SETTINGS
@given(st.sampled_from(["int32", "int64", "float32", "float64"]),
       st.sampled_from(["int32", "int64", "float32", "float64"]))
def test_cat_promotes_like_torch(a, b):
    got = ember.cat([_tensors(ember, a, 1), _tensors(ember, b, 1)]).dtype
    want = torch.cat([_tensors(torch, a, 1), _tensors(torch, b, 1)]).dtype
    assert got.name == str(want).replace("torch.", "")


# -- broadcasting ----------------------------------------------------------------------------------
@SETTINGS
@given(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=3))
def test_broadcasting_shapes_match_numpy(shapes):
    a_shape, b_shape = shapes.input_shapes
    a, b = ember.zeros(a_shape), ember.ones(b_shape)
    assert tuple((a + b).shape) == shapes.result_shape
    assert tuple(ember.broadcast_shapes(a_shape, b_shape)) == shapes.result_shape
    assert all(tuple(t.shape) == shapes.result_shape for t in ember.broadcast_tensors(a, b))


@SETTINGS
@given(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=3, max_side=3),
       st.integers(0, 2 ** 16))
def test_broadcast_grads_reduce_to_input_shapes(shapes, seed):
    rng = np.random.default_rng(seed)
    a_shape, b_shape = shapes.input_shapes
    a_np, b_np = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
    a = ember.tensor(a_np, requires_grad=True)
    b = ember.tensor(b_np, requires_grad=True)
    (a * b).sum().backward()
    ta = torch.tensor(a_np, requires_grad=True)
    tb = torch.tensor(b_np, requires_grad=True)
    (ta * tb).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), rtol=1e-10)


# -- indexing --------------------------------------------------------------------------------------
@st.composite
def _basic_index(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    key = draw(hnp.basic_indices(shape, min_dims=0, allow_newaxis=True, allow_ellipsis=True))
    return shape, key


def _positive_steps(key):
    items = key if isinstance(key, tuple) else (key,)
    return all(not isinstance(k, slice) or k.step is None or k.step > 0 for k in items)


@SETTINGS
@given(_basic_index())
def test_basic_indexing_matches_numpy_and_is_a_view(case):
    shape, key = case
    hypothesis.assume(_positive_steps(key))
    data = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    x = ember.tensor(data)
    got = x[key]
    assert np.array_equal(got.numpy(), data[key])
    if got.numel():
        assert np.shares_memory(got.numpy(), x.numpy())


@SETTINGS
@given(_basic_index())
def test_basic_index_gradient_matches_torch(case):
    shape, key = case
    hypothesis.assume(_positive_steps(key))
    data = np.random.default_rng(0).standard_normal(shape)
    x = ember.tensor(data, requires_grad=True)
    (x[key] * 2).sum().backward()
    tx = torch.tensor(data, requires_grad=True)
    (tx[key] * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


@st.composite
def _integer_index(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    start = 1 if len(shape) > 1 and draw(st.booleans()) else 0
    n_idx = draw(st.integers(1, len(shape) - start))
    idx_shape = draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=3))
    arrays = tuple(draw(hnp.arrays(np.int64, idx_shape, elements=st.integers(-s, s - 1)))
                   for s in shape[start:start + n_idx])
    return shape, (slice(None),) * start + arrays


@SETTINGS
@given(_integer_index())
def test_integer_array_indexing_matches_torch_with_grads(case):
    shape, key = case
    data = np.random.default_rng(1).standard_normal(shape)
    e_key = tuple(ember.tensor(k) if isinstance(k, np.ndarray) else k for k in key)
    t_key = tuple(torch.tensor(k) if isinstance(k, np.ndarray) else k for k in key)
    x = ember.tensor(data, requires_grad=True)
    tx = torch.tensor(data, requires_grad=True)
    out, t_out = x[e_key], tx[t_key]
    np.testing.assert_array_equal(out.detach().numpy(), t_out.detach().numpy())
    weights = np.random.default_rng(2).standard_normal(tuple(t_out.shape))
    (out * ember.tensor(weights)).sum().backward()
    (t_out * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-12)


@SETTINGS
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
                  elements=st.floats(-3, 3)))
def test_boolean_mask_indexing_matches_numpy(data):
    mask = data > 0
    x = ember.tensor(data)
    assert np.array_equal(x[ember.tensor(mask)].numpy(), data[mask])
    assert np.array_equal(x.masked_select(ember.tensor(mask)).numpy(), data[mask])


@SETTINGS
@given(_integer_index(), st.floats(-5, 5))
def test_setitem_with_integer_arrays_matches_torch(case, value):
    shape, key = case
    data = np.random.default_rng(3).standard_normal(shape)
    x, tx = ember.tensor(data), torch.tensor(data)
    x[tuple(ember.tensor(k) if isinstance(k, np.ndarray) else k for k in key)] = value
    tx[tuple(torch.tensor(k) if isinstance(k, np.ndarray) else k for k in key)] = value
    np.testing.assert_array_equal(x.numpy(), tx.numpy())
