"""Training curves one chapter saves for a later one to compare against (05's convnets in 06).

Each chapter's runs are kept as JSON in ``<Keras cache>/chapters-results/<chapter>-<mode>.json``,
one file per run mode, so a quick run is never compared with a full one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from chapters.mode import run_mode
from chapters.shared_cache import keras_cache_dir

if TYPE_CHECKING:
    from keras.callbacks import History


def results_path(chapter: str) -> Path:
    """Return the JSON file holding ``chapter``'s saved runs in the current run mode."""
    return keras_cache_dir() / "chapters-results" / f"{chapter}-{run_mode()}.json"


def save_run(chapter: str, name: str, history: History | Mapping[str, Sequence[float]]) -> Path:
    """Save a run's per-epoch metrics (``model.fit``'s history, or its dict) under ``name``.

    Returns the JSON file, which keeps the chapter's earlier runs under their own names.
    """
    path = results_path(chapter)
    runs = load_runs(chapter)
    curves = getattr(history, "history", history)
    runs[name] = {metric: [float(value) for value in values] for metric, values in curves.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(runs, indent=1))
    return path


def settled_accuracy(
    history: History | Mapping[str, Sequence[float]], last_epochs: int = 3, metric: str = "val_accuracy"
) -> float:
    """Return the mean of ``metric`` (validation accuracy unless told) over a run's last ``last_epochs`` epochs.

    Validation accuracy on 1,000 images jumps by a few points from epoch to epoch; the mean of
    the last few is a steadier measure of where training ended, and picks no lucky epoch. With
    ``metric="accuracy"`` it gives the training accuracy at the same epochs, for the gap between them.
    """
    values = getattr(history, "history", history)[metric][-last_epochs:]
    return float(sum(values) / len(values))


def load_runs(chapter: str) -> dict[str, dict[str, list[float]]]:
    """Return ``chapter``'s saved runs in the current mode as {name: {metric: values}}; {} if none."""
    path = results_path(chapter)
    return json.loads(path.read_text()) if path.is_file() else {}
