"""Pointwise and reduction ops against PyTorch: values and gradients on random inputs."""
from collections import namedtuple

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

Spec = namedtuple("Spec", "name fn shapes domain")
S = (3, 4)
ROW = (4,)


def _s(name, fn, shapes=(S,), domain="real"):
    return Spec(name, fn, shapes, domain)


SPECS = [
    # unary math
    _s("log1p", lambda m, x: m.log1p(x), domain="positive"),
    _s("expm1", lambda m, x: m.expm1(x)),
    _s("rsqrt", lambda m, x: m.rsqrt(x), domain="positive"),
    _s("log2", lambda m, x: m.log2(x), domain="positive"),
    _s("log10", lambda m, x: m.log10(x), domain="positive"),
    _s("exp2", lambda m, x: m.exp2(x)),
    _s("square", lambda m, x: m.square(x)),
    _s("sin", lambda m, x: m.sin(x)),
    _s("cos", lambda m, x: x.cos()),
    _s("tan", lambda m, x: m.tan(x), domain="unit"),
    _s("asin", lambda m, x: m.asin(x), domain="unit"),
    _s("arccos", lambda m, x: m.arccos(x), domain="unit"),
    _s("atan", lambda m, x: m.atan(x)),
    _s("sinh", lambda m, x: m.sinh(x)),
    _s("cosh", lambda m, x: x.cosh()),
    _s("asinh", lambda m, x: m.asinh(x)),
    _s("acosh", lambda m, x: m.acosh(x), domain="gt1"),
    _s("atanh", lambda m, x: m.atanh(x), domain="unit"),
    _s("erf", lambda m, x: m.erf(x)),
    _s("erfc", lambda m, x: m.erfc(x)),
    _s("erfinv", lambda m, x: m.erfinv(x), domain="unit"),
    _s("lgamma", lambda m, x: m.lgamma(x), domain="positive"),
    _s("digamma", lambda m, x: m.digamma(x), domain="positive"),
    _s("polygamma", lambda m, x: m.polygamma(2, x), domain="positive"),
    _s("floor", lambda m, x: m.floor(x * 3)),
    _s("ceil", lambda m, x: m.ceil(x * 3)),
    _s("round", lambda m, x: m.round(x * 3)),
    _s("round_decimals", lambda m, x: m.round(x, decimals=1)),
    _s("frac", lambda m, x: m.frac(x * 3)),
    _s("sign", lambda m, x: m.sign(x)),
    _s("sgn", lambda m, x: m.sgn(x)),
    _s("trunc", lambda m, x: m.trunc(x * 3)),
    _s("nan_to_num", lambda m, x: m.nan_to_num(m.log(x), nan=0.5, neginf=-3.0)),
    _s("clamp_scalars", lambda m, x: m.clamp(x, min=-0.5, max=0.5)),
    _s("clamp_tensors", lambda m, x, lo, hi: m.clamp(x, lo, hi), (S, ROW, ROW)),
    _s("clip_min", lambda m, x: m.clip(x, min=0.1)),
    _s("clamp_max", lambda m, x: m.clamp_max(x, 0.2)),
    # binary and ternary
    _s("atan2", lambda m, a, b: m.atan2(a, b), (S, ROW)),
    _s("hypot", lambda m, a, b: m.hypot(a, b), (S, ROW)),
    _s("logaddexp", lambda m, a, b: m.logaddexp(a, b), (S, ROW)),
    _s("logaddexp2", lambda m, a, b: m.logaddexp2(a, b), (S, ROW)),
    _s("remainder", lambda m, a, b: m.remainder(a * 3, b), (S, ROW), "positive"),
    _s("fmod", lambda m, a, b: m.fmod(a * 3, b), (S, ROW), "positive"),
    _s("remainder_scalar", lambda m, a: a % 0.7),
    _s("maximum", lambda m, a, b: m.maximum(a, b), (S, ROW)),
    _s("minimum", lambda m, a, b: m.minimum(a, b), (S, ROW)),
    _s("fmax", lambda m, a, b: m.fmax(a, b), (S, ROW)),
    _s("fmin", lambda m, a, b: m.fmin(a, b), (S, ROW)),
    _s("max_binary", lambda m, a, b: m.max(a, b), (S, ROW)),
    _s("lerp", lambda m, a, b, w: m.lerp(a, b, w), (S, ROW, S)),
    _s("lerp_scalar", lambda m, a, b: m.lerp(a, b, 0.3), (S, S)),
    _s("addcmul", lambda m, a, b, c: m.addcmul(a, b, c, value=0.5), (S, ROW, S)),
    _s("addcdiv", lambda m, a, b, c: m.addcdiv(a, b, c, value=2), (S, S, ROW), "positive"),
    # reductions
    _s("prod", lambda m, x: m.prod(x)),
    _s("prod_dim", lambda m, x: m.prod(x, 1, keepdim=True)),
    _s("prod_zeros", lambda m, x: m.prod(x, 0), ((4, 3),), "zeros"),
    _s("max_all", lambda m, x: m.max(x)),
    _s("max_dim", lambda m, x: m.max(x, 1)),
    _s("min_dim_keepdim", lambda m, x: x.min(0, keepdim=True)),
    _s("amax", lambda m, x: m.amax(x, (0, 2)), ((2, 3, 4),)),
    _s("amin_ties", lambda m, x: m.amin(x, 1), (S,), "ints"),
    _s("max_ties", lambda m, x: m.max(x), (S,), "ints"),
    _s("argmax", lambda m, x: m.argmax(x)),
    _s("argmin_dim", lambda m, x: m.argmin(x, 1, keepdim=True)),
    _s("var", lambda m, x: m.var(x)),
    _s("var_dim_correction", lambda m, x: m.var(x, 1, correction=0)),
    _s("std_unbiased_false", lambda m, x: m.std(x, 0, False, True)),
    _s("std_mean", lambda m, x: m.std_mean(x, (0, 1))),
    _s("var_mean", lambda m, x: m.var_mean(x, 1, keepdim=True)),
    _s("norm", lambda m, x: m.norm(x)),
    _s("norm_p1_dim", lambda m, x: m.norm(x, 1, dim=1)),
    _s("norm_inf", lambda m, x: m.norm(x, float("inf"), dim=0)),
    _s("norm_p3", lambda m, x: m.norm(x, 3, dim=(0, 1), keepdim=True)),
    _s("norm_p0_5", lambda m, x: m.norm(x, 0.5)),
    _s("logsumexp", lambda m, x: m.logsumexp(x * 30, 1)),
    _s("logsumexp_dims", lambda m, x: m.logsumexp(x, (0, 1), keepdim=True)),
    _s("cumsum", lambda m, x: m.cumsum(x, 1)),
    _s("cumprod", lambda m, x: m.cumprod(x, 0)),
    _s("cumprod_zeros", lambda m, x: m.cumprod(x, 1), ((3, 5),), "zeros"),
    _s("cummax", lambda m, x: m.cummax(x, 1)),
    _s("cummin", lambda m, x: m.cummin(x, 0)),
    _s("sort", lambda m, x: m.sort(x)),
    _s("sort_descending", lambda m, x: m.sort(x, 0, descending=True)),
    _s("argsort", lambda m, x: m.argsort(x, 1)),
    _s("topk", lambda m, x: m.topk(x, 2)),
    _s("topk_smallest", lambda m, x: m.topk(x, 2, dim=0, largest=False)),
    _s("median_all", lambda m, x: m.median(x)),
    _s("median_dim", lambda m, x: m.median(x, 1)),
    _s("median_ties", lambda m, x: m.median(x), (S,), "ints"),
    _s("nanmedian", lambda m, x: m.nanmedian(m.log(x), 1)),
    _s("mode", lambda m, x: m.mode(x, 1), ((3, 7),), "ints"),
    _s("nansum", lambda m, x: m.nansum(m.log(x), 1)),
    _s("nanmean", lambda m, x: m.nanmean(m.log(x))),
    _s("aminmax", lambda m, x: m.aminmax(x, dim=0)),
    _s("all_any", lambda m, x: (m.all(x > -1, 1), m.any(x > 1), x.all())),
    _s("count_nonzero", lambda m, x: m.count_nonzero(m.floor(x), 0)),
    _s("unique", lambda m, x: m.unique(x.detach(), return_inverse=True, return_counts=True),
       (S,), "ints"),
]


