"""DataParallel on one device: wraps a module so code written for torch's DataParallel runs.

Ember drives a single device, so there is no scatter/gather: like PyTorch with one GPU (or none),
the wrapper just calls the module. State-dict keys gain the ``module.`` prefix as in torch.
"""
from __future__ import annotations

from typing import Any, Sequence

from ... import cuda
from ..._device import to_device
from ..modules.module import Module

__all__ = ["DataParallel"]


class DataParallel(Module):
    """Runs ``module`` on ``device_ids[0]``; without CUDA, on the CPU (``device_ids`` ignored,
    as PyTorch does)."""

    def __init__(self, module: Module, device_ids: Sequence[Any] | None = None,
                 output_device: Any = None, dim: int = 0) -> None:
        super().__init__()
        self.module = module
        self.dim = dim
        if not cuda.is_available():
            self.device_ids = []
            self.output_device = None
            self.src_device_obj = None
            return
        if device_ids is None:
            device_ids = [0]
        self.device_ids = [_index(d) for d in device_ids]
        if len(self.device_ids) > 1:
            raise RuntimeError("ember.nn.DataParallel drives a single device; got device_ids="
                               f"{self.device_ids}")
        self.output_device = _index(output_device if output_device is not None
                                    else self.device_ids[0])
        self.src_device_obj = to_device(f"cuda:{self.device_ids[0]}")

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        if self.src_device_obj is not None:
            for t in self.module.parameters():
                if t.device != self.src_device_obj:
                    raise RuntimeError("module must have its parameters and buffers on device "
                                       f"{self.src_device_obj} (device_ids[0]) but found one of "
                                       f"them on device: {t.device}")
        return self.module(*inputs, **kwargs)


def _index(device: Any) -> int:
    if isinstance(device, int):
        return device
    return to_device(device).index or 0
