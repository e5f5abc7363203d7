"""The cats vs dogs image pipeline and the pretrained bases' weights, for chapter 06.

Chapter 05 writes the pipeline out, as its lesson; chapter 06 reuses it from here:
``cats_vs_dogs_datasets`` reads the folders of ``chapters.data.cats_vs_dogs_directory`` with
``keras.utils.image_dataset_from_directory`` into cached, prefetched ``tf.data`` datasets;
``augmentation`` is the stack of random-transformation layers the chapters train with, and
``augmented`` applies it to a dataset inside the input pipeline. All of it works on every Keras
backend: ``model.fit`` accepts ``tf.data`` datasets on all three.
``pretrained_base`` chooses the ImageNet base chapter 06 loads from ``keras.applications``
(VGG16 when its weights can be downloaded, else MobileNet alpha 0.25) and puts its weights in the
Keras cache, from the offline mirror when there is one.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from chapters import data
from chapters.splits import Splits

if TYPE_CHECKING:
    import keras
    import numpy as np
    import tensorflow as tf

CLASS_NAMES = ["cats", "dogs"]  # label 0: cat, label 1: dog


@data.user_facing
def cats_vs_dogs_datasets(
    *,
    image_size: int,
    batch_size: int = 32,
    max_train_images: int | None = None,
    max_validation_images: int | None = None,
    max_test_images: int | None = None,
    seed: int = 42,
) -> Splits:
    """Return the cats vs dogs training, validation and test images as batched ``tf.data`` datasets.

    Images are float32 of shape (batch, ``image_size``, ``image_size``, 3) with values 0-255; labels
    are float32 of shape (batch, 1): 0.0 for a cat, 1.0 for a dog. The pipeline decodes every image
    once and caches it in memory; the training images are then reshuffled every epoch (with
    ``seed``), and all three datasets prefetch the next batch while the model trains on this one.
    ``max_train_images``, ``max_validation_images`` and ``max_test_images`` keep a fixed random
    subset of each (for quick runs). Choose on ``validation``; evaluate a final model once on ``test``.
    Chapter 05 writes this pipeline out; chapter 06 calls it.
    """
    import keras
    import tensorflow as tf

    folder = data.cats_vs_dogs_directory()

    def images_in(subset: str) -> tf.data.Dataset:
        return keras.utils.image_dataset_from_directory(
            folder / subset,
            class_names=CLASS_NAMES,
            label_mode="binary",
            image_size=(image_size, image_size),
            batch_size=None,
            shuffle=True,
            seed=seed,
            verbose=False,
        )

    train = images_in("train")
    if max_train_images is not None:
        train = train.take(max_train_images)
    train = train.cache()
    train_count = int(train.reduce(0, lambda count, _: count + 1))  # the first pass fills the cache
    train = train.shuffle(train_count, seed=seed, reshuffle_each_iteration=True).batch(batch_size)

    def held_out(subset: str, max_images: int | None) -> tf.data.Dataset:
        images = images_in(subset)
        if max_images is not None:
            images = images.take(max_images)
        return images.cache().batch(batch_size).prefetch(tf.data.AUTOTUNE)

    return Splits(
        train.prefetch(tf.data.AUTOTUNE),
        held_out("validation", max_validation_images),
        held_out("test", max_test_images),
    )


def extract_features(
    dataset: tf.data.Dataset, base: keras.Model, preprocess_input: Callable[[np.ndarray], np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``base``'s feature maps and the labels of every image in ``dataset``, as two arrays.

    Each batch of images goes through ``preprocess_input`` and then ``base``, once. Chapter 06
    writes this out; chapter 11 calls it.
    """
    import keras
    import numpy as np

    all_features, all_labels = [], []
    for batch_images, batch_labels in dataset:
        inputs = preprocess_input(np.array(batch_images))
        all_features.append(keras.ops.convert_to_numpy(base.predict_on_batch(inputs)))
        all_labels.append(np.array(batch_labels))
    return np.concatenate(all_features), np.concatenate(all_labels)


def augmentation(seed: int = 42) -> keras.Sequential:
    """Return a ``keras.Sequential`` of random flips, rotations and zooms, active only in training.

    Each training batch comes out transformed differently, so the model never sees the exact same
    image twice; at inference (``training=False``) the layers pass images through unchanged. The
    layers are seeded ``seed``, ``seed + 1`` and ``seed + 2``: layers given one seed draw the same
    numbers, and an image would be flipped exactly when it is rotated one way and zoomed in.
    Chapter 05 writes these layers out; chapter 06 calls this.
    """
    import keras
    from keras import layers

    return keras.Sequential(
        [
            layers.RandomFlip("horizontal", seed=seed),
            layers.RandomRotation(0.1, seed=seed + 1),
            layers.RandomZoom(0.2, seed=seed + 2),
        ],
        name="augmentation",
    )


