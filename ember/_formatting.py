"""Tensor ``repr`` in PyTorch's layout: ``tensor([[1., 2.]], requires_grad=True)``."""
from __future__ import annotations

import builtins
import math

import numpy as np

from . import _dtype

_options = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None) -> None:
    """As ``torch.set_printoptions``."""
    if profile == "default":
        _options.update(precision=4, threshold=1000, edgeitems=3, linewidth=80)
    elif profile == "short":
        _options.update(precision=2, threshold=1000, edgeitems=2, linewidth=80)
    elif profile == "full":
        _options.update(precision=4, threshold=np.inf, edgeitems=3, linewidth=80)
    for key, value in (("precision", precision), ("threshold", threshold),
                       ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            _options[key] = value
    _options["sci_mode"] = sci_mode


class _Formatter:
    """PyTorch's element formatter: fixed, integral ('1.') or scientific notation, chosen from
    the non-zero finite values, and one width for every element."""

    def __init__(self, values: np.ndarray, floating: bool):
        self.floating = floating
        self.int_mode, self.sci_mode, self.max_width = True, False, 1
        flat = values.reshape(-1)
        precision = _options["precision"]
        if not floating:
            self.max_width = builtins.max([1] + [len(str(v)) for v in flat.tolist()])
            return
        flat = flat.astype(np.float64)
        finite = flat[np.isfinite(flat) & (flat != 0)]
        if finite.size:
            magnitude = np.abs(finite)
            low, high = magnitude.min(), magnitude.max()
            self.int_mode = bool(np.all(finite == np.ceil(finite)))
            if self.int_mode:
                self.sci_mode = high / low > 1000.0 or high > 1.0e8
                texts = ([f"{v:.{precision}e}" for v in finite.tolist()] if self.sci_mode else
                         [f"{v:.0f}." for v in finite.tolist()])
            else:
                self.sci_mode = high / low > 1000.0 or high > 1.0e8 or low < 1.0e-4
                spec = "e" if self.sci_mode else "f"
                texts = [f"{v:.{precision}{spec}}" for v in finite.tolist()]
            self.max_width = builtins.max(len(t) for t in texts)
        if _options["sci_mode"] is not None:
            self.sci_mode = _options["sci_mode"]

    def width(self) -> int:
        return self.max_width

    def format(self, value) -> str:
        precision = _options["precision"]
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:.{precision}e}"
        elif self.int_mode:
            text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            text = f"{value:.{precision}f}"
        return text.rjust(self.max_width)


def _summarized(values: np.ndarray) -> np.ndarray:
    """The edge items of every dimension (what the formatter measures when summarising)."""
    e = _options["edgeitems"]
    for axis in range(values.ndim):
        if values.shape[axis] > 2 * e:
            head = np.take(values, range(e), axis=axis)
            tail = np.take(values, range(values.shape[axis] - e, values.shape[axis]), axis=axis)
            values = np.concatenate([head, tail], axis=axis)
    return values


def _element_text(value, formatters) -> str:
    if len(formatters) == 1:
        return formatters[0].format(value)
    real_text = formatters[0].format(value.real)
    imag_text = (formatters[1].format(value.imag) + "j").lstrip()
    return real_text + (imag_text if imag_text[0] in "+-" else "+" + imag_text)


def _vector_text(values: np.ndarray, indent: int, summarize: bool, formatters) -> str:
    element_length = formatters[0].width() + 2
    if len(formatters) == 2:
        element_length += formatters[1].width() + 1
    per_line = builtins.max(1, (_options["linewidth"] - indent) // element_length)
    e = _options["edgeitems"]
    items = values.tolist()
    if summarize and len(items) > 2 * e:
        data = ([_element_text(v, formatters) for v in items[:e]] + [" ..."] +
                [_element_text(v, formatters) for v in items[-e:]])
    else:
        data = [_element_text(v, formatters) for v in items]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_text(values: np.ndarray, indent: int, summarize: bool, formatters) -> str:
    if values.ndim == 0:
        return _element_text(values.item(), formatters)
    if values.ndim == 1:
        return _vector_text(values, indent, summarize, formatters)
    e = _options["edgeitems"]
    n = values.shape[0]
    rows = range(n)
    if summarize and n > 2 * e:
        rows = list(range(e)) + [None] + list(range(n - e, n))
    parts = ["..." if i is None else _nested_text(values[i], indent + 1, summarize, formatters)
             for i in rows]
    return "[" + ("," + "\n" * (values.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def _array_text(arr: np.ndarray, dt: _dtype.dtype, indent: int) -> str:
    summarize = arr.size > _options["threshold"]
    measured = _summarized(arr) if summarize else arr
    if dt.is_complex:
        formatters = (_Formatter(measured.real, True), _Formatter(measured.imag, True))
    else:
        if dt.is_floating_point and arr.dtype != np.float64 and arr.dtype != np.float32:
            arr, measured = arr.astype(np.float64), measured.astype(np.float64)
        formatters = (_Formatter(measured, dt.is_floating_point),)
    return _nested_text(arr, indent, summarize, formatters)


def format_tensor(t) -> str:
    arr = t._host()
    dt = t.dtype
    prefix = "tensor("
    suffixes = []
    if arr.size == 0 and arr.ndim == 1:
        body = "[]"
    elif arr.size == 0:
        body = "[]"
        suffixes.append(f"size={tuple(arr.shape)}")
    else:
        body = _array_text(arr, dt, len(prefix))
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    default_float = _dtype.get_default_dtype()
    default_complex = _dtype.complex128 if default_float is _dtype.float64 else _dtype.complex64
    default_shown = (default_float, default_complex, _dtype.int64, _dtype.bool_)
    if dt not in default_shown or (arr.size == 0 and dt is not default_float):
        suffixes.append(f"dtype={dt}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return prefix + body + "".join(", " + s for s in suffixes) + ")"
