"""dropout modules (being written)."""
__all__: list = []
