"""Architecture optimisation: int8 quantization (PyTorch's torch.ao)."""
from . import nn, quantization  # noqa: F401
