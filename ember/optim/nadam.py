"""NAdam (Adam with Nesterov momentum), as torch.optim.NAdam."""
from __future__ import annotations

from typing import Callable

import numpy as np

from .._device import CPU
from .._tensor import _make
from .adam import _check_adam_options, _zeros_like
from .optimizer import (Optimizer, _addcdiv_, _addcmul_, _bump, _check, _lerp_,
                        _prepared_grad, _real, _scalar, _step_tensor)

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """Adam whose first moment looks one step ahead, with a decaying momentum schedule."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False):
        _check_adam_options(lr, betas, eps, weight_decay)
        _check(momentum_decay >= 0.0, f"Invalid momentum_decay value: {momentum_decay}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        """One NAdam update of every parameter that has a gradient."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = _scalar(group["lr"])
            beta1, beta2 = (_scalar(b) for b in group["betas"])
            weight_decay = group["weight_decay"]
            decoupled = group["decoupled_weight_decay"]

            def init_state(state, p, group=group):
                state["step"] = _step_tensor()
                state["mu_product"] = _make(np.ones((), dtype=np.float32), CPU)
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
                bias_correction2 = 1 - beta2 ** step
                momentum_decay = group["momentum_decay"]
                mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
                mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
                mu_product = state["mu_product"]._data
                mu_product *= mu_product.dtype.type(mu)
                exp_avg = _real(state["exp_avg"]._data)
                exp_avg_sq = _real(state["exp_avg_sq"]._data)
                tmp = self._buffer(1, param)
                denom = self._buffer(2, param)
                _lerp_(exp_avg, grad, 1 - beta1, tmp)
                np.multiply(exp_avg_sq, exp_avg_sq.dtype.type(beta2), out=exp_avg_sq)
                _addcmul_(exp_avg_sq, grad, grad, 1 - beta2, tmp)
                np.divide(exp_avg_sq, denom.dtype.type(bias_correction2), out=denom)
                np.sqrt(denom, out=denom)
                np.add(denom, denom.dtype.type(group["eps"]), out=denom)
                product = float(mu_product)
                _addcdiv_(param, grad, denom, -lr * (1.0 - mu) / (1.0 - product), tmp)
                _addcdiv_(param, exp_avg, denom, (-lr * mu_next) / (1.0 - product * mu_next),
                          tmp)
                _bump(p)
            self._update_each(self._params_with_state(group, init_state), update)
        return loss
