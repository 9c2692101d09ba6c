"""Tensor repr in PyTorch's layout (expected text taken from torch 2.x, prefix swapped)."""
import pytest

import ember

CASES = [
    ('ember.tensor([1., 2.5, 3.])',
     'tensor([1.0000, 2.5000, 3.0000])'),
    ('ember.tensor([1., 2., 3.])',
     'tensor([1., 2., 3.])'),
    ('ember.tensor([[1, 2], [30, 4]])',
     'tensor([[ 1,  2],\n        [30,  4]])'),
    ('ember.tensor([True, False])',
     'tensor([ True, False])'),
    ('ember.tensor(3.5)',
     'tensor(3.5000)'),
    ('ember.tensor(3)',
     'tensor(3)'),
    ('ember.tensor([])',
     'tensor([])'),
    ('ember.zeros(0, 3)',
     'tensor([], size=(0, 3))'),
    ('ember.tensor([1e-5, 1.0, 1e5])',
     'tensor([1.0000e-05, 1.0000e+00, 1.0000e+05])'),
    ('ember.tensor([1e10, 1.0])',
     'tensor([1.0000e+10, 1.0000e+00])'),
    ('ember.tensor([1.5, 2.0], dtype=ember.float64)',
     'tensor([1.5000, 2.0000], dtype=ember.float64)'),
    ('ember.tensor([1, 2], dtype=ember.int32)',
     'tensor([1, 2], dtype=ember.int32)'),
    ('ember.tensor([1.0, 2.0], requires_grad=True)',
     'tensor([1., 2.], requires_grad=True)'),
    ('ember.tensor([1.0, 2.0], requires_grad=True) * 2',
     'tensor([2., 4.], grad_fn=<MulBackward0>)'),
    ('ember.arange(2000).reshape(40, 50)',
     ('tensor([[   0,    1,    2,  ...,   47,   48,   49],\n'
      '        [  50,   51,   52,  ...,   97,   98,   99],\n'
      '        [ 100,  101,  102,  ...,  147,  148,  149],\n'
      '        ...,\n'
      '        [1850, 1851, 1852,  ..., 1897, 1898, 1899],\n'
      '        [1900, 1901, 1902,  ..., 1947, 1948, 1949],\n'
      '        [1950, 1951, 1952,  ..., 1997, 1998, 1999]])')),
    ('ember.arange(2000.)',
     ('tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n'
      '        1.9990e+03])')),
    ('ember.tensor([1+2j, 3-4j])',
     'tensor([1.+2.j, 3.-4.j])'),
    ('ember.tensor([1.5+2j, 3-4.25j])',
     'tensor([1.5000+2.0000j, 3.0000-4.2500j])'),
    ("ember.tensor([float('nan'), float('inf'), -1.5])",
     'tensor([    nan,     inf, -1.5000])'),
    ('ember.tensor([[1.12345, -2.5], [3., 4.]])',
     'tensor([[ 1.1235, -2.5000],\n        [ 3.0000,  4.0000]])'),
    ('ember.tensor(2.0, dtype=ember.float64)',
     'tensor(2., dtype=ember.float64)'),
    ('ember.tensor([0.0, -0.0])',
     'tensor([0., -0.])'),
    ('ember.zeros(2, 0, dtype=ember.int64)',
     'tensor([], size=(2, 0), dtype=ember.int64)'),
    ('ember.tensor([123456789.0, 1.5])',
     'tensor([1.2346e+08, 1.5000e+00])'),
    ('ember.ones(3, 3, 3)',
     ('tensor([[[1., 1., 1.],\n'
      '         [1., 1., 1.],\n'
      '         [1., 1., 1.]],\n'
      '\n'
      '        [[1., 1., 1.],\n'
      '         [1., 1., 1.],\n'
      '         [1., 1., 1.]],\n'
      '\n'
      '        [[1., 1., 1.],\n'
      '         [1., 1., 1.],\n'
      '         [1., 1., 1.]]])')),
    ('ember.tensor([1., 2.], dtype=ember.float16)',
     'tensor([1., 2.], dtype=ember.float16)'),
    ('ember.arange(30.).reshape(3, 10) * 1000',
     ('tensor([[    0.,  1000.,  2000.,  3000.,  4000.,  5000.,  6000.,  7000.,  8000.,\n'
      '          9000.],\n'
      '        [10000., 11000., 12000., 13000., 14000., 15000., 16000., 17000., 18000.,\n'
      '         19000.],\n'
      '        [20000., 21000., 22000., 23000., 24000., 25000., 26000., 27000., 28000.,\n'
      '         29000.]])')),
    ('ember.tensor([[1, -2], [3, 4]], dtype=ember.uint8)',
     'tensor([[  1, 254],\n        [  3,   4]], dtype=ember.uint8)'),
    ('ember.tensor(True)',
     'tensor(True)'),
    ('ember.tensor([1e-10, 0.])',
     'tensor([1.0000e-10, 0.0000e+00])'),
    ('ember.tensor([1.0, 2.0], requires_grad=True).sum()',
     'tensor(3., grad_fn=<SumBackward0>)'),
    ("ember.tensor([[1.5, float('nan')], [float('-inf'), 2.25]])",
     'tensor([[1.5000,    nan],\n        [  -inf, 2.2500]])'),
    ('ember.arange(24.).reshape(2, 3, 4) / 7',
     ('tensor([[[0.0000, 0.1429, 0.2857, 0.4286],\n'
      '         [0.5714, 0.7143, 0.8571, 1.0000],\n'
      '         [1.1429, 1.2857, 1.4286, 1.5714]],\n'
      '\n'
      '        [[1.7143, 1.8571, 2.0000, 2.1429],\n'
      '         [2.2857, 2.4286, 2.5714, 2.7143],\n'
      '         [2.8571, 3.0000, 3.1429, 3.2857]]])')),
]


@pytest.mark.parametrize("expression, expected", CASES, ids=[c[0] for c in CASES])
def test_repr_matches_torch_layout(expression, expected):
    assert repr(eval(expression, {"ember": ember})) == expected


def test_printoptions_precision_and_sci_mode():
    try:
        ember.set_printoptions(precision=2, sci_mode=True)
        assert repr(ember.tensor([1.5, 2.0])) == "tensor([1.50e+00, 2.00e+00])"
    finally:
        ember.set_printoptions(profile="default")
        ember.set_printoptions(sci_mode=None)
