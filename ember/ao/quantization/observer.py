"""Observers: modules that watch the tensors flowing through them and turn the range seen into
quantization parameters (scale, zero point)."""
from __future__ import annotations

import warnings
from functools import partial
from typing import Any

import numpy as np

from ... import _dtype
from ..._device import CPU
from ..._ops.quantize import (per_channel_affine, per_channel_symmetric, per_tensor_affine,
                              per_tensor_symmetric, qrange)
from ..._tensor import Tensor, _make
from ...nn.modules.module import Module

__all__ = ["ObserverBase", "UniformQuantizationObserverBase", "MinMaxObserver",
           "HistogramObserver", "MovingAverageMinMaxObserver", "PerChannelMinMaxObserver",
           "MovingAveragePerChannelMinMaxObserver", "PlaceholderObserver", "default_observer",
           "default_weight_observer",
           "default_per_channel_weight_observer", "default_dynamic_quant_observer",
           "default_placeholder_observer", "default_histogram_observer",
           "weight_observer_range_neg_127_to_127",
           "per_channel_weight_observer_range_neg_127_to_127"]

_EPS = float(np.finfo(np.float32).eps)


class _PartialWrapper:
    """A constructor with some arguments fixed: ``Observer.with_args(...)`` returns one, and
    calling it builds a fresh observer (one per module being prepared)."""

    def __init__(self, p: partial):
        self.p = p

    def __call__(self, *args, **kwargs) -> Module:
        return self.p(*args, **kwargs)

    def __repr__(self) -> str:
        return f"{self.p.func.__name__}.with_args({self.p.keywords})"

    def with_args(self, **kwargs) -> "_PartialWrapper":
        return _PartialWrapper(partial(self.p, **kwargs))


def _array(value) -> np.ndarray:
    return np.asarray(value._host() if isinstance(value, Tensor) else value, dtype=np.float32)


class ObserverBase(Module):
    """Base of observers: ``forward`` records and returns its input unchanged."""

    def __init__(self, dtype: _dtype.dtype, is_dynamic: bool = False) -> None:
        super().__init__()
        self.dtype = dtype
        self.is_dynamic = is_dynamic

    @classmethod
    def with_args(cls, **kwargs) -> _PartialWrapper:
        return _PartialWrapper(partial(cls, **kwargs))

    def calculate_qparams(self) -> tuple[Tensor, Tensor]:
        raise NotImplementedError(f"{type(self).__name__} has no quantization parameters")


