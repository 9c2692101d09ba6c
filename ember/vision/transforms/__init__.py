"""Image transforms (torchvision.transforms): PIL images and tensor images alike."""
from .transforms import *  # noqa: F401,F403
from .transforms import __all__ as _transforms_all
from .autoaugment import *  # noqa: F401,F403
from .autoaugment import __all__ as _autoaugment_all
from . import functional  # noqa: F401

__all__ = _transforms_all + _autoaugment_all
