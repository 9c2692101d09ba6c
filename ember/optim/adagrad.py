"""Adagrad, as torch.optim.Adagrad."""
from __future__ import annotations

from typing import Callable

import numpy as np

from .._tensor import _make
from .optimizer import (Optimizer, _addcdiv_, _bump, _check, _prepared_grad, _real, _scalar,
                        _step_tensor)

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Per-coordinate steps scaled by the root of the summed squared gradients."""

    def __init__(self, params, lr=1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10,
                 foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None):
        _check(_scalar(lr) >= 0.0, f"Invalid learning rate: {lr}")
        _check(lr_decay >= 0.0, f"Invalid lr_decay value: {lr_decay}")
        _check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        _check(initial_accumulator_value >= 0.0,
               f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        _check(eps >= 0.0, f"Invalid epsilon value: {eps}")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        # PyTorch creates Adagrad's state up front, for every parameter.
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _init_state(self, p, group) -> None:
        state = self.state[p]
        state["step"] = _step_tensor()
        init = group["initial_accumulator_value"]
        value = complex(init, init) if p._data.dtype.kind == "c" else init
        xp = p._device.backend.xp
        state["sum"] = _make(xp.full(p._data.shape, value, dtype=p._data.dtype), p._device)

    def step(self, closure: Callable | None = None):
        """One Adagrad update of every parameter that has a gradient."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = _scalar(group["lr"])

            def init_state(state, p, group=group):
                self._init_state(p, group)  # a group added after construction

            def update(p, state):
                param = _real(p._data)
                grad = _prepared_grad(self, param, _real(p.grad._data), group["maximize"],
                                      group["weight_decay"])
                step_t = state["step"]._data
                step_t += 1
                clr = lr / (1 + (float(step_t) - 1) * group["lr_decay"])
                state_sum = _real(state["sum"]._data)
                tmp = self._buffer(1, param)
                std = self._buffer(2, param)
                np.multiply(grad, grad, out=tmp)
                np.add(state_sum, tmp, out=state_sum)
                np.sqrt(state_sum, out=std)
                np.add(std, std.dtype.type(group["eps"]), out=std)
                _addcdiv_(param, grad, std, -clr, tmp)
                _bump(p)
            self._update_each(self._params_with_state(group, init_state), update)
        return loss
