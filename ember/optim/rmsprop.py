"""RMSprop (plain, centered, with momentum), as torch.optim.RMSprop."""
from __future__ import annotations

from typing import Callable

import numpy as np

from .adam import _zeros_like
from .optimizer import (Optimizer, _addcdiv_, _addcmul_, _axpy_, _bump, _check, _lerp_,
                        _prepared_grad, _real, _scalar, _step_tensor)

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """Divide the gradient by a running root-mean-square of recent gradients."""

    def __init__(self, params, lr=1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False,
                 capturable: bool = False, foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False):
        _check(_scalar(lr) >= 0.0, f"Invalid learning rate: {lr}")
        _check(eps >= 0.0, f"Invalid epsilon value: {eps}")
        _check(momentum >= 0.0, f"Invalid momentum value: {momentum}")
        _check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        _check(alpha >= 0.0, f"Invalid alpha value: {alpha}")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        """One RMSprop update of every parameter that has a gradient."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = _scalar(group["lr"])
            alpha, momentum = group["alpha"], group["momentum"]

            def init_state(state, p, group=group):
                state["step"] = _step_tensor()
                state["square_avg"] = _zeros_like(p)
                if momentum > 0:
                    state["momentum_buffer"] = _zeros_like(p)
                if group["centered"]:
                    state["grad_avg"] = _zeros_like(p)

            def update(p, state):
                param = _real(p._data)
                grad = _prepared_grad(self, param, _real(p.grad._data), group["maximize"],
                                      group["weight_decay"])
                state["step"]._data += 1
                tmp = self._buffer(1, param)
                avg = self._buffer(2, param)
                square_avg = _real(state["square_avg"]._data)
                np.multiply(square_avg, square_avg.dtype.type(alpha), out=square_avg)
                _addcmul_(square_avg, grad, grad, 1 - alpha, tmp)
                if group["centered"]:
                    grad_avg = _real(state["grad_avg"]._data)
                    _lerp_(grad_avg, grad, 1 - alpha, tmp)
                    np.negative(grad_avg, out=tmp)
                    np.multiply(tmp, grad_avg, out=tmp)
                    np.add(square_avg, tmp, out=avg)
                    np.sqrt(avg, out=avg)
                else:
                    np.sqrt(square_avg, out=avg)
                np.add(avg, avg.dtype.type(group["eps"]), out=avg)
                if momentum > 0:
                    buf = _real(state["momentum_buffer"]._data)
                    np.multiply(buf, buf.dtype.type(momentum), out=buf)
                    np.divide(grad, avg, out=tmp)
                    np.add(buf, tmp, out=buf)
                    _axpy_(param, buf, -lr, tmp)
                else:
                    _addcdiv_(param, grad, avg, -lr, tmp)
                _bump(p)
            self._update_each(self._params_with_state(group, init_state), update)
        return loss
