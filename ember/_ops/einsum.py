"""Tensor contractions: einsum (pairwise, each contraction one matmul), tensordot, inner, kron."""
from __future__ import annotations

import builtins
import collections

import numpy as np

from ..autograd.function import Op
from .._tensor import Tensor
from ._registry import export
from ._util import promote_binary, scalar_type_name, wrap_dim
from .linalg import _conj, _out, matmul


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
            raise RuntimeError(f"expected scalar type {scalar_type_name(dt)} but found "
                               f"{scalar_type_name(op.dtype)}")
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
