"""Matrix products: matmul and the mm/bmm/mv/dot/addmm/... family, multi_dot, vecdot, cross, trace.

One ``Matmul`` op carries every product; 1-D operands are lifted to 2-D around it (as PyTorch's
matmul does) and batch broadcasting is reduced back by the engine. mm/bmm/mv/dot/addmm/... check
their arguments as PyTorch does and then call it. Contractions (einsum, tensordot, inner,
kron) live in einsum.py; inverses, solves and decompositions in decomposition.py, norms in
norms.py.
"""
from __future__ import annotations

import builtins
import math

from ..autograd.function import Op
from .._tensor import Tensor
from . import _registry
from ._inplace import inplace_variant
from ._registry import export
from ._util import check_broadcast_shapes, promote_binary, scalar_type_name, wrap_dim


_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
            "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int", "int16": "short",
            "int8": "signed char", "uint8": "unsigned char", "bool": "bool",
            "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


def _conj(t: Tensor) -> Tensor:
    return t.conj() if t.is_complex() else t


def _mH(t: Tensor) -> Tensor:
    return _conj(t.transpose(-2, -1))


# -- products ------------------------------------------------------------------------------------
def flat_matmul(a, b):
    """``a @ b`` on arrays; a stack (..., n, k) times a matrix (k, m) is one GEMM over all rows
    rather than NumPy's one small GEMM per stacked matrix (about 1.5x faster)."""
    if a.ndim > 2 and b.ndim == 2:
        rows = math.prod(a.shape[:-1])
        return (a.reshape(rows, a.shape[-1]) @ b).reshape(a.shape[:-1] + (b.shape[-1],))
    return a @ b


def _rows(t: Tensor) -> Tensor:
    """(..., k) -> (rows, k)."""
    return t.reshape(math.prod(t.shape[:-1]), t.shape[-1])


class Matmul(Op):
    _backward_name = "MmBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return flat_matmul(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_a = matmul(grad, _mH(b)) if need_a else None
        grad_b = None
        if need_b:
            # A matrix b shared by a stack: its gradient sums over the stack, so one GEMM.
            grad_b = (matmul(_mH(_rows(a)), _rows(grad)) if a.ndim > 2 and b.ndim == 2
                      else matmul(_mH(a), grad))
        return grad_a, grad_b


def _shape_error(a: Tensor, b: Tensor) -> RuntimeError:
    if a.ndim == 1 and b.ndim == 1:
        return RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src "
                            f"[{b.shape[0]}] to have the same number of elements, but got "
                            f"{a.shape[0]} and {b.shape[0]} elements respectively")
    sa = "x".join(map(str, a.shape[-2:] if a.ndim > 1 else (1, a.shape[0])))
    sb = "x".join(map(str, b.shape[-2:] if b.ndim > 1 else (b.shape[0], 1)))
    if a.ndim <= 2 and b.ndim <= 2:
        if b.ndim == 1:
            return RuntimeError(f"size mismatch, got input ({a.shape[0]}), mat ({sa}), "
                                f"vec ({b.shape[0]})")
        return RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({sa} and {sb})")
    batch = ", ".join(map(str, b.shape[:-2]))
    return RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                        f"[{batch + ', ' if batch else ''}{a.shape[-1]}] but got: "
                        f"[{batch + ', ' if batch else ''}{b.shape[-2]}].")


def _same_dtype(a: Tensor, b: Tensor) -> None:
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{_C_NAMES[a.dtype.name]} != {_C_NAMES[b.dtype.name]}")


def _out(result: Tensor, out) -> Tensor:
    if out is None:
        return result
    from .pointwise import _out as write_out
    return write_out(result, out)


@export
def matmul(input, other, *, out=None) -> Tensor:
    """Matrix product with NumPy/PyTorch broadcasting rules for 1-D and batched operands."""
    if input.ndim == 0 or other.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{input.ndim}D and {other.ndim}D")
    k_a = input._data.shape[-1]
    k_b = other._data.shape[-2] if other.ndim > 1 else other._data.shape[0]
    if k_a != k_b:
        raise _shape_error(input, other)
    _same_dtype(input, other)
    a, b = input, other
    if a.dtype.is_bool:
        raise RuntimeError('"addmm_impl_cpu_" not implemented for \'Bool\'')
    if a.ndim == 1:
        if b.ndim == 1:
            return _out(Matmul.apply(a.unsqueeze(0), b.unsqueeze(1)).reshape(()), out)
        return _out(Matmul.apply(a.unsqueeze(0), b).squeeze(-2), out)
    if b.ndim == 1:
        return _out(Matmul.apply(a, b.unsqueeze(1)).squeeze(-1), out)
    if a.ndim > 2 and b.ndim > 2:
        check_broadcast_shapes(a._data.shape[:-2], b._data.shape[:-2])
    return _out(Matmul.apply(a, b), out)


@export
def mm(input, mat2, *, out=None) -> Tensor:
    """Product of two matrices (no broadcasting)."""
    if input.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    return matmul(input, mat2, out=out)


@export
def bmm(input, mat2, *, out=None) -> Tensor:
    """Batched product of (b, n, m) and (b, m, p) tensors (no broadcasting)."""
    if input.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    b, _, k = input.shape
    if tuple(mat2.shape[:2]) != (b, k):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{b}, {k}] but got: [{mat2.shape[0]}, {mat2.shape[1]}].")
    return matmul(input, mat2, out=out)


@export
def mv(input, vec, *, out=None) -> Tensor:
    """Matrix-vector product."""
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input.ndim}, {vec.ndim}")
    return matmul(input, vec, out=out)