def _inputs(spec, dtype, rng):
    arrays = []
    for shape in spec.shapes:
        data = rng.standard_normal(shape)
        if spec.domain == "positive":
            data = np.abs(data) + 0.5
        elif spec.domain == "unit":
            data = np.tanh(data) * 0.9
        elif spec.domain == "gt1":
            data = np.abs(data) + 1.2
        elif spec.domain == "ints":
            data = rng.integers(0, 3, shape).astype(np.float64)
        elif spec.domain == "zeros":
            data[rng.random(shape) < 0.25] = 0.0
            data[0, 0] = data[1, 1] = 0.0
        arrays.append(data.astype(dtype))
    return arrays


def _flatten(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_op_matches_torch(spec, dtype):
    rng = np.random.default_rng(0)
    arrays = _inputs(spec, dtype, rng)
    e_in = [ember.tensor(a, requires_grad=True) for a in arrays]
    t_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    e_out, t_out = _flatten(spec.fn(ember, *e_in)), _flatten(spec.fn(torch, *t_in))
    assert len(e_out) == len(t_out)
    tol = dict(rtol=2e-5, atol=2e-5) if dtype == np.float32 else dict(rtol=1e-9, atol=1e-9)
    e_loss = t_loss = 0
    for e, t in zip(e_out, t_out):
        assert str(e.dtype).split(".")[1] == str(t.dtype).split(".")[1]
        assert tuple(e.shape) == tuple(t.shape)
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), **tol)
        assert e.requires_grad == t.requires_grad
        if t.requires_grad:
            weight = rng.standard_normal(tuple(t.shape)).astype(dtype)
            e_loss = e_loss + (e * ember.tensor(weight)).sum()
            t_loss = t_loss + (t * torch.tensor(weight)).sum()
    if isinstance(t_loss, int):
        return
    e_loss.backward()
    t_loss.backward()
    for e, t in zip(e_in, t_in):
        if t.grad is None:
            assert e.grad is None or not np.any(e.grad.numpy())
        else:
            np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(force=True), **tol)


