"""The run mode: ``full`` (book-scale, the default) or ``quick`` (about a minute a chapter on a CPU).

A notebook chooses it in its setup cell (a Colab form field passed to ``chapters.setup``); the
environment variable ``CHAPTERS_MODE``, when set, wins over that choice, so CI and scripts can
run any notebook quickly. Notebooks read the mode only through ``scale``, in their parameters
cell, so no other cell knows which mode it runs in.
"""

from typing import TypeVar

from chapters import settings

MODES = ("full", "quick")
DEFAULT_MODE = "full"

T = TypeVar("T")

_notebook_choice: str | None = None


def choose_mode(notebook_choice: str) -> str:
    """Record the mode the notebook chose and return the mode in force (``CHAPTERS_MODE`` wins)."""
    global _notebook_choice
    choice = notebook_choice.strip().lower()
    if choice not in MODES:
        raise ValueError(f"{notebook_choice!r} is not a run mode: use one of {', '.join(MODES)}.")
    _notebook_choice = choice
    return run_mode()


def mode_from_environment() -> str | None:
    """Return the mode ``CHAPTERS_MODE`` names, or None when it is unset or empty."""
    text = settings.value(settings.MODE).lower()
    if not text:
        return None
    if text not in MODES:
        raise ValueError(
            f"{settings.MODE}={settings.value(settings.MODE)!r} is not a run mode. "
            f"Use one of {', '.join(MODES)} (or leave it unset to let the notebook choose)."
        )
    return text


def run_mode() -> str:
    """Return the run mode: ``CHAPTERS_MODE`` if set, else the notebook's choice, else ``"full"``."""
    return mode_from_environment() or _notebook_choice or DEFAULT_MODE


def scale(*, full: T, quick: T) -> T:
    """Return ``full`` in full mode and ``quick`` in quick mode.

    Example: ``num_epochs = scale(full=5, quick=1)``.
    """
    return full if run_mode() == "full" else quick