class UniformQuantizationObserverBase(ObserverBase):
    """Shared range-to-parameters arithmetic, in float32 like PyTorch's so scales agree."""

    def __init__(self, dtype=_dtype.quint8, qscheme=per_tensor_affine, reduce_range: bool = False,
                 quant_min: int | None = None, quant_max: int | None = None,
                 factory_kwargs=None, eps: float = _EPS, is_dynamic: bool = False) -> None:
        super().__init__(dtype, is_dynamic)
        if dtype not in (_dtype.qint8, _dtype.quint8, _dtype.qint32):
            raise ValueError(f"observers support ember.qint8, ember.quint8 and ember.qint32, "
                             f"got {dtype}")
        if qscheme not in (per_tensor_affine, per_tensor_symmetric, per_channel_affine,
                           per_channel_symmetric):
            raise NotImplementedError(f"unsupported qscheme {qscheme}")
        self.qscheme = qscheme
        self.reduce_range = reduce_range
        self.has_customized_qrange = quant_min is not None and quant_max is not None
        if self.has_customized_qrange:
            lo, hi = qrange(dtype)
            if not lo <= quant_min <= 0 <= quant_max <= hi or quant_min >= quant_max:
                raise ValueError(f"quant_min {quant_min} and quant_max {quant_max} must bracket "
                                 f"0 within the range [{lo}, {hi}] of {dtype}")
            self.quant_min, self.quant_max = quant_min, quant_max
        else:
            lo, hi = qrange(dtype)
            if reduce_range and dtype is not _dtype.qint32:
                lo, hi = lo // 2, hi // 2
            self.quant_min, self.quant_max = lo, hi
        self.register_buffer("eps", _make(np.array([eps], dtype=np.float32), CPU))

    def _calculate_qparams(self, min_val: np.ndarray, max_val: np.ndarray):
        min_val, max_val = np.asarray(min_val, np.float32), np.asarray(max_val, np.float32)
        if min_val.size == 0 or (min_val.ndim == 0 and np.isinf(min_val) and np.isinf(max_val)):
            warnings.warn("must run observer before calling calculate_qparams; returning "
                          "scale 1 and zero point 0")
            return _tensor([1.0], np.float32), _tensor([0], np.int64)
        qmin, qmax = self.quant_min, self.quant_max
        min_neg = np.minimum(min_val, np.float32(0))
        max_pos = np.maximum(max_val, np.float32(0))
        eps = self.eps._data
        if self.qscheme in (per_tensor_symmetric, per_channel_symmetric):
            max_pos = np.maximum(-min_neg, max_pos)
            scale = np.maximum(max_pos / np.float32((qmax - qmin) / 2), eps[0])
            zp = 0
            if self.dtype is _dtype.quint8:
                zp = (qmin + qmax) // 2 if self.has_customized_qrange else 128
            zero_point = np.full(scale.shape, zp, dtype=np.int64)
        else:
            scale = np.maximum((max_pos - min_neg) / np.float32(qmax - qmin), eps[0])
            zero_point = qmin - np.rint(min_neg / scale).astype(np.int64)
            zero_point = np.clip(zero_point, qmin, qmax)
        return (_tensor(np.atleast_1d(scale), np.float32),
                _tensor(np.atleast_1d(zero_point), np.int64))

    def extra_repr(self) -> str:
        def shown(value: Tensor):
            return float(value._data) if value.ndim == 0 else value
        return f"min_val={shown(self.min_val)}, max_val={shown(self.max_val)}"


def _tensor(values, np_dtype) -> Tensor:
    return _make(np.array(values, dtype=np_dtype), CPU)


class MinMaxObserver(UniformQuantizationObserverBase):
    """Parameters from the smallest and largest values seen so far."""

    def __init__(self, dtype=_dtype.quint8, qscheme=per_tensor_affine, reduce_range: bool = False,
                 quant_min: int | None = None, quant_max: int | None = None,
                 factory_kwargs=None, eps: float = _EPS, is_dynamic: bool = False,
                 **kwargs: Any) -> None:
        if qscheme in (per_channel_affine, per_channel_symmetric) and (
                type(self) in (MinMaxObserver, MovingAverageMinMaxObserver)):
            raise NotImplementedError("MinMaxObserver observes whole tensors; use "
                                      "PerChannelMinMaxObserver for per-channel schemes")
        if qscheme is per_tensor_symmetric and reduce_range and dtype is _dtype.quint8:
            raise NotImplementedError("Cannot reduce range for symmetric quantization for "
                                      "quint8")
        super().__init__(dtype, qscheme, reduce_range, quant_min, quant_max, factory_kwargs,
                         eps, is_dynamic)
        self.register_buffer("min_val", _tensor(np.inf, np.float32))
        self.register_buffer("max_val", _tensor(-np.inf, np.float32))

    def _update(self, low: np.ndarray, high: np.ndarray) -> None:
        self.min_val = _tensor(np.minimum(low, self.min_val._data), np.float32)
        self.max_val = _tensor(np.maximum(high, self.max_val._data), np.float32)

    def forward(self, x_orig: Tensor) -> Tensor:
        x = _array(x_orig.detach())
        if x.size:
            self._update(x.min(), x.max())
        return x_orig

    def calculate_qparams(self) -> tuple[Tensor, Tensor]:
        return self._calculate_qparams(self.min_val._data, self.max_val._data)

    def reset_min_max_vals(self) -> None:
        self.min_val = _tensor(np.inf, np.float32)
        self.max_val = _tensor(-np.inf, np.float32)



