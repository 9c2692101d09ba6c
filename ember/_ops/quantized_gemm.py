"""The integer kernels of quantized layers: exact int8 GEMMs through float32 BLAS, and the
requantization of their sums, reproducing PyTorch's x86 (fbgemm) arithmetic."""
from __future__ import annotations

import numpy as np

from .. import _dtype
from .._device import CPU
from .._tensor import Tensor, _make
from . import _registry
from .quantize import _QTensor, _rounded, _wrap, choose_qparams

__all__ = ["PackedWeight", "linear_dynamic", "linear", "conv2d", "requantize"]


class PackedWeight:
    """A quantized weight prepared once for the integer GEMM: its integers minus their zero
    points as float32 (``matrix``, and ``matrix_t`` as a (in, out) matrix for linear layers),
    and one float32 scale per output channel."""

    __slots__ = ("qweight", "matrix", "matrix_t", "scales", "max_abs")

    def __init__(self, qweight: _QTensor):
        if not qweight.is_quantized or qweight.dtype is not _dtype.qint8:
            raise RuntimeError(f"quantized layers expect a qint8 weight, got {qweight.dtype}")
        out_channels = qweight.shape[0]
        if qweight._scales is None:
            centered = qweight._ints.astype(np.float32) - np.float32(qweight._zero_point)
            scales = np.full(out_channels, qweight._scale, dtype=np.float32)
        else:
            if qweight._axis != 0:
                raise RuntimeError("quantized layers expect per-channel weights quantized along "
                                   f"axis 0, got axis {qweight._axis}")
            zero_points = qweight._zero_points.reshape((-1,) + (1,) * (qweight.ndim - 1))
            centered = (qweight._ints - zero_points).astype(np.float32)
            scales = qweight._scales.astype(np.float32)
        self.qweight = qweight
        self.matrix = centered
        self.matrix_t = np.ascontiguousarray(centered.reshape(out_channels, -1).T)
        self.scales = scales
        self.max_abs = int(np.abs(centered).max()) if centered.size else 0


_EXACT_F32 = 2 ** 24  # float32 holds every integer below this exactly


def _quantize_input(x: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """An input's quint8 integers minus the zero point, as float32."""
    centered = _rounded(x, scale, zero_point, _dtype.quint8)
    centered -= np.float32(zero_point)
    return centered


def _linear_acc(centered: np.ndarray, packed: PackedWeight) -> np.ndarray:
    """Exact integer sums ``centered @ weight.T`` through float32 BLAS.

    Each GEMM covers as many input features as keep every partial sum below 2**24, where
    float32 is exact; longer rows are split and the partial sums added in float64. NumPy's own
    integer matmul does not use BLAS and is far slower.
    """
    k = centered.shape[-1]
    if k != packed.matrix_t.shape[0]:
        raise RuntimeError(f"quantized linear: input has {k} features, the weight expects "
                           f"{packed.matrix_t.shape[0]} (input shape {tuple(centered.shape)})")
    bound = max(int(np.abs(centered).max(initial=0)), 1) * max(packed.max_abs, 1)
    chunk = (_EXACT_F32 - 1) // bound
    if chunk >= k:
        return np.matmul(centered, packed.matrix_t)
    acc = np.matmul(centered[..., :chunk], packed.matrix_t[:chunk]).astype(np.float64)
    for start in range(chunk, k, chunk):
        acc += np.matmul(centered[..., start:start + chunk], packed.matrix_t[start:start + chunk])
    return acc


def linear_dynamic(input: Tensor, packed: PackedWeight, bias: Tensor | None,
                   reduce_range: bool = True) -> Tensor:
    """Dynamic int8 linear: quantize ``input`` to quint8 with parameters chosen from its own
    range, multiply exactly in integers, and scale the sums back to float32 (then add bias)."""
    x = input._data
    if x.dtype != np.float32:
        raise RuntimeError(f"dynamic quantized linear expects float32 input, got {input.dtype}")
    low, high = (x.min(), x.max()) if x.size else (0.0, 0.0)
    scale, zero_point = choose_qparams(low, high, 0, 255, reduce_range)
    acc = _linear_acc(_quantize_input(x, scale, zero_point), packed)
    acc = acc.astype(np.float32).astype(np.float64)  # fbgemm's sums reach float32 first
    # fbgemm scales and adds the bias in one fused multiply-add; float64 rounds the same way.
    acc *= (np.float32(scale) * packed.scales).astype(np.float64)
    if bias is not None:
        acc += bias._data
    return _make(acc.astype(np.float32), input._device)


def requantize(acc: np.ndarray, input_scale: float, weight_scales: np.ndarray,
               bias: Tensor | None, scale: float, zero_point: int, relu: bool) -> np.ndarray:
    """Integer sums to quint8 output integers as fbgemm does it: bias divided into sum units,
    one float32 multiplier per channel, round half to even, add the zero point, clamp (at the
    zero point when a ReLU is fused)."""
    act_times_w = np.float32(input_scale) * weight_scales
    raw = acc.astype(np.float32)
    if bias is not None:
        raw += bias._data.astype(np.float32).reshape(weight_scales.shape) / act_times_w
    raw *= act_times_w / np.float32(scale)
    np.rint(raw, out=raw)
    raw += np.float32(zero_point)
    np.clip(raw, zero_point if relu else 0, 255, out=raw)
    return raw.astype(np.uint8)


def _check_quint8(op: str, input: Tensor) -> None:
    if not input.is_quantized or input.dtype is not _dtype.quint8 or input._scales is not None:
        raise RuntimeError(f"{op}: expected a per-tensor quint8 quantized input, got "
                           f"{input.dtype}")


def linear(input: _QTensor, packed: PackedWeight, bias: Tensor | None, scale: float,
           zero_point: int, relu: bool = False) -> _QTensor:
    """Static int8 linear: quint8 input and output with fixed output parameters."""
    _check_quint8("quantized linear", input)
    centered = input._ints.astype(np.float32) - np.float32(input._zero_point)
    acc = _linear_acc(centered, packed)
    out = requantize(acc, input._scale, packed.scales, bias, scale, zero_point, relu)
    return _wrap(out, _dtype.quint8, float(scale), int(zero_point))


def conv2d(input: _QTensor, packed: PackedWeight, bias: Tensor | None, stride, padding,
           dilation, groups: int, scale: float, zero_point: int, relu: bool = False) -> _QTensor:
    """Static int8 2-d convolution: Ember's float conv2d over zero-point-centered integers,
    in a float type wide enough to sum them exactly, then fbgemm's requantization."""
    float_conv2d = _registry.FUNCTIONS["conv2d"]
    _check_quint8("quantized conv2d", input)
    centered = input._ints.astype(np.float32) - np.float32(input._zero_point)
    bound = max(int(np.abs(centered).max(initial=0)), 1) * max(packed.max_abs, 1)
    # float32 sums are exact below 2**24; beyond, convolve in float64 (exact below 2**53)
    ftype = np.float32 if packed.matrix[0].size * bound < _EXACT_F32 else np.float64
    centered = centered.astype(ftype, copy=False)
    weight = _make(packed.matrix.astype(ftype), CPU)
    acc = float_conv2d(_make(centered, CPU), weight, None, stride, padding, dilation, groups)
    shape = (-1, 1, 1)
    out = requantize(acc._data, input._scale, packed.scales.reshape(shape), bias, scale,
                     zero_point, relu)
    return _wrap(out, _dtype.quint8, float(scale), int(zero_point))
