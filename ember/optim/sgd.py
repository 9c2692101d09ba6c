"""SGD with momentum, dampening, Nesterov momentum and L2 weight decay, as torch.optim.SGD."""
from __future__ import annotations

from typing import Callable

import numpy as np

from .._tensor import _make
from .optimizer import (Optimizer, _axpy_, _bump, _check, _prepared_grad, _real, _scalar)

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent (optionally with momentum), as ``torch.optim.SGD``."""

    def __init__(self, params, lr=1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, differentiable: bool = False,
                 fused: bool | None = None):
        _check(_scalar(lr) >= 0.0, f"Invalid learning rate: {lr}")
        _check(momentum >= 0.0, f"Invalid momentum value: {momentum}")
        _check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        _check(not nesterov or (momentum > 0 and dampening == 0),
               "Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                        foreach=foreach, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        """One SGD update of every parameter that has a gradient."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = _scalar(group["lr"])
            momentum = group["momentum"]
            dampening = group["dampening"]

            def update(p, _):
                param = _real(p._data)
                grad = _prepared_grad(self, param, _real(p.grad._data), group["maximize"],
                                      group["weight_decay"])
                if momentum != 0:
                    state = self.state[p]
                    buf_t = state.get("momentum_buffer")
                    if buf_t is None:
                        buf_t = _make(p.grad._data.copy(), p._device)
                        np.copyto(_real(buf_t._data), grad)
                        state["momentum_buffer"] = buf_t
                    else:
                        buf = _real(buf_t._data)
                        np.multiply(buf, buf.dtype.type(momentum), out=buf)
                        if dampening == 0:
                            np.add(buf, grad, out=buf)
                        else:
                            _axpy_(buf, grad, 1 - dampening, self._buffer(1, buf))
                    buf = _real(buf_t._data)
                    if group["nesterov"]:
                        out = self._buffer(0, buf)
                        tmp = self._buffer(1, buf)
                        np.multiply(buf, buf.dtype.type(momentum), out=tmp)
                        np.add(grad, tmp, out=out)
                        grad = out
                    else:
                        grad = buf
                _axpy_(param, grad, -lr, self._buffer(2, param))
                _bump(p)
            self._update_each(((p, None) for p in group["params"] if p.grad is not None),
                              update)
        return loss
