"""Building blocks shared by the models (torchvision.ops)."""
from .misc import MLP, Conv2dNormActivation  # noqa: F401
