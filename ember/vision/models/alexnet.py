"""AlexNet (Krizhevsky et al., 2012), torchvision's single-tower variant."""
from __future__ import annotations

from functools import partial
from typing import Any

import ember
from ember import Tensor, nn

from ..transforms._presets import ImageClassification
from ._api import Weights, WeightsEnum, _legacy_weights, _load_weights, _ovewrite_named_param
from ._api import register_model

__all__ = ["AlexNet", "AlexNet_Weights", "alexnet"]


class AlexNet(nn.Module):
    def __init__(self, num_classes: int = 1000, dropout: float = 0.5) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
            nn.Dropout(p=dropout), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        x = ember.flatten(self.avgpool(self.features(x)), 1)
        return self.classifier(x)


class AlexNet_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/alexnet-owt-7be5be79.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={"num_params": 61100840, "min_size": (63, 63), "num_classes": 1000,
              "recipe": "https://github.com/pytorch/vision/tree/main/references/"
                        "classification#alexnet-and-vgg",
              "_metrics": {"ImageNet-1K": {"acc@1": 56.522, "acc@5": 79.066}}})
    DEFAULT = IMAGENET1K_V1


@register_model()
def alexnet(*, weights: AlexNet_Weights | None = None, progress: bool = True,
            **kwargs: Any) -> AlexNet:
    weights = _legacy_weights(weights, kwargs, AlexNet_Weights)
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", weights.meta["num_classes"])
    model = AlexNet(**kwargs)
    _load_weights(model, weights, progress)
    return model
