"""Matrix products and ``ember.linalg``.

One ``Matmul`` op carries every product; 1-D operands are lifted to 2-D around it (as PyTorch's
matmul does) and batch broadcasting is reduced back by the engine. mm/bmm/mv/dot/addmm/... check
their arguments as PyTorch does and then call it. Decompositions are ops with hand-written
backward formulas (PyTorch's, from FunctionsManual.cpp) expressed in Ember ops, so they can be
differentiated again; norms, pinv, lstsq, matrix_power, kron, tensordot are compositions.
"""
from __future__ import annotations

import builtins
import collections
import math

import numpy as np

from .. import _dtype
from ..autograd import grad_mode
from ..autograd.function import Op
from .._tensor import Tensor, _make
from . import _registry
from ._inplace import inplace_variant
from ._registry import export
from ._util import dims_tuple, promote_binary, wrap_dim


class LinAlgError(RuntimeError):
    """Raised for singular or non-positive-definite input (``torch.linalg.LinAlgError``)."""


def _return_type(name: str, fields: str):
    cls = collections.namedtuple(name, fields)
    cls.__module__ = "ember.return_types"
    return cls


SVDResult = _return_type("linalg_svd", "U S Vh")
QRResult = _return_type("linalg_qr", "Q R")
EighResult = _return_type("linalg_eigh", "eigenvalues eigenvectors")
SlogdetResult = _return_type("linalg_slogdet", "sign logabsdet")
LstsqResult = _return_type("linalg_lstsq", "solution residuals rank singular_values")

_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
            "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int", "int16": "short",
            "int8": "signed char", "uint8": "unsigned char", "bool": "bool",
            "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


def _type_name(dt) -> str:
    from ._inplace import _type_name as name
    return name(dt)


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
                           f"{_type_name(input.dtype)} and {_type_name(other.dtype)}")


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


# -- einsum --------------------------------------------------------------------------------------
class Einsum(Op):
    """``einsum`` over operands whose labels are explicit letters and sizes already agree."""

    @staticmethod
    def forward(ctx, *arrays, equation):
        ctx.equation = equation
        ctx.save_for_backward(*arrays)
        out = ctx.xp.einsum(equation, *arrays, optimize=True)
        if len(arrays) == 1:
            out = ctx.xp.array(out, copy=True)
        return out

    @staticmethod
    def backward(ctx, grad):
        operands = ctx.saved_tensors
        lhs, out_term = ctx.equation.split("->")
        terms = lhs.split(",")
        return tuple(_einsum_grad(grad, operands, terms, out_term, i)
                     if ctx.needs_input_grad[i] else None for i in range(len(operands)))


def _einsum_grad(grad, operands, terms, out_term, i):
    """Gradient of operand ``i``: contract ``grad`` with the other operands; repeated labels get
    an identity matrix, labels summed only in this operand are broadcast back."""
    from .creation import eye
    used = set("".join(terms) + out_term)
    fresh = (c for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in used)
    target = []
    eyes, eye_terms = [], []
    seen = set()
    shape = operands[i].shape
    for label, size in zip(terms[i], shape):
        if label in seen:
            new = next(fresh)
            eyes.append(eye(size, dtype=grad.dtype, device=grad.device))
            eye_terms.append(label + new)
            target.append(new)
        else:
            seen.add(label)
            target.append(label)
    available = set(out_term).union(*[set(t) for j, t in enumerate(terms) if j != i],
                                    *[set(t) for t in eye_terms])
    kept = [c for c in target if c in available]
    ins = [grad] + [_conj(op) for j, op in enumerate(operands) if j != i] + eyes
    in_terms = [out_term] + [t for j, t in enumerate(terms) if j != i] + eye_terms
    result = einsum(",".join(in_terms) + "->" + "".join(kept), *ins)
    if len(kept) != len(target):
        lifted = tuple(shape[k] if c in available else 1 for k, c in enumerate(target))
        result = result.reshape(lifted).expand(tuple(shape))
    return result


_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _from_sublists(args) -> tuple:
    """``einsum(op1, [0, 1], op2, [1, 2], [0, 2])`` to an equation string and operands."""
    def letters(sub):
        return "".join("..." if s is Ellipsis else _LETTERS[s] for s in sub)
    ops, terms = list(args[0::2]), [letters(s) for s in args[1::2]]
    out = None
    if len(ops) > len(terms):
        out = letters(ops.pop())
    return ",".join(terms) + ("" if out is None else "->" + out), ops


