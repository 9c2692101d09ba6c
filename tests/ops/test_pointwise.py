"""Pointwise ops: gradients (first and second order), dtypes, errors, in-place and out=."""
import numpy as np
import pytest

import ember
from tests.conftest import check_grad


def _unit(x):
    return ember.tanh(x) * 0.9


GRAD_CASES = {
    "log1p": (lambda x: ember.log1p(x), True),
    "expm1": (lambda x: ember.expm1(x), False),
    "rsqrt": (lambda x: ember.rsqrt(x), True),
    "log2": (lambda x: ember.log2(x), True),
    "log10": (lambda x: ember.log10(x), True),
    "exp2": (lambda x: ember.exp2(x), False),
    "square": (lambda x: ember.square(x), False),
    "sin": (lambda x: ember.sin(x), False),
    "cos": (lambda x: ember.cos(x), False),
    "tan": (lambda x: ember.tan(_unit(x)), False),
    "asin": (lambda x: ember.asin(_unit(x)), False),
    "acos": (lambda x: ember.acos(_unit(x)), False),
    "atan": (lambda x: ember.atan(x), False),
    "sinh": (lambda x: ember.sinh(x), False),
    "cosh": (lambda x: ember.cosh(x), False),
    "asinh": (lambda x: ember.asinh(x), False),
    "acosh": (lambda x: ember.acosh(x + 1), True),
    "atanh": (lambda x: ember.atanh(_unit(x)), False),
    "erf": (lambda x: ember.erf(x), False),
    "erfc": (lambda x: ember.erfc(x), False),
    "erfinv": (lambda x: ember.erfinv(_unit(x)), False),
    "lgamma": (lambda x: ember.lgamma(x), True),
    "digamma": (lambda x: ember.digamma(x), True),
    "polygamma": (lambda x: ember.polygamma(1, x), True),
    "frac": (lambda x: ember.frac(x), False),
    "nan_to_num": (lambda x: ember.nan_to_num(x), False),
    "clamp": (lambda x: ember.clamp(x, -0.5, 0.5), False),
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_unary_gradcheck(name):
    fn, positive = GRAD_CASES[name]
    check_grad(fn, (3, 4), positive=positive)


BINARY_GRAD_CASES = {
    "atan2": lambda a, b: ember.atan2(a, b),
    "hypot": lambda a, b: ember.hypot(a, b),
    "logaddexp": lambda a, b: ember.logaddexp(a, b),
    "logaddexp2": lambda a, b: ember.logaddexp2(a, b),
    "remainder": lambda a, b: ember.remainder(a, b + 3),
    "fmod": lambda a, b: ember.fmod(a, b + 3),
    "maximum": lambda a, b: ember.maximum(a, b),
    "minimum": lambda a, b: ember.minimum(a, b),
    "fmax": lambda a, b: ember.fmax(a, b),
    "fmin": lambda a, b: ember.fmin(a, b),
    "clamp_tensor_bounds": lambda a, b: ember.clamp(a, min=b - 0.3, max=b + 0.3),
    "lerp": lambda a, b: ember.lerp(a, b, ember.sigmoid(b)),
    "addcmul": lambda a, b: ember.addcmul(a, a, b, value=0.5),
    "addcdiv": lambda a, b: ember.addcdiv(a, a, b * b + 1, value=2),
}


@pytest.mark.parametrize("name", sorted(BINARY_GRAD_CASES))
def test_binary_gradcheck_with_broadcasting(name):
    check_grad(BINARY_GRAD_CASES[name], (3, 4), (4,))


@pytest.mark.parametrize("name", ["floor", "ceil", "round", "trunc", "sign"])
def test_rounding_ops_record_zero_gradient(name):
    x = ember.tensor([0.4, -1.6, 2.5], requires_grad=True)
    y = getattr(ember, name)(x)
    assert y.requires_grad
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(3, np.float32))


@pytest.mark.parametrize("name", ["sin", "exp2", "log1p", "erf", "rsqrt", "lgamma"])
def test_unary_math_on_integers_gives_default_float(name):
    assert getattr(ember, name)(ember.tensor([1, 2])).dtype is ember.float32


