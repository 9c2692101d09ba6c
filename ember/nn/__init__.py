"""ember.nn: modules, layers, losses and initialisation (PyTorch's torch.nn)."""
from .parameter import Buffer, Parameter  # noqa: F401
from .parameter import UninitializedBuffer, UninitializedParameter  # noqa: F401
from .modules import *  # noqa: F401,F403
from .modules import Module  # noqa: F401
from . import functional, init, parameter, utils  # noqa: F401
from .parallel import DataParallel  # noqa: F401
