"""state_dict support for quantized layers, whose state is not parameters or buffers."""
from __future__ import annotations

import numpy as np

from ....._device import CPU
from ....._tensor import Tensor, _make
from .....nn.modules.module import Module, _queue

__all__ = ["QuantizedState", "scalar"]


def scalar(value, np_dtype) -> Tensor:
    """A 0-d tensor, as PyTorch stores ``scale`` and ``zero_point`` in state dicts."""
    return _make(np.array(value, dtype=np_dtype), CPU)


class QuantizedState(Module):
    """Base for layers that save named entries of their own (``_state()``) under PyTorch's
    keys and restore them with ``_set_state``, atomically with the rest of load_state_dict."""

    def _state(self) -> dict:
        raise NotImplementedError

    def _set_state(self, state: dict) -> None:
        raise NotImplementedError

    def _save_to_state_dict(self, destination: dict, prefix: str, keep_vars: bool) -> None:
        super()._save_to_state_dict(destination, prefix, keep_vars)
        for name, value in self._state().items():
            destination[prefix + name] = value

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs) -> None:
        state = {}
        for name in self._state():
            if prefix + name in state_dict:
                state[name] = state_dict.pop(prefix + name)
            elif strict:
                missing_keys.append(prefix + name)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)
        if len(state) == len(self._state()):
            _queue(lambda: self._set_state(state))
