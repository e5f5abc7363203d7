"""Helpers for the Keras 3 curriculum notebooks.

Import this before Keras: ``setup`` chooses the backend, so ``chapters`` itself never imports
Keras at import time. The data and plot helpers live in ``chapters.data`` and ``chapters.plots``.
"""

from chapters.mode import run_mode, scale
from chapters.session import setup

__all__ = ["run_mode", "scale", "setup"]