def _check_dot(input, other, op: str) -> None:
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D "
                           "tensors")
    if input.shape[0] != other.shape[0]:
        raise _shape_error(input, other)
    if input.dtype is not other.dtype:
        raise RuntimeError(f"{op} : expected both vectors to have same dtype, but found "
                           f"{scalar_type_name(input.dtype)} and {scalar_type_name(other.dtype)}")


@export
def dot(input, other, *, out=None) -> Tensor:
    """Inner product of two 1-D tensors of the same dtype."""
    _check_dot(input, other, "dot")
    return matmul(input, other, out=out)


@export
def vdot(input, other, *, out=None) -> Tensor:
    """``dot(conj(input), other)``."""
    _check_dot(input, other, "vdot")
    return matmul(_conj(input), other, out=out)


@export(aliases=("ger",))
def outer(input, vec2, *, out=None) -> Tensor:
    """Outer product of two vectors (dtypes promote)."""
    if input.ndim != 1 or vec2.ndim != 1:
        raise RuntimeError(f"outer: Expected 1-D argument self, but got {input.ndim}-D"
                           if input.ndim != 1 else
                           f"outer: Expected 1-D argument vec2, but got {vec2.ndim}-D")
    return _out(input.unsqueeze(1) * vec2, out)


def _scaled_sum(input, product: Tensor, beta, alpha) -> Tensor:
    """``beta * input + alpha * product``; with beta == 0 input is ignored (nan included)."""
    if alpha != 1:
        product = product * alpha
    if beta == 0:
        shape = _broadcast_shape(input.shape, product.shape)
        return product if tuple(product.shape) == shape else product.expand(shape).clone()
    if input.dtype is not product.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{_C_NAMES[input.dtype.name]} != {_C_NAMES[product.dtype.name]}")
    return (input * beta if beta != 1 else input) + product


def _broadcast_shape(a, b) -> tuple:
    from .shape import broadcast_shapes
    return tuple(broadcast_shapes(a, b))


@export
def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)``."""
    return _out(_scaled_sum(input, mm(mat1, mat2), beta, alpha), out)


@export
def addmv(input, mat, vec, *, beta=1, alpha=1, out=None) -> Tensor:
    """``beta * input + alpha * (mat @ vec)``."""
    return _out(_scaled_sum(input, mv(mat, vec), beta, alpha), out)


@export
def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None) -> Tensor:
    """``beta * input + alpha * sum_b(batch1[b] @ batch2[b])``."""
    return _out(_scaled_sum(input, bmm(batch1, batch2).sum(0), beta, alpha), out)


@export
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None) -> Tensor:
    """``beta * input + alpha * (batch1 @ batch2)`` per batch."""
    return _out(_scaled_sum(input, bmm(batch1, batch2), beta, alpha), out)


@export
def addr(input, vec1, vec2, *, beta=1, alpha=1, out=None) -> Tensor:
    """``beta * input + alpha * outer(vec1, vec2)``."""
    return _out(_scaled_sum(input, outer(vec1, vec2), beta, alpha), out)


class Cross(Op):
    _backward_name = "LinalgCrossBackward0"

    @staticmethod
    def forward(ctx, a, b, dim):
        ctx.dim = dim
        ctx.save_for_backward(a, b)
        return ctx.xp.cross(a, b, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad[:2]
        return (Cross.apply(_conj(b), grad, ctx.dim) if need_a else None,
                Cross.apply(grad, _conj(a), ctx.dim) if need_b else None, None)


def _cross(input, other, dim: int, name: str) -> Tensor:
    if input.ndim != other.ndim:
        raise RuntimeError(f"{name}: inputs must have the same number of dimensions.")
    d = wrap_dim(dim, builtins.max(input.ndim, 1))
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(f"{name}: inputs dimension {dim} must have length 3. Got "
                           f"{input.shape[d]} and {other.shape[d]}")
    a, b = promote_binary(input, other)
    return Cross.apply(a, b, d - a.ndim)


@export
def cross(input, other, dim: int | None = None, *, out=None) -> Tensor:
    """Cross product along ``dim`` (default: the first dim of size 3)."""
    if dim is None:
        dim = next((d for d, s in enumerate(_broadcast_shape(input.shape, other.shape))
                    if s == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    return _out(_cross(input, other, dim, "linalg.cross"), out)


def linalg_cross(input, other, *, dim: int = -1, out=None) -> Tensor:
    """``ember.linalg.cross``: cross product along ``dim`` (default -1), broadcasting."""
    return _out(_cross(input, other, dim, "linalg.cross"), out)


@export
def trace(input) -> Tensor:
    """Sum of the main diagonal of a matrix (int64 for integer input)."""
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    return input.diagonal().sum()


def multi_dot(tensors, *, out=None) -> Tensor:
    """Product of a chain of matrices (the first and last may be vectors)."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    result = tensors[0]
    for t in tensors[1:]:
        result = matmul(result, t)
    return _out(result, out)


def vecdot(x, y, *, dim: int = -1, out=None) -> Tensor:
    """``sum(conj(x) * y, dim)``."""
    return _out((_conj(x) * y).sum(dim), out)


@export(method=False)
def chain_matmul(*matrices, out=None) -> Tensor:
    """Product of a chain of matrices (``linalg.multi_dot``)."""
    if len(matrices) == 1:
        return _out(matrices[0].clone(), out)
    return multi_dot(matrices, out=out)


_registry.method("__matmul__", matmul)
_registry.method("__rmatmul__", lambda self, other: matmul(other, self))
for _fn in (addmm, addmv, addbmm, baddbmm, addr):
    _registry.method(_fn.__name__ + "_", inplace_variant(_fn))
