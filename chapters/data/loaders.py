"""Loaders, one per dataset a notebook reads as arrays, a table, a string or a folder."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from chapters.data.catalog import WordVectorsContent, dataset_named
from chapters.data.content import read_word_vectors
from chapters.data.errors import user_facing
from chapters.data.folders import fetch

if TYPE_CHECKING:
    import pandas as pd


def read_idx(path: Path) -> np.ndarray:
    """Return the array stored in a gzipped IDX file (the MNIST format) as a writable uint8 array."""
    with gzip.open(path, "rb") as stream:
        content = stream.read()
    num_dimensions = content[3]
    shape = tuple(int.from_bytes(content[4 + 4 * i : 8 + 4 * i], "big") for i in range(num_dimensions))
    return np.frombuffer(bytearray(content), dtype=np.uint8, offset=4 + 4 * num_dimensions).reshape(shape)


def _load_idx_dataset(name: str) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    folder = fetch(name)
    train_images, train_labels, test_images, test_labels = (
        read_idx(folder / f"{split}-{kind}-ubyte.gz")
        for split, kind in (
            ("train", "images-idx3"),
            ("train", "labels-idx1"),
            ("t10k", "images-idx3"),
            ("t10k", "labels-idx1"),
        )
    )
    return (train_images, train_labels), (test_images, test_labels)


@user_facing
def load_mnist() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Return MNIST as ``(train_images, train_labels), (test_images, test_labels)``, uint8.

    Shapes (60000, 28, 28), (60000,), (10000, 28, 28), (10000,): the arrays, in the same order,
    that ``keras.datasets.mnist.load_data()`` returns.
    """
    return _load_idx_dataset("mnist")


@user_facing
def load_fashion_mnist() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Return Fashion-MNIST as ``(train_images, train_labels), (test_images, test_labels)``, uint8."""
    return _load_idx_dataset("fashion_mnist")


@user_facing
def load_california_housing() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Return California housing as ``(train_features, train_prices), (test_features, test_prices)``.

    Keras's own split of its small version (``keras.datasets.california_housing.load_data(version="small")``,
    the one the book uses): 480 and 120 districts of the 1990 census, 8 float32 features each
    (longitude, latitude, median house age, total rooms, total bedrooms, population, households,
    median income) and the median house value in dollars.
    """
    import keras

    fetch("california_housing")
    return keras.datasets.california_housing.load_data(version="small")


@user_facing
def imdb_reviews_directory() -> Path:
    """Return the ``aclImdb`` folder: ``train/`` and ``test/``, each with ``pos/`` and ``neg/`` reviews."""
    return fetch("imdb_reviews") / "aclImdb"


@user_facing
def cats_vs_dogs_directory() -> Path:
    """Return the cats vs dogs folder: ``train/`` (1,000 images per class), ``validation/`` (500) and
    ``test/`` (500), each with ``cats/`` and ``dogs/``, ready for ``keras.utils.image_dataset_from_directory``.

    The book's split, built from Microsoft's Kaggle archive or copied from the offline mirror.
    """
    return fetch("cats_vs_dogs")


@user_facing
def load_beijing_pm25() -> pd.DataFrame:
    """Return UCI's Beijing PM2.5 table: one row per hour, 2010-01-01 00:00 to 2014-12-31 23:00.

    A pandas DataFrame of 43,824 rows indexed by the hour (``time``), with the file's columns:
    ``pm2.5`` (µg/m³; NaN for the 2,067 hours it is missing), ``DEWP`` (dew point, °C), ``TEMP``
    (°C), ``PRES`` (hPa), ``cbwd`` (combined wind direction: ``NE``, ``NW``, ``SE``, or ``cv`` for
    calm and variable), ``Iws`` (wind speed in m/s, cumulated over the hours the direction has
    held), ``Is`` and ``Ir`` (hours of snow and of rain, cumulated likewise). The file's row number
    and date columns become the index.
    """
    import pandas as pd

    dataset = dataset_named("beijing_pm25")
    table = pd.read_csv(fetch(dataset) / dataset.files[0].name)
    table.index = pd.DatetimeIndex(pd.to_datetime(table[["year", "month", "day", "hour"]]), name="time")
    return table.drop(columns=["No", "year", "month", "day", "hour"])


@user_facing
def load_glove() -> dict[str, np.ndarray]:
    """Return GloVe's 50-dimensional word vectors (glove.6B, Wikipedia 2014 + Gigaword 5) of the
    20,000 most frequent words: a dict mapping each word (lowercase) to its float32 vector of
    shape (50,), in the file's order, most frequent first (``the``, ``,``, ``.``, ``of``, ...).

    Only this subset of the 400,000 words is kept, online or offline; look words up with ``.get``.
    """
    dataset = dataset_named("glove_6b_50d")
    assert isinstance(dataset.content, WordVectorsContent)  # the manifest's check of GloVe
    return dict(read_word_vectors(fetch(dataset) / dataset.files[0].name, dataset.content.dimensions))


@user_facing
def load_nietzsche() -> str:
    """Return the Nietzsche corpus of Keras's character-level LSTM example (Beyond Good and Evil,
    tr. Zimmern) as one string: 600,893 characters, line breaks included, case kept: 84 distinct
    characters, 57 once lowercased as the book does before training.
    """
    dataset = dataset_named("nietzsche")
    return (fetch(dataset) / dataset.files[0].name).read_text(encoding="utf-8")
