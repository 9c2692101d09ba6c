"""Weights enums and the model registry (torchvision.models._api)."""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from enum import Enum
from typing import Any, Callable

from ._hub import load_state_dict_from_url

__all__ = ["Weights", "WeightsEnum", "get_model", "get_model_builder", "get_model_weights",
           "get_weight", "list_models", "register_model"]


@dataclass
class Weights:
    """A pretrained checkpoint: where it lives, its inference transforms and metadata."""
    url: str
    transforms: Callable
    meta: dict[str, Any]

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, Weights):
            return NotImplemented
        return self.url == other.url and self.meta == other.meta


class WeightsEnum(Enum):
    """Base of ``ResNet18_Weights`` etc.; members hold a ``Weights`` value."""

    @classmethod
    def verify(cls, obj: Any) -> Any:
        if obj is not None:
            if isinstance(obj, str):
                obj = cls[obj.replace(cls.__name__ + ".", "")]
            elif not isinstance(obj, cls):
                raise TypeError(f"Invalid Weight class provided; expected {cls.__name__} but "
                                f"received {obj.__class__.__name__}.")
        return obj

    def get_state_dict(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return load_state_dict_from_url(self.url, *args, **kwargs)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}.{self._name_}"

    @property
    def url(self) -> str:
        return self.value.url

    @property
    def transforms(self) -> Callable:
        return self.value.transforms

    @property
    def meta(self) -> dict[str, Any]:
        return self.value.meta

    @property
    def file_name(self) -> str:
        return self.value.url.rsplit("/", 1)[-1]


BUILTIN_MODELS: dict[str, Callable] = {}


def register_model(name: str | None = None) -> Callable:
    def wrapper(fn: Callable) -> Callable:
        key = name if name is not None else fn.__name__
        if key in BUILTIN_MODELS:
            raise ValueError(f"An entry is already registered under the name '{key}'.")
        BUILTIN_MODELS[key] = fn
        return fn
    return wrapper


def list_models(module=None, include: str | None = None, exclude: str | None = None) -> list:
    import fnmatch
    models = [k for k, v in BUILTIN_MODELS.items()
              if module is None or v.__module__.rsplit(".", 1)[0] == module.__name__]
    if include is not None:
        models = [m for m in models if fnmatch.fnmatch(m, include)]
    if exclude is not None:
        models = [m for m in models if not fnmatch.fnmatch(m, exclude)]
    return sorted(models)


def get_model_builder(name: str) -> Callable:
    name = name.lower()
    try:
        return BUILTIN_MODELS[name]
    except KeyError:
        raise ValueError(f"Unknown model {name}") from None


def get_model(name: str, **config: Any):
    """Build a registered model by name: ``get_model("resnet18", weights=None)``."""
    return get_model_builder(name)(**config)


def get_model_weights(name: str | Callable) -> type[WeightsEnum]:
    import inspect
    model = get_model_builder(name) if isinstance(name, str) else name
    annotation = inspect.signature(model).parameters["weights"].annotation
    enum_name = annotation.split(" ")[0] if isinstance(annotation, str) else annotation
    import sys
    module = sys.modules[model.__module__]
    if isinstance(enum_name, str):
        return getattr(module, enum_name)
    return enum_name


def get_weight(name: str) -> WeightsEnum:
    """``get_weight("ResNet18_Weights.IMAGENET1K_V1")``."""
    from . import alexnet, mobilenetv2, resnet, vgg, vision_transformer
    enum_name, value_name = name.split(".")
    for module in (resnet, alexnet, vgg, mobilenetv2, vision_transformer):
        if hasattr(module, enum_name):
            return getattr(module, enum_name)[value_name]
    raise ValueError(f"Invalid weight name provided: '{name}'.")


def _ovewrite_named_param(kwargs: dict[str, Any], param: str, new_value: Any) -> None:
    if param in kwargs:
        if kwargs[param] != new_value:
            raise ValueError(f"The parameter '{param}' expected value {new_value} but got "
                             f"{kwargs[param]} instead.")
    else:
        kwargs[param] = new_value


def _legacy_weights(weights: Any, kwargs: dict[str, Any], weights_enum: type[WeightsEnum]):
    """Map the deprecated ``pretrained=True`` to ``weights=<Enum>.DEFAULT`` with a warning."""
    pretrained = kwargs.pop("pretrained", None)
    if pretrained is None:
        return weights_enum.verify(weights)
    if weights is not None:
        raise ValueError("Please use only 'weights' (not the deprecated 'pretrained').")
    replacement = weights_enum.DEFAULT if pretrained else None
    warnings.warn(f"The parameter 'pretrained' is deprecated, please use 'weights' instead: "
                  f"weights={weights_enum.__name__}.DEFAULT if pretrained else None.",
                  UserWarning, stacklevel=3)
    return replacement


def _load_weights(model, weights: WeightsEnum | None, progress: bool) -> None:
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
