"""The differentiable op library, one module per family. Importing this package registers every
op in ``_registry``; ``ember/__init__`` then exports them."""
from . import _registry  # noqa: F401
from . import pointwise, transcendental, rounding, complex  # noqa: F401
from . import logical, reduce, statistics, scan, sorting  # noqa: F401
from . import shape, rearrange, join, diagonal, copy, creation  # noqa: F401
from . import random, index, index_select, masked, scatter  # noqa: F401
from . import linalg, einsum, decomposition, norms  # noqa: F401
from . import activation, dropout, linear, loss, margin_loss  # noqa: F401
from . import conv, padding, pooling, resample, normalization, rnn, attention  # noqa: F401
from . import ctc, distance  # noqa: F401
