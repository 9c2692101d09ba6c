"""Dynamic quantized layers: weights int8, activations quantized per batch at run time."""
from .modules import *  # noqa: F401,F403
from .modules import __all__  # noqa: F401
