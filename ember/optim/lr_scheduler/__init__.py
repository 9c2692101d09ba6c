"""Learning-rate schedules, as torch.optim.lr_scheduler.

Each ``step()`` computes the new rates from the current ones with PyTorch's recursive
(chainable) formulas, so sequences agree with PyTorch to the last bit and schedulers compose.
``step(epoch)`` uses the closed form where PyTorch has one.

The base class is in _base.py, the schedules by family in _simple.py, _composite.py,
_plateau.py and _cyclic.py; this package exports them all, as torch's module does.
"""
from ._base import EPOCH_DEPRECATION_WARNING, LRScheduler, _LRScheduler  # noqa: F401
from ._composite import ChainedScheduler, SequentialLR
from ._cyclic import CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR
from ._plateau import ReduceLROnPlateau
from ._simple import (ConstantLR, CosineAnnealingLR, ExponentialLR, LambdaLR, LinearLR,
                      MultiplicativeLR, MultiStepLR, PolynomialLR, StepLR)

__all__ = ["LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR",
           "LinearLR", "ExponentialLR", "SequentialLR", "CosineAnnealingLR", "ChainedScheduler",
           "ReduceLROnPlateau", "CyclicLR", "CosineAnnealingWarmRestarts", "OneCycleLR",
           "PolynomialLR"]
