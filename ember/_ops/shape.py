"""Shape ops. View ops (``_is_view``) return tensors sharing memory with their input, as PyTorch."""
from __future__ import annotations

import builtins

import numpy as np

from .. import _dtype
from ..autograd.function import Op, version_counter
from .._tensor import Tensor, Size, _make
from . import _registry
from ._inplace import inplace_variant
from ._registry import export
from ._util import wrap_dim, dims_tuple, result_type, cast, check_broadcast


def _shape_arg(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)) or (
            len(shape) == 1 and hasattr(shape[0], "__len__") and not isinstance(shape[0], int)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def _infer_shape(shape: tuple, numel: int) -> tuple:
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


class View(Op):
    _is_view = True
    _backward_name = "ViewBackward0"

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        out = x.view()
        try:
            out.shape = shape  # raises instead of copying when strides do not allow a view
        except AttributeError:
            raise RuntimeError("view size is not compatible with input tensor's size and stride "
                               "(at least one dimension spans across two contiguous subspaces). "
                               "Use .reshape(...) instead.") from None
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.in_shape), None


class Reshape(Op):
    _backward_name = "ReshapeAliasBackward0"

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.in_shape), None


class ViewDtype(Op):
    _is_view = True
    differentiable = False

    @staticmethod
    def forward(ctx, x, np_dtype):
        return x.view(np_dtype)


def _view_dtype(input, dtype) -> Tensor:
    dt = _dtype.to_dtype(dtype)
    old, new = input._data.itemsize, dt.itemsize
    if old != new:
        from ._inplace import _type_name
        names = (_type_name(input.dtype), _type_name(dt))
        if input.ndim == 0:
            raise RuntimeError(f"self.dim() cannot be 0 to view {names[0]} as {names[1]} "
                               "(different element sizes)")
        if input._data.strides[-1] != old:
            raise RuntimeError(f"self.stride(-1) must be 1 to view {names[0]} as {names[1]} "
                               "(different element sizes), but got "
                               f"{input._data.strides[-1] // old}")
        if new > old and input._data.shape[-1] % (new // old):
            raise RuntimeError(f"self.size(-1) must be divisible by {new // old} to view "
                               f"{names[0]} as {names[1]} (different element sizes), but got "
                               f"{input._data.shape[-1]}")
    return ViewDtype.apply(input, dt.np)


@export(function=False)
def view(input, *shape) -> Tensor:
    """A view with a new shape, or (given a dtype) the same memory read as another dtype;
    raises (as PyTorch) when the strides cannot express it."""
    if len(shape) == 1 and (isinstance(shape[0], _dtype.dtype) or shape[0] in (float, int, bool)):
        return _view_dtype(input, shape[0])
    shape = _infer_shape(_shape_arg(shape), input.numel())
    return View.apply(input, shape)


@export
def reshape(input, *shape) -> Tensor:
    """A view when the strides allow, else a copy."""
    shape = _infer_shape(_shape_arg(shape), input.numel())
    if input._data.flags.c_contiguous or _viewable(input._data, shape):
        return View.apply(input, shape)
    return Reshape.apply(input, shape)


def _viewable(array, shape) -> bool:
    probe = array.view()
    try:
        probe.shape = shape
        return True
    except AttributeError:
        return False


@export(function=False)
def view_as(input, other) -> Tensor:
    return view(input, other.shape)


@export(function=False)
def reshape_as(input, other) -> Tensor:
    return reshape(input, other.shape)


class Expand(Op):
    _is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return ctx.xp.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.sum_to_size(ctx.in_shape), None


@export(function=False)
def expand(input, *sizes) -> Tensor:
    """Broadcast to ``sizes`` without copying (-1 keeps a dim)."""
    sizes = _shape_arg(sizes)
    nd = input.ndim
    if len(sizes) < nd:
        from .copy import type as type_name
        raise RuntimeError(f"expand({type_name(input)}{{{list(input.shape)}}}, "
                           f"size={list(sizes)}): "
                           "the number of sizes provided "
                           f"({len(sizes)}) must be greater or equal to the number of dimensions "
                           f"in the tensor ({nd})")
    lead = len(sizes) - nd
    shape = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in a "
                                   "leading, non-existing dimension 0")
            shape.append(s)
            continue
        cur = input._data.shape[i - lead]
        if s == -1:
            s = cur
        elif cur != 1 and s != cur:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing "
                               f"size ({cur}) at non-singleton dimension {i}.  Target sizes: "
                               f"{list(sizes)}.  Tensor sizes: {list(input.shape)}")
        shape.append(s)
    shape = tuple(shape)
    if shape == input._data.shape:
        return input
    return Expand.apply(input, shape)


