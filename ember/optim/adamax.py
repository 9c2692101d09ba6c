"""Adamax (Adam with the infinity norm), as torch.optim.Adamax."""
from __future__ import annotations

from typing import Callable

import numpy as np

from .adam import _check_adam_options, _zeros_like
from .optimizer import (Optimizer, _addcdiv_, _bump, _lerp_, _prepared_grad, _real, _scalar,
                        _step_tensor)

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adam's first moment over an exponentially weighted infinity norm of the gradients."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False):
        _check_adam_options(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        """One Adamax update of every parameter that has a gradient."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = _scalar(group["lr"])
            beta1, beta2 = (_scalar(b) for b in group["betas"])

            def init_state(state, p, group=group):
                state["step"] = _step_tensor()
                state["exp_avg"] = _zeros_like(p)
                state["exp_inf"] = _zeros_like(p)

            def update(p, state):
                param = _real(p._data)
                grad = _prepared_grad(self, param, _real(p.grad._data), group["maximize"],
                                      group["weight_decay"])
                step_t = state["step"]._data
                step_t += 1
                exp_avg = _real(state["exp_avg"]._data)
                exp_inf = _real(state["exp_inf"]._data)
                tmp = self._buffer(1, param)
                _lerp_(exp_avg, grad, 1 - beta1, tmp)
                np.multiply(exp_inf, exp_inf.dtype.type(beta2), out=exp_inf)
                np.abs(grad, out=tmp)
                np.add(tmp, tmp.dtype.type(group["eps"]), out=tmp)
                np.maximum(exp_inf, tmp, out=exp_inf)
                clr = lr / (1 - beta1 ** float(step_t))
                _addcdiv_(param, exp_avg, exp_inf, -clr, tmp)
                _bump(p)
            self._update_each(self._params_with_state(group, init_state), update)
        return loss
