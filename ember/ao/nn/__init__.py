"""Quantized and fused layers (PyTorch's torch.ao.nn)."""
from . import intrinsic, quantized  # noqa: F401
