"""Random sampling and generators. ``manual_seed`` makes every run repeat its numbers.

Ember draws from NumPy's Philox generator, so the streams differ from PyTorch's (the same seed
does not give PyTorch's numbers) but are identical across Ember runs and platforms.
"""
from __future__ import annotations

import numpy as np

from .. import _dtype
from .._device import to_device
from ..autograd.function import Op
from .._tensor import Tensor, _make
from . import _registry
from ._registry import export
from ._util import scalar_type_name
from .creation import _size, _np_dtype


class Generator:
    """A random-number stream (``ember.Generator``); ``manual_seed`` resets it."""

    def __init__(self, device="cpu"):
        self.device = to_device(device)
        self._seed = 67280421310721
        self._rng = np.random.Generator(np.random.Philox(self._seed))

    def manual_seed(self, seed: int) -> "Generator":
        seed = int(seed)
        if seed < 0:
            seed += 1 << 64
        self._seed = seed
        self._rng = np.random.Generator(np.random.Philox(seed))
        return self

    def seed(self) -> int:
        s = int(np.random.SeedSequence().entropy) % (1 << 63)
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> Tensor:
        """The stream position as a uint8 tensor (for ``set_state``)."""
        st = self._rng.bit_generator.state["state"]
        extra = self._rng.bit_generator.state
        words = np.concatenate([np.asarray(st["counter"], np.uint64),
                                np.asarray(st["key"], np.uint64),
                                np.asarray(extra["buffer"], np.uint64),
                                np.array([extra["buffer_pos"], extra["has_uint32"],
                                          extra["uinteger"], self._seed % (1 << 64)],
                                         dtype=np.uint64)])
        return _make(words.view(np.uint8).copy(), to_device("cpu"))

    def set_state(self, new_state: Tensor) -> "Generator":
        data = np.asarray(new_state._host(), dtype=np.uint8)
        if data.size != 14 * 8:
            raise RuntimeError(f"Expected a ByteTensor of {14 * 8} elements as the generator "
                               f"state, but got {data.size}")
        words = data.copy().view(np.uint64)
        self._rng.bit_generator.state = {
            "bit_generator": "Philox",
            "state": {"counter": words[0:4].copy(), "key": words[4:6].copy()},
            "buffer": words[6:10].copy(), "buffer_pos": int(words[10]),
            "has_uint32": int(words[11]), "uinteger": int(words[12])}
        self._seed = int(words[13])
        return self


default_generator = Generator()


@export(method=False)
def manual_seed(seed: int) -> Generator:
    """Seed the default generator (Ember has one stream for all devices)."""
    return default_generator.manual_seed(seed)


@export(method=False)
def seed() -> int:
    return default_generator.seed()


@export(method=False)
def initial_seed() -> int:
    return default_generator.initial_seed()


@export(method=False)
def get_rng_state() -> Tensor:
    return default_generator.get_state()


@export(method=False)
def set_rng_state(new_state: Tensor) -> None:
    default_generator.set_state(new_state)


def rng(generator=None) -> np.random.Generator:
    return (generator or default_generator)._rng


def bernoulli_keep(shape: tuple, p: float) -> np.ndarray:
    """A bool array of ``shape``, each True with probability ``1 - p``: dropout's keep mask.

    Each element compares 32 random bits with ``p * 2**32``, two elements per raw draw of the
    default stream, which is about 3x faster than comparing uniform floats.
    """
    if p <= 0.0 or p >= 1.0:
        return np.full(shape, p <= 0.0, dtype=bool)
    n = int(np.prod(shape))
    bits = default_generator._rng.bit_generator.random_raw((n + 1) // 2).view(np.uint32)
    return (bits[:n] >= np.uint32(round(p * 2.0 ** 32))).reshape(shape)


def keep_mask(shape: tuple, p: float, like: Tensor) -> Tensor:
    """Dropout's multiplier on ``like``'s device and dtype: 1/(1-p) where kept, else 0."""
    dtype = like._data.dtype
    keep = bernoulli_keep(shape, p)
    mask = np.empty(shape, dtype=dtype)
    np.multiply(keep, dtype.type(0.0 if p >= 1.0 else 1.0 / (1.0 - p)), out=mask)
    dev = like._device
    return _make(dev.backend.from_host(mask), dev)


def _place(arr: np.ndarray, device, requires_grad: bool) -> Tensor:
    dev = to_device(device)
    t = _make(dev.backend.from_host(arr), dev)
    if requires_grad:
        t.requires_grad = True
    return t


def _float_dtype(dtype):
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    if not dt.is_floating_point:
        raise RuntimeError(f"\"check_uniform_bounds\" not implemented for '{dt.name}'")
    return dt


@export(method=False)
def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad=False) -> Tensor:
    """Uniform on [0, 1)."""
    dt = _float_dtype(dtype)
    return _place(_sample_floats(generator, "uniform", _size(size), dt), device, requires_grad)


