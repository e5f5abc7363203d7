"""Chapter 01's MNIST network, for the chapters that compare against it (05).

Chapter 01 writes this function out where it teaches it; this is the same function, kept here so
later chapters train exactly that network with exactly that recipe. A test keeps the two identical.
Import this module after ``chapters.setup``: it imports Keras.
"""

import keras
from keras import layers


def build_dense_classifier(hidden_sizes=(512,)):
    """Return a fresh dense classifier for flattened 28 × 28 images, compiled with our recipe.

    One relu layer per entry of ``hidden_sizes`` (chapter 01's network: one of 512 units), then
    ten softmax units, trained by RMSprop with its default settings.
    """
    hidden_layers = [layers.Dense(size, activation="relu") for size in hidden_sizes]
    model = keras.Sequential(
        [keras.Input(shape=(28 * 28,)), *hidden_layers, layers.Dense(10, activation="softmax")]
    )
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
