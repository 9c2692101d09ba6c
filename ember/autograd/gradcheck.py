"""Finite-difference checks of analytical gradients (use float64 inputs)."""
from __future__ import annotations

import numpy as np


class GradcheckError(RuntimeError):
    """Raised by gradcheck when analytical and numerical gradients disagree."""


def _tensors(inputs):
    from .._tensor import Tensor
    return [x for x in inputs if isinstance(x, Tensor)]


def _flat_outputs(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _numerical_jacobian(fn, inputs, target, eps):
    """d(all outputs flattened)/d(target flattened), by central differences."""
    from .grad_mode import no_grad
    data = target._data
    flat = data.reshape(-1)
    columns = []
    with no_grad():
        for i in range(flat.size):
            orig = flat[i].item()
            flat[i] = orig + eps
            plus = [o._data.astype(np.float64).reshape(-1).copy() for o in _flat_outputs(
                fn(*inputs)) if o is not None]
            flat[i] = orig - eps
            minus = [o._data.astype(np.float64).reshape(-1).copy() for o in _flat_outputs(
                fn(*inputs)) if o is not None]
            flat[i] = orig
            columns.append(np.concatenate([(p - m) / (2 * eps) for p, m in zip(plus, minus)])
                           if plus else np.zeros(0))
    return np.stack(columns, axis=1) if columns else np.zeros((0, 0))


def _analytical_jacobian(fn, inputs, targets):
    from . import grad as autograd_grad
    outputs = [o for o in _flat_outputs(fn(*inputs)) if o is not None]
    rows = {id(t): [] for t in targets}
    for out in outputs:
        flat_size = out.numel()
        for j in range(flat_size):
            if not out.requires_grad:
                for t in targets:
                    rows[id(t)].append(np.zeros(t.numel()))
                continue
            seed = out.new_zeros(out.shape)
            seed._data.reshape(-1)[j] = 1
            grads = autograd_grad([out], targets, [seed], retain_graph=True, allow_unused=True)
            for t, g in zip(targets, grads):
                rows[id(t)].append(np.zeros(t.numel()) if g is None else
                                   g._data.astype(np.float64).reshape(-1).copy())
    return {k: (np.stack(v) if v else np.zeros((0, 0))) for k, v in rows.items()}


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, nondet_tol: float = 0.0, check_undefined_grad=True,
              check_grad_dtypes=False, check_batched_grad=False, fast_mode=False,
              masked=None) -> bool:
    """Compare autograd's Jacobian of ``func`` with central finite differences."""
    from .._tensor import Tensor
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    targets = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    if not targets:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but "
                         "none of the them have requires_grad=True.")
    analytical = _analytical_jacobian(func, inputs, targets)
    for k, t in enumerate(targets):
        if t.dtype.name != "float64":
            import warnings
            warnings.warn(f"Input #{k} requires gradient and is not a double precision floating "
                          "point. gradcheck should use float64 inputs.")
        numerical = _numerical_jacobian(func, inputs, t, eps)
        a = analytical[id(t)]
        if a.shape != numerical.shape or not np.allclose(a, numerical, rtol=rtol, atol=atol):
            if not raise_exception:
                return False
            raise GradcheckError(f"Jacobian mismatch for output 0 with respect to input {k},\n"
                                 f"numerical:{numerical}\nanalytical:{a}\n")
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, gen_non_contig_grad_outputs=False,
                  raise_exception: bool = True, **kwargs) -> bool:
    """gradcheck of the first derivative (checks second-order gradients)."""
    from . import grad as autograd_grad
    from .._tensor import Tensor
    from .._ops.random import randn
    from .grad_mode import enable_grad
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    targets = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    outputs = [o for o in _flat_outputs(func(*inputs)) if o is not None and o.requires_grad]
    if grad_outputs is None:
        grad_outputs = [randn(*o.shape, dtype=o.dtype).requires_grad_(True) for o in outputs]
    n_in = len(inputs)

    def first_derivative(*args):
        with enable_grad():
            return _first_derivative(*args)

    def _first_derivative(*args):
        ins, gos = args[:n_in], args[n_in:]
        outs = [o for o in _flat_outputs(func(*ins)) if o is not None and o.requires_grad]
        tgts = [x for x in ins if isinstance(x, Tensor) and x.requires_grad]
        grads = autograd_grad(outs, tgts, list(gos), create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivative, tuple(inputs) + tuple(grad_outputs), eps=eps, atol=atol,
                     rtol=rtol, raise_exception=raise_exception)
