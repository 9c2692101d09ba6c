"""Tensor ``repr`` in PyTorch's layout: ``tensor([[1., 2.]], requires_grad=True)``."""
from __future__ import annotations

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


def _float_formatter(values: np.ndarray):
    finite = values[np.isfinite(values)]
    precision = _options["precision"]
    if finite.size == 0:
        return lambda v: _special(v) or f"{v:.{precision}f}"
    abs_vals = np.abs(finite.astype(np.float64))
    nonzero = abs_vals[abs_vals != 0]
    integral = bool(np.all(finite == np.round(finite)))
    sci = _options["sci_mode"]
    if sci is None:
        if integral:
            sci = nonzero.size > 0 and nonzero.max() >= 1e8
        else:
            sci = nonzero.size > 0 and (nonzero.max() / nonzero.min() > 1000.0 or
                                        nonzero.max() > 1e8 or nonzero.min() < 1e-4)
    if sci:
        fmt = lambda v: _special(v) or f"{v:.{precision}e}"  # noqa: E731
    elif integral:
        fmt = lambda v: _special(v) or f"{v:.0f}."  # noqa: E731
    else:
        fmt = lambda v: _special(v) or f"{v:.{precision}f}"  # noqa: E731
    width = max(len(fmt(v)) for v in _sample(values))
    return lambda v: fmt(v).rjust(width)


def _special(v) -> str | None:
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return None


def _sample(values: np.ndarray) -> np.ndarray:
    flat = values.reshape(-1)
    if flat.size > 2000:
        flat = np.concatenate([flat[:1000], flat[-1000:]])
    return flat


def _array_text(arr: np.ndarray, dt: _dtype.dtype, indent: int) -> str:
    summarize = arr.size > _options["threshold"]
    if dt.is_bool:
        formatter = {"bool": lambda v: "True" if v else "False"}
    elif dt.is_floating_point:
        values = arr.astype(np.float64)
        f = _float_formatter(_summary_values(values) if summarize else values)
        formatter = {"float_kind": f}
        arr = values
    elif dt.is_complex:
        precision = _options["precision"]
        formatter = {"complex_kind": lambda v: f"{v.real:.{precision}f}{v.imag:+.{precision}f}j"}
    else:
        width = max(len(str(v)) for v in _sample(arr)) if arr.size else 1
        formatter = {"int": lambda v: str(v).rjust(width)}
    text = np.array2string(arr, separator=", ", formatter=formatter,
                           threshold=_options["threshold"] if summarize else arr.size + 1,
                           edgeitems=_options["edgeitems"], max_line_width=_options["linewidth"],
                           prefix=" " * indent)
    return text


def _summary_values(values: np.ndarray) -> np.ndarray:
    e = _options["edgeitems"]
    if values.ndim == 0:
        return values
    parts = [values[:e], values[-e:]] if values.shape[0] > 2 * e else [values]
    return np.concatenate([p.reshape(-1) for p in parts])


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
    default_shown = (_dtype.get_default_dtype(), _dtype.int64, _dtype.bool_)
    if dt not in default_shown or (arr.size == 0 and dt is not _dtype.get_default_dtype()):
        suffixes.append(f"dtype={dt}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return prefix + body + "".join(", " + s for s in suffixes) + ")"
