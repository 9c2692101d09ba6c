"""PyTorch's legacy ``torch.quantization`` namespace: the objects of ember.ao.quantization."""
from ..ao.quantization import *  # noqa: F401,F403
from ..ao.quantization import ObserverBase, fuse_modules  # noqa: F401
