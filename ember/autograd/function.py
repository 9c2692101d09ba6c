"""Function: the unit of differentiation, and the graph node it leaves behind.

Two flavours share one node type:

* ``Op`` (internal ops): ``forward`` takes backend arrays and returns arrays; ``backward`` takes
  gradient Tensors and returns Tensors, written with Ember ops so higher-order gradients work.
* ``Function`` (public, ``ember.autograd.Function``): ``forward`` takes Tensors, as in PyTorch.

The node an op leaves is the ``ctx`` object itself. It holds edges to its inputs' nodes (or to
leaf tensors directly) and what backward needs, never its own outputs: saved outputs are kept as
arrays and re-wrapped on use, so a graph has no reference cycles and is freed when dropped.
"""
from __future__ import annotations

import traceback

import numpy as np

from . import grad_mode

_state = grad_mode.state
_FREED = object()
_new = object.__new__


class _Anomaly:
    enabled = False
    check_nan = True


anomaly = _Anomaly()


class _VersionCounter:
    """Shared by a tensor and all its views; bumped by every in-place write."""

    __slots__ = ("value",)

    def __init__(self):
        self.value = 0


def version_counter(tensor) -> _VersionCounter:
    vc = tensor._vc
    if vc is None:
        base = tensor._base
        if base is not None:
            vc = version_counter(base)
        else:
            vc = _VersionCounter()
        tensor._vc = vc
    return vc


def _modified_error(tensor, saved_version, node) -> RuntimeError:
    producer = tensor.grad_fn
    where = (f"which is output {tensor._output_nr} of {producer.name()}," if producer is not None
             else "which is a leaf tensor,")
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [{tensor.dtype} {list(tensor.shape)}], {where} is at version "
        f"{version_counter(tensor).value}; expected version {saved_version} instead (needed by "
        f"{node.name()}). Hint: do the in-place operation on a clone, or out of place.")


_FREED_MSG = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you "
    "call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward "
    "through the graph a second time or if you need to access saved tensors after calling "
    "backward.")


class Node:
    """A backward-graph node. ``next_functions`` holds one edge per forward input:
    ``(node, output_nr)`` for a non-leaf, ``(leaf_tensor, 0)`` for a leaf, ``None`` otherwise."""

    next_functions: tuple = ()
    needs_input_grad: tuple = ()
    materialize_grads = True
    _to_save = None
    _saved = None
    _non_differentiable = None
    _dirty = None
    _pre_hooks = None       # {output_nr: [hook(grad) -> grad | None]} from Tensor.register_hook
    _node_pre_hooks = None  # [hook(grad_outputs) -> grad_outputs | None]
    _node_hooks = None      # [hook(grad_inputs, grad_outputs) -> grad_inputs | None]
    _out_shapes = ()
    _trace = None
    _backward_name = "Backward"
    _is_view = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "_backward_name" not in cls.__dict__:
            op_base = globals().get("Op")
            is_op = op_base is not None and issubclass(cls, op_base)
            cls._backward_name = cls.__name__ + ("Backward0" if is_op else "Backward")

    # -- what ops call in forward ----------------------------------------------------------
    def save_for_backward(self, *values) -> None:
        self._to_save = values

    def mark_non_differentiable(self, *outputs) -> None:
        self._non_differentiable = outputs

    def mark_dirty(self, *tensors) -> None:
        self._dirty = tensors

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = value

    @property
    def saved_tensors(self) -> tuple:
        saved = self._saved
        if saved is _FREED:
            raise RuntimeError(_FREED_MSG)
        if saved is None:
            return ()
        return tuple([_unpack(self, entry) for entry in saved])

    # -- introspection, as torch's graph nodes offer -----------------------------------------
    def name(self) -> str:
        return self._backward_name

    def __repr__(self) -> str:
        return f"<{self._backward_name} object at {id(self):#x}>"

    @property
    def xp(self):
        return self.device.backend.xp

    @property
    def backend(self):
        return self.device.backend

    def register_hook(self, hook):
        """``hook(grad_inputs, grad_outputs)`` after this node's backward ran."""
        if self._node_hooks is None:
            self._node_hooks = []
        self._node_hooks.append(hook)
        return _RemovableHandle(self._node_hooks, hook)

    def register_prehook(self, hook):
        """``hook(grad_outputs)`` before this node's backward runs."""
        if self._node_pre_hooks is None:
            self._node_pre_hooks = []
        self._node_pre_hooks.append(hook)
        return _RemovableHandle(self._node_pre_hooks, hook)

    def _add_tensor_hook(self, output_nr: int, hook):
        if self._pre_hooks is None:
            self._pre_hooks = {}
        hooks = self._pre_hooks.setdefault(output_nr, [])
        hooks.append(hook)
        return _RemovableHandle(hooks, hook)

    def _release(self) -> None:
        if self._saved is not None:
            self._saved = _FREED

    def _pack_saved(self, inputs, arrays, outputs_data, outputs) -> None:
        """Turn what forward saved into entries that are safe to keep (see module docstring)."""
        packed = []
        for value in self._to_save:
            packed.append(_pack_one(value, inputs, arrays, outputs_data, outputs))
        self._saved = packed
        self._to_save = None


