from .fused import ConvReLU2d, LinearReLU, _FusedModule  # noqa: F401

__all__ = ["ConvReLU2d", "LinearReLU"]
