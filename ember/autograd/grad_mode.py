"""no_grad / enable_grad / set_grad_enabled / inference_mode.

The switch is one module-level flag that ``Function.apply`` reads once per call. PyTorch keeps it
per thread; Ember keeps one flag for the process (DataLoader workers are processes).
"""
from __future__ import annotations

import copy
import functools


class _State:
    __slots__ = ("enabled", "inference")

    def __init__(self):
        self.enabled = True
        self.inference = False


state = _State()


def is_grad_enabled() -> bool:
    return state.enabled


def is_inference_mode_enabled() -> bool:
    return state.inference


class _GradModeContext:
    """Base for the context managers; also usable as decorators (with or without parentheses)."""

    _target = True

    def __enter__(self):
        self._prev = state.enabled
        state.enabled = self._target
        return self

    def __exit__(self, *exc) -> None:
        state.enabled = self._prev

    def __call__(self, func):
        if isinstance(func, type):
            raise TypeError(f"{type(self).__name__} cannot decorate a class")

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with copy.copy(self):
                return func(*args, **kwargs)
        return wrapper

    def clone(self):
        return copy.copy(self)


class _Switch(_GradModeContext):
    """A context that sets recording to ``_target``; ``@no_grad`` works without parentheses."""

    def __new__(cls, orig_func=None):
        if orig_func is not None and callable(orig_func):
            return cls()(orig_func)
        return super().__new__(cls)

    def __init__(self, orig_func=None):
        pass


class no_grad(_Switch):
    """Disable graph recording inside the block (``with ember.no_grad():`` or ``@no_grad()``)."""

    _target = False


class enable_grad(_Switch):
    """Re-enable graph recording inside a ``no_grad`` block."""

    _target = True


class set_grad_enabled(_GradModeContext):
    """Switch recording on or off; takes effect at once (also as a plain function call)."""

    def __init__(self, mode: bool):
        self._prev = state.enabled
        self._target = bool(mode)
        state.enabled = self._target

    def __enter__(self):
        state.enabled = self._target
        return self

    def __call__(self, func):
        state.enabled = self._prev
        return super().__call__(func)

    def __exit__(self, *exc) -> None:
        state.enabled = self._prev


class inference_mode(_GradModeContext):
    """Like no_grad (PyTorch additionally marks tensors made inside as inference tensors)."""

    def __new__(cls, mode=True):
        if callable(mode) and not isinstance(mode, bool):
            return cls(True)(mode)
        return super().__new__(cls)

    def __init__(self, mode: bool = True):
        self._mode = bool(mode) if not callable(mode) else True
        self._target = not self._mode

    def __enter__(self):
        self._prev = state.enabled
        self._prev_inference = state.inference
        if self._mode:
            state.enabled = False
        state.inference = self._mode
        return self

    def __exit__(self, *exc) -> None:
        state.enabled = self._prev
        state.inference = self._prev_inference