def augmented(dataset: tf.data.Dataset, augmentation: keras.Sequential) -> tf.data.Dataset:
    """Return ``dataset`` with each image batch passed through ``augmentation``'s layers.

    The transformations run in the ``tf.data`` pipeline, on the CPU and in parallel with
    training, on every backend (Keras runs its preprocessing layers with TensorFlow inside
    ``tf.data``), and differ at every batch and every epoch. Use it on training data only.
    Chapter 05 writes this ``dataset.map`` out; chapter 06 calls this.
    """
    import tensorflow as tf

    def transform(images: tf.Tensor, labels: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        for layer in augmentation.layers:  # layer by layer: a Sequential model cannot run in tf.data on JAX
            images = layer(images, training=True)
        return images, labels

    return dataset.map(transform, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


# VGG16's ImageNet weights without the classifier, where keras.applications.VGG16 looks for them.
VGG16_WEIGHTS_FILE = "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
VGG16_WEIGHTS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/vgg16/" + VGG16_WEIGHTS_FILE
VGG16_WEIGHTS_MD5 = "6d6bbae143d832006294945121d1f1fc"
BASES = ("vgg16", "mobilenet_025")
# Printed when VGG16 is chosen on a CPU. The ratio is one photo's time through each base on a 2-core
# CPU, by backend and image size (benchmarks/vgg16_on_cpu.py); the chapters' CPU records are MobileNet's.
VGG16_ON_CPU_NOTE = (
    "VGG16 on a CPU: a photo takes 7 to 50 times as long through it as through MobileNet, and the CPU\n"
    "times this notebook states for full mode were measured with MobileNet. The notebook's opening\n"
    "paragraph on run time estimates VGG16's. For VGG16 at a good pace, use a GPU (Colab: Runtime >\n"
    'Change runtime type); to stay on this CPU, choose "mobilenet_025" (preferred_base, in the\n'
    "parameters cell)."
)


def cache_vgg16_weights() -> Path:
    """Return the path of VGG16's ImageNet weights (58 MB, no classifier) in the Keras cache.

    Downloads them (with ``keras.utils.get_file``, as ``keras.applications.VGG16`` would) unless
    they are cached already; raises Keras's exception when they cannot be downloaded.
    """
    import keras

    path = keras.utils.get_file(
        VGG16_WEIGHTS_FILE, VGG16_WEIGHTS_URL, cache_subdir="models", file_hash=VGG16_WEIGHTS_MD5
    )
    return Path(path)


@data.user_facing
def cache_mobilenet_weights() -> Path:
    """Return the Keras cache folder holding MobileNet's (alpha 0.25) ImageNet weights, no classifier.

    They come from ``chapters.data`` (cache, offline mirror, or download), so
    ``keras.applications.MobileNet(alpha=0.25, include_top=False, weights="imagenet")`` works offline.
    """
    return data.fetch("mobilenet_025_imagenet")


@data.user_facing
def pretrained_base(preferred: str) -> str:
    """Return the name of the ImageNet base to use, "vgg16" or "mobilenet_025", its weights cached.

    ``preferred`` is returned when its weights are in the Keras cache or can be put there. When
    VGG16's cannot be downloaded (offline, for instance) this says so and returns "mobilenet_025",
    whose weights the offline mirror provides. VGG16 on a CPU comes with a note on how long it takes.
    """
    if preferred not in BASES:
        raise ValueError(f"No pretrained base {preferred!r}: choose 'vgg16' or 'mobilenet_025'.")
    if preferred == "vgg16":
        try:
            cache_vgg16_weights()
        except Exception as error:  # noqa: BLE001 - Keras reports a failed download as a bare Exception
            print(
                f"VGG16's ImageNet weights could not be downloaded ({error}).\n"
                "Using MobileNet (alpha 0.25) instead, whose weights the offline mirror provides."
            )
        else:
            if _computes_on_cpu():
                print(VGG16_ON_CPU_NOTE)
            return "vgg16"
    cache_mobilenet_weights()
    return "mobilenet_025"


def _computes_on_cpu() -> bool:
    """Return whether Keras's backend computes on a CPU."""
    import keras

    from chapters import session

    return session.device_name(keras.backend.backend()) == "CPU"