@export(function=False)
def expand_as(input, other) -> Tensor:
    return expand(input, other.shape)


class Permute(Op):
    _is_view = True

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x.transpose(dims)

    @staticmethod
    def backward(ctx, grad):
        inverse = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inverse[d] = i
        return grad.permute(inverse), None


@export
def permute(input, *dims) -> Tensor:
    dims = _shape_arg(dims)
    nd = input.ndim
    if len(dims) != nd:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {nd} is not equal to len(dims) = {len(dims)}")
    dims = tuple(wrap_dim(d, nd) for d in dims)
    if len(set(dims)) != nd:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return Permute.apply(input, dims)


class Transpose(Op):
    _is_view = True

    @staticmethod
    def forward(ctx, x, dim0, dim1):
        ctx.dims = (dim0, dim1)
        return x.swapaxes(dim0, dim1)

    @staticmethod
    def backward(ctx, grad):
        return grad.transpose(*ctx.dims), None, None


@export(aliases=("swapaxes", "swapdims"))
def transpose(input, dim0: int, dim1: int) -> Tensor:
    nd = input.ndim
    d0, d1 = wrap_dim(dim0, nd), wrap_dim(dim1, nd)
    return Transpose.apply(input, d0, d1)


@export
def t(input) -> Tensor:
    """Transpose of a <= 2-D tensor."""
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{input.ndim}D")
    return input if input.ndim < 2 else Transpose.apply(input, 0, 1)


@export
def squeeze(input, dim=None) -> Tensor:
    shape = input._data.shape
    if dim is None:
        new = tuple(s for s in shape if s != 1)
    else:
        dims = {wrap_dim(d, input.ndim) for d in (dim if isinstance(dim, (tuple, list)) else
                                                   (dim,))}
        new = tuple(s for i, s in enumerate(shape) if not (i in dims and s == 1))
    return input if new == shape else View.apply(input, new)


@export
def unsqueeze(input, dim: int) -> Tensor:
    d = wrap_dim(dim, input.ndim + 1)
    shape = list(input._data.shape)
    shape.insert(d, 1)
    return View.apply(input, tuple(shape))


@export
def flatten(input, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    nd = input.ndim
    if nd == 0:
        return reshape(input, (1,))
    s, e = wrap_dim(start_dim, nd), wrap_dim(end_dim, nd)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = input._data.shape
    n = 1
    for x in shape[s:e + 1]:
        n *= x
    return reshape(input, shape[:s] + (n,) + shape[e + 1:])


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


# -- reordering ----------------------------------------------------------------------------------
class Flip(Op):
    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return ctx.xp.flip(x, dims).copy()

    @staticmethod
    def backward(ctx, grad):
        return Flip.apply(grad, ctx.dims), None


@export
def flip(input, dims) -> Tensor:
    """A copy with the order of elements reversed along ``dims``."""
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    return Flip.apply(input, dims_tuple(dims, input.ndim) if dims else ())


@export
def fliplr(input) -> Tensor:
    if input.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


@export
def flipud(input) -> Tensor:
    if input.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


class Roll(Op):
    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return ctx.xp.roll(x, shifts, dims)

    @staticmethod
    def backward(ctx, grad):
        return Roll.apply(grad, tuple(-s for s in ctx.shifts), ctx.dims), None, None


@export
def roll(input, shifts, dims=None) -> Tensor:
    """Rotate elements along ``dims`` (over the flattened tensor when dims is None)."""
    shifts = (shifts,) if isinstance(shifts, (int, np.integer)) else tuple(shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                               "dims:0")
        return Roll.apply(input.flatten(), shifts, (0,)).view(input.shape)
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                           f"dims:{len(dims)}")
    dims = tuple(wrap_dim(int(d), input.ndim) for d in dims)
    return Roll.apply(input, tuple(int(s) for s in shifts), dims)


