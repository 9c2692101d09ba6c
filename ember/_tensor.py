"""class Tensor: a backend array plus autograd fields. No math here: methods come from the op
registry (``ember._ops._registry``), installed onto the class when ``ember`` is imported."""
from __future__ import annotations

import copy as _copy

import numpy as np

from . import _device as _dev
from . import _dtype
from .autograd import function as _fn
from .autograd import grad_mode as _gm
from .autograd.function import version_counter

_new = object.__new__
_FROM_NP = _dtype._FROM_NP
_gstate = _gm.state


class Size(tuple):
    """A tensor's shape: a tuple that prints as ``ember.Size([2, 3])``."""

    def __repr__(self) -> str:
        return f"ember.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, item):
        out = tuple.__getitem__(self, item)
        return Size(out) if isinstance(item, slice) else out

    def __reduce__(self):
        return (Size, (tuple(self),))


class Tensor:
    """A multi-dimensional array that can record the operations applied to it."""

    __slots__ = ("_data", "_device", "_requires_grad", "grad", "grad_fn", "__dict__",
                 "__weakref__")
    # Rarely set fields live in the instance dict, defaulting to these class values.
    _output_nr = 0
    _vc = None
    _base = None
    _view_fn = None
    _hooks = None
    _post_accumulate_hooks = None
    _retains_grad = False
    is_quantized = False
    __hash__ = object.__hash__
    __array_priority__ = 1000

    def __init__(self, *args, device=None, dtype=None):
        """``Tensor(data)`` copies data as the default float dtype; ``Tensor(2, 3)`` is empty."""
        from ._ops import creation
        if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
            src = creation.tensor(args[0], dtype=dtype or _dtype.get_default_dtype(),
                                  device=device)
        else:
            src = creation.empty(*args, dtype=dtype, device=device)
        self._data = src._data
        self._device = src._device
        self._requires_grad = False
        self.grad = None
        self.grad_fn = None

    @staticmethod
    def _make(data, device) -> "Tensor":
        return _make(data, device)

    # -- autograd fields --------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self.grad_fn is not None and not value:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If you "
                               "want to use a computed variable in a subgraph that doesn't "
                               "require differentiation use var_no_grad = var.detach().")
        if value and not (self.dtype.is_floating_point or self.dtype.is_complex):
            raise RuntimeError("only Tensors of floating point and complex dtype can require "
                               "gradients")
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def output_nr(self) -> int:
        return self._output_nr

    @property
    def _version(self) -> int:
        return version_counter(self).value

    def _bump_version(self) -> None:
        version_counter(self).value += 1

    @property
    def data(self) -> "Tensor":
        return _make(self._data, self._device)

    @data.setter
    def data(self, value: "Tensor") -> None:
        self._data = value._data
        self._device = value._device

    def detach(self) -> "Tensor":
        """A tensor sharing this one's memory (and version counter), outside the graph."""
        out = _make(self._data, self._device)
        out._vc = version_counter(self)
        return out

    def detach_(self) -> "Tensor":
        if self._base is not None and self._base._requires_grad:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self.grad_fn = None
        self._requires_grad = False
        return self

    def retain_grad(self) -> None:
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self._retains_grad:
            return
        import weakref
        ref = weakref.ref(self)

        def _store(grad):
            t = ref()
            if t is not None:
                t.grad = grad.detach() if t.grad is None else t.grad + grad.detach()
        self.grad_fn._add_tensor_hook(self._output_nr, _store)
        self._retains_grad = True

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def register_hook(self, hook):
        """``hook(grad)`` runs when this tensor's gradient is computed; may return a new one."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            return self.grad_fn._add_tensor_hook(self._output_nr, hook)
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return _fn._RemovableHandle(self._hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                               "tensors")
        if self._post_accumulate_hooks is None:
            self._post_accumulate_hooks = []
        self._post_accumulate_hooks.append(hook)
        return _fn._RemovableHandle(self._post_accumulate_hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph: bool = False,
                 inputs=None) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (see ember.autograd.backward)."""
        from .autograd import backward
        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    # -- metadata -----------------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    @property
    def dtype(self) -> _dtype.dtype:
        return _FROM_NP[self._data.dtype]

    @property
    def device(self) -> _dev.device:
        return self._device

    @property
    def is_cuda(self) -> bool:
        return self._device.type == "cuda"

    @property
    def is_cpu(self) -> bool:
        return self._device.type == "cpu"

    @property
    def layout(self) -> str:
        return "strided"

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return self._data.size

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    def stride(self, dim: int | None = None):
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        return strides if dim is None else strides[_wrap_dim(dim, self._data.ndim)]

    def storage_offset(self) -> int:
        root = self._base if self._base is not None else self
        return (_address(self._data) - _address(root._data)) // self._data.itemsize

    def data_ptr(self) -> int:
        return _address(self._data)

    def untyped_storage(self):
        root = self._base if self._base is not None else self
        return _Storage(root)

    def is_contiguous(self, memory_format=None) -> bool:
        return bool(self._data.flags.c_contiguous)

    def is_floating_point(self) -> bool:
        return self.dtype.is_floating_point

    def is_complex(self) -> bool:
        return self.dtype.is_complex

    def is_signed(self) -> bool:
        return self.dtype.is_signed

    def get_device(self) -> int:
        return -1 if self._device.type == "cpu" else (self._device.index or 0)

    def _is_view(self) -> bool:
        return self._base is not None

    # -- conversion to Python and NumPy ---------------------------------------------------------
    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to "
                               "Scalar")
        return self._host().item()

    def tolist(self):
        return self._host().tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The tensor's array; shares memory on CPU (``force`` detaches and copies to host)."""
        if force:
            return np.array(self._device.backend.to_host(self._data))
        if self._requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        if not self._device.backend.is_host:
            raise TypeError(f"can't convert {self._device} device type tensor to numpy. Use "
                            "Tensor.cpu() to copy the tensor to host memory first.")
        return self._data

    def _host(self) -> np.ndarray:
        return self._device.backend.to_host(self._data)

    def __array__(self, dtype=None, copy=None):
        arr = self._host()
        if dtype is not None:
            arr = arr.astype(dtype, copy=False)
        return np.array(arr) if copy else arr

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._host().reshape(()))

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __complex__(self) -> complex:
        return complex(self.item())

    def __index__(self) -> int:
        if self._data.size != 1 or self.dtype.is_floating_point or self.dtype.is_complex:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self.item())

    def __repr__(self) -> str:
        from ._formatting import format_tensor
        return format_tensor(self)

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0 and spec:
            return format(self.item(), spec)
        return repr(self)

    # -- copies and pickling ----------------------------------------------------------------
    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol at the moment.")
        if id(self) in memo:
            return memo[id(self)]
        new = _new(type(self))
        new._data = self._data.copy()
        new._device = self._device
        new._requires_grad = self._requires_grad
        new.grad = None if self.grad is None else _copy.deepcopy(self.grad, memo)
        new.grad_fn = None
        extra = {k: v for k, v in self.__dict__.items() if not k.startswith("_")}
        new.__dict__.update(_copy.deepcopy(extra, memo))
        memo[id(self)] = new
        return new

    def __reduce_ex__(self, protocol):
        return (_rebuild, (type(self), self._host(), str(self._device), self._requires_grad,
                           {k: v for k, v in self.__dict__.items() if not k.startswith("_")}))

    def __dlpack__(self, *args, **kwargs):
        return self._data.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()