@export(method=False)
def einsum(*args) -> Tensor:
    """Einstein summation: ``einsum("ij,jk->ik", a, b)``, operands as a list, or sublists."""
    if args and isinstance(args[0], Tensor):
        equation, operands = _from_sublists(args)
    else:
        equation, operands = args[0], args[1:]
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = tuple(operands[0])
    operands = list(operands)
    equation = equation.replace(" ", "")
    lhs, arrow, out_term = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) > len(operands):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the "
                           "equation")
    if len(terms) < len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the "
                           "equation")
    dt = operands[0].dtype
    for op in operands[1:]:
        if op.dtype is not dt:
            raise RuntimeError(f"expected scalar type {_type_name(dt)} but found "
                               f"{_type_name(op.dtype)}")
    used = set(equation) - set(".,->")
    spare = [c for c in _LETTERS if c not in used]
    n_ell = 0
    for term, op in zip(terms, operands):
        if "..." in term:
            n_ell = builtins.max(n_ell, op.ndim - (len(term) - 3))
    ell = "".join(spare[:n_ell])
    for k, (term, op) in enumerate(zip(terms, operands)):
        n_named = len(term) - (3 if "..." in term else 0)
        if ("..." not in term and op.ndim != len(term)) or op.ndim < n_named:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                               f"({n_named}) does not match the number of dimensions "
                               f"({op.ndim}) for operand {k}"
                               f"{' and no ellipsis was given' if '...' not in term else ''}")
        if "..." in term:
            terms[k] = term.replace("...", ell[n_ell - (op.ndim - n_named):] if
                                    op.ndim - n_named else "")
    if arrow:
        out_term = out_term.replace("...", ell)
    else:
        counts = collections.Counter("".join(terms))
        out_term = ell + "".join(sorted(c for c in counts if counts[c] == 1 and c not in ell))
    sizes: dict = {}
    for k, (term, op) in enumerate(zip(terms, operands)):
        for label, size in zip(term, op.shape):
            seen = sizes.get(label)
            if seen is None or seen == 1:
                sizes[label] = size
            elif size != seen and size != 1:
                raise RuntimeError(f"einsum(): subscript {label} has size {size} for operand "
                                   f"{k} which does not broadcast with previously seen size "
                                   f"{seen}")
    for k, (term, op) in enumerate(zip(terms, operands)):
        full = tuple(sizes[c] for c in term)
        if tuple(op.shape) != full:
            operands[k] = op.expand(full)
    for c in out_term:
        if c not in sizes:
            raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation "
                               "for any input operand")
    return Einsum.apply(*operands, equation=",".join(terms) + "->" + out_term)


@export
def tensordot(a, b, dims=2, out=None) -> Tensor:
    """Contract ``dims`` (an int: a's last with b's first; or two lists of dims)."""
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        dims_a = list(range(a.ndim - dims, a.ndim))
        dims_b = list(range(dims))
    else:
        dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
    if len(dims_a) != len(dims_b):
        raise RuntimeError("both dimension lists should have same length")
    dims_a = [wrap_dim(d, a.ndim) for d in dims_a]
    dims_b = [wrap_dim(d, b.ndim) for d in dims_b]
    for da, db in zip(dims_a, dims_b):
        if a.shape[da] != b.shape[db]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size "
                               f"{a.shape[da]} in dim {da} and second has size {b.shape[db]} "
                               f"in dim {db}")
    free_a = [d for d in range(a.ndim) if d not in dims_a]
    free_b = [d for d in range(b.ndim) if d not in dims_b]
    k = int(np.prod([a.shape[d] for d in dims_a])) if dims_a else 1
    mat_a = a.permute(free_a + dims_a).reshape(-1, k)
    mat_b = b.permute(dims_b + free_b).reshape(k, -1)
    if mat_a.dtype is not mat_b.dtype:
        mat_a, mat_b = promote_binary(mat_a, mat_b)
    shape = [a.shape[d] for d in free_a] + [b.shape[d] for d in free_b]
    return _out(matmul(mat_a, mat_b).reshape(shape), out)


@export
def inner(input, other, *, out=None) -> Tensor:
    """Sum-product over the last dims (a product when one is a scalar)."""
    if input.ndim == 0 or other.ndim == 0:
        return _out(input * other, out)
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got "
                           f"shapes {list(input.shape)} and {list(other.shape)}")
    return tensordot(input, other, ([-1], [-1]), out=out)


@export
def kron(input, other, *, out=None) -> Tensor:
    """Kronecker product (blocks of ``other`` scaled by each element of ``input``)."""
    nd = builtins.max(input.ndim, other.ndim)
    sa = (1,) * (nd - input.ndim) + tuple(input.shape)
    sb = (1,) * (nd - other.ndim) + tuple(other.shape)
    a = input.reshape(tuple(x for s in sa for x in (s, 1)))
    b = other.reshape(tuple(x for s in sb for x in (1, s)))
    return _out((a * b).reshape(tuple(x * y for x, y in zip(sa, sb))), out)


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


@export(method=False)
def cdist(x1, x2, p: float = 2.0, compute_mode: str = "use_mm_for_euclid_dist_if_necessary"
          ) -> Tensor:
    """p-norm distances between the rows of ``x1`` (B, P, M) and ``x2`` (B, R, M): (B, P, R)."""
    for name, x in (("X1", x1), ("X2", x2)):
        if x.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {x.ndim}D")
        if not x.dtype.is_floating_point:
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{_type_name(x.dtype)}")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{x1.shape[-1]} X2: {x2.shape[-1]}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    if p != math.inf or diff.shape[-1] == 0:
        return vector_norm(diff, p, -1)
    # PyTorch's cdist gives every tied largest |difference| the full gradient (a max-norm's
    # gradient would share it): the value of amax, the gradient of |diff| where it ties.
    size = diff.abs()
    dist = size.amax(-1).detach()
    ties = size.detach() == dist.unsqueeze(-1)
    return dist + ((size - size.detach()) * ties).sum(-1)


