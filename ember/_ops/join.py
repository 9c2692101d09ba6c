"""Joining tensors (cat, stack and friends) and splitting them into views (split, chunk,
unbind, narrow, select): each split op is a view whose gradient is the matching slice of cat."""
from __future__ import annotations

import builtins

import numpy as np

from ..autograd.function import Op, version_counter
from .._tensor import Tensor
from ._registry import export
from ._util import wrap_dim, result_type, cast
from .copy import scatter_into
from .shape import View, unsqueeze


# -- joining -------------------------------------------------------------------------------------
class Cat(Op):
    _backward_name = "CatBackward0"

    @staticmethod
    def forward(ctx, *arrays, dim):
        ctx.dim = dim
        ctx.sizes = tuple(a.shape[dim] if a.ndim > dim else 0 for a in arrays)
        skipped = tuple(a.shape == (0,) for a in arrays)
        ctx.skipped = skipped if not all(skipped) else (False,) * len(arrays)
        kept = [a for a, skip in zip(arrays, ctx.skipped) if not skip]
        return ctx.xp.concatenate(kept, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        grads, start = [], 0
        for size, skipped in zip(ctx.sizes, ctx.skipped):
            if skipped:
                grads.append(None)
                continue
            grads.append(narrow(grad, ctx.dim, start, size))
            start += size
        return tuple(grads)


def _tensor_list(tensors, op: str) -> list:
    if isinstance(tensors, Tensor):
        raise TypeError(f"{op}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                        "Tensor")
    return list(tensors)


@export(method=False, aliases=("concat", "concatenate"))
def cat(tensors, dim: int = 0, *, out=None) -> Tensor:
    """Join tensors along an existing dim; dtypes promote; legacy 1-D empty tensors are skipped."""
    tensors = _tensor_list(tensors, "cat")
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    shapes = [t._data.shape for t in tensors]
    for i, shape in enumerate(shapes):
        if not shape:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be "
                               "concatenated")
    ref = next((sh for sh in shapes if sh != (0,)), shapes[0])
    d = wrap_dim(dim, len(ref))
    rest = ref[:d] + ref[d + 1:]
    for i, shape in enumerate(shapes):
        if shape == (0,) and shape is not ref:
            continue
        if len(shape) != len(ref):
            raise RuntimeError(f"Tensors must have same number of dimensions: got {len(ref)} "
                               f"and {len(shape)}")
        if shape[:d] + shape[d + 1:] != rest:
            k = next(k for k in range(len(ref)) if k != d and shape[k] != ref[k])
            raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. "
                               f"Expected size {ref[k]} but got size {shape[k]} for tensor "
                               f"number {i} in the list.")
    first = tensors[0]._data.dtype
    if any(t._data.dtype != first for t in tensors):
        dt = result_type(*tensors)
        tensors = [cast(t, dt) for t in tensors]
    result = Cat.apply(*tensors, dim=d)
    if out is not None:
        from .pointwise import _out
        return _out(result, out)
    return result


@export(method=False)
def stack(tensors, dim: int = 0, *, out=None) -> Tensor:
    """Join equally shaped tensors along a new dim."""
    tensors = _tensor_list(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape0 = tensors[0].shape
    for i, t in enumerate(tensors[1:], 1):
        if t.shape != shape0:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(shape0)} at entry 0 and {list(t.shape)} at entry {i}")
    d = wrap_dim(dim, len(shape0) + 1)
    return cat([unsqueeze(t, d) for t in tensors], d, out=out)


@export(method=False)
def hstack(tensors, *, out=None) -> Tensor:
    tensors = atleast_1d(*tensors) if len(tensors) != 1 else (atleast_1d(tensors[0]),)
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1, out=out)


@export(method=False, aliases=("row_stack",))
def vstack(tensors, *, out=None) -> Tensor:
    tensors = atleast_2d(*tensors) if len(tensors) != 1 else (atleast_2d(tensors[0]),)
    return cat(tensors, 0, out=out)


@export(method=False)
def dstack(tensors, *, out=None) -> Tensor:
    tensors = atleast_3d(*tensors) if len(tensors) != 1 else (atleast_3d(tensors[0]),)
    return cat(tensors, 2, out=out)