def test_float32_stays_float32():
    x = ember.tensor([0.5, 1.5])
    for fn in (ember.erfinv, ember.digamma, ember.log10, ember.atan, ember.frac):
        assert fn(x * 0.5).dtype is ember.float32
    assert ember.clamp(x, 0.7, 1.0).dtype is ember.float32
    assert ember.polygamma(2, x).dtype is ember.float32


def test_rounding_keeps_integral_dtype():
    x = ember.tensor([1, -2])
    assert ember.floor(x).dtype is ember.int64 and ember.ceil(x).tolist() == [1, -2]


def test_round_decimals():
    x = ember.tensor([1.2345, -2.5])
    np.testing.assert_allclose(ember.round(x, decimals=2).numpy(), [1.23, -2.5], rtol=1e-6)
    assert ember.round(ember.tensor([0.5, 1.5, 2.5])).tolist() == [0.0, 2.0, 2.0]


def test_clamp_without_bounds_raises():
    with pytest.raises(RuntimeError, match="At least one of 'min' or 'max'"):
        ember.clamp(ember.ones(2))


def test_clamp_integer_tensor_with_float_bound_promotes():
    out = ember.clamp(ember.tensor([1, 2, 3]), min=1.5)
    assert out.dtype is ember.float32 and out.tolist() == [1.5, 2.0, 3.0]


def test_clamp_inplace_and_clip_alias():
    x = ember.tensor([-2.0, 0.0, 2.0])
    assert x.clamp_(min=-1, max=1) is x and x.tolist() == [-1.0, 0.0, 1.0]
    assert ember.clip(ember.tensor([5.0]), max=2).tolist() == [2.0]


def test_maximum_splits_gradient_on_ties():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    ember.maximum(x, ember.tensor([1.0, 0.0])).sum().backward()
    assert x.grad.tolist() == [0.5, 1.0]


def test_maximum_rejects_scalar_other():
    with pytest.raises(TypeError, match="must be Tensor"):
        ember.maximum(ember.ones(2), 1)


def test_fmax_ignores_nan_and_maximum_propagates_it():
    a, b = ember.tensor([float("nan"), 1.0]), ember.tensor([2.0, float("nan")])
    assert ember.fmax(a, b).tolist() == [2.0, 1.0]
    assert np.isnan(ember.maximum(a, b).numpy()).all()


def test_remainder_follows_divisor_sign_and_fmod_dividend_sign():
    a = ember.tensor([-3, 3])
    assert ember.remainder(a, 2).tolist() == [1, 1]
    assert ember.fmod(a, 2).tolist() == [-1, 1]
    assert (a % -2).tolist() == [-1, -1]
    assert ember.remainder(5, ember.tensor([3])).tolist() == [2]


def test_integer_remainder_by_zero_raises():
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        ember.remainder(ember.tensor([5]), 0)


def test_bitwise_operators():
    a, b = ember.tensor([12, 10]), ember.tensor([10, 6])
    assert (a & b).tolist() == [8, 2] and (a | b).tolist() == [14, 14]
    assert (a ^ b).tolist() == [6, 12] and (~a).tolist() == [-13, -11]
    assert (3 & a).tolist() == [0, 2]
    m = ember.tensor([True, False])
    assert (~m).tolist() == [False, True] and (m | True).tolist() == [True, True]


def test_bitwise_inplace_operator():
    a = ember.tensor([12, 10])
    a &= 6
    assert a.tolist() == [4, 2]


def test_bitwise_on_float_raises():
    with pytest.raises(NotImplementedError, match="bitwise_and_cpu"):
        ember.bitwise_and(ember.ones(2), ember.ones(2))


def test_logical_ops_return_bool():
    a, b = ember.tensor([0.0, 1.0, 2.0]), ember.tensor([1, 0, 3])
    assert ember.logical_and(a, b).tolist() == [False, False, True]
    assert ember.logical_or(a, b).dtype is ember.bool
    assert ember.logical_xor(a, b).tolist() == [True, True, False]
    assert ember.logical_not(a).tolist() == [True, False, False]


