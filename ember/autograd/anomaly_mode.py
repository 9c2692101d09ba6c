"""detect_anomaly: record where each node was made, and fail on NaN gradients naming it."""
from __future__ import annotations

from .function import anomaly


class detect_anomaly:
    """Context manager: in backward, a NaN in a node's output raises with the forward trace."""

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan

    def __enter__(self):
        self._prev = (anomaly.enabled, anomaly.check_nan)
        anomaly.enabled, anomaly.check_nan = True, self.check_nan
        return self

    def __exit__(self, *exc) -> None:
        anomaly.enabled, anomaly.check_nan = self._prev


class set_detect_anomaly:
    """Turn anomaly detection on or off (at once, or for a ``with`` block)."""

    def __init__(self, mode: bool, check_nan: bool = True):
        self._prev = (anomaly.enabled, anomaly.check_nan)
        anomaly.enabled, anomaly.check_nan = bool(mode), check_nan

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        anomaly.enabled, anomaly.check_nan = self._prev


def is_anomaly_enabled() -> bool:
    return anomaly.enabled