COMPLEX_SPECS = [
    _s("sgn", lambda m, z: m.sgn(z)),
    _s("conj_real_imag", lambda m, z: (m.real(z.conj()), z.imag)),
    _s("prod", lambda m, z: m.prod(z, 1)),
    _s("cumprod", lambda m, z: m.cumprod(z, 0)),
    _s("var", lambda m, z: m.var(z, 1)),
    _s("sin_exp2", lambda m, z: m.sin(z) + m.log1p(z)),
]


@pytest.mark.parametrize("spec", COMPLEX_SPECS, ids=[s.name for s in COMPLEX_SPECS])
def test_complex_op_matches_torch(spec):
    rng = np.random.default_rng(1)
    data = rng.standard_normal(S) + 1j * rng.standard_normal(S)
    e_in = ember.tensor(data, requires_grad=True)
    t_in = torch.tensor(data, requires_grad=True)
    e_out, t_out = _flatten(spec.fn(ember, e_in)), _flatten(spec.fn(torch, t_in))
    e_loss = t_loss = 0
    for e, t in zip(e_out, t_out):
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-9, atol=1e-9)
        weight = rng.standard_normal(tuple(t.shape))
        e_loss = e_loss + (e * ember.tensor(weight)).abs().sum()
        t_loss = t_loss + (t * torch.tensor(weight)).abs().sum()
    e_loss.backward()
    t_loss.backward()
    np.testing.assert_allclose(e_in.grad.numpy(), t_in.grad.numpy(), rtol=1e-9, atol=1e-9)


INT_SPECS = [
    _s("prod", lambda m, x: m.prod(x, 0)),
    _s("cumsum_bool", lambda m, x: m.cumsum(x > 1, 1)),
    _s("cumprod_int32", lambda m, x: m.cumprod(x.int(), 1)),
    _s("sum_amax_amin", lambda m, x: (m.amax(x, 1), m.amin(x.short(), 0))),
    _s("all_any_uint8", lambda m, x: (m.all(x.to(m.uint8)), m.any(x.to(m.uint8), 0))),
    _s("max_min_dim", lambda m, x: (m.max(x, 1), m.min(x, 0))),
    _s("sort_topk", lambda m, x: (m.sort(x, descending=True, stable=True), m.topk(x, 2).values)),
    _s("median_mode", lambda m, x: (m.median(x, 1), m.mode(x, 0), m.median(x))),
    _s("square_bool", lambda m, x: m.square(x > 1)),
    _s("bitwise", lambda m, x: ((x & 3) | (x ^ 5), ~x, x % 3)),
    _s("count_nonzero", lambda m, x: m.count_nonzero(x, (0, 1))),
    _s("unique_dim", lambda m, x: m.unique(x, dim=0, return_inverse=True, return_counts=True)),
]


@pytest.mark.parametrize("spec", INT_SPECS, ids=[s.name for s in INT_SPECS])
def test_integer_op_matches_torch(spec):
    data = np.random.default_rng(2).integers(0, 4, (4, 5))
    e_out = _flatten(spec.fn(ember, ember.tensor(data)))
    t_out = _flatten(spec.fn(torch, torch.tensor(data)))
    flat_e = [v for o in e_out for v in _flatten(o)]
    flat_t = [v for o in t_out for v in _flatten(o)]
    for e, t in zip(flat_e, flat_t):
        assert str(e.dtype).split(".")[1] == str(t.dtype).split(".")[1]
        np.testing.assert_array_equal(e.numpy(), t.numpy())
