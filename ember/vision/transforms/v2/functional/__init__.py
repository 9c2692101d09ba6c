"""The v2 functionals (torchvision.transforms.v2.functional): each dispatches on its input's
type, so one call handles an image (tensor, ``tv_tensors.Image`` or PIL), a mask or boxes."""
from ._kernel import register_kernel  # noqa: F401
from ._meta import (clamp_bounding_boxes, convert_bounding_box_format,  # noqa: F401
                    get_dimensions, get_num_channels, get_size)
from ._geometry import (affine, affine_bounding_boxes, affine_mask, center_crop,  # noqa: F401
                        center_crop_bounding_boxes, crop, crop_bounding_boxes, hflip,
                        horizontal_flip, horizontal_flip_bounding_boxes, pad,
                        pad_bounding_boxes, resize, resize_bounding_boxes, resize_mask,
                        resized_crop, resized_crop_bounding_boxes, resized_crop_mask, rotate,
                        rotate_bounding_boxes, rotate_mask, vertical_flip,
                        vertical_flip_bounding_boxes, vflip)
from ._color import (adjust_brightness, adjust_contrast, adjust_gamma,  # noqa: F401
                     adjust_hue, adjust_saturation, adjust_sharpness, autocontrast, equalize,
                     invert, posterize, rgb_to_grayscale, solarize, to_grayscale)
from ._misc import (convert_image_dtype, erase, gaussian_blur, normalize,  # noqa: F401
                    pil_to_tensor, to_dtype, to_dtype_image, to_image, to_pil_image,
                    to_pure_tensor)
