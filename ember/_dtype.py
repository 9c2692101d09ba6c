"""Ember's dtypes, their NumPy mapping and PyTorch's type-promotion rules."""
from __future__ import annotations

import numpy as np

try:  # bfloat16 is optional: NumPy has no native bfloat16.
    import ml_dtypes as _ml_dtypes
except ImportError:  # pragma: no cover - depends on the environment
    _ml_dtypes = None

# Promotion categories, lowest to highest.
_BOOL, _INT, _FLOAT, _COMPLEX = 0, 1, 2, 3


class dtype:
    """A tensor element type (``ember.float32`` ...), mirroring ``torch.dtype``."""

    __slots__ = ("name", "np", "itemsize", "is_floating_point", "is_complex", "is_signed",
                 "_category")

    def __init__(self, name: str, np_dtype, category: int):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.itemsize = self.np.itemsize
        self._category = category
        self.is_floating_point = category == _FLOAT
        self.is_complex = category == _COMPLEX
        self.is_signed = name not in ("uint8", "bool", "quint8")

    def __repr__(self) -> str:
        return "ember." + self.name

    def __reduce__(self):
        return (_dtype_by_name, (self.name,))

    def to_real(self) -> "dtype":
        return {"complex64": float32, "complex128": float64}.get(self.name, self)

    def to_complex(self) -> "dtype":
        return {"float64": complex128}.get(self.name, complex64)

    @property
    def is_bool(self) -> bool:
        return self._category == _BOOL


bool_ = dtype("bool", np.bool_, _BOOL)
uint8 = dtype("uint8", np.uint8, _INT)
int8 = dtype("int8", np.int8, _INT)
int16 = dtype("int16", np.int16, _INT)
int32 = dtype("int32", np.int32, _INT)
int64 = dtype("int64", np.int64, _INT)
float16 = dtype("float16", np.float16, _FLOAT)
float32 = dtype("float32", np.float32, _FLOAT)
float64 = dtype("float64", np.float64, _FLOAT)
complex64 = dtype("complex64", np.complex64, _COMPLEX)
complex128 = dtype("complex128", np.complex128, _COMPLEX)
bfloat16 = dtype("bfloat16", _ml_dtypes.bfloat16, _FLOAT) if _ml_dtypes is not None else None

ALL_DTYPES = [d for d in (bool_, uint8, int8, int16, int32, int64, float16, bfloat16, float32,
                          float64, complex64, complex128) if d is not None]
_BY_NAME = {d.name: d for d in ALL_DTYPES}
_BY_NAME.update({"float": float32, "double": float64, "half": float16, "long": int64,
                 "int": int32, "short": int16, "cfloat": complex64, "cdouble": complex128})
# PyTorch's aliases, exported as ember.float, ember.long, ...
ALIASES = {"float": float32, "double": float64, "half": float16, "long": int64, "int": int32,
           "short": int16, "cfloat": complex64, "cdouble": complex128, "bool": bool_}

_FROM_NP = {d.np: d for d in ALL_DTYPES}

# Quantized dtypes name their storage type's NumPy dtype but stay out of _FROM_NP and
# ALL_DTYPES: only quantized tensors (ember/_ops/quantize.py) report them.
qint8 = dtype("qint8", np.int8, _INT)
quint8 = dtype("quint8", np.uint8, _INT)
qint32 = dtype("qint32", np.int32, _INT)
QUANTIZED_DTYPES = (qint8, quint8, qint32)
_BY_NAME.update({d.name: d for d in QUANTIZED_DTYPES})


def unquantized(dt: dtype) -> dtype:
    """``dt``, refused when quantized: a plain op cannot make a quantized tensor (it would be
    the bare integers). PyTorch fails here with an internal error or a missing kernel."""
    if dt in QUANTIZED_DTYPES:
        raise RuntimeError(f"a tensor of quantized dtype ember.{dt.name} can only be made by "
                           "ember.quantize_per_tensor or ember.quantize_per_channel")
    return dt


def _dtype_by_name(name: str) -> dtype:
    return _BY_NAME[name]


