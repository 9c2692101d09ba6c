"""RAdam (rectified Adam), as torch.optim.RAdam."""
from __future__ import annotations

from typing import Callable

import numpy as np

from .adam import _check_adam_options, _zeros_like
from .optimizer import (Optimizer, _addcmul_, _bump, _lerp_, _prepared_grad, _real, _scalar,
                        _step_tensor)

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """Adam with its adaptive step switched on only once the variance estimate is tractable."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False):
        _check_adam_options(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        """One RAdam update of every parameter that has a gradient."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = _scalar(group["lr"])
            beta1, beta2 = (_scalar(b) for b in group["betas"])
            weight_decay = group["weight_decay"]
            decoupled = group["decoupled_weight_decay"]

            def init_state(state, p, group=group):
                state["step"] = _step_tensor()
                state["exp_avg"] = _zeros_like(p)
                state["exp_avg_sq"] = _zeros_like(p)

            def update(p, state):
                param = _real(p._data)
                if decoupled and weight_decay != 0:
                    np.multiply(param, param.dtype.type(1 - lr * weight_decay), out=param)
                grad = _prepared_grad(self, param, _real(p.grad._data), group["maximize"],
                                      0 if decoupled else weight_decay)
                step_t = state["step"]._data
                step_t += 1
                step = float(step_t)
                exp_avg = _real(state["exp_avg"]._data)
                exp_avg_sq = _real(state["exp_avg_sq"]._data)
                tmp = self._buffer(1, param)
                update = self._buffer(2, param)
                _lerp_(exp_avg, grad, 1 - beta1, tmp)
                np.multiply(exp_avg_sq, exp_avg_sq.dtype.type(beta2), out=exp_avg_sq)
                _addcmul_(exp_avg_sq, grad, grad, 1 - beta2, tmp)
                bias_correction1 = 1 - beta1 ** step
                bias_correction2 = 1 - beta2 ** step
                dt = param.dtype.type
                np.divide(exp_avg, dt(bias_correction1), out=update)
                np.multiply(update, dt(lr), out=update)
                rho_inf = 2 / (1 - beta2) - 1
                rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
                if rho_t > 5.0:
                    np.sqrt(exp_avg_sq, out=tmp)
                    np.add(tmp, dt(group["eps"]), out=tmp)
                    np.divide(dt(bias_correction2 ** 0.5), tmp, out=tmp)
                    np.multiply(update, tmp, out=update)
                    rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                            / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                    np.multiply(update, dt(rect), out=update)
                np.subtract(param, update, out=param)
                _bump(p)
            self._update_each(self._params_with_state(group, init_state), update)
        return loss
