"""Vision Transformer (Dosovitskiy et al., 2020) with torchvision's module names.

``VisionTransformer`` takes any sizes; ``vit_b_16`` etc. fix torchvision's, and ``vit_tiny``
(Ember's addition, no pretrained weights) is a small one that trains on a CPU.
"""
from __future__ import annotations

import math
from collections import OrderedDict
from functools import partial
from typing import Any, Callable

import ember
from ember import Tensor, nn

from ..ops.misc import MLP
from ..transforms._presets import ImageClassification
from ._api import Weights, WeightsEnum, _legacy_weights, _load_weights, _ovewrite_named_param
from ._api import register_model

__all__ = ["VisionTransformer", "ViT_B_16_Weights", "ViT_B_32_Weights", "vit_b_16", "vit_b_32",
           "vit_tiny"]


class MLPBlock(MLP):
    """Transformer MLP: Linear -> GELU -> Dropout -> Linear -> Dropout (keys 0 and 3)."""

    def __init__(self, in_dim: int, mlp_dim: int, dropout: float) -> None:
        super().__init__(in_dim, [mlp_dim, in_dim], activation_layer=nn.GELU, inplace=None,
                         dropout=dropout)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.normal_(m.bias, std=1e-6)


class EncoderBlock(nn.Module):
    """Pre-norm block: x + attention(ln_1(x)), then + mlp(ln_2(.))."""

    def __init__(self, num_heads: int, hidden_dim: int, mlp_dim: int, dropout: float,
                 attention_dropout: float,
                 norm_layer: Callable[..., nn.Module] = partial(nn.LayerNorm, eps=1e-6)):
        super().__init__()
        self.num_heads = num_heads
        self.ln_1 = norm_layer(hidden_dim)
        self.self_attention = nn.MultiheadAttention(hidden_dim, num_heads,
                                                    dropout=attention_dropout, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.ln_2 = norm_layer(hidden_dim)
        self.mlp = MLPBlock(hidden_dim, mlp_dim, dropout)

    def forward(self, input: Tensor) -> Tensor:
        if input.dim() != 3:
            raise RuntimeError(f"Expected (batch_size, seq_length, hidden_dim) got "
                               f"{tuple(input.shape)}")
        x = self.ln_1(input)
        x, _ = self.self_attention(x, x, x, need_weights=False)
        x = self.dropout(x) + input
        return x + self.mlp(self.ln_2(x))


class Encoder(nn.Module):
    def __init__(self, seq_length: int, num_layers: int, num_heads: int, hidden_dim: int,
                 mlp_dim: int, dropout: float, attention_dropout: float,
                 norm_layer: Callable[..., nn.Module] = partial(nn.LayerNorm, eps=1e-6)):
        super().__init__()
        self.pos_embedding = nn.Parameter(ember.empty(1, seq_length, hidden_dim))
        nn.init.normal_(self.pos_embedding, std=0.02)
        self.dropout = nn.Dropout(dropout)
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        for i in range(num_layers):
            layers[f"encoder_layer_{i}"] = EncoderBlock(num_heads, hidden_dim, mlp_dim, dropout,
                                                        attention_dropout, norm_layer)
        self.layers = nn.Sequential(layers)
        self.ln = norm_layer(hidden_dim)

    def forward(self, input: Tensor) -> Tensor:
        return self.ln(self.layers(self.dropout(input + self.pos_embedding)))


class VisionTransformer(nn.Module):
    def __init__(self, image_size: int, patch_size: int, num_layers: int, num_heads: int,
                 hidden_dim: int, mlp_dim: int, dropout: float = 0.0,
                 attention_dropout: float = 0.0, num_classes: int = 1000,
                 representation_size: int | None = None,
                 norm_layer: Callable[..., nn.Module] = partial(nn.LayerNorm, eps=1e-6),
                 in_channels: int = 3) -> None:
        super().__init__()
        if image_size % patch_size != 0:
            raise ValueError("Input shape indivisible by patch size!")
        self.image_size = image_size
        self.patch_size = patch_size
        self.hidden_dim = hidden_dim
        self.mlp_dim = mlp_dim
        self.attention_dropout = attention_dropout
        self.dropout = dropout
        self.num_classes = num_classes
        self.representation_size = representation_size
        self.norm_layer = norm_layer
        self.conv_proj = nn.Conv2d(in_channels, hidden_dim, kernel_size=patch_size,
                                   stride=patch_size)
        seq_length = (image_size // patch_size) ** 2 + 1  # + the class token
        self.class_token = nn.Parameter(ember.zeros(1, 1, hidden_dim))
        self.encoder = Encoder(seq_length, num_layers, num_heads, hidden_dim, mlp_dim, dropout,
                               attention_dropout, norm_layer)
        self.seq_length = seq_length
        heads_layers: OrderedDict[str, nn.Module] = OrderedDict()
        if representation_size is None:
            heads_layers["head"] = nn.Linear(hidden_dim, num_classes)
        else:
            heads_layers["pre_logits"] = nn.Linear(hidden_dim, representation_size)
            heads_layers["act"] = nn.Tanh()
            heads_layers["head"] = nn.Linear(representation_size, num_classes)
        self.heads = nn.Sequential(heads_layers)

        fan_in = self.conv_proj.in_channels * patch_size * patch_size
        nn.init.trunc_normal_(self.conv_proj.weight, std=math.sqrt(1 / fan_in))
        nn.init.zeros_(self.conv_proj.bias)
        if representation_size is not None:
            fan_in = self.heads.pre_logits.in_features
            nn.init.trunc_normal_(self.heads.pre_logits.weight, std=math.sqrt(1 / fan_in))
            nn.init.zeros_(self.heads.pre_logits.bias)
        nn.init.zeros_(self.heads.head.weight)
        nn.init.zeros_(self.heads.head.bias)

    def _process_input(self, x: Tensor) -> Tensor:
        n, _, h, w = x.shape
        p = self.patch_size
        if h != self.image_size:
            raise RuntimeError(f"Wrong image height! Expected {self.image_size} but got {h}!")
        if w != self.image_size:
            raise RuntimeError(f"Wrong image width! Expected {self.image_size} but got {w}!")
        x = self.conv_proj(x)
        x = x.reshape(n, self.hidden_dim, (h // p) * (w // p))
        return x.permute(0, 2, 1)

    def forward(self, x: Tensor) -> Tensor:
        x = self._process_input(x)
        batch_class_token = self.class_token.expand(x.shape[0], -1, -1)
        x = self.encoder(ember.cat([batch_class_token, x], dim=1))
        return self.heads(x[:, 0])


def _vision_transformer(patch_size: int, num_layers: int, num_heads: int, hidden_dim: int,
                        mlp_dim: int, weights: WeightsEnum | None, progress: bool,
                        **kwargs: Any) -> VisionTransformer:
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", weights.meta["num_classes"])
        _ovewrite_named_param(kwargs, "image_size", weights.meta["min_size"][0])
    image_size = kwargs.pop("image_size", 224)
    model = VisionTransformer(image_size=image_size, patch_size=patch_size,
                              num_layers=num_layers, num_heads=num_heads,
                              hidden_dim=hidden_dim, mlp_dim=mlp_dim, **kwargs)
    _load_weights(model, weights, progress)
    return model


def _vit_weights(name: str, num_params: int, acc1: float, acc5: float) -> Weights:
    return Weights(url=f"https://download.pytorch.org/models/{name}.pth",
                   transforms=partial(ImageClassification, crop_size=224),
                   meta={"num_params": num_params, "min_size": (224, 224), "num_classes": 1000,
                         "recipe": "https://github.com/pytorch/vision/tree/main/references/"
                                   "classification#vit_b_16",
                         "_metrics": {"ImageNet-1K": {"acc@1": acc1, "acc@5": acc5}}})


class ViT_B_16_Weights(WeightsEnum):
    IMAGENET1K_V1 = _vit_weights("vit_b_16-c867db91", 86567656, 81.072, 95.318)
    DEFAULT = IMAGENET1K_V1


class ViT_B_32_Weights(WeightsEnum):
    IMAGENET1K_V1 = _vit_weights("vit_b_32-d86f8d99", 88224232, 75.912, 92.466)
    DEFAULT = IMAGENET1K_V1


@register_model()
def vit_b_16(*, weights: ViT_B_16_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> VisionTransformer:
    """ViT-B/16: 12 layers, 12 heads, width 768, MLP 3072, 16x16 patches."""
    weights = _legacy_weights(weights, kwargs, ViT_B_16_Weights)
    return _vision_transformer(16, 12, 12, 768, 3072, weights, progress, **kwargs)


@register_model()
def vit_b_32(*, weights: ViT_B_32_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> VisionTransformer:
    weights = _legacy_weights(weights, kwargs, ViT_B_32_Weights)
    return _vision_transformer(32, 12, 12, 768, 3072, weights, progress, **kwargs)


@register_model()
def vit_tiny(*, weights: None = None, progress: bool = True, image_size: int = 32,
             patch_size: int = 4, num_layers: int = 6, num_heads: int = 3, hidden_dim: int = 192,
             mlp_dim: int = 768, **kwargs: Any) -> VisionTransformer:
    """A ViT-Ti-sized model (width 192, 3 heads) for small images; every size is a keyword."""
    if weights is not None or kwargs.pop("pretrained", False):
        raise ValueError("vit_tiny has no pretrained weights")
    return VisionTransformer(image_size=image_size, patch_size=patch_size,
                             num_layers=num_layers, num_heads=num_heads, hidden_dim=hidden_dim,
                             mlp_dim=mlp_dim, **kwargs)
