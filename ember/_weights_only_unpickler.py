"""The restricted unpickler behind ``ember.load(weights_only=True)``.

Only globals named in an exact allowlist of "module.name" strings can be looked up; nothing is
imported and no whole module root is trusted (NumPy alone ships functions that call exec).
BUILD is allowed only on instances (never on classes or functions), so a file cannot patch
attributes of a trusted class either.
"""
from __future__ import annotations

import _compat_pickle
import pickle
import types
from typing import Any, Callable

__all__ = ["Unpickler", "UnpicklingError"]

UnpicklingError = pickle.UnpicklingError


def _name_of(obj) -> str:
    return f"{obj.__module__}.{getattr(obj, '__qualname__', obj.__name__)}"


class Unpickler(pickle._Unpickler):
    """A pure-Python unpickler whose ``find_class`` only answers from ``allowed``."""

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, file, allowed: dict[str, Any], persistent_load: Callable | None = None,
                 encoding: str = "utf-8"):
        super().__init__(file, encoding=encoding)
        self._allowed = allowed
        if persistent_load is not None:
            self.persistent_load = persistent_load

    def find_class(self, module: str, name: str):
        if self.proto < 3:  # Python 2 names, as protocol 2 (torch's default) writes them
            if (module, name) in _compat_pickle.NAME_MAPPING:
                module, name = _compat_pickle.NAME_MAPPING[(module, name)]
            elif module in _compat_pickle.IMPORT_MAPPING:
                module = _compat_pickle.IMPORT_MAPPING[module]
        key = f"{module}.{name}"
        if key in self._allowed:
            return self._allowed[key]
        short = name.rsplit(".", 1)[-1]
        raise UnpicklingError(
            f"Unsupported global: GLOBAL {key} was not an allowed global by default. Please use "
            f"`ember.serialization.add_safe_globals([{short}])` or the "
            f"`ember.serialization.safe_globals([{short}])` context manager to allowlist this "
            "global if you trust this class/function.")

    def _build(self) -> None:
        inst = self.stack[-2]
        if isinstance(inst, (type, types.FunctionType, types.BuiltinFunctionType,
                             types.ModuleType)):
            raise UnpicklingError(f"Unsupported operation: BUILD on {type(inst).__name__} "
                                  "objects is not allowed in weights_only mode")
        pickle._Unpickler.load_build(self)

    dispatch[pickle.BUILD[0]] = _build
