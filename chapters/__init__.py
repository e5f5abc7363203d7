"""Helpers for the Keras 3 curriculum notebooks.

Import this before Keras: ``setup`` chooses the backend, so ``chapters`` itself never imports
Keras at import time. The data and plot helpers live in ``chapters.data`` and ``chapters.plots``;
``hand_in`` takes the figures a chapter's closing cell checks. ``chapters.tools`` holds the
maintainers' commands (running the course, its results table, notebook upkeep), which no
notebook imports.
"""

from chapters.checked_figures import hand_in
from chapters.mode import run_mode, scale
from chapters.session import setup

__all__ = ["hand_in", "run_mode", "scale", "setup"]
