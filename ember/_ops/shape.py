"""Shape ops. View ops (``_is_view``) return tensors sharing memory with their input, as PyTorch.
Ops that copy elements into a new arrangement (flip, roll, repeat, tile...) are in rearrange.py."""
from __future__ import annotations

import builtins

import numpy as np

from .. import _dtype
from ..autograd.function import Op
from .._tensor import Tensor, Size, _make
from . import _registry
from ._registry import export
from ._util import check_broadcast, scalar_type_name, wrap_dim


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
        names = (scalar_type_name(input.dtype), scalar_type_name(dt))
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
        from .index_select import index_add
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
def adjoint(input) -> Tensor:
    """The conjugate transpose of the last two dims (a view)."""
    if input.ndim < 2:
        raise RuntimeError("tensor.adjoint() is only supported on matrices or batches of "
                           f"matrices. Got {input.ndim}-D tensor.")
    t = transpose(input, -2, -1)
    return t.conj() if input.is_complex() else t


@export
def narrow_copy(input, dim: int, start: int, length: int) -> Tensor:
    from .join import narrow
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
        from .masked import put
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


for _fn in (squeeze, unsqueeze, transpose, t):
    _registry.method(_fn.__name__ + "_", _inplace_view(_fn))
_registry.method("swapaxes_", _inplace_view(transpose))
_registry.method("swapdims_", _inplace_view(transpose))


_registry.method("T", property(lambda self: self.permute(*reversed(range(self.ndim)))))
_registry.method("mT", property(lambda self: self.transpose(-2, -1)))
_registry.method("H", property(lambda self: self.T.conj()))
_registry.method("mH", property(lambda self: self.transpose(-2, -1).conj()))
