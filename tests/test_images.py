"""The cats vs dogs image pipeline, augmentation and the pretrained bases' weights.

The pipeline runs on the small mirror's folder of tiny JPEGs (tests/small_mirror.py), into an empty
Keras cache; ImageNet's MobileNet weights loading into ``keras.applications`` need the shared mirror."""

import json
import re

import h5py
import keras
import numpy as np
import pytest

from chapters import images, session


@pytest.fixture
def small_splits(keras_cache, small_mirror, monkeypatch):
    monkeypatch.setenv("CHAPTERS_MIRROR", str(small_mirror))
    return images.cats_vs_dogs_datasets(
        image_size=40,
        batch_size=16,
        max_train_images=64,
        max_validation_images=48,
        max_test_images=32,
    )


def contents(dataset):
    """Return every (image checksum, label) in one pass, in order."""
    return [
        (round(float(image.sum()), 1), float(label[0]))
        for batch_images, batch_labels in dataset
        for image, label in zip(batch_images.numpy(), batch_labels.numpy(), strict=True)
    ]


def test_the_splits_are_fixed_subsets_reshuffled_only_for_training(small_splits):
    batch_images, batch_labels = next(iter(small_splits.train))
    assert tuple(batch_images.shape) == (16, 40, 40, 3) and tuple(batch_labels.shape) == (16, 1)
    assert float(np.min(batch_images)) >= 0.0 and float(np.max(batch_images)) <= 255.0

    first, second = contents(small_splits.train), contents(small_splits.train)
    assert len(first) == 64 and sorted(first) == sorted(second), "each epoch sees the same images"
    assert first != second, "training images are reshuffled every epoch"
    validation = contents(small_splits.validation)
    assert len(validation) == 48 and validation == contents(small_splits.validation)
    test = contents(small_splits.test)
    assert len(test) == 32 and test == contents(small_splits.test)
    assert not set(test) & set(validation) and not set(test) & set(first), "the test images are their own"
    assert {label for _, label in first} == {0.0, 1.0}


def test_augmentation_changes_images_every_epoch_and_keeps_labels(small_splits):
    augmented = images.augmented(small_splits.train, images.augmentation())
    for batch in (augmented, small_splits.train):
        assert tuple(next(iter(batch))[0].shape) == (16, 40, 40, 3)
    first, second = contents(augmented), contents(augmented)
    assert [label for _, label in first] != [] and sorted(first) != sorted(second)
    assert sorted(label for _, label in first) == sorted(label for _, label in contents(small_splits.train))


def test_the_augmentation_layers_draw_independently():
    """An image's flip, rotation and zoom are drawn apart: with one seed for all three layers, an
    image was flipped exactly when it was rotated one way and zoomed in."""
    flip, rotation, zoom = images.augmentation().layers
    batch = np.zeros((400, 8, 8, 3), dtype="float32")
    flipped = np.ravel(keras.ops.convert_to_numpy(flip.get_random_transformation(batch)["flips"]))
    turned_left = np.ravel(keras.ops.convert_to_numpy(rotation.get_random_transformation(batch)["angle"])) < 0
    zoomed_in = np.ravel(keras.ops.convert_to_numpy(zoom.get_random_transformation(batch)["height_zoom"])) < 1
    for first, second, what in (
        (flipped, turned_left, "flip and rotation"),
        (flipped, zoomed_in, "flip and zoom"),
        (turned_left, zoomed_in, "rotation and zoom"),
    ):
        agreement = float(np.mean(first == second))  # 0.5 give or take 0.025 when independent
        assert 0.4 < agreement < 0.6, f"{what} agree on {agreement:.0%} of the images: not independent"


def test_chapter_05_seeds_its_augmentation_layers_apart(repository_root):
    notebook = json.loads((repository_root / "notebooks" / "05_convnets.ipynb").read_text())
    layers_cell = next(
        "".join(cell["source"])
        for cell in notebook["cells"]
        if "layers.RandomFlip(" in "".join(cell["source"])
    )
    seeds = re.findall(r"layers\.Random\w+\(.*seed=([^)]+)\)", layers_cell)
    assert len(seeds) == 3 and len(set(seeds)) == 3, (
        f"each augmentation layer needs a seed of its own: {seeds}"
    )


