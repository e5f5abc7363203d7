"""The cats vs dogs image pipeline and pretrained convnets shared by the image chapters (05, 06, 11).

``cats_vs_dogs_datasets`` reads the folders of ``chapters.data.cats_vs_dogs_directory`` with
``keras.utils.image_dataset_from_directory`` into cached, prefetched ``tf.data`` datasets;
``augmentation`` is the stack of random-transformation layers the chapters train with, and
``augmented`` applies it to a dataset inside the input pipeline;
``pretrained_convnet`` gives an ImageNet convnet from ``keras.applications`` with its preprocessing.
All of it works on every Keras backend: ``model.fit`` accepts ``tf.data`` datasets on all three.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from chapters import data

CLASS_NAMES = ["cats", "dogs"]  # label 0: cat, label 1: dog


class ImageSplits(NamedTuple):
    """Training, validation and test datasets of (images, labels) batches.

    Images are float32 of shape (batch, height, width, 3) with values 0-255; labels are float32
    of shape (batch, 1): 0.0 for a cat, 1.0 for a dog.
    """

    train: object
    validation: object
    test: object


def cats_vs_dogs_datasets(
    *,
    image_size: int,
    batch_size: int = 32,
    max_train_images: int | None = None,
    max_validation_images: int | None = None,
    max_test_images: int | None = None,
    seed: int = 42,
) -> ImageSplits:
    """Return the cats vs dogs training, validation and test images as batched ``tf.data`` datasets.

    Each image is resized to ``image_size`` x ``image_size``. The pipeline decodes every image
    once and caches it in memory; the training images are then reshuffled every epoch (with
    ``seed``), and all three datasets prefetch the next batch while the model trains on this one.
    ``max_train_images``, ``max_validation_images`` and ``max_test_images`` keep a fixed random
    subset of each (for quick runs). Choose on ``validation``; evaluate a final model once on ``test``.
    """
    import keras
    import tensorflow as tf

    folder = data.cats_vs_dogs_directory()

    def images_in(subset: str):
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

    def held_out(subset: str, max_images: int | None):
        images = images_in(subset)
        if max_images is not None:
            images = images.take(max_images)
        return images.cache().batch(batch_size).prefetch(tf.data.AUTOTUNE)

    return ImageSplits(
        train.prefetch(tf.data.AUTOTUNE),
        held_out("validation", max_validation_images),
        held_out("test", max_test_images),
    )


def augmentation(seed: int = 42):
    """Return a ``keras.Sequential`` of random flips, rotations and zooms, active only in training.

    Each training batch comes out transformed differently, so the model never sees the exact same
    image twice; at inference (``training=False``) the layers pass images through unchanged.
    """
    import keras
    from keras import layers

    return keras.Sequential(
        [
            layers.RandomFlip("horizontal", seed=seed),
            layers.RandomRotation(0.1, seed=seed),
            layers.RandomZoom(0.2, seed=seed),
        ],
        name="augmentation",
    )


def augmented(dataset, augmentation):
    """Return ``dataset`` with each image batch passed through ``augmentation``'s layers.

    The transformations run in the ``tf.data`` pipeline, on the CPU and in parallel with
    training, on every backend (Keras runs its preprocessing layers with TensorFlow inside
    ``tf.data``), and differ at every batch and every epoch. Use it on training data only.
    """
    import tensorflow as tf

    def transform(images, labels):
        for layer in augmentation.layers:  # layer by layer: a Sequential model cannot run in tf.data on JAX
            images = layer(images, training=True)
        return images, labels

    return dataset.map(transform, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


@dataclass(frozen=True)
class PretrainedConvnet:
    """An ImageNet convnet without its classifier, and what using it takes.

    ``base`` maps images of ``image_size`` x ``image_size`` x 3 (after ``preprocess``) to feature
    maps; ``preprocess`` turns 0-255 images into the value range the base was trained on;
    ``top_layers`` is how many of the base's last layers fine-tuning unfreezes.
    """

    name: str
    base: object
    preprocess: Callable
    image_size: int
    top_layers: int


def pretrained_convnet(name: str, image_size: int | None = None) -> PretrainedConvnet:
    """Return the ImageNet convnet ``name`` ("vgg16" or "mobilenet_025") with its weights loaded.

    ``image_size`` defaults to the size the book uses with the model (VGG16: 180, MobileNet: 224).
    MobileNet (alpha 0.25) takes its weights from ``chapters.data`` (cache, mirror or download),
    so it works offline; at a size other than 128, 160, 192 or 224 it uses its 224-pixel weights,
    which is what quick runs do. VGG16's weights (58 MB) are downloaded by Keras; when they cannot
    be had, for instance offline, this says so and returns MobileNet instead.
    """
    import warnings

    import keras

    if name not in ("vgg16", "mobilenet_025"):
        raise ValueError(f"No pretrained convnet {name!r}: choose 'vgg16' or 'mobilenet_025'.")
    if name == "vgg16":
        try:
            size = image_size or 180
            base = keras.applications.VGG16(
                weights="imagenet", include_top=False, input_shape=(size, size, 3)
            )
        except Exception as error:  # noqa: BLE001 - Keras reports a failed download as a bare Exception
            print(
                f"VGG16's ImageNet weights could not be downloaded ({error}).\n"
                "Using MobileNet (alpha 0.25) instead, whose weights the offline mirror provides."
            )
        else:
            return PretrainedConvnet("vgg16", base, keras.applications.vgg16.preprocess_input, size, 4)
    data.fetch("mobilenet_025_imagenet")
    size = image_size or 224
    with warnings.catch_warnings():  # the warning that the 224-pixel weights are used at this size
        warnings.simplefilter("ignore", UserWarning)
        base = keras.applications.MobileNet(
            weights="imagenet", include_top=False, alpha=0.25, input_shape=(size, size, 3)
        )
    return PretrainedConvnet("mobilenet_025", base, keras.applications.mobilenet.preprocess_input, size, 12)