@export(method=False)
def column_stack(tensors, *, out=None) -> Tensor:
    cols = [t.reshape(-1, 1) if t.ndim <= 1 else t for t in tensors]
    return cat(cols, 1, out=out)


def _atleast(nd: int, tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(_atleast(nd, (t,)) for t in tensors[0])
    out = []
    for t in tensors:
        if t.ndim < nd:
            shape = tuple(t._data.shape)
            if nd == 3 and t.ndim == 1:
                shape = (1,) + shape + (1,)
            elif nd == 3 and t.ndim == 2:
                shape = shape + (1,)
            else:
                shape = (1,) * (nd - t.ndim) + shape
            t = View.apply(t, shape)
        out.append(t)
    return out[0] if len(out) == 1 else tuple(out)


@export(method=False)
def atleast_1d(*tensors):
    return _atleast(1, tensors)


@export(method=False)
def atleast_2d(*tensors):
    return _atleast(2, tensors)


@export(method=False)
def atleast_3d(*tensors):
    return _atleast(3, tensors)


# -- splitting (views) ---------------------------------------------------------------------------
def _dim_slice(ndim: int, dim: int, item) -> tuple:
    return (slice(None),) * dim + (item,)


class SplitView(Op):
    """Several views along ``dim`` in one node; backward concatenates their gradients."""

    @staticmethod
    def forward(ctx, x, dim, bounds, squeeze):
        ctx.dim, ctx.bounds, ctx.squeeze, ctx.shape = dim, bounds, squeeze, x.shape
        ctx._backward_name = "UnbindBackward0" if squeeze else "SplitWithSizesBackward0"
        prefix = (slice(None),) * dim
        if squeeze:
            return tuple(x[prefix + (i, Ellipsis)] for i in range(x.shape[dim]))
        return tuple(x[prefix + (slice(a, b),)] for a, b in bounds)

    @staticmethod
    def backward(ctx, *grads):
        if ctx.squeeze:
            return stack(grads, ctx.dim), None, None, None
        return cat(grads, ctx.dim), None, None, None

    @classmethod
    def apply(cls, x, dim, bounds, squeeze):
        outs = super().apply(x, dim, bounds, squeeze)
        root = x._base if x._base is not None else x
        vc = version_counter(root)
        parent_fn = x._view_fn
        prefix = (slice(None),) * dim
        for i, out in enumerate(outs):
            out._base, out._vc = root, vc
            out._view_fn = _Slicer(parent_fn, prefix + ((i,) if squeeze else
                                                        (slice(*bounds[i]),)))
        return outs


class _Slicer:
    """Rebuilds one output of ``SplitView`` from the root tensor (for writes through it)."""

    __slots__ = ("parent_fn", "key")

    def __init__(self, parent_fn, key):
        self.parent_fn, self.key = parent_fn, key

    def __call__(self, base):
        from .index import basic_index
        return basic_index(base if self.parent_fn is None else self.parent_fn(base), self.key)


def _split_bounds(sizes) -> tuple:
    bounds, start = [], 0
    for s in sizes:
        bounds.append((start, start + s))
        start += s
    return tuple(bounds)


@export
def split(tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """Views of ``split_size`` along ``dim`` (the last may be smaller), or of the given sizes."""
    d = wrap_dim(dim, tensor.ndim)
    n = tensor._data.shape[d]
    if isinstance(split_size_or_sections, (int, np.integer)):
        size = int(split_size_or_sections)
        if size < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got "
                               f"split_size={size}")
        if size == 0 and n != 0:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {n}")
        sizes = [size] * (n // size) + ([n % size] if n % size else []) if size else [0]
        if n == 0:
            sizes = [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if builtins.sum(sizes) != n or builtins.any(s < 0 for s in sizes):
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} "
                               f"(input tensor's size at dimension {d}), but got "
                               f"split_sizes={sizes}")
    return SplitView.apply(tensor, d, _split_bounds(sizes), False)


@export(function=False)
def split_with_sizes(input, split_sizes, dim: int = 0) -> tuple:
    return split(input, list(split_sizes), dim)


@export
def tensor_split(input, indices_or_sections, dim: int = 0) -> tuple:
    """NumPy's array_split: ``n`` near-equal parts, or cuts at the given indices."""
    d = wrap_dim(dim, input.ndim)
    n = input._data.shape[d]
    if isinstance(indices_or_sections, Tensor) and indices_or_sections.ndim == 0:
        indices_or_sections = int(indices_or_sections.item())
    if isinstance(indices_or_sections, (int, np.integer)):
        parts = int(indices_or_sections)
        if parts <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {parts}")
        q, r = divmod(n, parts)
        sizes = [q + 1] * r + [q] * (parts - r)
    else:
        cuts = [builtins.min(builtins.max(int(i) if i >= 0 else int(i) + n, 0), n)
                for i in indices_or_sections]
        edges = [0] + cuts + [n]
        sizes = [builtins.max(b - a, 0) for a, b in zip(edges[:-1], edges[1:])]
        bounds = tuple((a, builtins.max(a, b)) for a, b in zip(edges[:-1], edges[1:]))
        return SplitView.apply(input, d, bounds, False)
    return SplitView.apply(input, d, _split_bounds(sizes), False)


def _nsplit(name: str, dim_of):
    def fn(input, indices_or_sections) -> tuple:
        d = dim_of(input)
        if isinstance(indices_or_sections, (int, np.integer)) and \
                input._data.shape[d] % indices_or_sections:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {d}, but the "
                               f"size of the dimension {input._data.shape[d]} is not divisible "
                               f"by the split_size {indices_or_sections}!")
        return tensor_split(input, indices_or_sections, d)
    fn.__name__ = name
    return fn


