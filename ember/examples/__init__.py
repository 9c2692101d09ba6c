"""Runnable training programs: python -m ember.examples.<name>."""
