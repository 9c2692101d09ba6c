"""Static quantized layers (PyTorch's torch.ao.nn.quantized.modules)."""
from .activation import ReLU, ReLU6  # noqa: F401
from .conv import Conv2d  # noqa: F401
from .functional_modules import FloatFunctional, QFunctional  # noqa: F401
from .linear import Linear  # noqa: F401
from .pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d  # noqa: F401
from .quantize import DeQuantize, Quantize  # noqa: F401

__all__ = ["AdaptiveAvgPool2d", "AvgPool2d", "Conv2d", "DeQuantize", "FloatFunctional", "Linear",
           "MaxPool2d", "QFunctional", "Quantize", "ReLU", "ReLU6"]
