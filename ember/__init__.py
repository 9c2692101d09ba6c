"""Ember: PyTorch's API on NumPy. ``import ember as torch`` and run PyTorch code."""
from __future__ import annotations

import numpy as _np

from . import _dtype
from ._dtype import (bool_ as bool, uint8, int8, int16, int32, int64, float16, float32,  # noqa
                     float64, complex64, complex128, bfloat16, dtype, get_default_dtype,
                     set_default_dtype, promote_types)
from ._device import device, get_default_device, set_default_device  # noqa: F401
from ._tensor import Tensor, Size, is_tensor  # noqa: F401
from . import autograd  # noqa: F401
from .autograd.grad_mode import (no_grad, enable_grad, set_grad_enabled,  # noqa: F401
                                 inference_mode, is_grad_enabled, is_inference_mode_enabled)
from . import _ops  # noqa: F401  (registers every op)
from ._ops import quantize as _quantize
from ._dtype import qint8, quint8, qint32  # noqa: F401
from ._ops.quantize import (qscheme, per_tensor_affine, per_channel_affine,  # noqa: F401
                            per_tensor_symmetric, per_channel_symmetric,
                            per_channel_affine_float_qparams)
from ._ops import _registry
from ._ops.random import Generator, default_generator  # noqa: F401
from ._ops._util import result_type as _result_type
from ._formatting import set_printoptions  # noqa: F401
from ._parallel import get_num_threads, set_num_threads  # noqa: F401
from . import cuda, accelerator  # noqa: F401

float = float32  # noqa: A001
double = float64
half = float16
long = int64
int = int32  # noqa: A001
short = int16
cfloat = complex64
cdouble = complex128

_registry.install(Tensor, globals())
_quantize._block_float_ops()

# PyTorch returns inf/nan silently for x/0, log(0) and the like; so does Ember. This sets
# NumPy's floating-point error handling for the importing thread (documented in the README).
_np.seterr(divide="ignore", invalid="ignore", over="ignore", under="ignore")

from . import linalg, nn, optim, utils, serialization  # noqa: E402,F401
from .serialization import *  # noqa: E402,F401,F403

__version__ = "0.1.0"


def result_type(tensor1, tensor2) -> dtype:
    """The dtype PyTorch's promotion gives an op on these two operands."""
    return _result_type(tensor1, tensor2)


def is_floating_point(input: Tensor) -> builtins_bool:  # type: ignore[name-defined]
    return input.dtype.is_floating_point


def is_complex(input: Tensor) -> builtins_bool:  # type: ignore[name-defined]
    return input.dtype.is_complex


def numel(input: Tensor) -> builtins_int:  # type: ignore[name-defined]
    return input.numel()


import builtins as _builtins  # noqa: E402

builtins_bool = _builtins.bool
builtins_int = _builtins.int
del _builtins


def __getattr__(name: str):
    # Quantization loads on first use (ember.ao...), keeping `import ember` lean.
    if name in ("ao", "quantization"):
        import importlib
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'ember' has no attribute {name!r}")
