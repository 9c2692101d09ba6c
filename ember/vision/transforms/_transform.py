"""The base of the transform classes: _Transform, _RandomOp and the random draws they share."""
from __future__ import annotations

from ember import Tensor, nn
from ember._ops.random import rng as _rng

from . import functional as F


def _uniform(low: float, high: float) -> float:
    return float(low + (high - low) * _rng().random())


def _randint(low: int, high: int) -> int:
    """An int in [low, high)."""
    return int(_rng().integers(low, high))


def _coin(p: float) -> bool:
    return bool(_rng().random() < p)


def _fill_for_tensor(img, fill):
    """torchvision's per-channel list for a numeric fill on tensor images."""
    if isinstance(img, Tensor) and isinstance(fill, (int, float)):
        return [float(fill)] * F.get_dimensions(img)[0]
    if isinstance(img, Tensor) and fill is not None:
        return [float(f) for f in fill]
    return fill


class _Transform(nn.Module):
    """Base: a Module (as in torchvision) whose ``forward`` transforms one image."""

    def forward(self, img):
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.extra_repr()})"


class _RandomOp(_Transform):
    """Base of the transforms that apply one op with probability ``p``."""

    def __init__(self, p: float = 0.5):
        super().__init__()
        self.p = p

    def forward(self, img):
        return self._apply(img) if _coin(self.p) else img

    def _apply(self, img):
        raise NotImplementedError

    def extra_repr(self) -> str:
        args = [f"{name}={value}" for name, value in vars(self).items()
                if not name.startswith("_") and name not in ("training", "p")]
        return ", ".join(args + [f"p={self.p}"])
