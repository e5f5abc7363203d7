"""Every dataset the notebooks read, from the Keras cache, an offline mirror, or the official source.

The manifest ``datasets.json`` (beside this file; ``catalog``) lists each dataset's files with their
official URL and sha256. ``fetch`` makes a dataset present and verified in the Keras cache, looking
for each file in this order (``files``):

1. the Keras cache (``$KERAS_HOME/<cache_subdir>``, default ``~/.keras``): used if its sha256 is
   the official one or the mirror's; a corrupt copy is reported, deleted and fetched again;
2. the offline mirror, a folder named by ``CHAPTERS_MIRROR`` (``mirror``): the file is checked
   against the mirror's ``SHA256SUMS`` and copied into the cache (the mirror is never written to);
3. the official URL, through ``keras.utils.get_file`` (progress bar, sha256 check).

A dataset with a ``split`` (cats vs dogs) is a folder of images instead (``folders``): the mirror's
prepared folder, each file checked, or else one built from the official archive. A dataset with a
``content`` check has no published hash for the file the course reads, so a download is checked by
what it holds (``content``: a CSV table's parsed values, a word-vectors file's float32 values).

A file found nowhere raises ``DatasetNotFoundError`` saying where it looked and how to supply it;
a file whose sha256 (or checked content) is wrong raises ``CorruptFileError`` and is never used; a
full disk or a folder that cannot be written raises ``StorageError`` naming the path and the error
(``storage``). These errors (``DataError``, see ``errors``) reach a notebook without the package's
frames, message first.

Several processes may fetch one dataset at once: each fetch holds the dataset's lock and builds in
a staging folder of its own, moved into place only when complete (``chapters.shared_cache``).
The loaders (``loaders``, ``tfds``) are what the notebooks call: ``load_mnist()``,
``cats_vs_dogs_directory()``, ``load_tfds("mnist")`` and the others below.
"""

from chapters.data.catalog import DataFile, Dataset, manifest
from chapters.data.content import (
    ContentError,
    CsvContent,
    WordVectorsContent,
    csv_content,
    read_word_vectors,
    word_vectors_content,
)
from chapters.data.errors import CorruptFileError, DataError, DatasetNotFoundError, StorageError, user_facing
from chapters.data.folders import fetch, is_jfif
from chapters.data.loaders import (
    cats_vs_dogs_directory,
    imdb_reviews_directory,
    load_beijing_pm25,
    load_california_housing,
    load_fashion_mnist,
    load_glove,
    load_mnist,
    load_nietzsche,
    read_idx,
)
from chapters.data.mirror import mirror_checksums, offline_mirror, sha256_of
from chapters.data.tfds import load_tfds
from chapters.shared_cache import keras_cache_dir  # the folder the datasets are cached in

__all__ = [
    "ContentError",
    "CorruptFileError",
    "CsvContent",
    "DataError",
    "DataFile",
    "Dataset",
    "DatasetNotFoundError",
    "StorageError",
    "WordVectorsContent",
    "cats_vs_dogs_directory",
    "csv_content",
    "fetch",
    "imdb_reviews_directory",
    "is_jfif",
    "keras_cache_dir",
    "load_beijing_pm25",
    "load_california_housing",
    "load_fashion_mnist",
    "load_glove",
    "load_mnist",
    "load_nietzsche",
    "load_tfds",
    "manifest",
    "mirror_checksums",
    "offline_mirror",
    "read_idx",
    "read_word_vectors",
    "sha256_of",
    "user_facing",
    "word_vectors_content",
]
