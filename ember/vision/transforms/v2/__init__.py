"""Transforms v2 (torchvision.transforms.v2): one call transforms a whole sample -- image,
``tv_tensors.BoundingBoxes``, ``tv_tensors.Mask``, labels and anything else nested in tuples,
lists or dicts -- with the same random parameters; inputs a transform does not apply to pass
through unchanged.

Not provided (compared with torchvision 0.2x): videos, keypoints, rotated box formats, the
perspective/elastic/zoom-out/IoU-crop/mixing transforms and ``ToTensor``.
"""
from . import functional  # noqa: F401
from ._transform import Transform
from ._container import Compose, RandomApply, RandomChoice, RandomOrder
from ._type_conversion import PILToTensor, ToImage, ToPILImage, ToPureTensor
from ._geometry import (CenterCrop, Pad, RandomAffine, RandomCrop, RandomHorizontalFlip,
                        RandomResizedCrop, RandomRotation, RandomVerticalFlip, Resize)
from ._color import (ColorJitter, Grayscale, RandomAdjustSharpness, RandomAutocontrast,
                     RandomEqualize, RandomGrayscale, RandomInvert, RandomPosterize,
                     RandomSolarize)
from ._misc import (ClampBoundingBoxes, ConvertBoundingBoxFormat, ConvertImageDtype,
                    GaussianBlur, Identity, Lambda, Normalize, RandomErasing,
                    SanitizeBoundingBoxes, ToDtype)
from ._auto_augment import AugMix, AutoAugment, RandAugment, TrivialAugmentWide
from ..autoaugment import AutoAugmentPolicy
from ..functional import InterpolationMode

__all__ = ["Transform", "Compose", "RandomApply", "RandomChoice", "RandomOrder", "PILToTensor",
           "ToImage", "ToPILImage", "ToPureTensor", "CenterCrop", "Pad", "RandomAffine",
           "RandomCrop", "RandomHorizontalFlip", "RandomResizedCrop", "RandomRotation",
           "RandomVerticalFlip", "Resize", "ColorJitter", "Grayscale", "RandomAdjustSharpness",
           "RandomAutocontrast", "RandomEqualize", "RandomGrayscale", "RandomInvert",
           "RandomPosterize", "RandomSolarize", "ClampBoundingBoxes",
           "ConvertBoundingBoxFormat", "ConvertImageDtype", "GaussianBlur", "Identity",
           "Lambda", "Normalize", "RandomErasing", "SanitizeBoundingBoxes", "ToDtype",
           "AugMix", "AutoAugment", "RandAugment", "TrivialAugmentWide", "AutoAugmentPolicy",
           "InterpolationMode"]
