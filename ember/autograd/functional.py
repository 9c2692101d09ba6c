"""Higher-level derivatives built on ``autograd.grad``: vjp, jvp, jacobian, hessian, hvp, vhp.

Jacobians are assembled one output element at a time (a loop over rows, as PyTorch does
without ``vectorize``); fine for the small problems these are used on.
"""
from __future__ import annotations

from .grad_mode import enable_grad


def _grad(*args, **kwargs):
    from . import grad
    return grad(*args, **kwargs)


def stack(tensors):
    from .. import stack as _stack
    return _stack(tensors)


def _tuple(x):
    return (tuple(x), True) if isinstance(x, (tuple, list)) else ((x,), False)


def _prepare(inputs, create_graph):
    return tuple(t.detach().requires_grad_(True) if not create_graph or not t.requires_grad
                 else t for t in inputs)


def _grads(outputs, inputs, grad_outputs, create_graph):
    out = _grad(outputs, inputs, grad_outputs, retain_graph=True, create_graph=create_graph,
                allow_unused=True)
    return tuple(inp.new_zeros(inp.shape) if g is None else g for g, inp in zip(out, inputs))


def vjp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v^T J)."""
    inputs, many_in = _tuple(inputs)
    with enable_grad():
        inputs = _prepare(inputs, create_graph)
        outputs, many_out = _tuple(func(*inputs))
        vs = _tuple(v)[0] if v is not None else tuple(o.new_ones(o.shape) for o in outputs)
        grads = _grads(list(outputs), list(inputs), list(vs), create_graph)
    outs = tuple(o if create_graph else o.detach() for o in outputs)
    grads = tuple(g if create_graph else g.detach() for g in grads)
    return (outs if many_out else outs[0]), (grads if many_in else grads[0])


def jvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), J v), by differentiating a vjp with respect to its cotangent."""
    inputs, many_in = _tuple(inputs)
    vs = _tuple(v)[0] if v is not None else tuple(i.new_ones(i.shape) for i in inputs)
    with enable_grad():
        inputs = _prepare(inputs, create_graph)
        outputs, many_out = _tuple(func(*inputs))
        dummies = tuple(o.new_zeros(o.shape).requires_grad_(True) for o in outputs)
        grads = _grads(list(outputs), list(inputs), list(dummies), True)
        jv = _grads(list(grads), list(dummies), list(vs), create_graph)
    outs = tuple(o if create_graph else o.detach() for o in outputs)
    jv = tuple(g if create_graph else g.detach() for g in jv)
    return (outs if many_out else outs[0]), (jv if many_out else jv[0])


def jacobian(func, inputs, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode"):
    """d func(inputs) / d inputs, shaped output.shape + input.shape (nested per pair)."""
    inputs, many_in = _tuple(inputs)
    with enable_grad():
        inputs = _prepare(inputs, create_graph)
        outputs, many_out = _tuple(func(*inputs))
        result = []
        for out in outputs:
            flat = out.reshape(-1)
            rows = [[] for _ in inputs]
            for j in range(flat.numel()):
                grads = _grads([flat[j]], list(inputs), None, create_graph)
                for k, g in enumerate(grads):
                    rows[k].append(g if create_graph else g.detach())
            per_input = []
            for k, inp in enumerate(inputs):
                jac = stack(rows[k]) if rows[k] else inp.new_zeros((0,) + tuple(inp.shape))
                per_input.append(jac.reshape(tuple(out.shape) + tuple(inp.shape)))
            result.append(tuple(per_input) if many_in else per_input[0])
    return tuple(result) if many_out else result[0]


def hessian(func, inputs, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode"):
    """Second derivatives of a scalar function."""
    inputs_t, many_in = _tuple(inputs)

    def gradient(*args):
        out = func(*args)
        grads = _grads([out], list(args), None, True)
        return grads if many_in else grads[0]
    return jacobian(gradient, inputs_t if many_in else inputs_t[0], create_graph=create_graph)


def vhp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v^T H)."""
    inputs, many_in = _tuple(inputs)
    with enable_grad():
        inputs = _prepare(inputs, create_graph)
        out = func(*inputs)
        grads = _grads([out], list(inputs), None, True)
        vs = _tuple(v)[0] if v is not None else tuple(i.new_ones(i.shape) for i in inputs)
        result = _grads(list(grads), list(inputs), list(vs), create_graph)
    result = tuple(r if create_graph else r.detach() for r in result)
    return out.detach(), (result if many_in else result[0])


hvp = vhp  # the Hessian is symmetric, so v^T H == (H v)^T
