"""Conformance tests compare Ember with PyTorch; they are skipped when torch is missing."""
import pytest

torch = pytest.importorskip("torch")
