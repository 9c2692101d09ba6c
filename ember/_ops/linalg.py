"""Matrix products. One ``Matmul`` op carries every case; 1-D operands are lifted to 2-D around
it (as PyTorch's matmul does), and batch broadcasting is reduced back by the engine."""
from __future__ import annotations

from ..autograd.function import Op
from .._tensor import Tensor
from . import _registry
from ._registry import export
from ._util import promote_binary


class Matmul(Op):
    _backward_name = "MmBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        # Expanded (zero-stride) operands push NumPy off BLAS; one copy is far cheaper.
        if 0 in a.strides[-2:] and a.size > 1:
            a = ctx.xp.ascontiguousarray(a)
        if 0 in b.strides[-2:] and b.size > 1:
            b = ctx.xp.ascontiguousarray(b)
        return a @ b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_a = matmul(grad, b.mT.conj() if b.is_complex() else b.mT) if need_a else None
        grad_b = matmul(a.mT.conj() if a.is_complex() else a.mT, grad) if need_b else None
        return grad_a, grad_b


def _shape_error(a: Tensor, b: Tensor) -> RuntimeError:
    if a.ndim == 1 and b.ndim == 1:
        return RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src "
                            f"[{b.shape[0]}] to have the same number of elements, but got "
                            f"{a.shape[0]} and {b.shape[0]} elements respectively")
    sa = "x".join(map(str, a.shape[-2:] if a.ndim > 1 else (1, a.shape[0])))
    sb = "x".join(map(str, b.shape[-2:] if b.ndim > 1 else (b.shape[0], 1)))
    if a.ndim <= 2 and b.ndim <= 2:
        return RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({sa} and {sb})")
    return RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                        f"[{', '.join(map(str, b.shape[:-2]))}, {a.shape[-1]}] but got: "
                        f"[{', '.join(map(str, b.shape[:-2]))}, {b.shape[-2]}]; "
                        f"matmul shapes ({sa} and {sb}) cannot be multiplied")


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
    a, b = (input, other) if input._data.dtype is other._data.dtype else \
        promote_binary(input, other)
    if a.dtype.is_bool:
        raise RuntimeError('"addmm_impl_cpu_" not implemented for \'Bool\'')
    if a.ndim == 1:
        if b.ndim == 1:
            return Matmul.apply(a.unsqueeze(0), b.unsqueeze(1)).reshape(())
        return Matmul.apply(a.unsqueeze(0), b).squeeze(-2)
    if b.ndim == 1:
        return Matmul.apply(a, b.unsqueeze(1)).squeeze(-1)
    result = Matmul.apply(a, b)
    if out is not None:
        from .pointwise import _out
        return _out(result, out)
    return result


_registry.method("__matmul__", matmul)
_registry.method("__rmatmul__", lambda self, other: matmul(other, self))
