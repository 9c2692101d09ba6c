"""ember.nn: modules, layers, losses and initialisation (PyTorch's torch.nn)."""
from . import functional  # noqa: F401