@export(method=False)
def chain_matmul(*matrices, out=None) -> Tensor:
    """Product of a chain of matrices (``linalg.multi_dot``)."""
    if len(matrices) == 1:
        return _out(matrices[0].clone(), out)
    return multi_dot(matrices, out=out)


# -- checks shared by the decompositions -----------------------------------------------------------
def _check_matrix(A, name: str, square: bool = True, floating: bool = True) -> None:
    if not isinstance(A, Tensor):
        raise TypeError(f"{name}(): argument 'A' (position 1) must be Tensor, not "
                        f"{type(A).__name__}")
    if A.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if square and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    if floating and not (A.dtype.is_floating_point or A.dtype.is_complex):
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got "
                           f"{_type_name(A.dtype)}")
    if A.dtype in (_dtype.float16, _dtype.bfloat16):
        raise RuntimeError(f"{name}: Low precision dtypes not supported. Got "
                           f"{_type_name(A.dtype)}")


def _batch_prefix(A, bad_index) -> str:
    if A.ndim <= 2:
        return ""
    return f"(Batch element {bad_index}): "


def _singular_error(A: np.ndarray, name: str) -> LinAlgError:
    """PyTorch's message naming the first zero pivot of the LU factorisation."""
    mats = A.reshape((-1,) + A.shape[-2:])
    for b, m in enumerate(mats):
        try:
            from scipy.linalg import lu_factor
            import warnings
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                lu, _ = lu_factor(m, check_finite=False)
            zeros = np.flatnonzero(np.diagonal(lu) == 0)
        except ImportError:  # pragma: no cover - SciPy is optional
            zeros = [np.linalg.matrix_rank(m)] if np.linalg.matrix_rank(m) < m.shape[0] else []
        if len(zeros):
            prefix = f"(Batch element {b}): " if A.ndim > 2 else ""
            return LinAlgError(f"{name}: {prefix}The diagonal element {int(zeros[0]) + 1} is "
                               "zero, the inversion could not be completed because the input "
                               "matrix is singular.")
    return LinAlgError(f"{name}: The inversion could not be completed because the input matrix "
                       "is singular.")


# -- inverse, determinant, solve -------------------------------------------------------------------
class Inv(Op):
    _backward_name = "LinalgInvExBackward0"

    @staticmethod
    def forward(ctx, A):
        try:
            out = ctx.xp.linalg.inv(A)
        except np.linalg.LinAlgError:
            raise _singular_error(A, "linalg.inv") from None
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        inv_a, = ctx.saved_tensors
        inv_h = _mH(inv_a)
        return -matmul(matmul(inv_h, grad), inv_h)


def inv(A, *, out=None) -> Tensor:
    """Inverse of square matrices (batched)."""
    _check_matrix(A, "linalg.inv")
    return _out(Inv.apply(A), out)