@export(aliases=("moveaxis",))
def movedim(input, source, destination) -> Tensor:
    """Move dims ``source`` to positions ``destination`` (a permuted view)."""
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims) "
                           f"should contain the same number of dims as destination ({dst} dims)")
    nd = input.ndim
    src = [wrap_dim(d, nd) for d in src]
    dst_w = [wrap_dim(d, nd) for d in dst]
    if len(set(src)) != len(src):
        raise RuntimeError(f"movedim: repeated dim in `source` ({src})")
    if len(set(dst_w)) != len(dst_w):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({dst})")
    order = [d for d in range(nd) if d not in src]
    for d, s in sorted(zip(dst_w, src)):
        order.insert(d, s)
    return permute(input, order)


# -- triangles and diagonals ---------------------------------------------------------------------
class Triangle(Op):
    @staticmethod
    def forward(ctx, x, diagonal, upper):
        ctx.diagonal, ctx.upper = diagonal, upper
        ctx._backward_name = "TriuBackward0" if upper else "TrilBackward0"
        rows, cols = x.shape[-2:]
        xp = ctx.xp
        keep = xp.arange(cols)[None, :] - xp.arange(rows)[:, None]
        mask = keep >= diagonal if upper else keep <= diagonal
        return xp.where(mask, x, xp.zeros((), dtype=x.dtype))

    @staticmethod
    def backward(ctx, grad):
        return Triangle.apply(grad, ctx.diagonal, ctx.upper), None, None


@export
def tril(input, diagonal: int = 0, *, out=None) -> Tensor:
    """The lower triangle of the last two dims (elements above ``diagonal`` zeroed)."""
    if input.ndim < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return _maybe_out(Triangle.apply(input, int(diagonal), False), out)


@export
def triu(input, diagonal: int = 0, *, out=None) -> Tensor:
    """The upper triangle of the last two dims (elements below ``diagonal`` zeroed)."""
    if input.ndim < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return _maybe_out(Triangle.apply(input, int(diagonal), True), out)


def _maybe_out(result: Tensor, out) -> Tensor:
    if out is None:
        return result
    from .pointwise import _out
    return _out(result, out)


def _diagonal_view(xp, x, offset: int, dim1: int, dim2: int):
    """A writable strided view of a diagonal, moved to the last dim (as PyTorch)."""
    n1, n2 = x.shape[dim1], x.shape[dim2]
    length = builtins.max(builtins.min(n1 + builtins.min(offset, 0),
                                       n2 - builtins.max(offset, 0)), 0)
    rest = [d for d in range(x.ndim) if d not in (dim1, dim2)]
    shape = tuple(x.shape[d] for d in rest) + (length,)
    strides = tuple(x.strides[d] for d in rest) + (x.strides[dim1] + x.strides[dim2],)
    if length == 0:
        return xp.empty(shape, dtype=x.dtype)
    start = [slice(None)] * x.ndim
    start[dim1] = slice(builtins.max(-offset, 0), None)
    start[dim2] = slice(builtins.max(offset, 0), None)
    return xp.lib.stride_tricks.as_strided(x[tuple(start)], shape, strides,
                                           writeable=x.flags.writeable)


class Diagonal(Op):
    _is_view = True

    @staticmethod
    def forward(ctx, x, offset, dim1, dim2):
        ctx.shape, ctx.args = x.shape, (offset, dim1, dim2)
        return _diagonal_view(ctx.xp, x, offset, dim1, dim2)

    @staticmethod
    def backward(ctx, grad):
        return DiagonalScatter.apply(grad, ctx.shape, *ctx.args), None, None, None


class DiagonalScatter(Op):
    """Zeros of ``shape`` with ``src`` on a diagonal (the inverse of ``Diagonal``)."""

    @staticmethod
    def forward(ctx, src, shape, offset, dim1, dim2):
        ctx.args = (offset, dim1, dim2)
        out = ctx.xp.zeros(shape, dtype=src.dtype)
        _diagonal_view(ctx.xp, out, offset, dim1, dim2)[...] = src
        return out

    @staticmethod
    def backward(ctx, grad):
        return Diagonal.apply(grad, *ctx.args), None, None, None, None