def test_value_predicates():
    x = ember.tensor([1.0, float("inf"), float("-inf"), float("nan")])
    assert ember.isnan(x).tolist() == [False, False, False, True]
    assert ember.isinf(x).tolist() == [False, True, True, False]
    assert ember.isfinite(x).tolist() == [True, False, False, False]
    assert ember.isposinf(x).tolist() == [False, True, False, False]
    assert ember.isneginf(x).tolist() == [False, False, True, False]


def test_isclose_allclose_equal():
    a, b = ember.tensor([1.0, 2.0]), ember.tensor([1.0, 2.0 + 1e-6])
    assert ember.isclose(a, b).tolist() == [True, True]
    assert ember.allclose(a, b) and not ember.allclose(a, b, rtol=0, atol=0)
    assert ember.equal(a, a.clone()) and not ember.equal(a, b)
    assert not ember.equal(a, ember.ones(3))


def test_isclose_dtype_mismatch_raises():
    with pytest.raises(RuntimeError, match="Long did not match Float"):
        ember.isclose(ember.tensor([1]), ember.tensor([1.0]))


def test_nan_to_num_defaults_to_dtype_extremes():
    x = ember.tensor([float("nan"), float("inf"), float("-inf")])
    out = ember.nan_to_num(x)
    assert out.tolist() == [0.0, float(np.finfo(np.float32).max), float(np.finfo(np.float32).min)]


def test_heaviside_and_dtype_check():
    x = ember.tensor([-1.0, 0.0, 2.0])
    assert ember.heaviside(x, ember.tensor([0.5])).tolist() == [0.0, 0.5, 1.0]
    with pytest.raises(RuntimeError, match="different dtypes"):
        ember.heaviside(x, ember.tensor([1]))


def test_complex_parts_and_conj():
    z = ember.tensor([1 + 2j, -3j])
    assert z.real.tolist() == [1.0, 0.0] and z.imag.tolist() == [2.0, -3.0]
    assert z.conj().tolist() == [1 - 2j, 3j]
    np.testing.assert_allclose(ember.sgn(ember.tensor([3 + 4j, 0j])).numpy(), [0.6 + 0.8j, 0j],
                               rtol=1e-6)
    x = ember.ones(2)
    assert ember.real(x) is x and x.conj() is x


def test_imag_of_real_tensor_raises():
    with pytest.raises(RuntimeError, match="non-complex dtypes"):
        ember.ones(2).imag


def test_real_gradient_flows_to_complex_input():
    z = ember.tensor([1 + 2j, 3 - 1j], requires_grad=True)
    (z.real * 2 + z.imag * 3).sum().backward()
    assert z.grad.tolist() == [2 + 3j, 2 + 3j]


def test_addcdiv_integer_division_raises():
    with pytest.raises(RuntimeError, match="Integer division with addcdiv"):
        ember.addcdiv(ember.tensor([1]), ember.tensor([1]), ember.tensor([2]))


def test_frac_of_integer_raises():
    with pytest.raises(NotImplementedError, match="frac_cpu"):
        ember.frac(ember.tensor([1]))


@pytest.mark.parametrize("name", ["sin", "log1p", "erf", "floor", "square", "atan", "exp2"])
def test_inplace_variant_matches_out_of_place(name):
    x = ember.tensor([0.25, 0.75])
    expected = getattr(ember, name)(x).tolist()
    assert getattr(x, name + "_")() is x and x.tolist() == expected


def test_inplace_float_op_on_integer_tensor_raises():
    with pytest.raises(RuntimeError, match="can't be cast"):
        ember.tensor([1, 2]).sin_()


def test_out_argument_writes_result():
    out = ember.empty(2)
    result = ember.atan2(ember.tensor([1.0, 0.0]), ember.tensor([1.0, 1.0]), out=out)
    assert result is out
    np.testing.assert_allclose(out.numpy(), [np.pi / 4, 0.0], rtol=1e-6)