class Det(Op):
    _backward_name = "LinalgDetBackward0"

    @staticmethod
    def forward(ctx, A):
        out = ctx.xp.asarray(ctx.xp.linalg.det(A), dtype=A.dtype)
        ctx.save_for_backward(A, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        A, det_a = ctx.saved_tensors
        g = grad.unsqueeze(-1).unsqueeze(-1)
        try:
            return g * _conj(det_a).unsqueeze(-1).unsqueeze(-1) * _mH(inv(A))
        except LinAlgError:
            return g * _adjugate_h(A)


def _adjugate_h(A: Tensor) -> Tensor:
    """adj(A)^H through the SVD, valid for singular A: phase(U, Vh) U diag(prod_{j!=i} S_j) Vh."""
    from .pointwise import where
    U, S, Vh = svd(A)
    n = S.shape[-1]
    others = where(_eye_mask(n, S), 1.0, S.unsqueeze(-2).expand(S.shape + (n,))).prod(-1)
    phase = _conj(Det.apply(U) * Det.apply(Vh)).unsqueeze(-1).unsqueeze(-1)
    return phase * matmul(U * others.unsqueeze(-2).to(U.dtype), Vh)


def det(A, *, out=None) -> Tensor:
    """Determinant of square matrices (batched)."""
    _check_matrix(A, "linalg.det")
    return _out(Det.apply(A), out)


class Slogdet(Op):
    _backward_name = "LinalgSlogdetBackward0"

    @staticmethod
    def forward(ctx, A):
        sign, logabs = ctx.xp.linalg.slogdet(A)
        sign = ctx.xp.asarray(sign, dtype=A.dtype)
        logabs = ctx.xp.asarray(logabs, dtype=_dtype.from_numpy_dtype(A.dtype).to_real().np)
        ctx.save_for_backward(A)
        ctx.mark_non_differentiable(sign)
        return sign, logabs

    @staticmethod
    def backward(ctx, grad_sign, grad_logabs):
        A, = ctx.saved_tensors
        return grad_logabs.unsqueeze(-1).unsqueeze(-1) * _mH(inv(A))


def slogdet(A, *, out=None) -> SlogdetResult:
    """(sign, log|det|) of square matrices; only ``logabsdet`` carries a gradient."""
    _check_matrix(A, "linalg.slogdet")
    return SlogdetResult(*Slogdet.apply(A))


@export(function=True, method=True)
def logdet(input) -> Tensor:
    """log(det(A)): nan for a negative determinant, -inf for zero."""
    sign, logabs = slogdet(input)
    from .pointwise import where
    nan = float("nan")
    return where(sign < 0, nan, logabs)


class Solve(Op):
    _backward_name = "LinalgSolveExBackward0"

    @staticmethod
    def forward(ctx, A, B):
        try:
            out = ctx.xp.linalg.solve(A, B)
        except np.linalg.LinAlgError:
            raise LinAlgError("torch.linalg.solve: The solver failed because the input matrix "
                              "is singular.") from None
        ctx.save_for_backward(A, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        A, X = ctx.saved_tensors
        grad_b = Solve.apply(_mH(A), grad)
        grad_a = -matmul(grad_b, _mH(X)) if ctx.needs_input_grad[0] else None
        return grad_a, grad_b if ctx.needs_input_grad[1] else None


def solve(A, B, *, left: bool = True, out=None) -> Tensor:
    """X with ``A @ X = B`` (``X @ A = B`` when ``left=False``); B may be a (batch of) vector."""
    _check_matrix(A, "linalg.solve")
    if A.dtype is not B.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found "
                           f"A of type {_type_name(A.dtype)} and B of type "
                           f"{_type_name(B.dtype)} instead")
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    if not left:
        if vector:
            raise RuntimeError("linalg.solve: Vector broadcasting of the left hand side is not "
                               "supported for left=False. In this case linalg.solve is "
                               "equivalent to B / A.squeeze(-1)")
        return _out(solve(A.mT, B.mT).mT, out)
    rhs = B.unsqueeze(-1) if vector else B
    n = A.shape[-1]
    if rhs.shape[-2] != n:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation AX = B"
                           f" ({A.shape[-2]}x{n} and {rhs.shape[-2]}x{rhs.shape[-1]})")
    batch = _broadcast_shape(A.shape[:-2], rhs.shape[:-2])
    A_b = A if tuple(A.shape[:-2]) == batch else A.expand(batch + (n, n))
    rhs = rhs if tuple(rhs.shape[:-2]) == batch else rhs.expand(batch + tuple(rhs.shape[-2:]))
    X = Solve.apply(A_b, rhs)
    return _out(X.squeeze(-1) if vector else X, out)


def solve_triangular(A, B, *, upper: bool, left: bool = True, unitriangular: bool = False,
                     out=None) -> Tensor:
    """Solve with the triangle of ``A`` (the other triangle is ignored)."""
    _check_matrix(A, "linalg.solve_triangular")
    tri = A.triu() if upper else A.tril()
    if unitriangular:
        from .diagonal import diag_embed
        tri = tri - diag_embed(tri.diagonal(0, -2, -1)) + \
            diag_embed(tri.new_ones(tri.shape[:-1]))
    return solve(tri, B, left=left, out=out)


# -- decompositions --------------------------------------------------------------------------------
class Cholesky(Op):
    _backward_name = "LinalgCholeskyExBackward0"

    @staticmethod
    def forward(ctx, A):
        try:
            L = ctx.xp.linalg.cholesky(A)
        except np.linalg.LinAlgError:
            raise _not_pd(A) from None
        ctx.save_for_backward(L)
        return L

    @staticmethod
    def backward(ctx, grad):
        L, = ctx.saved_tensors
        phi = matmul(_mH(L), grad).tril()
        phi = phi - 0.5 * _diag_part(phi)
        L_inv = inv(L)
        grad_a = matmul(matmul(_mH(L_inv), phi), L_inv)
        return 0.5 * (grad_a + _mH(grad_a))


def _diag_part(t: Tensor) -> Tensor:
    from .diagonal import diag_embed
    return diag_embed(t.diagonal(0, -2, -1))


def _not_pd(A: np.ndarray) -> LinAlgError:
    mats = A.reshape((-1,) + A.shape[-2:])
    for b, m in enumerate(mats):
        for k in range(1, m.shape[-1] + 1):
            try:
                np.linalg.cholesky(m[:k, :k])
            except np.linalg.LinAlgError:
                prefix = f"(Batch element {b}): " if A.ndim > 2 else ""
                return LinAlgError(f"linalg.cholesky: {prefix}The factorization could not be "
                                   f"completed because the input is not positive-definite (the "
                                   f"leading minor of order {k} is not positive-definite).")
    return LinAlgError("linalg.cholesky: The factorization could not be completed because the "
                       "input is not positive-definite.")


def cholesky(A, *, upper: bool = False, out=None) -> Tensor:
    """L with ``A = L @ L^H`` (U with ``A = U^H @ U`` when ``upper``)."""
    _check_matrix(A, "linalg.cholesky")
    L = Cholesky.apply(A)
    return _out(_mH(L) if upper else L, out)


