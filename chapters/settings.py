"""The environment variables the helper package honours, read here and nowhere else.

| variable | what it sets | when unset |
| --- | --- | --- |
| ``CHAPTERS_MODE`` | the run mode, ``quick`` or ``full``; wins over the notebook's form field | the notebook's choice |
| ``CHAPTERS_SEED`` | the seed ``chapters.setup`` gives Python, NumPy and the backend | 42 |
| ``CHAPTERS_MIRROR`` | the offline mirror: a folder with a ``SHA256SUMS``, read before any download | downloads |
| ``CHAPTERS_TRACEBACK`` | ``full`` keeps the package's own frames in a data error's traceback | they are left out |
| ``CHAPTERS_FIGURES_FILE`` | the JSON file ``chapters.hand_in`` writes checked figures to (the runner sets it) | not written |
| ``KERAS_BACKEND`` | Keras's backend; wins over the notebook's form field | the notebook's choice |
| ``KERAS_HOME`` | Keras's cache, where downloads and pretrained weights go | ``~/.keras`` |
| ``TFDS_DATA_DIR`` | TensorFlow Datasets' folder of prepared datasets | ``~/tensorflow_datasets`` |

Each reader returns the value as set now (stripped), so a notebook's ``%env`` or a test's
``monkeypatch.setenv`` takes effect at the next call. The maintainer tools hand these names to
the kernels they start.
"""

import os
from pathlib import Path

MODE = "CHAPTERS_MODE"
SEED = "CHAPTERS_SEED"
MIRROR = "CHAPTERS_MIRROR"
TRACEBACK = "CHAPTERS_TRACEBACK"
FIGURES_FILE = "CHAPTERS_FIGURES_FILE"
BACKEND = "KERAS_BACKEND"
KERAS_HOME = "KERAS_HOME"
TFDS_DATA_DIR = "TFDS_DATA_DIR"


def value(name: str) -> str:
    """Return the environment variable ``name`` stripped of surrounding spaces; "" when unset."""
    return os.environ.get(name, "").strip()


def keras_home() -> Path:
    """Return the Keras cache the user chose: ``$KERAS_HOME``, else ``~/.keras`` (it may not exist)."""
    return Path(value(KERAS_HOME) or Path.home() / ".keras")


def tfds_data_dir() -> Path:
    """Return TensorFlow Datasets' data folder: ``$TFDS_DATA_DIR``, else ``~/tensorflow_datasets``."""
    return Path(value(TFDS_DATA_DIR) or Path.home() / "tensorflow_datasets")
