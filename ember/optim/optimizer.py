"""Optimizer: the base class. Parameter groups, per-parameter state and state_dict.

Subclasses implement ``step``; updates run in place on the parameters' backend arrays with
``out=`` ufunc chains, so float32 stays float32 and a step allocates no new tensors.
"""
from __future__ import annotations

import functools
import threading
from collections import OrderedDict, defaultdict
from copy import deepcopy
from itertools import chain
from typing import Any, Callable

import numpy as np

from .._parallel import parallel_for
from .._tensor import Tensor, _make
from ..autograd.function import version_counter

__all__ = ["Optimizer", "required", "register_optimizer_step_pre_hook",
           "register_optimizer_step_post_hook"]


class _RequiredParameter:
    """Marks an option a parameter group must give (SGD's ``lr`` in old PyTorch)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()

_global_pre_hooks: OrderedDict = OrderedDict()
_global_post_hooks: OrderedDict = OrderedDict()


def register_optimizer_step_pre_hook(hook: Callable) -> "_DictHandle":
    """``hook(optimizer, args, kwargs)`` runs before every optimizer's ``step``."""
    _global_pre_hooks[id(hook)] = hook
    return _DictHandle(_global_pre_hooks, id(hook))


def register_optimizer_step_post_hook(hook: Callable) -> "_DictHandle":
    """``hook(optimizer, args, kwargs)`` runs after every optimizer's ``step``."""
    _global_post_hooks[id(hook)] = hook
    return _DictHandle(_global_post_hooks, id(hook))


