"""ember.vision: transforms, datasets, models and image utilities (torchvision for Ember)."""
from . import datasets, io, models, ops, transforms, tv_tensors, utils  # noqa: F401

__version__ = "0.1.0"
