"""Adadelta, as torch.optim.Adadelta."""
from __future__ import annotations

from typing import Callable

import numpy as np

from .adam import _zeros_like
from .optimizer import (Optimizer, _addcmul_, _axpy_, _bump, _check, _prepared_grad, _real,
                        _scalar, _step_tensor)

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Steps sized by the ratio of running RMS of updates to running RMS of gradients."""

    def __init__(self, params, lr=1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 capturable: bool = False, maximize: bool = False,
                 differentiable: bool = False):
        _check(_scalar(lr) >= 0.0, f"Invalid learning rate: {lr}")
        _check(0.0 <= rho <= 1.0, f"Invalid rho value: {rho}")
        _check(eps >= 0.0, f"Invalid epsilon value: {eps}")
        _check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        """One Adadelta update of every parameter that has a gradient."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, rho = _scalar(group["lr"]), group["rho"]

            def init_state(state, p, group=group):
                state["step"] = _step_tensor()
                state["square_avg"] = _zeros_like(p)
                state["acc_delta"] = _zeros_like(p)

            def update(p, state):
                param = _real(p._data)
                grad = _prepared_grad(self, param, _real(p.grad._data), group["maximize"],
                                      group["weight_decay"])
                state["step"]._data += 1
                eps = param.dtype.type(group["eps"])
                square_avg = _real(state["square_avg"]._data)
                acc_delta = _real(state["acc_delta"]._data)
                tmp = self._buffer(1, param)
                std = self._buffer(2, param)
                delta = self._buffer(3, param)
                np.multiply(square_avg, square_avg.dtype.type(rho), out=square_avg)
                _addcmul_(square_avg, grad, grad, 1 - rho, tmp)
                np.add(square_avg, eps, out=std)
                np.sqrt(std, out=std)
                np.add(acc_delta, eps, out=delta)
                np.sqrt(delta, out=delta)
                np.divide(delta, std, out=delta)
                np.multiply(delta, grad, out=delta)
                np.multiply(acc_delta, acc_delta.dtype.type(rho), out=acc_delta)
                _addcmul_(acc_delta, delta, delta, 1 - rho, tmp)
                _axpy_(param, delta, -lr, tmp)
                _bump(p)
            self._update_each(self._params_with_state(group, init_state), update)
        return loss
