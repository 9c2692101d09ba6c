"""LeNet-5 (LeCun et al., 1998) in its common modern form: ReLU and max-pooling.

Not part of torchvision; the layout (``features`` / ``classifier``) follows its other models.
"""
from __future__ import annotations

from typing import Any

import ember
from ember import Tensor, nn

from ._api import register_model

__all__ = ["LeNet5", "lenet5"]


class LeNet5(nn.Module):
    """Two 5x5 conv layers (6 and 16 maps) and three linear layers (120, 84, classes).

    Takes 1x28x28 images (MNIST); the first convolution pads by 2 as in the 32x32 original.
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1,
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, kernel_size=5, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=2, stride=2),
            nn.Conv2d(6, 16, kernel_size=5), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=2, stride=2),
        )
        self.classifier = nn.Sequential(
            nn.Linear(16 * 5 * 5, 120), nn.ReLU(inplace=True), nn.Dropout(p=dropout),
            nn.Linear(120, 84), nn.ReLU(inplace=True), nn.Linear(84, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(ember.flatten(self.features(x), 1))


@register_model()
def lenet5(*, weights: None = None, progress: bool = True, **kwargs: Any) -> LeNet5:
    """LeNet-5 for 28x28 single-channel digits (no pretrained weights)."""
    if weights is not None or kwargs.pop("pretrained", False):
        raise ValueError("lenet5 has no pretrained weights")
    return LeNet5(**kwargs)
