"""Vision benchmarks: ResNet-18 inference and a CIFAR augmentation pipeline, Ember vs PyTorch.

torchvision is not installed here, so the PyTorch ResNet-18 is built by hand with torchvision's
module names; Ember's weights are loaded into it, which also checks the state_dict layout.
"""
from __future__ import annotations

import numpy as np

from _timing import best_ms


def torch_resnet18(num_classes: int = 1000):
    """torchvision's resnet18 architecture written with plain torch.nn."""
    import torch
    from torch import nn

    class BasicBlock(nn.Module):
        def __init__(self, inplanes, planes, stride=1, downsample=None):
            super().__init__()
            self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.relu = nn.ReLU(inplace=True)
            self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
            self.downsample = downsample

        def forward(self, x):
            identity = x if self.downsample is None else self.downsample(x)
            out = self.relu(self.bn1(self.conv1(x)))
            return self.relu(self.bn2(self.conv2(out)) + identity)

    class ResNet18(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
            inplanes = 64
            for i, planes in enumerate((64, 128, 256, 512)):
                stride = 1 if i == 0 else 2
                down = None
                if stride != 1 or inplanes != planes:
                    down = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False),
                                         nn.BatchNorm2d(planes))
                layer = nn.Sequential(BasicBlock(inplanes, planes, stride, down),
                                      BasicBlock(planes, planes))
                setattr(self, f"layer{i + 1}", layer)
                inplanes = planes
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(512, num_classes)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            return self.fc(torch.flatten(self.avgpool(x), 1))

    return ResNet18()


def _resnet_rows():
    import torch

    import ember
    from ember.vision import models
    ember.manual_seed(0)
    model = models.resnet18().eval()
    reference = torch_resnet18().eval()
    state = {k: torch.from_numpy(np.array(v.numpy())) for k, v in model.state_dict().items()}
    reference.load_state_dict(state, strict=True)
    x = np.random.default_rng(0).standard_normal((8, 3, 224, 224), dtype=np.float32)
    xe, xt = ember.from_numpy(x), torch.from_numpy(x)
    with ember.no_grad(), torch.no_grad():
        diff = np.abs(model(xe).numpy() - reference(xt).numpy()).max()
        if diff > 1e-2:
            raise AssertionError(f"ResNet-18 outputs differ from torch by {diff}")
        ember_ms = best_ms(lambda: model(xe), repeat=3)
        torch_ms = best_ms(lambda: reference(xt), repeat=3)
    return [("vision: resnet18 inference, batch 8, 3x224x224", ember_ms, torch_ms)]


def _augment_rows():
    import torch
    from PIL import Image

    import ember
    from ember.vision import transforms as T
    mean, std = (0.4914, 0.4822, 0.4465), (0.247, 0.243, 0.261)
    arr = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    img = Image.fromarray(arr)
    pipeline = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(),
                          T.Normalize(mean, std)])
    ember.manual_seed(0)
    n = 200
    ember_ms = best_ms(lambda: [pipeline(img) for _ in range(n)], repeat=3) / n

    mean_t = torch.tensor(mean).view(3, 1, 1)
    std_t = torch.tensor(std).view(3, 1, 1)
    gen = torch.Generator().manual_seed(0)

    def torch_pipeline(pic):
        x = torch.from_numpy(np.array(pic)).permute(2, 0, 1)
        x = torch.nn.functional.pad(x, (4, 4, 4, 4))
        i, j = torch.randint(0, 9, (2,), generator=gen).tolist()
        x = x[:, i:i + 32, j:j + 32]
        if torch.rand(1, generator=gen).item() < 0.5:
            x = x.flip(-1)
        x = x.float().div(255)
        return (x - mean_t) / std_t

    torch_ms = best_ms(lambda: [torch_pipeline(img) for _ in range(n)], repeat=3) / n
    return [("vision: CIFAR augmentation (crop+flip+ToTensor+Normalize), per image",
             ember_ms, torch_ms)]


def run():
    return _resnet_rows() + _augment_rows()


if __name__ == "__main__":
    for name, ember_ms, torch_ms in run():
        print(f"{name:70s} {ember_ms:9.3f} {torch_ms:9.3f} {ember_ms / torch_ms:6.2f}x")
