import numpy as np
import pytest

import ember
from ember.autograd import functional as AF


def _x():
    return ember.tensor([1.0, 2.0, 3.0], dtype=ember.float64)


def test_jacobian_of_elementwise_square_is_diagonal():
    jac = AF.jacobian(lambda x: x ** 2, _x())
    np.testing.assert_allclose(jac.numpy(), np.diag([2.0, 4.0, 6.0]))


def test_hessian_of_cubic_sum():
    hess = AF.hessian(lambda x: (x ** 3).sum(), _x())
    np.testing.assert_allclose(hess.numpy(), np.diag([6.0, 12.0, 18.0]))


def test_vjp_and_jvp():
    v = ember.tensor([1.0, 0.0, 1.0], dtype=ember.float64)
    out, g = AF.vjp(lambda x: x * x, _x(), v)
    np.testing.assert_allclose(g.numpy(), [2.0, 0.0, 6.0])
    out, jv = AF.jvp(lambda x: x * x, _x(), v)
    np.testing.assert_allclose(jv.numpy(), [2.0, 0.0, 6.0])


def test_hvp():
    v = ember.ones(3, dtype=ember.float64)
    _, hv = AF.hvp(lambda x: (x ** 3).sum(), _x(), v)
    np.testing.assert_allclose(hv.numpy(), [6.0, 12.0, 18.0])


def test_jacobian_of_two_inputs():
    a, b = _x(), ember.tensor([0.5, 1.0, 2.0], dtype=ember.float64)
    ja, jb = AF.jacobian(lambda a, b: a * b, (a, b))
    np.testing.assert_allclose(ja.numpy(), np.diag([0.5, 1.0, 2.0]))
    np.testing.assert_allclose(jb.numpy(), np.diag([1.0, 2.0, 3.0]))
