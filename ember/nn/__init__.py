"""ember.nn: modules, layers, losses and initialisation (PyTorch's torch.nn)."""
from .parameter import Buffer, Parameter  # noqa: F401
from .parameter import UninitializedBuffer, UninitializedParameter  # noqa: F401
from .modules import *  # noqa: F401,F403
from .modules import Module  # noqa: F401
from . import functional, init, parameter, utils  # noqa: F401
from .parallel import DataParallel  # noqa: F401


def __getattr__(name: str):
    # nn.quantized (PyTorch's legacy alias of ao.nn.quantized) loads on first use.
    if name == "quantized":
        import importlib
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'ember.nn' has no attribute {name!r}")