def from_numpy_dtype(np_dtype) -> dtype:
    """The Ember dtype for a NumPy dtype; TypeError for ones PyTorch has no tensor type for."""
    try:
        return _FROM_NP[np_dtype]
    except KeyError:
        pass
    np_dtype = np.dtype(np_dtype)
    if np_dtype in _FROM_NP:
        return _FROM_NP[np_dtype]
    raise TypeError(f"can't convert np.ndarray of type numpy.{np_dtype}. The only supported types "
                    "are: float64, float32, float16, complex64, complex128, int64, int32, int16, "
                    "int8, uint8, and bool.")


def to_dtype(obj) -> dtype:
    """Accepts an ember dtype, a NumPy dtype/type, a Python type, or a name."""
    if isinstance(obj, dtype):
        return obj
    if obj is float:
        return get_default_dtype()
    if obj is int:
        return int64
    if obj is bool:
        return bool_
    if obj is complex:
        return complex64 if _default_dtype is float32 else complex128
    if isinstance(obj, str):
        name = obj.replace("torch.", "").replace("ember.", "")
        if name in _BY_NAME:
            return _BY_NAME[name]
    return from_numpy_dtype(obj)


_default_dtype = float32


def get_default_dtype() -> dtype:
    """The dtype of floating tensors made from Python floats (float32 unless changed)."""
    return _default_dtype


def set_default_dtype(d) -> None:
    """Set the default floating dtype; PyTorch allows only floating types, and so do we."""
    global _default_dtype
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default_dtype = d


def promote_types(a: dtype, b: dtype) -> dtype:
    """PyTorch's promotion of two tensor dtypes (``torch.promote_types``)."""
    if a is b:
        return a
    ca, cb = a._category, b._category
    if ca != cb:
        hi, lo = (a, b) if ca > cb else (b, a)
        if hi._category == _COMPLEX and lo._category == _FLOAT and lo is float64:
            return complex128
        return hi
    if ca == _FLOAT:
        if a is bfloat16 or b is bfloat16:
            other = b if a is bfloat16 else a
            return float32 if other is float16 else other
        return a if a.itemsize >= b.itemsize else b
    if ca == _COMPLEX:
        return a if a.itemsize >= b.itemsize else b
    return _FROM_NP[np.promote_types(a.np, b.np)]


def scalar_dtype(value) -> dtype:
    """The dtype PyTorch gives a Python scalar standing alone (``tensor(3.0)`` -> default)."""
    if isinstance(value, bool):
        return bool_
    if isinstance(value, int):
        return int64
    if isinstance(value, float):
        return _default_dtype
    if isinstance(value, complex):
        return complex128 if _default_dtype is float64 else complex64
    if isinstance(value, np.generic):
        return from_numpy_dtype(value.dtype)
    raise TypeError(f"expected a number, got {type(value).__name__}")


def scalar_category(value) -> int:
    if isinstance(value, bool):
        return _BOOL
    if isinstance(value, int):
        return _INT
    if isinstance(value, float):
        return _FLOAT
    if isinstance(value, complex):
        return _COMPLEX
    if isinstance(value, np.generic):
        return from_numpy_dtype(value.dtype)._category
    raise TypeError(f"unsupported operand type {type(value).__name__}")


def result_type_of(dtypes_dim, dtypes_zero_dim, scalars) -> dtype:
    """PyTorch's three-tier promotion: tensors with dims, zero-dim tensors, Python scalars.

    A lower tier only changes the result when its category is higher than the tiers above it.
    """
    result = None
    for d in dtypes_dim:
        result = d if result is None else promote_types(result, d)
    zero = None
    for d in dtypes_zero_dim:
        zero = d if zero is None else promote_types(zero, d)
    if zero is not None:
        if result is None:
            result = zero
        elif zero._category > result._category:
            # A zero-dim tensor lifts the category but keeps the dimensioned one's precision.
            if zero._category == _COMPLEX and result._category == _FLOAT:
                result = complex128 if result is float64 else complex64
            else:
                result = zero if result._category < _FLOAT else promote_types(result, zero)
    if scalars:
        cat = max(scalar_category(s) for s in scalars)
        if result is None:
            result = scalar_dtype(next(s for s in scalars if scalar_category(s) == cat))
        elif cat > result._category:
            if cat == _FLOAT:
                result = _default_dtype if result._category < _FLOAT else result
            elif cat == _COMPLEX:
                result = (complex128 if result is float64 or (result._category < _FLOAT and
                          _default_dtype is float64) else complex64)
            elif cat == _INT:
                result = int64
    return result
