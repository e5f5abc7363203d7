"""Chapter 01's MNIST network, for the chapters that compare against it (05).

Chapter 01 writes this function out where it teaches it; this is the same function, kept here so
later chapters train exactly that network with exactly that recipe. A test keeps the two identical.
Import this module after ``chapters.setup``: it imports Keras.
"""

import keras
from keras import layers


def build_dense_classifier(num_steps):
    """Return a fresh two-layer classifier for flattened 28 × 28 images, compiled with our recipe.

    RMSprop's learning rate starts at 0.001 and decays to zero along a cosine over ``num_steps``
    training steps (epochs × batches per epoch).
    """
    learning_rate = keras.optimizers.schedules.CosineDecay(1e-3, decay_steps=num_steps)
    model = keras.Sequential(
        [
            keras.Input(shape=(28 * 28,)),
            layers.Dense(512, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model
