"""The run mode: ``full`` (book-scale, the default) or ``quick`` (CI-scale).

The environment variable ``CHAPTERS_MODE`` selects it. Notebooks read it only through ``scale``,
in their parameters cell, so no other cell knows which mode it runs in.
"""

import os
from typing import TypeVar

MODES = ("full", "quick")
DEFAULT_MODE = "full"

T = TypeVar("T")


def run_mode() -> str:
    """Return the run mode named by ``CHAPTERS_MODE``: ``"full"`` (default) or ``"quick"``."""
    mode = os.environ.get("CHAPTERS_MODE", "").strip().lower() or DEFAULT_MODE
    if mode not in MODES:
        raise ValueError(
            f"CHAPTERS_MODE={os.environ['CHAPTERS_MODE']!r} is not a run mode. "
            f"Use one of {', '.join(MODES)} (or leave it unset for {DEFAULT_MODE!r})."
        )
    return mode


def scale(*, full: T, quick: T) -> T:
    """Return ``full`` in full mode and ``quick`` in quick mode.

    Example: ``num_epochs = scale(full=5, quick=1)``.
    """
    return full if run_mode() == "full" else quick
