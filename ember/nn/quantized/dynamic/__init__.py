"""PyTorch's legacy ``torch.nn.quantized.dynamic``: ember.ao.nn.quantized.dynamic's layers."""
from ....ao.nn.quantized.dynamic import *  # noqa: F401,F403
