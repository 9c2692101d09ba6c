"""Model definitions (torchvision.models) with torchvision's state_dict keys and Weights enums.

Pretrained checkpoints are looked up in $TORCH_HOME/hub/checkpoints (default
~/.cache/torch/hub/checkpoints) and loaded with ``ember.load``.
"""
from ._api import (Weights, WeightsEnum, get_model, get_model_builder,  # noqa: F401
                   get_model_weights, get_weight, list_models)
from .alexnet import *  # noqa: F401,F403
from .lenet import *  # noqa: F401,F403
from .mobilenetv2 import *  # noqa: F401,F403
from .resnet import *  # noqa: F401,F403
from .vgg import *  # noqa: F401,F403
from .vision_transformer import *  # noqa: F401,F403
