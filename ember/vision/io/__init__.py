"""Image file I/O (torchvision.io's image functions, through Pillow)."""
from .image import (ImageReadMode, decode_image, decode_jpeg, decode_png,  # noqa: F401
                    encode_jpeg, encode_png, read_file, read_image, write_file, write_jpeg,
                    write_png)
