"""VGG (Simonyan and Zisserman, 2014): configurations A (VGG-11) and D (VGG-16), +/- BN."""
from __future__ import annotations

from functools import partial
from typing import Any

import ember
from ember import Tensor, nn

from ..transforms._presets import ImageClassification
from ._api import Weights, WeightsEnum, _legacy_weights, _load_weights, _ovewrite_named_param
from ._api import register_model

__all__ = ["VGG", "VGG11_Weights", "VGG11_BN_Weights", "VGG13_Weights", "VGG16_Weights",
           "VGG16_BN_Weights", "VGG19_Weights", "vgg11", "vgg11_bn", "vgg13", "vgg16",
           "vgg16_bn", "vgg19"]


class VGG(nn.Module):
    def __init__(self, features: nn.Module, num_classes: int = 1000, init_weights: bool = True,
                 dropout: float = 0.5) -> None:
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes),
        )
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.constant_(m.bias, 0)

    def forward(self, x: Tensor) -> Tensor:
        x = ember.flatten(self.avgpool(self.features(x)), 1)
        return self.classifier(x)


def make_layers(cfg: list[str | int], batch_norm: bool = False) -> nn.Sequential:
    layers: list[nn.Module] = []
    in_channels = 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        conv2d = nn.Conv2d(in_channels, int(v), kernel_size=3, padding=1)
        layers += [conv2d, nn.BatchNorm2d(int(v)), nn.ReLU(inplace=True)] if batch_norm \
            else [conv2d, nn.ReLU(inplace=True)]
        in_channels = int(v)
    return nn.Sequential(*layers)


cfgs: dict[str, list[str | int]] = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512,
          "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512,
          512, 512, 512, "M"],
}


def _vgg(cfg: str, batch_norm: bool, weights: WeightsEnum | None, progress: bool,
         **kwargs: Any) -> VGG:
    if weights is not None:
        kwargs["init_weights"] = False
        _ovewrite_named_param(kwargs, "num_classes", weights.meta["num_classes"])
    model = VGG(make_layers(cfgs[cfg], batch_norm=batch_norm), **kwargs)
    _load_weights(model, weights, progress)
    return model


def _weights(name: str, num_params: int, acc1: float, acc5: float) -> Weights:
    return Weights(url=f"https://download.pytorch.org/models/{name}.pth",
                   transforms=partial(ImageClassification, crop_size=224),
                   meta={"num_params": num_params, "min_size": (32, 32), "num_classes": 1000,
                         "recipe": "https://github.com/pytorch/vision/tree/main/references/"
                                   "classification#alexnet-and-vgg",
                         "_metrics": {"ImageNet-1K": {"acc@1": acc1, "acc@5": acc5}}})


class VGG11_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("vgg11-8a719046", 132863336, 69.020, 88.628)
    DEFAULT = IMAGENET1K_V1


class VGG11_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("vgg11_bn-6002323d", 132868840, 70.370, 89.810)
    DEFAULT = IMAGENET1K_V1


class VGG13_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("vgg13-19584684", 133047848, 69.928, 89.246)
    DEFAULT = IMAGENET1K_V1


class VGG16_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("vgg16-397923af", 138357544, 71.592, 90.382)
    DEFAULT = IMAGENET1K_V1


class VGG16_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("vgg16_bn-6c64b313", 138365992, 73.360, 91.516)
    DEFAULT = IMAGENET1K_V1


class VGG19_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("vgg19-dcbb9e9d", 143667240, 72.376, 90.876)
    DEFAULT = IMAGENET1K_V1


def _builder(cfg: str, batch_norm: bool, enum: type[WeightsEnum], name: str, doc: str):
    def build(*, weights=None, progress: bool = True, **kwargs: Any) -> VGG:
        weights = _legacy_weights(weights, kwargs, enum)
        return _vgg(cfg, batch_norm, weights, progress, **kwargs)
    build.__name__ = build.__qualname__ = name
    build.__doc__ = doc
    build.__annotations__["weights"] = f"{enum.__name__} | None"
    return register_model(name)(build)


vgg11 = _builder("A", False, VGG11_Weights, "vgg11", "VGG-11 (configuration A).")
vgg11_bn = _builder("A", True, VGG11_BN_Weights, "vgg11_bn", "VGG-11 with batch norm.")
vgg13 = _builder("B", False, VGG13_Weights, "vgg13", "VGG-13 (configuration B).")
vgg16 = _builder("D", False, VGG16_Weights, "vgg16", "VGG-16 (configuration D).")
vgg16_bn = _builder("D", True, VGG16_BN_Weights, "vgg16_bn", "VGG-16 with batch norm.")
vgg19 = _builder("E", False, VGG19_Weights, "vgg19", "VGG-19 (configuration E).")
