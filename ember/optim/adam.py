"""Adam (and, with ``decoupled_weight_decay``, AdamW), as torch.optim.Adam."""
from __future__ import annotations

from typing import Callable

import numpy as np

from .._tensor import _make
from .optimizer import (Optimizer, _addcdiv_, _addcmul_, _bump, _check, _lerp_,
                        _prepared_grad, _real, _scalar, _step_tensor)

__all__ = ["Adam"]


def _zeros_like(p):
    """A zero state tensor shaped and typed like parameter ``p``, on its device."""
    xp = p._device.backend.xp
    return _make(xp.zeros(p._data.shape, dtype=p._data.dtype), p._device)


def _check_adam_options(lr, betas, eps, weight_decay) -> None:
    _check(_scalar(lr) >= 0.0, f"Invalid learning rate: {lr}")
    _check(eps >= 0.0, f"Invalid epsilon value: {eps}")
    _check(0.0 <= _scalar(betas[0]) < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
    _check(0.0 <= _scalar(betas[1]) < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")
    _check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")


class Adam(Optimizer):
    """Adam: moment estimates of the gradient and its square, with bias correction."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None, decoupled_weight_decay: bool = False):
        _check_adam_options(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        """One Adam update of every parameter that has a gradient."""
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
                if group["amsgrad"]:
                    state["max_exp_avg_sq"] = _zeros_like(p)

            def update(p, state):
                param = _real(p._data)
                if decoupled and weight_decay != 0:
                    np.multiply(param, param.dtype.type(1 - lr * weight_decay), out=param)
                    grad = _prepared_grad(self, param, _real(p.grad._data), group["maximize"],
                                          0)
                else:
                    grad = _prepared_grad(self, param, _real(p.grad._data), group["maximize"],
                                          weight_decay)
                step_t = state["step"]._data
                step_t += 1
                step = float(step_t)
                exp_avg = _real(state["exp_avg"]._data)
                exp_avg_sq = _real(state["exp_avg_sq"]._data)
                tmp = self._buffer(1, param)
                denom = self._buffer(2, param)
                _lerp_(exp_avg, grad, 1 - beta1, tmp)
                np.multiply(exp_avg_sq, exp_avg_sq.dtype.type(beta2), out=exp_avg_sq)
                _addcmul_(exp_avg_sq, grad, grad, 1 - beta2, tmp)
                bias_correction1 = 1 - beta1 ** step
                bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
                step_size = lr / bias_correction1
                if group["amsgrad"]:
                    second = _real(state["max_exp_avg_sq"]._data)
                    np.maximum(second, exp_avg_sq, out=second)
                else:
                    second = exp_avg_sq
                np.sqrt(second, out=denom)
                np.divide(denom, denom.dtype.type(bias_correction2_sqrt), out=denom)
                np.add(denom, denom.dtype.type(group["eps"]), out=denom)
                _addcdiv_(param, exp_avg, denom, -step_size, tmp)
                _bump(p)
            self._update_each(self._params_with_state(group, init_state), update)
        return loss