@export(method=False)
def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False) -> Tensor:
    """Standard normal."""
    dt = _float_dtype(dtype)
    return _place(_sample_floats(generator, "normal", _size(size), dt), device, requires_grad)


@export(method=False)
def randint(low, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None,
            device=None, requires_grad=False) -> Tensor:
    """Integers in [low, high); int64 unless ``dtype``."""
    if size is None:
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                           f">= to={high}")
    arr = rng(generator).integers(low, high, size=_size((tuple(size),)), dtype=np.int64)
    return _place(arr.astype(_np_dtype(dtype, _dtype.int64)), device, requires_grad)


@export(method=False)
def randperm(n: int, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad=False) -> Tensor:
    arr = rng(generator).permutation(int(n)).astype(_np_dtype(dtype, _dtype.int64))
    return _place(arr, device, requires_grad)


def _sample_floats(generator, kind: str, shape, dt) -> np.ndarray:
    """Uniform [0, 1) or standard-normal samples, drawn natively in float32 or float64."""
    r = rng(generator)
    draw_dtype = np.float64 if dt.np == np.float64 else np.float32
    draw = r.random if kind == "uniform" else r.standard_normal
    arr = draw(shape, dtype=draw_dtype)
    return arr if arr.dtype == dt.np else arr.astype(dt.np)


def _require_float(dt, kernel: str) -> None:
    if not (dt.is_floating_point or dt.is_complex):
        raise NotImplementedError(f'"{kernel}" not implemented for \'{scalar_type_name(dt)}\'')


def _number(x) -> float:
    return x.item() if isinstance(x, Tensor) else x


@export(method=False)
def normal(mean, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None,
           device=None, requires_grad=False) -> Tensor:
    """Normal samples: ``mean`` and ``std`` each a tensor (broadcast) or a number (then
    ``size`` gives the shape). Samples carry no gradient."""
    mean_t, std_t = isinstance(mean, Tensor), isinstance(std, Tensor)
    if std_t:
        if std.numel() and bool((std._data < 0).any()):
            raise RuntimeError("normal expects all elements of std >= 0.0")
    elif std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    if not mean_t and not std_t:
        if size is None:
            raise TypeError("normal() received an invalid combination of arguments - got "
                            "(float, float), but expected (float mean, float std, tuple of ints "
                            "size, *, torch.Generator generator)")
        dt = _float_dtype(dtype)
        arr = _sample_floats(generator, "normal", _size((tuple(size),)), dt)
        return _finish_out(_place(arr * dt.np.type(std) + dt.np.type(mean), device,
                                  requires_grad), out)
    like = mean if mean_t else std
    if mean_t and std_t:
        from ._util import check_broadcast, result_type
        check_broadcast("normal", mean, std)
        dt = result_type(mean, std)
        shape = np.broadcast_shapes(mean.shape, std.shape)
    else:
        dt = like.dtype
        shape = tuple(like.shape)
    _require_float(dt, "normal_kernel_cpu")
    noise = like._device.backend.from_host(_sample_floats(generator, "normal", shape, dt))
    return _finish_out(Normal.apply(mean, std, noise, dt.np), out)


