"""Fused modules (PyTorch's torch.ao.nn.intrinsic); ``quantized`` holds their int8 forms."""
from .modules import *  # noqa: F401,F403
from .modules import __all__  # noqa: F401
from . import quantized  # noqa: F401,E402