def _diag_dims(ndim: int, dim1: int, dim2: int) -> tuple:
    d1, d2 = wrap_dim(dim1, ndim), wrap_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


@export
def diagonal(input, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """A view of the diagonal of ``dim1`` x ``dim2``, appended as the last dim."""
    d1, d2 = _diag_dims(input.ndim, dim1, dim2)
    return Diagonal.apply(input, int(offset), d1, d2)


@export
def diag_embed(input, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Matrices (in ``dim1`` x ``dim2``) whose ``offset`` diagonal is the last dim of input."""
    nd = input.ndim + 1
    d1, d2 = _diag_dims(nd, dim1, dim2)
    n = input._data.shape[-1] + abs(int(offset))
    rest = list(input._data.shape[:-1])
    shape = []
    for d in range(nd):
        shape.append(n if d in (d1, d2) else rest.pop(0))
    return DiagonalScatter.apply(input, tuple(shape), int(offset), d1, d2)


@export
def diag(input, diagonal: int = 0, *, out=None) -> Tensor:
    """1-D input: a square matrix with it on a diagonal; 2-D: that diagonal (a copy)."""
    if input.ndim == 1:
        n = input._data.shape[0] + abs(int(diagonal))
        return _maybe_out(DiagonalScatter.apply(input, (n, n), int(diagonal), 0, 1), out)
    if input.ndim != 2:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")
    from .copy import clone
    return _maybe_out(clone(Diagonal.apply(input, int(diagonal), 0, 1)), out)


# -- repetition and broadcasting -------------------------------------------------------------------
@export(function=False)
def repeat(input, *sizes) -> Tensor:
    """Tile ``input`` ``sizes`` times per dim (a copy); gradients sum the copies."""
    sizes = _shape_arg(sizes)
    if len(sizes) < input.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    shape = (1,) * (len(sizes) - input.ndim) + tuple(input._data.shape)
    lifted, expanded, final = [], [], []
    for r, s in zip(sizes, shape):
        if r < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {r * s}: "
                               f"{[a * b for a, b in zip(sizes, shape)]}")
        lifted += [1, s]
        expanded += [r, s]
        final.append(r * s)
    return reshape(expand(reshape(input, tuple(lifted)), tuple(expanded)), tuple(final))


@export
def tile(input, dims) -> Tensor:
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    dims = (1,) * (input.ndim - len(dims)) + dims
    return repeat(input, dims)


@export
def unflatten(input, dim: int, sizes) -> Tensor:
    """Split dim ``dim`` into ``sizes`` (one may be -1)."""
    d = wrap_dim(dim, input.ndim)
    sizes = tuple(int(s) for s in sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    n = input._data.shape[d]
    known = 1
    for s in sizes:
        if s != -1:
            known *= s
    if (-1 not in sizes and known != n) or (-1 in sizes and (known == 0 or n % known)):
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
                           f"size of dim {dim} ({n}) in the input tensor")
    shape = input._data.shape
    return reshape(input, shape[:d] + sizes + shape[d + 1:])


@export
def repeat_interleave(input, repeats=None, dim=None, *, output_size=None) -> Tensor:
    """Repeat each element ``repeats`` times along ``dim`` (the flattened input when None).

    ``repeat_interleave(repeats)`` with one integer tensor gives the indices it would use.
    """
    if repeats is None:
        counts = input
        return _make(np.repeat(np.arange(counts.shape[0], dtype=counts._data.dtype),
                               counts._data), counts._device)
    if dim is None:
        input, d = input.flatten(), 0
    else:
        d = wrap_dim(dim, input.ndim)
    if isinstance(repeats, Tensor) and repeats.numel() == 1 and repeats.ndim <= 1 and \
            input._data.shape[d] != 1:
        repeats = int(repeats.item())
    if isinstance(repeats, (int, np.integer)):
        if repeats < 0:
            raise RuntimeError("Repeats must be non-negative")
        shape = input._data.shape
        x = unsqueeze(input, d + 1)
        x = expand(x, shape[:d + 1] + (int(repeats),) + shape[d + 1:])
        return reshape(x, shape[:d] + (shape[d] * int(repeats),) + shape[d + 1:])
    counts = repeats._data if isinstance(repeats, Tensor) else np.asarray(repeats)
    if counts.ndim != 1:
        raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
    if counts.shape[0] != input._data.shape[d]:
        raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                           f"repeats.size(0) = {counts.shape[0]} and input.size({d}) = "
                           f"{input._data.shape[d]}")
    if (counts < 0).any():
        raise RuntimeError("repeats can not be negative")
    index = _make(np.repeat(np.arange(counts.shape[0]), counts), input._device)
    from .index import index_select
    return index_select(input, d, index)


@export
def broadcast_to(input, size) -> Tensor:
    return expand(input, tuple(size))


@export(method=False)
def broadcast_shapes(*shapes) -> Size:
    """The shape the given shapes broadcast to (PyTorch's error when they do not)."""
    out: list = []
    for shape in shapes:
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        if len(shape) > len(out):
            out = [1] * (len(shape) - len(out)) + out
        for i, s in enumerate(shape):
            j = len(out) - len(shape) + i
            if s == out[j] or s == 1:
                continue
            if out[j] != 1:
                raise RuntimeError("Shape mismatch: objects cannot be broadcast to a single "
                                   "shape.  Mismatch is between arg 0 and arg 1.")
            out[j] = s
    return Size(out)


@export(method=False)
def broadcast_tensors(*tensors) -> tuple:
    """Views of the tensors expanded to their common shape."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if len(tensors) > 1:
        check_broadcast("broadcast_tensors", *tensors)
    shape = broadcast_shapes(*(t.shape for t in tensors))
    return tuple(expand(t, shape) for t in tensors)


@export
def ravel(input) -> Tensor:
    return reshape(input, (-1,))


# -- more views and composites ---------------------------------------------------------------------
class Unfold(Op):
    _is_view = True

    @staticmethod
    def forward(ctx, x, dim, size, step):
        ctx.shape, ctx.args = x.shape, (dim, size, step)
        n_windows = (x.shape[dim] - size) // step + 1 if x.ndim else 1
        if x.ndim == 0:
            return x.reshape(1)
        shape = x.shape[:dim] + (n_windows,) + x.shape[dim + 1:] + (size,)
        strides = x.strides[:dim] + (x.strides[dim] * step,) + x.strides[dim + 1:] + \
            (x.strides[dim],)
        return ctx.xp.lib.stride_tricks.as_strided(x, shape, strides,
                                                   writeable=x.flags.writeable)

    @staticmethod
    def backward(ctx, grad):
        dim, size, step = ctx.args
        if len(ctx.shape) == 0:
            return grad.reshape(()), None, None, None
        n_windows = grad.shape[dim]
        starts = np.arange(n_windows)[:, None] * step + np.arange(size)[None, :]
        positions = _make(ctx.device.backend.from_host(starts.reshape(-1)), ctx.device)
        moved = movedim(grad, -1, dim + 1)
        flat = reshape(moved, tuple(ctx.shape[:dim]) + (n_windows * size,) +
                       tuple(ctx.shape[dim + 1:]))
        from .index import index_add
        return index_add(grad.new_zeros(ctx.shape), dim, positions, flat), None, None, None


@export(function=False)
def unfold(input, dimension: int, size: int, step: int) -> Tensor:
    """A view of all windows of ``size`` every ``step`` along ``dimension`` (appended last)."""
    d = wrap_dim(dimension, input.ndim) if input.ndim else 0
    n = input._data.shape[d] if input.ndim else 1
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    return Unfold.apply(input, d, int(size), int(step))


@export
def rot90(input, k: int = 1, dims=(0, 1)) -> Tensor:
    """Rotate by 90 degrees ``k`` times in the plane ``dims`` (from the first toward the second)."""
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.ndim}")
    d0, d1 = (wrap_dim(d, input.ndim) for d in dims)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and "
                           f"dim1 = {d1}")
    k %= 4
    if k == 1:
        return flip(input, (d1,)).transpose(d0, d1)
    if k == 2:
        return flip(input, (d0, d1))
    if k == 3:
        return flip(input, (d0,)).transpose(d0, d1)
    from .copy import clone
    return clone(input)


@export(method=False)
def block_diag(*tensors) -> Tensor:
    """A block-diagonal matrix of the given (0-, 1- or 2-D) tensors."""
    mats = []
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer "
                               f"dimensions. Input {i} has {t.ndim} dimensions")
        mats.append(View.apply(t, (1, 1) if t.ndim == 0 else (1, t.shape[0])) if t.ndim < 2
                    else t)
    if not mats:
        from .creation import empty
        return empty(1, 0)
    dt = result_type(*mats)
    total = builtins.sum(m.shape[1] for m in mats)
    rows, left = [], 0
    for m in mats:
        m = cast(m, dt)
        r, c = m.shape
        rows.append(cat([m.new_zeros((r, left)), m, m.new_zeros((r, total - left - c))], 1))
        left += c
    return cat(rows, 0)


@export(method=False)
def cartesian_prod(*tensors) -> Tensor:
    """All combinations of the elements of 1-D tensors, one per row."""
    if len(tensors) == 1:
        return tensors[0]
    from .creation import meshgrid
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1)


@export
def adjoint(input) -> Tensor:
    """The conjugate transpose of the last two dims (a view)."""
    if input.ndim < 2:
        raise RuntimeError("tensor.adjoint() is only supported on matrices or batches of "
                           f"matrices. Got {input.ndim}-D tensor.")
    t = transpose(input, -2, -1)
    return t.conj() if input.is_complex() else t


@export
def narrow_copy(input, dim: int, start: int, length: int) -> Tensor:
    from .copy import clone
    return clone(narrow(input, dim, start, length))


class ViewAsReal(Op):
    _is_view = True

    @staticmethod
    def forward(ctx, x):
        real = np.float64 if x.dtype == np.complex128 else np.float32
        if x.ndim == 0:
            return x.reshape(1).view(real)
        return x.view(real).reshape(x.shape + (2,))

    @staticmethod
    def backward(ctx, grad):
        return view_as_complex(grad.contiguous())


class ViewAsComplex(Op):
    _is_view = True

    @staticmethod
    def forward(ctx, x):
        cplx = np.complex128 if x.dtype == np.float64 else np.complex64
        return x.view(cplx).reshape(x.shape[:-1])

    @staticmethod
    def backward(ctx, grad):
        return view_as_real(grad)


@export(method=False)
def view_as_real(input) -> Tensor:
    """A complex tensor's memory viewed as real pairs (a trailing dim of 2)."""
    if not input.is_complex():
        raise RuntimeError("view_as_real is only supported for complex tensors")
    return ViewAsReal.apply(input)


@export(method=False)
def view_as_complex(input) -> Tensor:
    """Pairs in the last dim (size 2, stride 1) viewed as complex numbers."""
    if input.dtype not in (_dtype.float32, _dtype.float64):
        raise RuntimeError("view_as_complex is only supported for float and double tensors, "
                           f"but got a tensor of scalar type: {input.dtype.name.capitalize()}")
    if input.ndim == 0 or input._data.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    if input._data.strides[-1] != input._data.itemsize:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    return ViewAsComplex.apply(input)


class AsStrided(Op):
    """A strided view into ``x``'s memory (``x`` contiguous; positions relative to its start)."""

    _is_view = True

    @staticmethod
    def forward(ctx, x, size, stride, offset):
        ctx.shape, ctx.args = x.shape, (size, stride, offset)
        flat = x.reshape(-1)
        item = x.itemsize
        return ctx.xp.lib.stride_tricks.as_strided(flat[offset:], size,
                                                   tuple(st * item for st in stride),
                                                   writeable=x.flags.writeable)

    @staticmethod
    def backward(ctx, grad):
        size, stride, offset = ctx.args
        n = 1
        for s_ in ctx.shape:
            n *= s_
        grid = np.zeros(size, dtype=np.int64) + offset
        for k, (sz, st) in enumerate(zip(size, stride)):
            shape = [1] * len(size)
            shape[k] = sz
            grid = grid + np.arange(sz).reshape(shape) * st
        positions = _make(ctx.device.backend.from_host(grid.reshape(-1)), ctx.device)
        from .index import put
        flat = put(grad.new_zeros(n), positions, grad.reshape(-1), accumulate=True)
        return flat.reshape(ctx.shape), None, None, None


@export
def as_strided(input, size, stride, storage_offset: int | None = None) -> Tensor:
    """A view with the given sizes and strides (in elements) over ``input``'s memory.

    Ember addresses the memory of ``input`` itself (which must be contiguous), so
    ``storage_offset`` may not point before ``input``'s first element.
    """
    size, stride = tuple(int(s_) for s_ in size), tuple(int(s_) for s_ in stride)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(s_ < 0 for s_ in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got "
                           f"strides: {list(stride)}")
    base = input.storage_offset()
    offset = base if storage_offset is None else int(storage_offset)
    if not input._data.flags.c_contiguous or offset < base:
        raise RuntimeError("as_strided: Ember supports contiguous inputs with storage_offset at "
                           "or after the input's own offset")
    relative = offset - base
    need = relative + 1 + builtins.sum((sz - 1) * st for sz, st in zip(size, stride)) \
        if all(size) else 0
    if need > input.numel():
        item = input._data.itemsize
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage "
                           f"offset {offset}, and itemsize {item} requiring a storage size of "
                           f"{(need + base) * item} are out of bounds for storage of size "
                           f"{(input.numel() + base) * item}")
    return AsStrided.apply(input, size, stride, relative)


def _scatter_into(input, src, view_fn) -> Tensor:
    from .copy import clone, copy_
    out = clone(input)
    copy_(view_fn(out), src)
    return out


@export
def diagonal_scatter(input, src, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """A copy of ``input`` with ``src`` written on a diagonal."""
    return _scatter_into(input, src, lambda t: diagonal(t, offset, dim1, dim2))


@export
def select_scatter(input, src, dim: int, index: int) -> Tensor:
    """A copy of ``input`` with ``src`` written at ``index`` along ``dim``."""
    return _scatter_into(input, src, lambda t: select(t, dim, index))


@export
def slice_scatter(input, src, dim: int = 0, start=None, end=None, step: int = 1) -> Tensor:
    """A copy of ``input`` with ``src`` written into the slice ``start:end:step`` of ``dim``."""
    d = wrap_dim(dim, input.ndim)
    from .index import basic_index
    key = _dim_slice(input.ndim, d, slice(start, end, step))
    return _scatter_into(input, src, lambda t: basic_index(t, key))


def _inplace_view(fn):
    """``x.squeeze_()`` and friends: ``x`` itself takes the view's shape and graph node."""
    def method(self, *args, **kwargs):
        from ._inplace import check_inplace_allowed
        check_inplace_allowed(self)
        out = fn(self, *args, **kwargs)
        self._data = out._data
        if out.grad_fn is not None:
            self.grad_fn, self._output_nr = out.grad_fn, out._output_nr
        parent_fn = self._view_fn
        if parent_fn is not None:
            self._view_fn = lambda b: fn(parent_fn(b), *args, **kwargs)
        return self
    method.__name__ = fn.__name__ + "_"
    return method


def _fill_diagonal(input, fill_value, wrap: bool = False) -> Tensor:
    if input.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    if input.ndim > 2 and len(set(input.shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    mask = np.zeros(tuple(input.shape), dtype=bool)
    np.fill_diagonal(mask, True, wrap=wrap)
    from .index import masked_fill
    return masked_fill(input, _make(input._device.backend.from_host(mask), input._device),
                       fill_value)


_registry.method("fill_diagonal_", inplace_variant(_fill_diagonal))
for _fn in (tril, triu):
    _registry.method(_fn.__name__ + "_", inplace_variant(_fn))
for _fn in (squeeze, unsqueeze, transpose, t):
    _registry.method(_fn.__name__ + "_", _inplace_view(_fn))
_registry.method("swapaxes_", _inplace_view(transpose))
_registry.method("swapdims_", _inplace_view(transpose))


_registry.method("T", property(lambda self: self.permute(*reversed(range(self.ndim)))))
_registry.method("mT", property(lambda self: self.transpose(-2, -1)))
_registry.method("H", property(lambda self: self.T.conj()))
_registry.method("mH", property(lambda self: self.transpose(-2, -1).conj()))