class QR(Op):
    _backward_name = "LinalgQrBackward0"

    @staticmethod
    def forward(ctx, A, mode):
        ctx.mode = mode
        if mode == "r":
            R = ctx.xp.linalg.qr(A, mode="r")
            return ctx.xp.zeros((0,), dtype=A.dtype), R
        Q, R = ctx.xp.linalg.qr(A, mode=mode)
        ctx.save_for_backward(Q, R)
        ctx.m, ctx.n = A.shape[-2:]
        return Q, R

    @staticmethod
    def backward(ctx, grad_q, grad_r):
        if ctx.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed "
                               "when mode='r'. Please use linalg.qr(A, mode='reduced') if you "
                               "are going to differentiate through linalg.qr.")
        if ctx.mode == "complete" and ctx.m > ctx.n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' "
                               "and nrows > ncols.")
        if ctx.m < ctx.n:
            raise NotImplementedError("linalg.qr backward for wide matrices (m < n) is not "
                                      "implemented in Ember")
        Q, R = ctx.saved_tensors
        # gA = [gQ + Q syminvadj(triu(gR R^H - Q^H gQ))] R^{-H}
        M = matmul(grad_r, _mH(R)) - matmul(_mH(Q), grad_q)
        M = M.triu()
        diag = M.diagonal(0, -2, -1)
        if diag.is_complex():
            diag = diag.real.to(M.dtype)
        M = M + _mH(M) - diag.diag_embed()
        grad_a = grad_q + matmul(Q, M)
        return _mH(solve_triangular(R, _mH(grad_a), upper=True)), None