class _DictHandle:
    """Removes one hook from an ordered dict of hooks."""

    def __init__(self, hooks: dict, key):
        self._hooks = hooks
        self._key = key

    def remove(self) -> None:
        self._hooks.pop(self._key, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def _wrap_step(step: Callable) -> Callable:
    """Run the step hooks around a subclass's ``step`` and count the calls (for schedulers)."""

    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        for hook in chain(_global_pre_hooks.values(), self._optimizer_step_pre_hooks.values()):
            result = hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(f"{hook} must return None or a tuple of (new_args, "
                                       f"new_kwargs), but got {result}.")
                args, kwargs = result
        self._opt_called = True
        out = step(self, *args, **kwargs)
        for hook in chain(self._optimizer_step_post_hooks.values(), _global_post_hooks.values()):
            hook(self, args, kwargs)
        return out

    wrapper._ember_wrapped_step = True
    return wrapper


class Optimizer:
    """Base class of all optimisers, as ``torch.optim.Optimizer``.

    ``params`` is an iterable of tensors or of dicts (parameter groups, each with its own
    options; options a group leaves out come from ``defaults``).
    """

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_ember_wrapped_step", False):
            cls.step = _wrap_step(step)

    def __init__(self, params, defaults: dict[str, Any]):
        self.defaults = defaults
        self._optimizer_step_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_step_post_hooks: OrderedDict = OrderedDict()
        self._optimizer_state_dict_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_state_dict_post_hooks: OrderedDict = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_load_state_dict_post_hooks: OrderedDict = OrderedDict()
        self._scratch: dict = {}
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {_typename(params)}")
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # -- groups -------------------------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (e.g. a layer unfrozen later)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        param_group = dict(param_group)
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        else:
            params = list(params)
        names = None
        if params and isinstance(params[0], tuple):
            names = [name for name, _ in params]
            params = [p for _, p in params]
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                f"{_typename(p)}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
        if len({id(p) for p in params}) != len(params):
            import warnings
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error; see github.com/pytorch/pytorch/"
                          "issues/40967 for more information", stacklevel=3)
        existing = {id(p) for group in self.param_groups for p in group["params"]}
        if any(id(p) in existing for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        if names is not None:
            if any("param_names" not in g for g in self.param_groups) and self.param_groups:
                raise ValueError("all optimizer param groups with parameters must have names.")
            param_group["param_names"] = names
        elif any("param_names" in g for g in self.param_groups):
            raise ValueError("all optimizer param groups with parameters must have names.")
        param_group["params"] = params
        for name, default in self.defaults.items():
            param_group.setdefault(name, default)
        self.param_groups.append(param_group)

    # -- gradients and steps ------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's ``.grad``: to None (default) or to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if grad.grad_fn is not None:
                        grad.detach_()
                    else:
                        grad.requires_grad_(False)
                    grad._data[...] = 0
                    version_counter(grad).value += 1

    def step(self, closure: Callable | None = None):
        """Update the parameters once; ``closure`` re-evaluates the loss when given."""
        raise NotImplementedError

    def _params_with_state(self, group: dict, init_state: Callable):
        """(param, state) for each param of ``group`` that has a gradient; an empty state is
        first filled by ``init_state(state, param)``."""
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if len(state) == 0:
                init_state(state, p)
            yield p, state

    def _update_each(self, pairs, update: Callable) -> None:
        """``update(param, state)`` for each pair; a large step runs on Ember's thread pool
        (parameters are independent, and NumPy releases the GIL in the in-place ufuncs)."""
        pairs = list(pairs)
        parallel_for(lambda pair: update(*pair), pairs, sum(p.numel() for p, _ in pairs))

    def _closure_loss(self, closure: Callable | None):
        if closure is None:
            return None
        from ..autograd.grad_mode import enable_grad
        with enable_grad():
            return closure()

    def register_step_pre_hook(self, hook: Callable) -> _DictHandle:
        self._optimizer_step_pre_hooks[id(hook)] = hook
        return _DictHandle(self._optimizer_step_pre_hooks, id(hook))

    def register_step_post_hook(self, hook: Callable) -> _DictHandle:
        self._optimizer_step_post_hooks[id(hook)] = hook
        return _DictHandle(self._optimizer_step_post_hooks, id(hook))

    def register_state_dict_pre_hook(self, hook: Callable, prepend: bool = False) -> _DictHandle:
        return _add_hook(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook: Callable, prepend: bool = False) -> _DictHandle:
        return _add_hook(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook: Callable,
                                          prepend: bool = False) -> _DictHandle:
        return _add_hook(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook: Callable,
                                           prepend: bool = False) -> _DictHandle:
        return _add_hook(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # -- state_dict -----------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [index, ...]}]}``.

        Parameters are numbered in group order, as PyTorch does, so a checkpoint written by one
        process loads into an optimizer built the same way in another.
        """
        for hook in self._optimizer_state_dict_pre_hooks.values():
            hook(self)
        mapping: dict[int, int] = {}
        packed_groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                mapping.setdefault(id(p), len(mapping))
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            packed_groups.append(packed)
        packed_state = {(mapping[id(k)] if isinstance(k, Tensor) else k): v
                        for k, v in self.state.items()}
        state_dict = {"state": packed_state, "param_groups": packed_groups}
        for hook in self._optimizer_state_dict_post_hooks.values():
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a ``state_dict()``; state tensors are copied to each parameter's device/dtype."""
        state_dict = dict(state_dict)
        for hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        state: defaultdict = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key in id_map:
                param = id_map[key]
                state[param] = _cast_state(param, value)
            else:
                state[key] = value
        new_groups = []
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
            for name, default in self.defaults.items():
                saved.setdefault(name, default)
            new_groups.append(saved)
        self.state = state
        self.param_groups = new_groups
        for hook in self._optimizer_load_state_dict_post_hooks.values():
            hook(self)

    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state,
                "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks",
                     "_optimizer_state_dict_pre_hooks", "_optimizer_state_dict_post_hooks",
                     "_optimizer_load_state_dict_pre_hooks",
                     "_optimizer_load_state_dict_post_hooks"):
            self.__dict__.setdefault(name, OrderedDict())
        self.__dict__.setdefault("_scratch", {})

    def __repr__(self) -> str:
        lines = [self.__class__.__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
            if i != len(self.param_groups) - 1:
                lines.append("")
        lines.append(")")
        return "\n".join(lines)

    # -- helpers for subclasses ---------------------------------------------------------------
    def _buffer(self, slot: int, like) -> Any:
        """A reusable scratch array shaped like ``like`` (one per slot, dtype, device and
        thread)."""
        key = (slot, like.dtype, type(like), threading.get_ident())
        flat = self._scratch.get(key)
        n = like.size
        if flat is None or flat.size < n:
            xp = np if isinstance(like, np.ndarray) else _array_module(like)
            flat = xp.empty(max(n, 1), dtype=like.dtype)
            self._scratch[key] = flat
        return flat[:n].reshape(like.shape)


def _array_module(array):
    import importlib
    return importlib.import_module(type(array).__module__.split(".")[0])


def _add_hook(hooks: OrderedDict, hook: Callable, prepend: bool) -> _DictHandle:
    hooks[id(hook)] = hook
    if prepend:
        hooks.move_to_end(id(hook), last=False)
    return _DictHandle(hooks, id(hook))


def _typename(obj) -> str:
    if isinstance(obj, Tensor):
        return "ember.Tensor"
    module = type(obj).__module__
    name = type(obj).__qualname__
    return name if module == "builtins" else f"{module}.{name}"


def _cast_state(param: Tensor, value, key=None):
    """A copy of a saved state value on the parameter's device (floats in its dtype; 'step'
    keeps its own dtype)."""
    if isinstance(value, Tensor):
        backend = param.device.backend
        array = value._device.backend.to_host(value._data)
        if key != "step" and param.dtype.is_floating_point and value.dtype.is_floating_point:
            array = array.astype(param._data.dtype, copy=False)
        array = np.array(array, copy=True)
        return _make(backend.from_host(array) if not backend.is_host else array, param._device)
    if isinstance(value, dict):
        return {k: _cast_state(param, v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_state(param, v) for v in value)
    return value


def _bump(p: Tensor) -> None:
    version_counter(p).value += 1


def _step_tensor(value: float = 0.0, device=None) -> Tensor:
    """The float32 0-d 'step' entry PyTorch keeps per parameter."""
    from .._device import CPU
    return _make(np.array(value, dtype=np.float32), CPU if device is None else device)


def _real(array):
    """Complex parameters are updated as pairs of reals, as PyTorch's view_as_real."""
    return array.view(array.real.dtype) if array.dtype.kind == "c" else array


def _lerp_(start, end, weight, tmp) -> None:
    """``start.lerp_(end, weight)`` with PyTorch's formula (exact at both ends)."""
    w = start.dtype.type(weight)
    if abs(weight) < 0.5:
        np.subtract(end, start, out=tmp)
        np.multiply(tmp, w, out=tmp)
        np.add(start, tmp, out=start)
    else:
        np.subtract(end, start, out=tmp)
        np.multiply(tmp, start.dtype.type(1 - weight), out=tmp)
        np.subtract(end, tmp, out=start)


def _addcmul_(target, t1, t2, value: float, tmp) -> None:
    """``target += value * t1 * t2`` in PyTorch's order of rounding."""
    np.multiply(t1, target.dtype.type(value), out=tmp)
    np.multiply(tmp, t2, out=tmp)
    np.add(target, tmp, out=target)


def _addcdiv_(target, t1, t2, value: float, tmp) -> None:
    """``target += value * t1 / t2`` in PyTorch's order of rounding."""
    np.multiply(t1, target.dtype.type(value), out=tmp)
    np.divide(tmp, t2, out=tmp)
    np.add(target, tmp, out=target)


def _axpy_(target, x, alpha: float, tmp) -> None:
    """``target.add_(x, alpha=alpha)`` in place, through the scratch array ``tmp``."""
    np.multiply(x, target.dtype.type(alpha), out=tmp)
    np.add(target, tmp, out=target)


def _check(ok: bool, message: str) -> None:
    """Raise PyTorch's ValueError for an invalid option (checked before anything changes)."""
    if not ok:
        raise ValueError(message)


def _scalar(value) -> float:
    """A Python float from an option that may be a 1-element tensor."""
    return float(value.item()) if isinstance(value, Tensor) else float(value)


def _prepared_grad(opt: Optimizer, param, grad, maximize: bool, weight_decay: float):
    """The gradient with ``maximize`` and L2 ``weight_decay`` applied, in scratch slot 0
    (the gradient itself, untouched, when neither applies)."""
    if maximize:
        out = opt._buffer(0, grad)
        np.negative(grad, out=out)
        grad = out
    if weight_decay != 0:
        out = opt._buffer(0, grad)
        tmp = opt._buffer(1, grad)
        np.multiply(param, param.dtype.type(weight_decay), out=tmp)
        np.add(grad, tmp, out=out)
        grad = out
    return grad