class MovingAverageMinMaxObserver(MinMaxObserver):
    """Range as an exponential moving average of each batch's min and max (the first batch
    sets it)."""

    def __init__(self, averaging_constant: float = 0.01, dtype=_dtype.quint8,
                 qscheme=per_tensor_affine, reduce_range: bool = False,
                 quant_min: int | None = None, quant_max: int | None = None,
                 eps: float = _EPS, is_dynamic: bool = False, **kwargs: Any) -> None:
        super().__init__(dtype=dtype, qscheme=qscheme, reduce_range=reduce_range,
                         quant_min=quant_min, quant_max=quant_max, eps=eps,
                         is_dynamic=is_dynamic, **kwargs)
        self.averaging_constant = averaging_constant

    def _update(self, low: np.ndarray, high: np.ndarray) -> None:
        old_low, old_high = self.min_val._data, self.max_val._data
        if np.isinf(old_low) and np.isinf(old_high):
            super()._update(low, high)
            return
        c = np.float32(self.averaging_constant)
        self.min_val = _tensor(old_low + c * (np.float32(low) - old_low), np.float32)
        self.max_val = _tensor(old_high + c * (np.float32(high) - old_high), np.float32)


class PerChannelMinMaxObserver(UniformQuantizationObserverBase):
    """Parameters per slice along ``ch_axis`` (a weight's output channels by default)."""

    def __init__(self, ch_axis: int = 0, dtype=_dtype.quint8, qscheme=per_channel_affine,
                 reduce_range: bool = False, quant_min: int | None = None,
                 quant_max: int | None = None, factory_kwargs=None, eps: float = _EPS,
                 is_dynamic: bool = False) -> None:
        if qscheme not in (per_channel_affine, per_channel_symmetric):
            raise NotImplementedError(f"{type(self).__name__} needs a per-channel qscheme, got "
                                      f"{qscheme}")
        super().__init__(dtype, qscheme, reduce_range, quant_min, quant_max, factory_kwargs,
                         eps, is_dynamic)
        self.ch_axis = ch_axis
        self.register_buffer("min_val", _tensor([], np.float32))
        self.register_buffer("max_val", _tensor([], np.float32))

    def _per_channel_range(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rows = np.moveaxis(x, self.ch_axis, 0).reshape(x.shape[self.ch_axis], -1)
        return rows.min(axis=1), rows.max(axis=1)

    def _update(self, low: np.ndarray, high: np.ndarray) -> None:
        if self.min_val._data.size:
            low, high = np.minimum(low, self.min_val._data), np.maximum(high, self.max_val._data)
        self.min_val, self.max_val = _tensor(low, np.float32), _tensor(high, np.float32)

    def forward(self, x_orig: Tensor) -> Tensor:
        x = _array(x_orig.detach())
        if x.size:
            self._update(*self._per_channel_range(x))
        return x_orig

    def calculate_qparams(self) -> tuple[Tensor, Tensor]:
        return self._calculate_qparams(self.min_val._data, self.max_val._data)



class MovingAveragePerChannelMinMaxObserver(PerChannelMinMaxObserver):
    """Per-channel range as an exponential moving average over batches."""

    def __init__(self, averaging_constant: float = 0.01, ch_axis: int = 0,
                 dtype=_dtype.quint8, qscheme=per_channel_affine, reduce_range: bool = False,
                 quant_min: int | None = None, quant_max: int | None = None,
                 eps: float = _EPS, is_dynamic: bool = False, **kwargs: Any) -> None:
        super().__init__(ch_axis=ch_axis, dtype=dtype, qscheme=qscheme,
                         reduce_range=reduce_range, quant_min=quant_min, quant_max=quant_max,
                         eps=eps, is_dynamic=is_dynamic)
        self.averaging_constant = averaging_constant

    def _update(self, low: np.ndarray, high: np.ndarray) -> None:
        if not self.min_val._data.size:
            super()._update(low, high)
            return
        c = np.float32(self.averaging_constant)
        old_low, old_high = self.min_val._data, self.max_val._data
        self.min_val = _tensor(old_low + c * (low - old_low), np.float32)
        self.max_val = _tensor(old_high + c * (high - old_high), np.float32)


class HistogramObserver(UniformQuantizationObserverBase):
    """Keeps a histogram of everything seen and picks the [min, max] that minimises the L2
    error of quantizing it, clipping outliers (PyTorch's search, on the same 2048 bins)."""

    def __init__(self, bins: int = 2048, dtype=_dtype.quint8, qscheme=per_tensor_affine,
                 reduce_range: bool = False, quant_min: int | None = None,
                 quant_max: int | None = None, factory_kwargs=None, eps: float = _EPS,
                 is_dynamic: bool = False, **kwargs: Any) -> None:
        if qscheme not in (per_tensor_affine, per_tensor_symmetric):
            raise NotImplementedError("HistogramObserver supports per_tensor_affine and "
                                      f"per_tensor_symmetric only, got {qscheme}")
        if is_dynamic:
            raise NotImplementedError("HistogramObserver doesn't support dynamic quantization")
        super().__init__(dtype, qscheme, reduce_range, quant_min, quant_max, factory_kwargs,
                         eps, is_dynamic)
        self.bins = bins
        self.register_buffer("histogram", _tensor(np.zeros(bins), np.float32))
        self.register_buffer("min_val", _tensor(np.inf, np.float32))
        self.register_buffer("max_val", _tensor(-np.inf, np.float32))
        self.dst_nbins = 2 ** (8 * dtype.itemsize)
        self.upsample_rate = 16

    def _histc(self, x: np.ndarray, low, high) -> np.ndarray:
        counts, _ = np.histogram(x, self.bins, range=(float(low), float(high)))
        return counts.astype(np.float32)

    def forward(self, x_orig: Tensor) -> Tensor:
        x = _array(x_orig.detach()).reshape(-1)
        x = x[np.isfinite(x)] if not np.isfinite(x).all() else x
        if not x.size:
            return x_orig
        low, high = x.min(), x.max()
        old_low, old_high = self.min_val._data, self.max_val._data
        if np.isinf(old_low) or np.isinf(old_high):
            self.histogram = _tensor(self._histc(x, low, high), np.float32)
            self.min_val, self.max_val = _tensor(low, np.float32), _tensor(high, np.float32)
            return x_orig
        new_low, new_high = np.minimum(old_low, low), np.maximum(old_high, high)
        update = self._histc(x, new_low, new_high)
        if new_low == old_low and new_high == old_high:
            combined = self.histogram._data + update
        else:
            combined = update + self._rebin(self.histogram._data, old_low, old_high, new_low,
                                            new_high)
        self.histogram = _tensor(combined, np.float32)
        self.min_val, self.max_val = _tensor(new_low, np.float32), _tensor(new_high, np.float32)
        return x_orig

    def _rebin(self, histogram, old_low, old_high, new_low, new_high) -> np.ndarray:
        """The old histogram spread over the new (wider) range: each old bin is split into
        ``upsample_rate`` pieces that land in the new bin holding their midpoints."""
        if old_low == old_high:
            return self._histc(np.array([old_low]), new_low, new_high) * histogram.sum()
        fine = self.bins * self.upsample_rate
        pieces = np.repeat(histogram, self.upsample_rate) / np.float32(self.upsample_rate)
        width = (old_high - old_low) / np.float32(fine)
        mids = np.linspace(old_low, old_high, fine + 1, dtype=np.float32)[:-1] + \
            np.float32(0.5) * width
        edges = np.linspace(new_low, new_high, self.bins + 1, dtype=np.float32)
        target = np.clip(np.searchsorted(edges, mids, side="right") - 1, 0, self.bins - 1)
        return np.bincount(target, weights=pieces, minlength=self.bins).astype(np.float32)

    def _quantization_error(self, start_bin: int, end_bin: int) -> float:
        """L2 error of quantizing the histogram with the range [start_bin, end_bin]."""
        bin_width = (float(self.max_val._data) - float(self.min_val._data)) / self.bins
        dst_width = bin_width * (end_bin - start_bin + 1) / self.dst_nbins
        if dst_width == 0.0:
            return 0.0
        f32 = np.float32
        begin = (np.arange(self.bins) - start_bin).astype(f32) * f32(bin_width)
        end = begin + f32(bin_width)
        dst_begin = np.clip(np.floor(begin / f32(dst_width)), 0, self.dst_nbins - 1)
        dst_end = np.clip(np.floor(end / f32(dst_width)), 0, self.dst_nbins - 1)
        density = self.histogram._data / f32(bin_width)
        half = f32(dst_width / 2)

        def norm(delta_begin, delta_end):
            return density * ((delta_end ** 3 - delta_begin ** 3) / f32(3))
        total = norm(begin - (dst_begin + f32(0.5)) * f32(dst_width), half)
        total = total + (dst_end - dst_begin - 1) * norm(-half, half)
        total = total + norm(-half, end - (dst_end * f32(dst_width) + half))
        return float(total.astype(f32).sum(dtype=f32))

    def _non_linear_param_search(self) -> tuple[np.ndarray, np.ndarray]:
        """Shrink [min, max] from whichever side holds less mass, 1e-5 of it at a time, while
        the quantization error keeps falling."""
        cumulative = np.cumsum(self.histogram._data, dtype=np.float32)
        total = float(cumulative[-1])
        alpha, beta, start_bin, end_bin = 0.0, 1.0, 0, self.bins - 1
        norm_min = float("inf")
        while alpha < beta:
            next_alpha, next_beta = alpha + 1e-5, beta - 1e-5
            left = np.searchsorted(cumulative, next_alpha * total, side="left")
            left = min(max(int(left), start_bin), end_bin)
            right = np.searchsorted(cumulative, next_beta * total, side="right") - 1
            right = max(min(int(right), end_bin), start_bin)
            next_start, next_end = start_bin, end_bin
            if left - start_bin > end_bin - right:
                next_start, alpha = left, next_alpha
            else:
                next_end, beta = right, next_beta
            if next_start == start_bin and next_end == end_bin:
                continue
            norm = self._quantization_error(next_start, next_end)
            if norm > norm_min:
                break
            norm_min, start_bin, end_bin = norm, next_start, next_end
        low = self.min_val._data
        bin_width = (self.max_val._data - low) / np.float32(self.bins)
        return low + bin_width * np.float32(start_bin), low + bin_width * np.float32(end_bin + 1)

    def calculate_qparams(self) -> tuple[Tensor, Tensor]:
        if np.isinf(self.min_val._data) and np.isinf(self.max_val._data):
            return self._calculate_qparams(np.float32(np.inf), np.float32(-np.inf))
        return self._calculate_qparams(*self._non_linear_param_search())


class PlaceholderObserver(ObserverBase):
    """Records nothing: carries the dtype (and range) for layers that quantize at run time."""

    def __init__(self, dtype=_dtype.float32, custom_op_name: str = "", compute_dtype=None,
                 quant_min: int | None = None, quant_max: int | None = None, qscheme=None,
                 eps: float | None = None, is_dynamic: bool = False) -> None:
        super().__init__(dtype, is_dynamic)
        self.quant_min, self.quant_max = quant_min, quant_max
        self.qscheme = per_tensor_affine if qscheme is None else qscheme
        self.eps = eps
        self.custom_op = custom_op_name

    def forward(self, x: Tensor) -> Tensor:
        return x

    def calculate_qparams(self) -> tuple[Tensor, Tensor]:
        raise Exception("calculate_qparams should not be called for PlaceholderObserver")


default_observer = MinMaxObserver.with_args(quant_min=0, quant_max=127)
default_weight_observer = MinMaxObserver.with_args(dtype=_dtype.qint8,
                                                   qscheme=per_tensor_symmetric)
default_per_channel_weight_observer = PerChannelMinMaxObserver.with_args(
    dtype=_dtype.qint8, qscheme=per_channel_symmetric)
default_dynamic_quant_observer = PlaceholderObserver.with_args(
    dtype=_dtype.quint8, quant_min=0, quant_max=255, is_dynamic=True)
default_placeholder_observer = PlaceholderObserver
default_histogram_observer = HistogramObserver.with_args(quant_min=0, quant_max=127)
weight_observer_range_neg_127_to_127 = MinMaxObserver.with_args(
    dtype=_dtype.qint8, qscheme=per_tensor_symmetric, quant_min=-127, quant_max=127,
    eps=2 ** -12)
per_channel_weight_observer_range_neg_127_to_127 = PerChannelMinMaxObserver.with_args(
    dtype=_dtype.qint8, qscheme=per_channel_symmetric, quant_min=-127, quant_max=127,
    eps=2 ** -12)
