"""Dynamic quantized layers (PyTorch's torch.ao.nn.quantized.dynamic.modules)."""
from .linear import Linear  # noqa: F401
from .rnn import GRU, LSTM  # noqa: F401

__all__ = ["GRU", "Linear", "LSTM"]
