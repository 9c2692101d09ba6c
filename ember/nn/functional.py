"""ember.nn.functional: the functional twin of every layer. Thin: the math lives in ember._ops."""
from .._ops import _registry as _r

globals().update(_r.NN_FUNCTIONAL)