class Normal(Op):
    """``noise * std + mean``; as PyTorch, gradients to ``mean`` and ``std`` are zero."""

    _backward_name = "NormalBackward3"

    @staticmethod
    def forward(ctx, mean, std, noise, np_dtype):
        return ctx.xp.asarray(noise * std + mean, dtype=np_dtype)

    @staticmethod
    def backward(ctx, grad):
        zeros = grad.new_zeros(grad.shape)
        return (zeros if ctx.needs_input_grad[0] else None,
                zeros if ctx.needs_input_grad[1] else None, None, None)


def _finish_out(result: Tensor, out) -> Tensor:
    if out is None:
        return result
    from .pointwise import _out
    return _out(result, out)


@export
def bernoulli(input, p=None, *, generator=None, out=None) -> Tensor:
    """0/1 samples with probabilities ``input`` (or the number ``p``), in input's dtype."""
    probs = input._host() if p is None else np.full(tuple(input.shape), _number(p))
    if probs.size and not bool(((probs >= 0) & (probs <= 1)).all()):
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could "
                           "this error message be improved?  If so, please report an "
                           "enhancement request to PyTorch.)")
    draws = rng(generator).random(probs.shape) < probs
    arr = input._device.backend.from_host(draws.astype(input._data.dtype))
    return _finish_out(_make(arr, input._device), out)


@export
def multinomial(input, num_samples: int, replacement: bool = False, *, generator=None,
                out=None) -> Tensor:
    """Indices drawn from the categorical distributions in the rows of ``input`` (weights)."""
    if input.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not (input.dtype.is_floating_point):
        raise RuntimeError("multinomial only supports floating-point dtypes for input, got: "
                           f"{scalar_type_name(input.dtype)}")
    weights = np.asarray(input._host(), dtype=np.float64)
    rows = weights.reshape(-1, weights.shape[-1])
    n = rows.shape[1]
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > n:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    if not np.isfinite(rows).all() or (rows < 0).any():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    totals = rows.sum(1)
    if (totals <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    r = rng(generator)
    if replacement:
        cdf = np.cumsum(rows / totals[:, None], axis=1)
        cdf[:, -1] = 1.0
        offsets = np.arange(rows.shape[0])[:, None]
        draws = r.random((rows.shape[0], num_samples)) + offsets
        picks = np.searchsorted((cdf + offsets).ravel(), draws.ravel(), side="right")
        picks = np.minimum(picks.reshape(draws.shape) - offsets * n, n - 1)
    else:
        # Exponential race: the smallest Exp(1)/w are a weighted sample without replacement.
        with np.errstate(divide="ignore"):
            keys = r.standard_exponential(rows.shape) / rows
        picks = np.argsort(keys, axis=1, kind="stable")[:, :num_samples]
    picks = picks.astype(np.int64).reshape(weights.shape[:-1] + (num_samples,))
    return _finish_out(_make(input._device.backend.from_host(picks), input._device), out)


@export
def poisson(input, generator=None) -> Tensor:
    """Poisson samples with rates ``input`` (same dtype)."""
    rates = input._host()
    if rates.size and bool((rates < 0).any()):
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    arr = rng(generator).poisson(np.asarray(rates, dtype=np.float64)).astype(rates.dtype)
    return _make(input._device.backend.from_host(arr), input._device)


def _like_args(input, dtype, device):
    return (dtype if dtype is not None else input.dtype,
            device if device is not None else input.device)


@export(method=False)
def rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None, generator=None) -> Tensor:
    dtype, device = _like_args(input, dtype, device)
    return rand(*input.shape, dtype=dtype, device=device, requires_grad=requires_grad,
                generator=generator)


@export(method=False)
def randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None, generator=None) -> Tensor:
    dtype, device = _like_args(input, dtype, device)
    return randn(*input.shape, dtype=dtype, device=device, requires_grad=requires_grad,
                 generator=generator)


@export(method=False)
def randint_like(input, low=0, high=None, *, dtype=None, layout=None, device=None,
                 requires_grad=False, memory_format=None, generator=None) -> Tensor:
    """Integers in [low, high) shaped like ``input`` (its dtype unless ``dtype``)."""
    if high is None:
        low, high = 0, low
    dtype, device = _like_args(input, dtype, device)
    return randint(low, high, tuple(input.shape), dtype=dtype, device=device,
                   requires_grad=requires_grad, generator=generator)


