"""The IMDB review pipeline shared by the text chapters (03, 04, 08, 10).

``imdb_text_datasets`` gives the raw reviews as ``tf.data`` datasets of (text, label) batches;
``vectorize`` maps a dataset's texts through a ``TextVectorization`` layer the notebook adapted.
Both work on every Keras backend: ``model.fit`` accepts ``tf.data`` datasets on all three.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chapters import data
from chapters.splits import Splits

if TYPE_CHECKING:
    import keras
    import tensorflow as tf

CLASS_NAMES = ["neg", "pos"]  # label 0: negative review, label 1: positive


@data.user_facing
def imdb_text_datasets(
    *,
    batch_size: int = 32,
    validation_fraction: float = 0.2,
    max_train_reviews: int | None = None,
    max_test_reviews: int | None = None,
    seed: int = 42,
) -> Splits:
    """Return IMDB's reviews as batched (text, label) datasets: train, validation and test.

    Each label is a float32 array of shape (1,): 0.0 for a negative review, 1.0 for a positive one.

    The validation reviews are a ``validation_fraction`` of the 25,000 training reviews, split off
    with ``seed``; the test set is the separate 25,000 test reviews. ``max_train_reviews`` and
    ``max_test_reviews`` keep a random subset (for quick runs): only those files are read. Every
    split is cached in memory after its first pass, so each pass sees the same reviews.
    Only ``neg``/``pos`` are read, so the official archive's ``train/unsup`` folder is ignored.
    """
    import keras

    root = data.imdb_reviews_directory()
    train, validation = keras.utils.text_dataset_from_directory(
        root / "train",
        class_names=CLASS_NAMES,
        label_mode="binary",
        batch_size=None,
        validation_split=validation_fraction,
        subset="both",
        seed=seed,
    )
    test = keras.utils.text_dataset_from_directory(
        root / "test", class_names=CLASS_NAMES, label_mode="binary", batch_size=None, shuffle=True, seed=seed
    )
    if max_train_reviews is not None:
        train = train.take(max_train_reviews)
        validation = validation.take(int(max_train_reviews * validation_fraction / (1 - validation_fraction)))
    if max_test_reviews is not None:
        test = test.take(max_test_reviews)
    # Caching the first pass fixes each subset: the same reviews in every later pass and epoch.
    return Splits(*(split.cache().batch(batch_size) for split in (train, validation, test)))


def texts_only(dataset: tf.data.Dataset) -> tf.data.Dataset:
    """Return the dataset of review texts alone, e.g. to adapt a ``TextVectorization`` layer."""
    return dataset.map(lambda text, label: text)


def vectorize(
    dataset: tf.data.Dataset, vectorizer: keras.layers.TextVectorization, *, shuffle_batches: bool = False
) -> tf.data.Dataset:
    """Return ``dataset`` with each text batch replaced by ``vectorizer(texts)``, cached and prefetched.

    The vectors are computed once and cached in memory. Multi-hot vectors, all zeros and ones, are
    cached as ``uint8``, a quarter of the memory of ``float32`` (IMDB's 25,000 test reviews over
    20,000 words: 0.5 GB instead of 2 GB); a model built on ``keras.Input`` reads them as floats.
    With ``shuffle_batches`` (for training data) the cached batches come in a new random order
    every epoch. tf.data's autotuning is off: reading cached batches needs no tuning, and on a
    2-core CPU its threads slowed PyTorch and JAX training steps by up to half.
    """
    import tensorflow as tf

    compact = vectorizer.get_config()["output_mode"] == "multi_hot"

    def vectorize_batch(texts: tf.Tensor, labels: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        vectors = vectorizer(texts)
        return (tf.cast(vectors, tf.uint8) if compact else vectors), labels

    vectors = dataset.map(vectorize_batch, num_parallel_calls=tf.data.AUTOTUNE).cache()
    if shuffle_batches:
        vectors = vectors.shuffle(buffer_size=1_000, reshuffle_each_iteration=True)
    options = tf.data.Options()
    options.autotune.enabled = False
    return vectors.prefetch(tf.data.AUTOTUNE).with_options(options)