class _RemovableHandle:
    __slots__ = ("_hooks", "_hook")

    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        try:
            self._hooks.remove(self._hook)
        except ValueError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _pack_one(value, inputs, arrays, outputs_data, outputs):
    if value is None:
        return None
    for i, array in enumerate(arrays):
        if value is array or value is inputs[i]:
            arg = inputs[i]
            if not isinstance(arg, _Tensor):
                break
            vc = arg._vc
            return (0, arg, 0 if vc is None else vc.value)
    for j, data in enumerate(outputs_data):
        if value is data or value is outputs[j]:
            out = outputs[j]
            vc = version_counter(out)
            return (1, data, j, vc, vc.value, out._requires_grad)
    if isinstance(value, _Tensor):
        vc = value._vc
        return (0, value, 0 if vc is None else vc.value)
    return (2, value)


def _unpack(node, entry):
    if entry is None:
        return None
    kind = entry[0]
    if kind == 0:
        tensor, version = entry[1], entry[2]
        vc = tensor._vc
        if (0 if vc is None else vc.value) != version:
            raise _modified_error(tensor, version, node)
        return tensor
    if kind == 1:
        _, data, output_nr, vc, version, requires_grad = entry
        out = _make(data, node.device)
        out._vc = vc
        if vc.value != version:
            raise _modified_error(out, version, node)
        if requires_grad:
            out._requires_grad = True
            out.grad_fn = node
            if output_nr:
                out._output_nr = output_nr
        return out
    value = entry[1]
    return _make(value, node.device) if hasattr(value, "shape") else value


def _device_mismatch(a, b):
    return RuntimeError("Expected all tensors to be on the same device, but found at least two "
                        f"devices, {a} and {b}!")


class Op(Node):
    """Base of Ember's own differentiable ops: array forward, Tensor backward.

    Subclasses define ``forward(ctx, *arrays, **options)`` and ``backward(ctx, *grads)``.
    ``differentiable = False`` marks ops whose outputs never carry gradients (comparisons...).
    """

    differentiable = True

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = _new(cls)
        arrays = []
        device = None
        requires_grad = False
        for arg in args:
            if isinstance(arg, _Tensor):
                arrays.append(arg._data)
                if device is None:
                    device = arg._device
                elif arg._device is not device:
                    raise _device_mismatch(device, arg._device)
                if arg._requires_grad:
                    requires_grad = True
            else:
                arrays.append(arg)
        ctx.device = device
        record = requires_grad and _state.enabled and cls.differentiable
        if record:
            edges, ctx.needs_input_grad = _edges(args)
        out = cls.forward(ctx, *arrays, **kwargs)
        if out.__class__ is tuple:
            return _finish_multi(cls, ctx, args, arrays, out, device, record and edges)
        if isinstance(out, np.generic):
            out = np.asarray(out)
        result = _make(out, device)
        if cls._is_view:
            _link_view(result, cls, args, kwargs)
        if record:
            result._requires_grad = True
            result.grad_fn = ctx
            ctx._out_shapes = (out.shape,)
            ctx.next_functions = edges
            if ctx._to_save is not None:
                ctx._pack_saved(args, arrays, (out,), (result,))
            if anomaly.enabled:
                ctx._trace = traceback.format_stack()
        return result

    backward = None


def _edges(args):
    """Per input: the edge to where its gradient goes, and whether it needs one."""
    edges = []
    needs = []
    for arg in args:
        if isinstance(arg, _Tensor) and arg._requires_grad:
            fn = arg.grad_fn
            edges.append((arg, 0) if fn is None else (fn, arg._output_nr))
            needs.append(True)
        else:
            edges.append(None)
            needs.append(False)
    return tuple(edges), tuple(needs)


def _link_view(view, cls, args, kwargs):
    """A view shares its base's memory and version counter; ``_base`` names the root, and
    ``_view_fn`` rebuilds the view from the root (for writes through the view)."""
    parent = args[0]
    root = parent._base if parent._base is not None else parent
    view._base = root
    view._vc = version_counter(root)
    parent_fn = parent._view_fn
    rest = args[1:]
    if parent_fn is None:
        view._view_fn = lambda b: cls.apply(b, *rest, **kwargs)
    else:
        view._view_fn = lambda b: cls.apply(parent_fn(b), *rest, **kwargs)


def _finish_multi(cls, ctx, args, arrays, outs, device, edges):
    outs = tuple(np.asarray(o) if isinstance(o, np.generic) else o for o in outs)
    results = tuple(_make(o, device) for o in outs)
    if edges:
        non_diff = ctx._non_differentiable or ()
        for j, (o, r) in enumerate(zip(outs, results)):
            if any(o is nd for nd in non_diff):
                continue
            r._requires_grad = True
            r.grad_fn = ctx
            if j:
                r._output_nr = j
        ctx._out_shapes = tuple(o.shape for o in outs)
        ctx.next_functions = edges
        if ctx._to_save is not None:
            ctx._pack_saved(args, arrays, outs, results)
        if anomaly.enabled:
            ctx._trace = traceback.format_stack()
    return results


class FunctionCtx(Node):
    """Type of ``ctx`` objects for user-defined Functions (kept for isinstance checks)."""


class Function(FunctionCtx):
    """User-defined differentiable operation, as ``torch.autograd.Function``.

    Define static ``forward(ctx, *args)`` (Tensors in, Tensors out) and ``backward(ctx, *grads)``,
    or ``forward(*args)`` plus ``setup_context(ctx, inputs, output)``; call with ``apply``.
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not overridden")

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = _new(cls)
        tensors = [a for a in args if isinstance(a, _Tensor)]
        device = tensors[0]._device if tensors else None
        ctx.device = device
        ctx.needs_input_grad = tuple(isinstance(a, _Tensor) and a._requires_grad for a in args)
        record = _state.enabled and any(ctx.needs_input_grad)
        separate_setup = cls.setup_context is not Function.setup_context
        with grad_mode.no_grad():
            if separate_setup:
                output = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args, **kwargs)
        single = not isinstance(output, tuple)
        outs = (output,) if single else output
        results = []
        dirty = ctx._dirty or ()
        for o in outs:
            if isinstance(o, _Tensor) and not any(o is d for d in dirty):
                if any(o is a for a in args) or o._requires_grad or o.grad_fn is not None:
                    alias = _make(o._data, o._device)  # a fresh node output sharing memory
                    alias._vc = version_counter(o)
                    o = alias
            results.append(o)
        if record:
            non_diff = ctx._non_differentiable or ()
            shapes = []
            for j, r in enumerate(results):
                if not isinstance(r, _Tensor):
                    shapes.append(None)
                    continue
                shapes.append(r.shape)
                if any(r is nd for nd in non_diff) or not (r.dtype.is_floating_point or
                                                            r.dtype.is_complex):
                    r._requires_grad = False
                    continue
                if any(r is d for d in dirty):
                    version_counter(r).value += 1
                r._requires_grad = True
                r.grad_fn = ctx
                r._output_nr = j
            ctx._out_shapes = tuple(shapes)
            ctx.next_functions = _edges(args)[0]
            if ctx._to_save is not None:
                datas = tuple(r._data if isinstance(r, _Tensor) else r for r in results)
                ctx._pack_saved(args, args, datas, tuple(results))
        elif ctx._to_save is not None:
            ctx._saved = [None if t is None else (2, t._data if isinstance(t, _Tensor) else t)
                          for t in ctx._to_save]
        return results[0] if single else tuple(results)


def once_differentiable(backward):
    """Decorator for a backward that cannot itself be differentiated: runs it without a graph."""
    import functools

    @functools.wraps(backward)
    def wrapper(ctx, *grads):
        with grad_mode.no_grad():
            return backward(ctx, *grads)
    return wrapper


class InplaceFunction(Function):
    """Kept for API compatibility with ``torch.autograd.function.InplaceFunction``."""

    def __init__(self, inplace: bool = False):
        self.inplace = inplace


# Filled in by ember._tensor at import (avoids an import cycle: the tensor module needs Node).
_Tensor = None
_make = None


def _bind_tensor(tensor_cls, make) -> None:
    global _Tensor, _make
    _Tensor, _make = tensor_cls, make