# -- in-place samplers (Tensor methods) ---------------------------------------------------------
def _fill(self: Tensor, host_array: np.ndarray) -> Tensor:
    from .creation import fill_with
    return fill_with(self, self._device.backend.from_host(
        np.asarray(host_array, dtype=self._data.dtype)))


def uniform_(self, from_=0.0, to=1.0, *, generator=None, **kwargs) -> Tensor:
    """Fill with samples from U[from, to)."""
    from_ = kwargs.pop("from", from_)
    _require_float(self.dtype, "check_uniform_bounds")
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={from_} > to={to}")
    u = _sample_floats(generator, "uniform", tuple(self.shape), _dtype.float64 if
                       self.dtype is _dtype.float64 else _dtype.float32)
    return _fill(self, u * (to - from_) + from_)


def normal_(self, mean=0.0, std=1.0, *, generator=None) -> Tensor:
    """Fill with samples from N(mean, std^2)."""
    _require_float(self.dtype, "normal_kernel_cpu")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    z = _sample_floats(generator, "normal", tuple(self.shape), _dtype.float64 if
                       self.dtype is _dtype.float64 else _dtype.float32)
    return _fill(self, z * std + mean)


_RANDOM_FLOAT_TOP = {"float16": 2 ** 11, "bfloat16": 2 ** 8, "float32": 2 ** 24,
                     "float64": 2 ** 53}


def random_(self, from_=0, to=None, *, generator=None, **kwargs) -> Tensor:
    """Fill with integers: [0, to) for ``random_(to)``, [from, to), or the dtype's full range."""
    explicit_from = "from" in kwargs
    from_ = kwargs.pop("from", from_)
    if to is None and from_ != 0 and not explicit_from:
        from_, to = 0, from_
    dt = self.dtype
    if to is None:
        if dt.is_bool:
            to = 2
        elif dt.is_floating_point:
            to = _RANDOM_FLOAT_TOP[dt.name] + 1
        else:
            to = int(np.iinfo(dt.np).max) + 1
    if from_ >= to:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={from_} "
                           f">= to={to}")
    values = rng(generator).integers(from_, to, size=tuple(self.shape), dtype=np.int64) \
        if to <= 2 ** 63 else rng(generator).integers(from_, to, size=tuple(self.shape),
                                                      dtype=np.uint64)
    return _fill(self, values)


def bernoulli_(self, p=0.5, *, generator=None) -> Tensor:
    """Fill with 0/1 samples, 1 with probability ``p`` (a number or broadcastable tensor)."""
    probs = p._host() if isinstance(p, Tensor) else p
    if not bool(np.all((np.asarray(probs) >= 0) & (np.asarray(probs) <= 1))):
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    return _fill(self, rng(generator).random(tuple(self.shape)) < probs)


def exponential_(self, lambd=1.0, *, generator=None) -> Tensor:
    """Fill with samples from Exp(lambd)."""
    _require_float(self.dtype, "exponential_cpu")
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    return _fill(self, rng(generator).standard_exponential(tuple(self.shape)) / lambd)


def geometric_(self, p, *, generator=None) -> Tensor:
    """Fill with the number of Bernoulli(p) trials up to the first success (>= 1)."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    return _fill(self, rng(generator).geometric(p, size=tuple(self.shape)))


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None) -> Tensor:
    """Fill with samples from Cauchy(median, sigma)."""
    _require_float(self.dtype, "cauchy_cpu")
    return _fill(self, median + sigma * rng(generator).standard_cauchy(tuple(self.shape)))


def log_normal_(self, mean=1.0, std=2.0, *, generator=None) -> Tensor:
    """Fill with exp of N(mean, std^2) samples."""
    _require_float(self.dtype, "log_normal_cpu")
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
    return _fill(self, np.exp(mean + std * rng(generator).standard_normal(tuple(self.shape))))


for _fn in (uniform_, normal_, random_, bernoulli_, exponential_, geometric_, cauchy_,
            log_normal_):
    _registry.method(_fn.__name__, _fn)