def test_mobilenet_weights_reach_the_keras_cache_so_keras_applications_loads_them(shared_mirror, monkeypatch):
    """ImageNet's weights, from the shared mirror into the Keras cache keras.applications reads."""
    monkeypatch.setenv("CHAPTERS_MIRROR", str(shared_mirror))
    assert images.pretrained_base("mobilenet_025") == "mobilenet_025"
    with pytest.warns(UserWarning, match=r"Weights for input shape \(224, 224\)"):  # the same kernels
        base = keras.applications.MobileNet(
            weights="imagenet", include_top=False, alpha=0.25, input_shape=(96, 96, 3)
        )
    assert tuple(base.output.shape) == (None, 3, 3, 256)
    first_kernel = keras.ops.convert_to_numpy(base.get_layer("conv1").kernel)
    with h5py.File(shared_mirror / "keras" / "models" / "mobilenet_2_5_224_tf_no_top.h5") as weights:
        imagenet_kernel = weights["conv1/conv1/kernel:0"][()]
    np.testing.assert_array_equal(
        first_kernel, imagenet_kernel, "ImageNet's weights, not a fresh initialization"
    )


def test_vgg16_weights_are_fetched_where_keras_applications_looks_for_them(monkeypatch, capsys):
    from keras.src.applications import vgg16

    fetched = []
    monkeypatch.setattr(
        keras.utils, "get_file", lambda *arguments, **options: fetched.append(arguments) or "x"
    )
    monkeypatch.setattr(session, "device_name", lambda backend: "GPU (NVIDIA H100)")
    assert images.pretrained_base("vgg16") == "vgg16" and capsys.readouterr().out == ""
    assert fetched == [(images.VGG16_WEIGHTS_FILE, vgg16.WEIGHTS_PATH_NO_TOP)]


def test_vgg16_on_a_cpu_comes_with_how_long_it_takes_and_what_to_do_instead(monkeypatch, capsys):
    monkeypatch.setattr(keras.utils, "get_file", lambda *arguments, **options: "x")
    monkeypatch.setattr(session, "device_name", lambda backend: "CPU")
    assert images.pretrained_base("vgg16") == "vgg16"
    note = capsys.readouterr().out
    assert "measured with MobileNet" in note and "use a GPU" in note and '"mobilenet_025"' in note


def test_without_vgg16_weights_mobilenet_is_used_and_the_reader_told(
    keras_cache, small_mirror, monkeypatch, capsys
):
    monkeypatch.setenv("CHAPTERS_MIRROR", str(small_mirror))

    def unreachable(*arguments, **options):
        raise Exception("URL fetch failure: no network")  # noqa: TRY002 - what get_file raises offline

    monkeypatch.setattr(keras.utils, "get_file", unreachable)
    assert images.pretrained_base("vgg16") == "mobilenet_025"
    message = capsys.readouterr().out
    assert "VGG16's ImageNet weights could not be downloaded" in message and "MobileNet" in message


def test_an_unknown_base_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="'vgg16' or 'mobilenet_025'"):
        images.pretrained_base("resnet")


def test_features_are_the_base_on_preprocessed_images_with_labels_in_order(small_splits):
    inputs = keras.Input(shape=(40, 40, 3))
    base = keras.Model(inputs, keras.layers.AveragePooling2D(4)(inputs))  # a 10 x 10 map per channel
    features, labels = images.extract_features(small_splits.test, base, lambda batch: batch / 255.0)
    assert features.shape == (32, 10, 10, 3) and labels.shape == (32, 1)
    batch_images, batch_labels = next(iter(small_splits.test))
    first = batch_images.numpy()[0, :4, :4].mean(axis=(0, 1)) / 255.0
    assert np.allclose(features[0, 0, 0], first, atol=1e-5)
    assert labels[: len(batch_labels)].tolist() == batch_labels.numpy().tolist()
