import gc
import weakref

import numpy as np
import pytest

import ember
from tests.conftest import check_grad


def test_backward_accumulates_into_leaves():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 7.0])


def test_broadcast_gradient_is_reduced_to_input_shape():
    a = ember.ones(3, 1, requires_grad=True)
    b = ember.ones(4, requires_grad=True)
    (a + b).sum().backward()
    assert a.grad.shape == (3, 1) and b.grad.shape == (4,)
    np.testing.assert_allclose(a.grad.numpy(), np.full((3, 1), 4.0))
    np.testing.assert_allclose(b.grad.numpy(), np.full(4, 3.0))


def test_second_backward_through_freed_graph_raises():
    x = ember.ones(3, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_retain_graph_allows_second_backward():
    x = ember.ones(3, requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 4.0, 4.0])


def test_inplace_modification_of_saved_tensor_raises():
    x = ember.ones(3, requires_grad=True)
    y = x.exp()
    z = y * y
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_inplace_on_leaf_requiring_grad_raises():
    x = ember.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.add_(1)


def test_backward_on_non_scalar_needs_gradient():
    x = ember.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        (x * 2).backward()


def test_deep_graph_does_not_recurse():
    x = ember.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(20000):
        y = y * 1.0
    y.sum().backward()
    assert x.grad.item() == 1.0


def test_graph_is_freed_without_garbage_collector():
    gc.disable()
    try:
        x = ember.ones(10, requires_grad=True)
        y = (x * 2).exp()
        ref = weakref.ref(y.grad_fn)
        loss = y.sum()
        del y, loss
        assert ref() is None
    finally:
        gc.enable()


def test_memory_flat_over_many_steps():
    import tracemalloc
    w = ember.randn(64, 64, requires_grad=True)
    x = ember.randn(32, 64)
    tracemalloc.start()
    for step in range(1500):
        loss = (x @ w).tanh().sum()
        loss.backward()
        w.grad = None
        if step == 200:
            base = tracemalloc.get_traced_memory()[0]
    growth = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    assert growth < 200_000


def test_autograd_grad_returns_without_accumulating():
    x = ember.tensor([2.0], requires_grad=True)
    (g,) = ember.autograd.grad((x ** 3).sum(), x)
    assert x.grad is None
    assert g.item() == pytest.approx(12.0)


def test_higher_order_gradient():
    x = ember.tensor([2.0], requires_grad=True)
    (g,) = ember.autograd.grad((x ** 3).sum(), x, create_graph=True)
    (gg,) = ember.autograd.grad(g.sum(), x)
    assert gg.item() == pytest.approx(12.0)


def test_allow_unused():
    x = ember.ones(2, requires_grad=True)
    y = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="not have been used"):
        ember.autograd.grad((x * 2).sum(), [x, y])
    gx, gy = ember.autograd.grad((x * 2).sum(), [x, y], allow_unused=True)
    assert gy is None


def test_hooks_on_leaf_and_non_leaf():
    x = ember.ones(2, requires_grad=True)
    x.register_hook(lambda g: g * 10)
    y = x * 2
    seen = []
    y.register_hook(lambda g: seen.append(g.clone()))
    y.retain_grad()
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [20.0, 20.0])
    np.testing.assert_allclose(y.grad.numpy(), [1.0, 1.0])
    assert len(seen) == 1


def test_no_grad_and_set_grad_enabled():
    x = ember.ones(2, requires_grad=True)
    with ember.no_grad():
        assert not (x * 2).requires_grad
    with ember.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad

    @ember.no_grad()
    def f(t):
        return t * 2
    assert not f(x).requires_grad


def test_custom_function():
    class Cube(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x ** 2

    x = ember.tensor([2.0], requires_grad=True)
    y = Cube.apply(x)
    assert y.grad_fn.name() == "CubeBackward"
    y.backward()
    assert x.grad.item() == pytest.approx(12.0)


def test_write_through_view_reaches_base_and_gradients():
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    z = ember.zeros(4)
    z[1:3] = w * 3
    z.sum().backward()
    np.testing.assert_allclose(z.detach().numpy(), [0, 3, 6, 0])
    np.testing.assert_allclose(w.grad.numpy(), [3.0, 3.0])


def test_detect_anomaly_names_forward_op():
    x = ember.tensor([0.0], requires_grad=True)
    with ember.autograd.detect_anomaly():
        y = x.sqrt() * 0
        with pytest.raises(RuntimeError, match="nan"):
            (y / y).sum().backward()


@pytest.mark.parametrize("fn", [
    lambda a, b: a * b + a / b,
    lambda a, b: (a - b) ** 2,
    lambda a, b: a @ b.t(),
])
def test_gradcheck_binary(fn):
    check_grad(fn, (3, 4), (3, 4), positive=True)
