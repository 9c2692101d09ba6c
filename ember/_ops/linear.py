"""The linear layers' maths: linear (one fused Linear op) and bilinear."""
from __future__ import annotations

from ..autograd.function import Op
from .._tensor import Tensor
from ._registry import export
from .linalg import flat_matmul, matmul


# -- linear layers ---------------------------------------------------------------------------------
class Linear(Op):
    """x @ W.T + b as one node. Fused so that W's gradient comes out as grad.T @ x, laid out
    like W: the composite (matmul with W.t()) yields a transposed gradient, and every
    optimizer pass over a transposed array is several times slower."""

    _backward_name = "AddmmBackward0"

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        out = flat_matmul(x, weight.T)
        if bias is not None:
            out += bias
        return out

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        grad_x = matmul(grad, weight) if need_x else None
        grad_w = grad_b = None
        if need_w or need_b:
            flat = grad.reshape(-1, grad.shape[-1])
            if need_w:
                grad_w = matmul(flat.mT, x.reshape(-1, x.shape[-1]))
            if need_b:
                grad_b = flat.sum(0)
        return grad_x, grad_w, grad_b


@export(nn=True, function=False, method=False)
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """input @ weight.T + bias."""
    if (weight.ndim != 2 or input.ndim == 0 or input.shape[-1] != weight.shape[1]
            or input.dtype is not weight.dtype or (bias is not None and (
                bias.dtype is not weight.dtype or bias.shape != (weight.shape[0],)))
            or input.is_complex()):
        out = matmul(input, weight.t() if weight.ndim == 2 else weight)  # checks and errors
        return out if bias is None else out + bias
    return Linear.apply(input, weight, bias)


@export(nn=True, method=False)
def bilinear(input1: Tensor, input2: Tensor, weight: Tensor,
             bias: Tensor | None = None) -> Tensor:
    """y_k = x1^T A_k x2 + b_k for each output k."""
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError("bilinear(): input batch dimensions do not match: got "
                           f"{list(input1.shape[:-1])} and {list(input2.shape[:-1])}")
    out_features, in1, in2 = weight.shape
    if input1.shape[-1] != in1:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got "
                           f"{input1.shape[-1]} but expected {in1}")
    if input2.shape[-1] != in2:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got "
                           f"{input2.shape[-1]} but expected {in2}")
    flat_weight = weight.permute(1, 0, 2).reshape(in1, out_features * in2)
    left = matmul(input1, flat_weight)
    left = left.reshape(tuple(input1.shape[:-1]) + (out_features, in2))
    out = (left * input2.unsqueeze(-2)).sum(-1)
    return out if bias is None else out + bias
