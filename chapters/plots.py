"""Figures the chapters share: training curves and image grids, as matplotlib figures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    from keras.callbacks import History


def plot_history(
    history: History | Mapping[str, Sequence[float]],
    metrics: Sequence[str] = ("loss", "accuracy"),
    title: str = "",
) -> Figure:
    """Return a figure with one panel per metric: its training and validation curves by epoch.

    ``history`` is what ``model.fit`` returns, or a mapping such as ``{"loss": [...],
    "val_loss": [...]}``. A metric missing from it is left out.
    """
    curves: Mapping[str, Sequence[float]] = getattr(history, "history", history)
    shown = [metric for metric in metrics if metric in curves]
    if not shown:
        raise ValueError(f"None of {list(metrics)} is in the history, which has {list(curves)}.")
    figure, axes = plt.subplots(1, len(shown), figsize=(5 * len(shown), 3.5), squeeze=False)
    for axis, metric in zip(axes[0], shown, strict=True):
        epochs = np.arange(1, len(curves[metric]) + 1)
        axis.plot(epochs, curves[metric], "o-", label="training")
        if f"val_{metric}" in curves:
            axis.plot(epochs, curves[f"val_{metric}"], "s--", label="validation")
        axis.set_xlabel("epoch")
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        axis.set_ylabel(metric)
        axis.set_title(f"{metric} by epoch")
        axis.legend()
        axis.grid(alpha=0.3)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def plot_curves(
    curves: Mapping[str, Sequence[float]],
    ylabel: str,
    title: str = "",
    first_epochs: Mapping[str, int] | None = None,
    levels: Mapping[str, float] | None = None,
    xlabel: str = "epoch",
) -> Figure:
    """Return a figure with one line per named curve, by epoch (1, 2, ...) or by what ``xlabel`` names.

    ``first_epochs`` gives the epoch number a curve starts at, for a run that continues another
    (fine-tuning after feature extraction); a curve not named there starts at epoch 1.
    ``levels`` draws a dashed horizontal line per named value, such as a baseline's error.
    """
    figure, axis = plt.subplots(figsize=(7, 4))
    for name, values in curves.items():
        first = (first_epochs or {}).get(name, 1)
        axis.plot(np.arange(first, first + len(values)), values, label=name)
    for name, value in (levels or {}).items():
        axis.axhline(value, linestyle="--", color="black", linewidth=1, label=name)
    axis.set_xlabel(xlabel)
    axis.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs and steps are whole numbers
    axis.set_ylabel(ylabel)
    if title:
        axis.set_title(title)
    axis.legend()
    axis.grid(alpha=0.3)
    figure.tight_layout()
    return figure


def plot_image_grid(
    images: ArrayLike, labels: Sequence | None = None, columns: int = 8, title: str = ""
) -> Figure:
    """Return a figure showing ``images`` in a grid, each titled with its label when given.

    ``images`` is an array of shape (count, height, width) or (count, height, width, channels),
    with values in [0, 255] or [0, 1].
    """
    images = np.asarray(images)
    rows = int(np.ceil(len(images) / columns))
    title_height = 0.4 if title else 0.0  # room for the title, or the rows close up over each other's labels
    figure, axes = plt.subplots(
        rows, columns, figsize=(1.4 * columns, 1.6 * rows + title_height), squeeze=False
    )
    for index, axis in enumerate(axes.flat):
        axis.set_xticks([])
        axis.set_yticks([])
        if index >= len(images):
            axis.set_axis_off()
            continue
        image = images[index]
        if image.ndim == 3 and image.shape[-1] == 1:
            image = image[..., 0]
        if image.dtype != np.uint8 and image.max() > 1.0:
            image = image.astype("uint8")
        axis.imshow(image, cmap="gray" if image.ndim == 2 else None)
    return _titled(figure, axes, labels, title)


def plot_heatmaps(
    images: ArrayLike, heatmaps: ArrayLike, labels: Sequence | None = None, columns: int = 4, title: str = ""
) -> Figure:
    """Return a figure showing each of ``images`` with its heatmap laid over it, stretched to the
    image's size (a coarse map, 7 x 7 say, is smoothed as it is stretched), and titled with its
    label when given.

    ``images`` is an array of shape (count, height, width, 3) with values in [0, 255];
    ``heatmaps`` one of shape (count, rows, columns), any non-negative scale: each map is shown
    relative to its own maximum.
    """
    images, heatmaps = np.asarray(images), np.asarray(heatmaps)
    rows = int(np.ceil(len(images) / columns))
    figure, axes = plt.subplots(rows, columns, figsize=(2.4 * columns, 2.6 * rows + 0.4), squeeze=False)
    for index, axis in enumerate(axes.flat):
        axis.set_axis_off()
        if index >= len(images):
            continue
        height, width = images[index].shape[:2]
        axis.imshow(images[index].astype("uint8"))
        heatmap = heatmaps[index] / max(float(heatmaps[index].max()), 1e-12)
        axis.imshow(
            heatmap,
            cmap="jet",
            alpha=0.4,
            vmin=0.0,
            vmax=1.0,
            extent=(0, width, height, 0),
            interpolation="bilinear",
        )
    return _titled(figure, axes, labels, title)


def _titled(figure: Figure, axes: np.ndarray, labels: Sequence | None, title: str) -> Figure:
    """Return ``figure`` laid out, its grid of ``axes`` titled in order with ``labels`` when given,
    and the whole with ``title``."""
    if labels is not None:
        for axis, label in zip(axes.flat, labels, strict=False):  # a grid may have empty places
            axis.set_title(str(label), fontsize=9)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure
