"""DataParallel on one device: wraps a module so code written for torch's DataParallel runs.

Ember has no multi-GPU scatter/gather here: with one device PyTorch itself just calls the
module, which is what this does (the state_dict keys gain the ``module.`` prefix as in torch).
"""
from __future__ import annotations

from typing import Any, Sequence

from ..._device import to_device
from ..modules.module import Module

__all__ = ["DataParallel"]


class DataParallel(Module):
    """Runs ``module`` on ``device_ids[0]`` (Ember uses a single device)."""

    def __init__(self, module: Module, device_ids: Sequence[Any] | None = None,
                 output_device: Any = None, dim: int = 0) -> None:
        super().__init__()
        self.module = module
        self.dim = dim
        self.device_ids = [] if device_ids is None else list(device_ids)
        if len(self.device_ids) > 1:
            raise RuntimeError("ember.nn.DataParallel runs on a single device; got device_ids="
                               f"{self.device_ids}")
        self.output_device = output_device if output_device is not None else (
            self.device_ids[0] if self.device_ids else None)
        self.src_device_obj = to_device(_device_name(self.device_ids[0])) if self.device_ids \
            else None

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        if self.src_device_obj is not None:
            for t in self.module.parameters():
                if t.device != self.src_device_obj:
                    raise RuntimeError("module must have its parameters and buffers on device "
                                       f"{self.src_device_obj} (device_ids[0]) but found one of "
                                       f"them on device: {t.device}")
        return self.module(*inputs, **kwargs)


def _device_name(device_id) -> Any:
    return f"cuda:{device_id}" if isinstance(device_id, int) else device_id
