"""PyTorch's legacy ``torch.nn.quantized`` namespace: the layers of ember.ao.nn.quantized."""
from ...ao.nn.quantized import *  # noqa: F401,F403
from . import dynamic  # noqa: F401,E402
