"""The cats vs dogs image pipeline, augmentation and pretrained convnets, on the real images
(from the offline mirror in CI, into the usual Keras cache)."""

import keras
import numpy as np
import pytest

from chapters import images


@pytest.fixture
def small_splits(shared_mirror, monkeypatch):
    monkeypatch.setenv("CHAPTERS_MIRROR", str(shared_mirror))
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
        for image, label in zip(batch_images.numpy(), batch_labels.numpy())
    ]


def test_the_splits_are_fixed_subsets_reshuffled_only_for_training(small_splits):
    batch_images, batch_labels = next(iter(small_splits.train))
    assert tuple(batch_images.shape) == (16, 40, 40, 3) and tuple(batch_labels.shape) == (16, 1)
    assert 0.0 <= float(np.min(batch_images)) and float(np.max(batch_images)) <= 255.0

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


def test_mobilenet_loads_its_imagenet_weights_at_a_smaller_size(shared_mirror, monkeypatch):
    monkeypatch.setenv("CHAPTERS_MIRROR", str(shared_mirror))
    pretrained = images.pretrained_convnet("mobilenet_025", image_size=96)
    assert pretrained.name == "mobilenet_025" and pretrained.image_size == 96
    assert tuple(pretrained.base.output.shape) == (None, 3, 3, 256)
    assert np.allclose(pretrained.preprocess(np.array([0.0, 255.0])), [-1.0, 1.0])
    assert 0 < pretrained.top_layers < len(pretrained.base.layers)
    weights = {weight.path: weight for weight in pretrained.base.weights}
    assert np.std(keras.ops.convert_to_numpy(next(iter(weights.values())))) > 0.05, "ImageNet weights"


def test_without_vgg16_weights_mobilenet_is_used_and_the_reader_told(shared_mirror, monkeypatch, capsys):
    monkeypatch.setenv("CHAPTERS_MIRROR", str(shared_mirror))

    def unreachable(**arguments):
        raise Exception("URL fetch failure: no network")  # noqa: TRY002 - what get_file raises offline

    monkeypatch.setattr(keras.applications, "VGG16", unreachable)
    pretrained = images.pretrained_convnet("vgg16")
    assert pretrained.name == "mobilenet_025" and pretrained.image_size == 224
    message = capsys.readouterr().out
    assert "VGG16's ImageNet weights could not be downloaded" in message and "MobileNet" in message


def test_an_unknown_convnet_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="'vgg16' or 'mobilenet_025'"):
        images.pretrained_convnet("resnet")