def qr(A, mode: str = "reduced", *, out=None) -> QRResult:
    """Q (orthonormal columns) and R (upper triangular) with ``A = Q @ R``."""
    if mode not in ("reduced", "r", "complete"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    _check_matrix(A, "linalg.qr", square=False)
    return QRResult(*QR.apply(A, mode))


class Eigh(Op):
    _backward_name = "LinalgEighBackward0"

    @staticmethod
    def forward(ctx, A, uplo):
        try:
            values, vectors = ctx.xp.linalg.eigh(A, UPLO=uplo)
        except np.linalg.LinAlgError:
            raise LinAlgError("linalg.eigh: The algorithm failed to converge because the input "
                              "matrix is ill-conditioned or has too many repeated eigenvalues "
                              "(error code: 1).") from None
        ctx.save_for_backward(values, vectors)
        return values, vectors

    @staticmethod
    def backward(ctx, grad_values, grad_vectors):
        L, V = ctx.saved_tensors
        VhgV = matmul(_mH(V), grad_vectors.to(V.dtype))
        VhgV = 0.5 * (VhgV - _mH(VhgV))
        E = L.unsqueeze(-2) - L.unsqueeze(-1)
        from .pointwise import where
        eye_mask = _eye_mask(L.shape[-1], L)
        middle = where(eye_mask, grad_values.unsqueeze(-1).expand(E.shape).to(VhgV.dtype),
                       VhgV / where(eye_mask, 1.0, E))
        return matmul(matmul(V, middle), _mH(V)), None


def _eye_mask(n: int, like: Tensor) -> Tensor:
    return _make(np.eye(n, dtype=bool), like.device)


def eigh(A, UPLO: str = "L", *, out=None) -> EighResult:
    """Eigenvalues (ascending) and eigenvectors of Hermitian matrices (one triangle is read)."""
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    _check_matrix(A, "linalg.eigh")
    return EighResult(*Eigh.apply(A, UPLO))


def eigvalsh(A, UPLO: str = "L", *, out=None) -> Tensor:
    """Eigenvalues (ascending) of Hermitian matrices."""
    if not (A._requires_grad and grad_mode.state.enabled):
        _check_matrix(A, "linalg.eigvalsh")
        values = np.linalg.eigvalsh(A._data, UPLO=UPLO)
        return _out(_make(values, A.device), out)
    return _out(eigh(A, UPLO).eigenvalues, out)


EigResult = _return_type("linalg_eig", "eigenvalues eigenvectors")


class Eig(Op):
    _backward_name = "LinalgEigBackward0"

    @staticmethod
    def forward(ctx, A):
        cplx = np.complex128 if A.dtype in (np.float64, np.complex128) else np.complex64
        try:
            values, vectors = ctx.xp.linalg.eig(A)
        except np.linalg.LinAlgError:
            raise LinAlgError("linalg.eig: The algorithm failed to converge.") from None
        values, vectors = values.astype(cplx), vectors.astype(cplx)
        ctx.real_input = A.dtype.kind == "f"
        ctx.save_for_backward(values, vectors)
        return values, vectors

    @staticmethod
    def backward(ctx, grad_values, grad_vectors):
        from .pointwise import where
        L, V = ctx.saved_tensors
        grad_values, grad_vectors = grad_values.to(L.dtype), grad_vectors.to(V.dtype)
        Vh = _mH(V)
        VhgV = matmul(Vh, grad_vectors)
        diag_re = VhgV.diagonal(0, -2, -1).real.to(V.dtype)
        VhgV = VhgV - matmul(Vh, V * diag_re.unsqueeze(-2))
        Lc = L.conj()
        eye_mask = _eye_mask(L.shape[-1], L)
        E = where(eye_mask, 1.0, Lc.unsqueeze(-2) - Lc.unsqueeze(-1))
        middle = where(eye_mask, grad_values.unsqueeze(-1).expand(E.shape), VhgV / E)
        grad_a = solve(Vh, matmul(middle, Vh))
        return grad_a.real if ctx.real_input else grad_a


def eig(A, *, out=None) -> EigResult:
    """Eigenvalues and eigenvectors of general square matrices (always complex)."""
    _check_matrix(A, "linalg.eig")
    return EigResult(*Eig.apply(A))


def eigvals(A, *, out=None) -> Tensor:
    """Eigenvalues of general square matrices (complex)."""
    return _out(eig(A).eigenvalues, out)


class SVD(Op):
    _backward_name = "LinalgSvdBackward0"

    @staticmethod
    def forward(ctx, A, full_matrices):
        try:
            U, S, Vh = ctx.xp.linalg.svd(A, full_matrices=full_matrices)
        except np.linalg.LinAlgError:
            raise LinAlgError("linalg.svd: The algorithm failed to converge because the input "
                              "matrix is ill-conditioned or has too many repeated singular "
                              "values (error code: 1).") from None
        ctx.save_for_backward(U, S, Vh)
        return U, S, Vh

    @staticmethod
    def backward(ctx, gU, gS, gVh):
        U, S, Vh = ctx.saved_tensors
        gU, gVh = gU.to(U.dtype), gVh.to(U.dtype)  # zeros filled in by the engine may be real
        m, n = U.shape[-2], Vh.shape[-1]
        k = S.shape[-1]
        U, Vh = U[..., :, :k], Vh[..., :k, :]
        gU, gVh = gU[..., :, :k], gVh[..., :k, :]
        V, gV = _mH(Vh), _mH(gVh)
        from .pointwise import where
        eye_mask = _eye_mask(k, S)
        UhgU = matmul(_mH(U), gU)
        VhgV = matmul(_mH(V), gV)
        UhgU = UhgU - _mH(UhgU)
        VhgV = VhgV - _mH(VhgV)
        S2 = S * S
        E = S2.unsqueeze(-2) - S2.unsqueeze(-1)
        E = where(eye_mask, 1.0, E)
        gA = (UhgU * S.unsqueeze(-2) + S.unsqueeze(-1) * VhgV) / E
        gA = where(eye_mask, 0.0, gA) + gS.to(gA.dtype).diag_embed()
        if gA.is_complex():  # the phase of each singular pair: Im(diag(U^H gU)) / S
            gA = gA + (UhgU.diagonal(0, -2, -1) / (2 * S)).diag_embed()
        if m > k:  # gA = [U gA + (I - U U^H) gU S^-1] V^H
            gUSinv = gU / S.unsqueeze(-2)
            gA = matmul(U, gA) + gUSinv - matmul(U, matmul(_mH(U), gUSinv))
            return matmul(gA, Vh), None
        if n > k:  # gA = U [gA V^H + S^-1 gV^H (I - V V^H)]
            gVSinv_h = _mH(gV / S.unsqueeze(-2))
            gA = matmul(gA, Vh) + gVSinv_h - matmul(matmul(gVSinv_h, V), Vh)
            return matmul(U, gA), None
        return matmul(matmul(U, gA), Vh), None


def svd(A, full_matrices: bool = True, *, driver=None, out=None) -> SVDResult:
    """U, S (descending), Vh with ``A = U @ diag(S) @ Vh``."""
    _check_matrix(A, "linalg.svd", square=False)
    return SVDResult(*SVD.apply(A, bool(full_matrices)))


def svdvals(A, *, driver=None, out=None) -> Tensor:
    """Singular values (descending)."""
    _check_matrix(A, "linalg.svdvals", square=False)
    if not (A._requires_grad and grad_mode.state.enabled):
        return _out(_make(np.linalg.svd(A._data, compute_uv=False), A.device), out)
    return _out(svd(A, full_matrices=False).S, out)


# -- composites ------------------------------------------------------------------------------------
def _default_rtol(A: Tensor, atol, rtol):
    if rtol is None:
        eps = np.finfo(A.dtype.to_real().np).eps
        rtol = 0.0 if atol is not None and _positive(atol) else eps * builtins.max(A.shape[-2:])
    return 0.0 if atol is None else atol, rtol


def _positive(value) -> bool:
    return bool((value._data > 0).any()) if isinstance(value, Tensor) else value > 0


def _tol_array(value, like: np.ndarray):
    return value._data[..., None] if isinstance(value, Tensor) else value


def pinv(A, *, atol=None, rtol=None, hermitian: bool = False, out=None) -> Tensor:
    """Moore-Penrose pseudo-inverse; singular values below max(atol, rtol * max(S)) dropped."""
    _check_matrix(A, "linalg.pinv", square=hermitian)
    atol, rtol = _default_rtol(A, atol, rtol)
    from .pointwise import where
    if hermitian:
        values, vectors = eigh(A)
        mags = np.abs(values._data)
        cutoff = np.maximum(_tol_array(atol, mags), _tol_array(rtol, mags) *
                            mags.max(-1, keepdims=True, initial=0))
        keep = _make(mags > cutoff, A.device)
        inv_vals = where(keep, 1 / where(keep, values, 1.0), 0.0)
        return _out(matmul(vectors * inv_vals.unsqueeze(-2).to(vectors.dtype), _mH(vectors)),
                    out)
    U, S, Vh = svd(A, full_matrices=False)
    s = S._data
    cutoff = np.maximum(_tol_array(atol, s), _tol_array(rtol, s) *
                        s.max(-1, keepdims=True, initial=0))
    keep = _make(s > cutoff, A.device)
    inv_s = where(keep, 1 / where(keep, S, 1.0), 0.0)
    return _out(matmul(_mH(Vh) * inv_s.unsqueeze(-2).to(U.dtype), _mH(U)), out)


def matrix_rank(A, *, atol=None, rtol=None, hermitian: bool = False, out=None) -> Tensor:
    """Number of singular values above max(atol, rtol * max(S)) (int64)."""
    _check_matrix(A, "linalg.matrix_rank", square=hermitian)
    atol, rtol = _default_rtol(A, atol, rtol)
    data = A._data
    s = np.abs(np.linalg.eigvalsh(data)) if hermitian else np.linalg.svd(data, compute_uv=False)
    cutoff = np.maximum(_tol_array(atol, s), _tol_array(rtol, s) *
                        s.max(-1, keepdims=True, initial=0))
    return _out(_make((s > cutoff).sum(-1).astype(np.int64), A.device), out)


def matrix_power(A, n: int, *, out=None) -> Tensor:
    """``A`` multiplied by itself ``n`` times (``inv(A)`` for negative ``n``; I for 0)."""
    _check_matrix(A, "linalg.matrix_power", floating=n < 0)
    if n == 0:
        from .creation import eye
        e = eye(A.shape[-1], dtype=A.dtype, device=A.device)
        return _out(e.expand(A.shape).clone(), out)
    if n < 0:
        A, n = inv(A), -n
    result, base = None, A
    while n:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return _out(result, out)


def lstsq(A, B, rcond=None, *, driver=None) -> LstsqResult:
    """Least-squares solution of ``A X = B`` (via the pseudo-inverse, so it is differentiable).

    As PyTorch on CPU: the default driver 'gelsy' returns the rank but no residuals or singular
    values; 'gelsd' and 'gelss' return singular values and, for tall full-rank A, residuals.
    """
    _check_matrix(A, "linalg.lstsq", square=False)
    if driver not in (None, "gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError(f"torch.linalg.lstsq: parameter `driver` should be one of (gels, "
                           f"gelsy, gelsd, gelss), but got {driver}")
    driver = driver or "gelsy"
    if A.dtype is not B.dtype:
        raise RuntimeError(f"torch.linalg.lstsq: Expected input and other to have the same "
                           f"dtype, but got input's dtype {A.dtype} and other's dtype "
                           f"{B.dtype}")
    vector = B.ndim == A.ndim - 1
    rhs = B.unsqueeze(-1) if vector else B
    m, n = A.shape[-2:]
    if rhs.shape[-2] != m:
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    eps = np.finfo(A.dtype.to_real().np).eps
    rtol = eps * builtins.max(m, n) if rcond is None or rcond < 0 else rcond
    X = matmul(pinv(A, rtol=rtol), rhs)
    real = A.dtype.to_real()
    empty = _make(np.zeros((0,), dtype=real.np), A.device)
    s = np.linalg.svd(A._data, compute_uv=False)
    rank_arr = (s > rtol * s.max(-1, keepdims=True, initial=0)).sum(-1).astype(np.int64)
    rank = _make(rank_arr, A.device) if driver != "gels" else \
        _make(np.zeros((0,), dtype=np.int64), A.device)
    svals = _make(s, A.device) if driver in ("gelsd", "gelss") else empty
    residuals = empty
    if driver != "gelsy" and m > n and bool((rank_arr == n).all()):
        diff = matmul(A, X) - rhs
        residuals = (diff.abs() ** 2).sum(-2) if diff.is_complex() else (diff * diff).sum(-2)
        if vector:
            residuals = residuals.squeeze(-1)
    return LstsqResult(X.squeeze(-1) if vector else X, residuals, rank, svals)


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


# -- norms -----------------------------------------------------------------------------------------
class VectorNorm(Op):
    _backward_name = "LinalgVectorNormBackward0"

    @staticmethod
    def forward(ctx, x, ord, axes, keepdim):
        xp = ctx.xp
        ctx.ord, ctx.axes, ctx.keepdim = ord, axes, keepdim
        a = xp.abs(x)
        if ord == math.inf:
            out = a.max(axis=axes, keepdims=keepdim, initial=0)
        elif ord == -math.inf:
            out = a.min(axis=axes, keepdims=keepdim)
        elif ord == 0:
            out = (a != 0).sum(axis=axes, keepdims=keepdim).astype(a.dtype)
        elif ord == 1:
            out = a.sum(axis=axes, keepdims=keepdim)
        elif ord == 2:
            out = xp.sqrt((a * a).sum(axis=axes, keepdims=keepdim))
        else:
            p = xp.asarray(ord, dtype=a.dtype)
            out = ((a ** p).sum(axis=axes, keepdims=keepdim)) ** (1 / p)
        out = xp.asarray(out, dtype=a.dtype)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        from .pointwise import where
        x, norm = ctx.saved_tensors
        ord, axes = ctx.ord, ctx.axes
        if not ctx.keepdim:
            shape = list(norm.shape)
            for ax in axes:
                shape.insert(ax, 1)
            grad, norm = grad.reshape(shape), norm.reshape(shape)
        if ord == 0:
            return x * 0, None, None, None
        a = x.abs()
        sgn = x / where(a == 0, 1.0, a) if x.is_complex() else x.sign()
        if ord == 1:
            return grad * sgn, None, None, None
        if ord in (math.inf, -math.inf):
            hit = (a == norm).to(grad.dtype)
            return grad * sgn * hit / hit.sum(axes, keepdim=True), None, None, None
        safe = where(norm == 0, 1.0, norm)
        if ord == 2:
            return grad * x / safe, None, None, None
        scaled = sgn * (a / safe) ** (ord - 1)
        return where(a == 0, 0.0, grad * scaled), None, None, None


def vector_norm(x, ord=2, dim=None, keepdim: bool = False, *, dtype=None, out=None) -> Tensor:
    """The ``ord``-norm of ``x`` over ``dim`` (all elements when None), as a vector."""
    if isinstance(ord, str) or not isinstance(ord, (int, float, np.number)):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' must be Number, not "
                        f"{type(ord).__name__}")
    if not (x.dtype.is_floating_point or x.dtype.is_complex):
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {_type_name(x.dtype)}")
    if dtype is not None:
        x = x.to(dtype)
    if isinstance(dim, (list, tuple)) and len(dim) == 0:
        dim = None
    axes = dims_tuple(dim, x.ndim) if x.ndim else ()
    if ord < 0 and x.numel() == 0:
        raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on an empty "
                           "tensor because the operation does not have an identity")
    return _out(VectorNorm.apply(x, float(ord), axes, bool(keepdim)), out)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None,
                out=None) -> Tensor:
    """Frobenius, nuclear, 1, -1, 2, -2, inf or -inf norm of the matrices in ``dim``."""
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.")
    if dtype is not None:
        A = A.to(dtype)
    d0, d1 = (wrap_dim(d, A.ndim) for d in dim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, "
                           f"{dim[1]})")
    if ord == "fro":
        return _out(vector_norm(A, 2, (d0, d1), keepdim), out)
    inf = math.inf
    if ord in ("nuc", 2, -2):
        S = svdvals(A.movedim((d0, d1), (-2, -1)))
        result = S.sum(-1) if ord == "nuc" else vector_norm(S, inf if ord == 2 else -inf, -1)
        if keepdim:
            result = result.unsqueeze(builtins.min(d0, d1)).unsqueeze(builtins.max(d0, d1))
        return _out(result, out)
    if ord in (1, -1, inf, -inf):
        first, second = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = vector_norm(A, 1, first, keepdim=True)
        result = vector_norm(sums, inf if ord in (1, inf) else -inf, second, keepdim=True)
        if not keepdim:
            result = result.squeeze((d0, d1))
        return _out(result, out)
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def linalg_norm(A, ord=None, dim=None, keepdim: bool = False, *, out=None,
                dtype=None) -> Tensor:
    """``ember.linalg.norm``: a vector norm for an int ``dim`` (or 1-D input), a matrix norm for
    two dims (or 2-D input with ``ord``); without ``ord`` and ``dim``, the 2-norm of all."""
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None:
        if len(dim) == 1:
            return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype, out=out)
        return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype, out=out)
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype, out=out)
    if A.ndim == 1:
        return vector_norm(A, ord, None, keepdim, dtype=dtype, out=out)
    if A.ndim == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype, out=out)
    raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D "
                       f"or 2D. Got {A.ndim}D.")


def _linalg_diagonal(A, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    return A.diagonal(offset, dim1, dim2)


@export
def pinverse(input, rcond: float = 1e-15) -> Tensor:
    """Pseudo-inverse with singular values below ``rcond * max(S)`` dropped."""
    return pinv(input, rtol=rcond)


export(inv, name="inverse")
export(det, name="det")
export(slogdet, name="slogdet")
export(matrix_power, name="matrix_power")


@export
def cholesky_inverse(input, upper: bool = False, *, out=None) -> Tensor:
    """Inverse of ``A`` from its Cholesky factor."""
    L = _mH(input) if upper else input
    return _out(inv(matmul(L, _mH(L))), out)


_registry.method("__matmul__", matmul)
_registry.method("__rmatmul__", lambda self, other: matmul(other, self))
for _fn in (addmm, addmv, addbmm, baddbmm, addr):
    _registry.method(_fn.__name__ + "_", inplace_variant(_fn))
