"""Quantized layers (PyTorch's torch.ao.nn.quantized); ``dynamic`` holds the dynamic ones."""
from .modules import *  # noqa: F401,F403
from .modules import __all__  # noqa: F401
from . import dynamic  # noqa: F401,E402