def _make(data, device) -> Tensor:
    """Wrap a backend array without copying (the hot constructor)."""
    t = _new(Tensor)
    t._data = data
    t._device = device
    t._requires_grad = False
    t.grad = None
    t.grad_fn = None
    return t


def _rebuild(cls, array, device, requires_grad, attrs):
    dev = _dev.device(device)
    t = _new(cls)
    t._data = dev.backend.from_host(array)
    t._device = dev
    t._requires_grad = requires_grad
    t.grad = None
    t.grad_fn = None
    t.__dict__.update(attrs)
    return t


def _wrap_dim(dim: int, ndim: int) -> int:
    """Normalise a possibly negative dim, with PyTorch's IndexError when out of range."""
    lo, hi = (-ndim, ndim - 1) if ndim > 0 else (-1, 0)
    if not lo <= dim <= hi:
        raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but "
                         f"got {dim})")
    return dim + ndim if dim < 0 else dim


def _address(array) -> int:
    if isinstance(array, np.ndarray):
        return array.__array_interface__["data"][0]
    return int(array.data.ptr)


class _Storage:
    """Minimal ``untyped_storage()``: identity (data_ptr) and size of the root memory."""

    def __init__(self, root: Tensor):
        self._root = root

    def data_ptr(self) -> int:
        return _address(self._root._data)

    def nbytes(self) -> int:
        return self._root._data.nbytes

    size = nbytes


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


_fn._bind_tensor(Tensor, _make)
