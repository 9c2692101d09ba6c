"""Eager-mode int8 quantization (PyTorch's torch.ao.quantization)."""
from .observer import *  # noqa: F401,F403
from .observer import ObserverBase  # noqa: F401
from .qconfig import *  # noqa: F401,F403
from .stubs import DeQuantStub, QuantStub, QuantWrapper  # noqa: F401
from .fuse_modules import *  # noqa: F401,F403
from .quantization_mappings import *  # noqa: F401,F403
from .quantize import *  # noqa: F401,F403