hsplit = export(_nsplit("hsplit", lambda t: 0 if t.ndim == 1 else 1))
vsplit = export(_nsplit("vsplit", lambda t: 0))
dsplit = export(_nsplit("dsplit", lambda t: 2))


@export
def chunk(input, chunks: int, dim: int = 0) -> tuple:
    """At most ``chunks`` views of equal size (the last may be smaller)."""
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = wrap_dim(dim, input.ndim)
    n = input._data.shape[d]
    return split(input, -(-n // chunks), d)


@export
def unbind(input, dim: int = 0) -> tuple:
    """Views of each slice along ``dim`` (the dim removed)."""
    if input.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = wrap_dim(dim, input.ndim)
    return SplitView.apply(input, d, (), True)


@export
def narrow(input, dim: int, start, length: int) -> Tensor:
    """A view of ``length`` elements from ``start`` along ``dim``."""
    if input.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, input.ndim)
    n = input._data.shape[d]
    start = int(start.item()) if isinstance(start, Tensor) else int(start)
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got "
                         f"{start})")
    if start < 0:
        start += n
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    from .index import basic_index
    return basic_index(input, _dim_slice(input.ndim, d, slice(start, start + length)))


@export
def diff(input, n: int = 1, dim: int = -1, prepend=None, append=None) -> Tensor:
    """The n-th forward difference along ``dim`` (``!=`` for bool), after joining ``prepend``
    and ``append`` on either side."""
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    d = wrap_dim(dim, input.ndim)
    parts = [t for t in (prepend, input, append) if t is not None]
    out = cat(parts, d) if len(parts) > 1 else input
    for _ in range(n):
        size = out._data.shape[d]
        if size == 0:
            break
        later, earlier = narrow(out, d, 1, size - 1), narrow(out, d, 0, size - 1)
        out = later != earlier if out.dtype.is_bool else later - earlier
    return out


@export
def select(input, dim: int, index: int) -> Tensor:
    """The slice at ``index`` along ``dim`` (a view, the dim removed)."""
    if input.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, input.ndim)
    n = input._data.shape[d]
    index = int(index)
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(input.shape)} at dimension {d}")
    from .index import basic_index
    return basic_index(input, _dim_slice(input.ndim, d, index % n if n else index))


@export
def select_scatter(input, src, dim: int, index: int) -> Tensor:
    """A copy of ``input`` with ``src`` written at ``index`` along ``dim``."""
    return scatter_into(input, src, lambda t: select(t, dim, index))


@export
def slice_scatter(input, src, dim: int = 0, start=None, end=None, step: int = 1) -> Tensor:
    """A copy of ``input`` with ``src`` written into the slice ``start:end:step`` of ``dim``."""
    d = wrap_dim(dim, input.ndim)
    from .index import basic_index
    key = _dim_slice(input.ndim, d, slice(start, end, step))
    return scatter_into(input, src, lambda t: basic_index(t, key))
